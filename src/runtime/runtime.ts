// startRuntimeMetrics: every runtime collector at once, each switchable, one stop for all.

import { fail } from '../internal/errors.js';
import { checkOptionKeys } from '../internal/option-keys.js';
import type { Registry } from '../metrics/index.js';
import { type CollectorOptions, checkOptions, type RuntimeCollector } from './common.js';
import {
  EVENT_LOOP_METRICS_OPTIONS,
  type EventLoopMetricsOptions,
  startEventLoopMetrics,
} from './event-loop.js';
import { GC_METRICS_OPTIONS, type GcMetricsOptions, startGcMetrics } from './gc.js';
import {
  HANDLE_METRICS_OPTIONS,
  type HandleMetricsOptions,
  startHandleMetrics,
} from './handles.js';
import { HEAP_METRICS_OPTIONS, type HeapMetricsOptions, startHeapMetrics } from './heap.js';
import {
  PROCESS_METRICS_OPTIONS,
  type ProcessMetricsOptions,
  startProcessMetrics,
} from './process.js';

/** Options of {@link startRuntimeMetrics}. Each collector is on by default. */
export interface RuntimeMetricsOptions {
  /**
   * The registry every collector registers on. Default: `defaultRegistry()`, as for every
   * factory that records metrics ([telemetry.md](../../docs/telemetry.md)). Set it here, not in a
   * collector's own options.
   */
  readonly registry?: Registry | undefined;
  /** Process CPU, memory, fds, start time, version. `false` turns it off. Default on. */
  readonly process?: boolean | Omit<ProcessMetricsOptions, 'registry'>;
  /** V8 heap and heap spaces. Default on. */
  readonly heap?: boolean | Omit<HeapMetricsOptions, 'registry'>;
  /** Event-loop lag percentiles and utilisation. Default on (resolution 10 ms). */
  readonly eventLoop?: boolean | Omit<EventLoopMetricsOptions, 'registry'>;
  /** GC pauses by kind. Default on. */
  readonly gc?: boolean | Omit<GcMetricsOptions, 'registry'>;
  /** Active handles, requests and resources by type. Default on. */
  readonly handles?: boolean | Omit<HandleMetricsOptions, 'registry'>;
  /** Prefix for every runtime metric name, unless a collector's options set their own. Default `''`. */
  readonly prefix?: string;
}

/** The running runtime collectors. */
export interface RuntimeMetrics extends RuntimeCollector {}

type Start = (options: CollectorOptions) => RuntimeCollector;

const WHERE = 'startRuntimeMetrics';

/** Every key of {@link RuntimeMetricsOptions}: `startRuntimeMetrics` refuses any other. */
const RUNTIME_METRICS_OPTIONS = [
  'registry',
  'process',
  'heap',
  'eventLoop',
  'gc',
  'handles',
  'prefix',
] as const;

/**
 * Each collector: its option, its start, and the check of the keys of its options object (all
 * of its own keys, `registry` included, which gets a message of its own after this).
 */
const COLLECTORS: readonly (readonly [keyof RuntimeMetricsOptions, Start, (o: object) => void])[] =
  [
    [
      'process',
      startProcessMetrics,
      (o) =>
        checkOptionKeys(WHERE, o as ProcessMetricsOptions, PROCESS_METRICS_OPTIONS, 'process.'),
    ],
    [
      'heap',
      startHeapMetrics,
      (o) => checkOptionKeys(WHERE, o as HeapMetricsOptions, HEAP_METRICS_OPTIONS, 'heap.'),
    ],
    [
      'eventLoop',
      startEventLoopMetrics,
      (o) =>
        checkOptionKeys(
          WHERE,
          o as EventLoopMetricsOptions,
          EVENT_LOOP_METRICS_OPTIONS,
          'eventLoop.',
        ),
    ],
    [
      'gc',
      startGcMetrics,
      (o) => checkOptionKeys(WHERE, o as GcMetricsOptions, GC_METRICS_OPTIONS, 'gc.'),
    ],
    [
      'handles',
      startHandleMetrics,
      (o) => checkOptionKeys(WHERE, o as HandleMetricsOptions, HANDLE_METRICS_OPTIONS, 'handles.'),
    ],
  ];

/**
 * Starts the runtime collectors: process, heap, event loop, GC and handles, each on unless its
 * option is `false`, all on one registry (default `defaultRegistry()`). Nothing polls: values are
 * read at gather time, except the native event-loop histogram and the GC observer. If one
 * collector fails to start, those already started are stopped and the error is rethrown.
 *
 * @returns `{ stop() }`, which stops every collector (observers disconnected, histogram disabled,
 * families unregistered). Idempotent.
 * @throws TelltaleError `TT_INVALID_OPTION` on a bad or unknown option (a collector's options naming a
 * `registry` too); `TT_CONFLICTING_REGISTRATION` when a runtime metric is already registered on
 * the registry.
 * @example
 * ```ts
 * import { createRegistry } from 'telltale/metrics';
 * import { startRuntimeMetrics } from 'telltale/runtime';
 * const registry = createRegistry();
 * const runtime = startRuntimeMetrics({ registry, gc: false });
 * process.on('SIGTERM', () => runtime.stop());
 * ```
 */
export function startRuntimeMetrics(options?: RuntimeMetricsOptions): RuntimeMetrics {
  const where = WHERE;
  const { registry, prefix } = checkOptions(where, options);
  checkOptionKeys(where, options ?? {}, RUNTIME_METRICS_OPTIONS);
  const resolve = (
    name: string,
    v: unknown,
    checkKeys: (o: object) => void,
  ): CollectorOptions | undefined => {
    if (v === false) return undefined;
    if (v === undefined || v === true) return { registry, prefix };
    if (typeof v !== 'object' || v === null) {
      fail('TT_INVALID_OPTION', `${where}: ${name} must be a boolean or an options object`);
    }
    checkKeys(v);
    if ((v as CollectorOptions).registry !== undefined) {
      fail(
        'TT_INVALID_OPTION',
        `${where}: ${name}.registry is not an option; set registry once, on startRuntimeMetrics({ registry })`,
      );
    }
    return { prefix, ...v, registry };
  };
  // Every option is checked before any collector starts.
  const chosen = COLLECTORS.map(
    ([name, start, checkKeys]) => [start, resolve(name, options?.[name], checkKeys)] as const,
  );
  const started: RuntimeCollector[] = [];
  try {
    for (const [start, opts] of chosen) if (opts !== undefined) started.push(start(opts));
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
