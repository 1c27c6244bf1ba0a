// Event-loop lag percentiles and utilisation over each scrape interval, from Node's native delay histogram.

import { type IntervalHistogram, monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { fail } from '../internal/errors.js';
import { checkOptionKeys } from '../internal/option-keys.js';
import {
  COLLECTOR_OPTIONS,
  type CollectorOptions,
  checkOptions,
  OwnedFamilies,
  type RuntimeCollector,
  sharedReading,
} from './common.js';

/** Options of {@link startEventLoopMetrics}. */
export interface EventLoopMetricsOptions extends CollectorOptions {
  /**
   * Sampling period of the native delay histogram, in ms (an integer ≥ 1). Lag shorter than this
   * can go unseen; a smaller value costs more CPU. Default 10 (Node's and prom-client's default).
   */
  readonly resolutionMs?: number;
}

/** Every key of {@link EventLoopMetricsOptions}: `startEventLoopMetrics` refuses any other. */
export const EVENT_LOOP_METRICS_OPTIONS = [...COLLECTOR_OPTIONS, 'resolutionMs'] as const;

/** One interval's statistics, in seconds (NaN when no sample was taken in the interval). */
interface LagReading {
  min: number;
  max: number;
  mean: number;
  stddev: number;
  p50: number;
  p90: number;
  p99: number;
  utilization: number;
}

/**
 * Starts the event-loop collector: `perf_hooks.monitorEventLoopDelay({ resolution })` samples
 * the loop natively (a libuv timer that does not keep the process alive; no JavaScript runs
 * between gathers), and each gather reads the histogram and then resets it.
 *
 * Families (gauges): `nodejs_eventloop_lag_min_seconds`, `_max_seconds`, `_mean_seconds`,
 * `_stddev_seconds`, `_p50_seconds`, `_p90_seconds`, `_p99_seconds` (named as prom-client names
 * them), and `nodejs_eventloop_utilization_ratio`.
 *
 * - **Interval.** Every value covers the time since the previous gather (since start for the
 *   first). Any gather resets it: two scrapers share the intervals between them.
 * - **Lag, not period.** Node records the time between timer ticks, which includes the
 *   resolution itself; the resolution is subtracted, so an idle loop reports about 0, not 10 ms.
 * - **The scrape is not counted.** The reset also drops the tick in progress (Node's histogram
 *   forgets the previous tick's time on reset), so the first tick after a gather only sets a new
 *   baseline. The gather, the encoding and the write that follow it in the same task block the loop
 *   before that tick, so they are never recorded, in this interval or the next. This holds for
 *   `gatherSync()`; `gather()` yields between slices of a large registry, so a tick can complete
 *   during it, and a synchronous encode after it is then counted (the metrics handler's chunked
 *   encode adds only blocks of about one chunk).
 * - **Empty interval.** When no tick completed since the previous gather (two gathers within one
 *   resolution, or a loop blocked for the whole interval), the lag gauges are NaN.
 *
 * @throws TelltaleError `TT_INVALID_OPTION` on a bad or unknown option; `TT_CONFLICTING_REGISTRATION` when
 * one of its names is already registered.
 * @example
 * ```ts
 * const loop = startEventLoopMetrics({ registry, resolutionMs: 10 });
 * loop.stop();
 * ```
 */
export function startEventLoopMetrics(options?: EventLoopMetricsOptions): RuntimeCollector {
  const where = 'startEventLoopMetrics';
  const { registry, prefix } = checkOptions(where, options);
  checkOptionKeys(where, options ?? {}, EVENT_LOOP_METRICS_OPTIONS);
  const fam = new OwnedFamilies(registry, prefix, where);
  const resolutionMs = options?.resolutionMs ?? 10;
  if (!Number.isInteger(resolutionMs) || resolutionMs < 1) {
    fail(
      'TT_INVALID_OPTION',
      `${where}: resolutionMs must be an integer ≥ 1 (ms), got ${String(resolutionMs)}`,
    );
  }
  const stats = [
    ['min', 'Smallest'],
    ['max', 'Largest'],
    ['mean', 'Mean'],
    ['stddev', 'Standard deviation of the'],
    ['p50', 'Median'],
    ['p90', '90th percentile of the'],
    ['p99', '99th percentile of the'],
  ] as const;
  fam.preflight([
    ...stats.map(([s]) => `nodejs_eventloop_lag_${s}_seconds`),
    'nodejs_eventloop_utilization_ratio',
  ]);

  const histogram: IntervalHistogram = monitorEventLoopDelay({ resolution: resolutionMs });
  const resolutionNs = resolutionMs * 1e6;
  // Node records nanoseconds between ticks of a timer due every `resolution`: lag is the excess.
  const lag = (ns: number): number => Math.max(0, ns - resolutionNs) / 1e9;
  let prevElu = performance.eventLoopUtilization();

  const reading = sharedReading((): LagReading => {
    const elu = performance.eventLoopUtilization();
    const utilization = performance.eventLoopUtilization(elu, prevElu).utilization;
    prevElu = elu;
    let r: LagReading;
    if (histogram.count === 0) {
      const n = Number.NaN;
      r = { min: n, max: n, mean: n, stddev: n, p50: n, p90: n, p99: n, utilization };
    } else {
      r = {
        min: lag(histogram.min),
        max: lag(histogram.max),
        mean: lag(histogram.mean),
        stddev: histogram.stddev / 1e9,
        p50: lag(histogram.percentile(50)),
        p90: lag(histogram.percentile(90)),
        p99: lag(histogram.percentile(99)),
        utilization,
      };
    }
    // Read first, then reset, in the same synchronous step, before any encoding: see the TSDoc.
    histogram.reset();
    return r;
  });

  let slot = 0;
  for (const [stat, what] of stats) {
    const s = slot++;
    fam.own(
      registry.gauge({
        name: fam.name(`nodejs_eventloop_lag_${stat}_seconds`),
        help: `${what} event-loop lag since the previous gather, in seconds.`,
        collect: (g) => g.set(reading(s)[stat]),
      }),
    );
  }
  const eluSlot = slot;
  fam.own(
    registry.gauge({
      name: fam.name('nodejs_eventloop_utilization_ratio'),
      help: 'Fraction of time the event loop was busy since the previous gather (0 to 1).',
      collect: (g) => g.set(reading(eluSlot).utilization),
    }),
  );

  histogram.enable();
  let stopped = false;
  return {
    stop: () => {
      if (stopped) return;
      stopped = true;
      histogram.disable();
      fam.unregisterAll();
    },
  };
}
