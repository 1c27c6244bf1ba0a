// Active libuv handles and requests, and every active resource by type, from process.getActiveResourcesInfo().

import { checkOptionKeys } from '../internal/option-keys.js';
import {
  COLLECTOR_OPTIONS,
  type CollectorOptions,
  checkOptions,
  OwnedFamilies,
  type RuntimeCollector,
  sharedReading,
} from './common.js';

/** Options of {@link startHandleMetrics}. */
export interface HandleMetricsOptions extends CollectorOptions {}

/** Every key of {@link HandleMetricsOptions}: `startHandleMetrics` refuses any other. */
export const HANDLE_METRICS_OPTIONS = [...COLLECTOR_OPTIONS] as const;

// Node's resource types form a small fixed set (a few dozen wrap classes); the cap bounds it anyway.
const MAX_TYPES = 64;

// libuv requests are the ReqWrap classes: their names contain "Req" (FSReqCallback,
// GetAddrInfoReqWrap, CloseReq, …), except these stream and socket requests.
const REQUEST_WRAPS: ReadonlySet<string> = new Set([
  'ShutdownWrap',
  'WriteWrap',
  'ConnectWrap',
  'SendWrap',
  'TCPConnectWrap',
  'PipeConnectWrap',
]);

/** @internal Which total a resource type counts towards. */
export function resourceKind(type: string): 'request' | 'handle' | 'timer' {
  if (type === 'Timeout' || type === 'Immediate') return 'timer';
  if (type.includes('Req') || REQUEST_WRAPS.has(type)) return 'request';
  return 'handle';
}

interface Counts {
  handles: number;
  requests: number;
  byType: Map<string, number>;
}

/**
 * Starts the handles collector, read at gather time from the public
 * `process.getActiveResourcesInfo()` (no timer).
 *
 * Families (gauges): `nodejs_active_resources{type}` (each active resource type, such as
 * `TCPSocketWrap`, `FSReqCallback`, `Timeout`), `nodejs_active_handles` (libuv handles: sockets,
 * servers, pipes, TTYs, child processes, signal watchers…) and `nodejs_active_requests` (libuv
 * requests in flight: file system, DNS, writes…). As in prom-client, which reads the private
 * `process._getActiveHandles()`, the two totals leave out JavaScript timers and immediates
 * (`Timeout`, `Immediate`); those are in `nodejs_active_resources`. A type seen once stays, at 0
 * when none is active.
 *
 * @throws TelltaleError `TT_INVALID_OPTION` on a bad or unknown option; `TT_CONFLICTING_REGISTRATION` when
 * one of its names is already registered.
 * @example
 * ```ts
 * const handles = startHandleMetrics({ registry });
 * handles.stop();
 * ```
 */
export function startHandleMetrics(options?: HandleMetricsOptions): RuntimeCollector {
  const where = 'startHandleMetrics';
  const { registry, prefix } = checkOptions(where, options);
  checkOptionKeys(where, options ?? {}, HANDLE_METRICS_OPTIONS);
  const fam = new OwnedFamilies(registry, prefix, where);
  fam.preflight(['nodejs_active_resources', 'nodejs_active_handles', 'nodejs_active_requests']);

  const counts = sharedReading((): Counts => {
    const c: Counts = { handles: 0, requests: 0, byType: new Map() };
    for (const type of process.getActiveResourcesInfo()) {
      c.byType.set(type, (c.byType.get(type) ?? 0) + 1);
      const kind = resourceKind(type);
      if (kind === 'handle') c.handles++;
      else if (kind === 'request') c.requests++;
    }
    return c;
  });
  const seen = new Set<string>();
  fam.own(
    registry.gauge({
      name: fam.name('nodejs_active_resources'),
      help: 'Active resources that keep the event loop alive, by type.',
      labelNames: ['type'],
      maxSeries: MAX_TYPES,
      collect: (g) => {
        const c = counts(0);
        for (const type of seen) if (!c.byType.has(type)) g.set({ type }, 0);
        for (const [type, n] of c.byType) {
          if (seen.size < MAX_TYPES) seen.add(type);
          g.set({ type }, n);
        }
      },
    }),
  );
  fam.own(
    registry.gauge({
      name: fam.name('nodejs_active_handles'),
      help: 'Active libuv handles (sockets, servers, pipes, child processes…), timers excluded.',
      collect: (g) => g.set(counts(1).handles),
    }),
  );
  fam.own(
    registry.gauge({
      name: fam.name('nodejs_active_requests'),
      help: 'Active libuv requests (file system, DNS, writes…).',
      collect: (g) => g.set(counts(2).requests),
    }),
  );
  return { stop: () => fam.unregisterAll() };
}
