// startRuntimeMetrics: every runtime collector at once, each switchable, one stop for all.

import { fail } from '../internal/errors.js';
import type { Registry } from '../metrics/index.js';
import { checkOptions, checkRegistry, type RuntimeCollector } from './common.js';
import { type EventLoopMetricsOptions, startEventLoopMetrics } from './event-loop.js';
import { type GcMetricsOptions, startGcMetrics } from './gc.js';
import { type HandleMetricsOptions, startHandleMetrics } from './handles.js';
import { type HeapMetricsOptions, startHeapMetrics } from './heap.js';
import { type ProcessMetricsOptions, startProcessMetrics } from './process.js';

/** Options of {@link startRuntimeMetrics}. Each collector is on by default. */
export interface RuntimeMetricsOptions {
  /** Process CPU, memory, fds, start time, version. `false` turns it off. Default on. */
  readonly process?: boolean | ProcessMetricsOptions;
  /** V8 heap and heap spaces. Default on. */
  readonly heap?: boolean | HeapMetricsOptions;
  /** Event-loop lag percentiles and utilisation. Default on (resolution 10 ms). */
  readonly eventLoop?: boolean | EventLoopMetricsOptions;
  /** GC pauses by kind. Default on. */
  readonly gc?: boolean | GcMetricsOptions;
  /** Active handles, requests and resources by type. Default on. */
  readonly handles?: boolean | HandleMetricsOptions;
  /** Prefix for every runtime metric name, unless a collector's options set their own. Default `''`. */
  readonly prefix?: string;
}

/** The running runtime collectors. */
export interface RuntimeMetrics extends RuntimeCollector {}

type Start<O> = (registry: Registry, options?: O) => RuntimeCollector;

/**
 * Starts the runtime collectors on `registry`: process, heap, event loop, GC and handles, each on
 * unless its option is `false`. Nothing polls: values are read at gather time, except the native
 * event-loop histogram and the GC observer. If one collector fails to start, those already
 * started are stopped and the error is rethrown.
 *
 * @returns `{ stop() }`, which stops every collector (observers disconnected, histogram disabled,
 * families unregistered). Idempotent.
 * @throws TelltaleError `TT_INVALID_OPTION` on a bad option; `TT_CONFLICTING_REGISTRATION` when
 * a runtime metric is already registered on `registry`.
 * @example
 * ```ts
 * import { createRegistry } from 'telltale/metrics';
 * import { startRuntimeMetrics } from 'telltale/runtime';
 * const registry = createRegistry();
 * const runtime = startRuntimeMetrics(registry, { gc: false });
 * process.on('SIGTERM', () => runtime.stop());
 * ```
 */
export function startRuntimeMetrics(
  registry: Registry,
  options?: RuntimeMetricsOptions,
): RuntimeMetrics {
  const where = 'startRuntimeMetrics';
  checkRegistry(where, registry);
  const prefix = checkOptions(where, options);
  const o = options ?? {};
  const resolve = <T extends object>(name: string, v: boolean | T | undefined): T | undefined => {
    if (v === false) return undefined;
    if (v === undefined || v === true) return { prefix } as T;
    if (typeof v !== 'object' || v === null) {
      fail('TT_INVALID_OPTION', `${where}: ${name} must be a boolean or an options object`);
    }
    return { prefix, ...v };
  };
  const collectors: [Start<never>, object | undefined][] = [
    [startProcessMetrics as Start<never>, resolve<ProcessMetricsOptions>('process', o.process)],
    [startHeapMetrics as Start<never>, resolve<HeapMetricsOptions>('heap', o.heap)],
    [
      startEventLoopMetrics as Start<never>,
      resolve<EventLoopMetricsOptions>('eventLoop', o.eventLoop),
    ],
    [startGcMetrics as Start<never>, resolve<GcMetricsOptions>('gc', o.gc)],
    [startHandleMetrics as Start<never>, resolve<HandleMetricsOptions>('handles', o.handles)],
  ];
  const started: RuntimeCollector[] = [];
  try {
    for (const [start, opts] of collectors) {
      if (opts !== undefined) started.push(start(registry, opts as never));
    }
  } catch (err) {
    for (const c of started) c.stop();
    throw err;
  }
  return {
    stop: () => {
      for (const c of started) c.stop();
      started.length = 0;
    },
  };
}
