// Garbage-collection pauses by kind, observed through a PerformanceObserver on 'gc' entries.

import { constants, type PerformanceEntry, PerformanceObserver } from 'node:perf_hooks';
import { checkOptionKeys } from '../internal/option-keys.js';
import { validateBuckets } from '../metrics/buckets.js';
import type { HistogramHandle } from '../metrics/index.js';
import {
  COLLECTOR_OPTIONS,
  type CollectorOptions,
  checkOptions,
  OwnedFamilies,
  type RuntimeCollector,
} from './common.js';

/** Options of {@link startGcMetrics}. */
export interface GcMetricsOptions extends CollectorOptions {
  /** Histogram upper bounds, in seconds. Default {@link GC_DURATION_BUCKETS}. */
  readonly buckets?: readonly number[];
}

/** Every key of {@link GcMetricsOptions}: `startGcMetrics` refuses any other. */
export const GC_METRICS_OPTIONS = [...COLLECTOR_OPTIONS, 'buckets'] as const;

/**
 * Default GC duration buckets, in seconds: prom-client's bounds (1 ms, 10 ms, 100 ms, 1 s, 2 s,
 * 5 s), so its queries keep working, plus finer ones below 100 ms where most pauses fall (a
 * scavenge usually takes 0.1–2 ms).
 */
export const GC_DURATION_BUCKETS: readonly number[] = Object.freeze([
  0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 2, 5,
]);

/** The `kind` label values: V8's four GC kinds. */
export type GcKind = 'major' | 'minor' | 'incremental' | 'weakcb';

const KINDS: readonly [number, GcKind][] = [
  [constants.NODE_PERFORMANCE_GC_MAJOR, 'major'],
  [constants.NODE_PERFORMANCE_GC_MINOR, 'minor'],
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL, 'incremental'],
  [constants.NODE_PERFORMANCE_GC_WEAKCB, 'weakcb'],
];

/**
 * Starts the GC collector: `nodejs_gc_duration_seconds{kind}`, a histogram of GC pauses with
 * `kind` in `major` (mark-sweep-compact), `minor` (scavenge), `incremental` (incremental marking)
 * and `weakcb` (weak callbacks). All four series exist from the start (at zero). The observer is
 * disconnected by `stop()`.
 *
 * @throws TelltaleError `TT_INVALID_OPTION` or `TT_INVALID_BUCKETS` on a bad or unknown option;
 * `TT_CONFLICTING_REGISTRATION` when the name is already registered.
 * @example
 * ```ts
 * const gc = startGcMetrics({ registry });
 * gc.stop();
 * ```
 */
export function startGcMetrics(options?: GcMetricsOptions): RuntimeCollector {
  const where = 'startGcMetrics';
  const { registry, prefix } = checkOptions(where, options);
  checkOptionKeys(where, options ?? {}, GC_METRICS_OPTIONS);
  const fam = new OwnedFamilies(registry, prefix, where);
  const buckets = validateBuckets(
    fam.name('nodejs_gc_duration_seconds'),
    options?.buckets ?? GC_DURATION_BUCKETS,
  );
  fam.preflight(['nodejs_gc_duration_seconds']);
  const histogram = fam.own(
    registry.histogram({
      name: fam.name('nodejs_gc_duration_seconds'),
      help: 'Garbage collection pauses by kind, in seconds.',
      labelNames: ['kind'],
      buckets,
    }),
  );
  // Handles resolved once: the observer callback does a Map lookup and an observe per entry.
  const handles = new Map<number, HistogramHandle>();
  for (const [flag, kind] of KINDS) handles.set(flag, histogram.labels({ kind }));

  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = (entry as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind;
      if (kind === undefined) continue;
      handles.get(kind)?.observe(entry.duration / 1000);
    }
  });
  observer.observe({ entryTypes: ['gc'] });

  let stopped = false;
  return {
    stop: () => {
      if (stopped) return;
      stopped = true;
      observer.disconnect();
      fam.unregisterAll();
    },
  };
}
