// The metrics handler's own metrics (telltale_scrape_*), registered in a registry the user picks.
import { fail } from '../internal/errors.js';
import type { Gatherer } from '../metrics/model.js';
import type { Registry } from '../metrics/registry.js';
import { noopRecorder, type ScrapeRecorder } from './recorder.js';

/**
 * The registry the handler registers its self-metrics in: a telltale `Registry` (anything with
 * `counter`, `gauge` and `histogram` methods of that shape).
 */
export type SelfMetricsRegistry = Pick<Registry, 'counter' | 'gauge' | 'histogram'>;

/** Formats the handler serves: each gets its series up front, so they exist (at 0) from the start. */
const FORMATS = ['text', 'openmetrics', 'protobuf'] as const;
const REJECT_REASONS = ['in_flight', 'auth', 'timeout'] as const;
const ERROR_REASONS = ['gather', 'encode', 'write'] as const;

/**
 * Response-size buckets in bytes: ×4 from 1 KiB to 64 MiB. A small service's scrape is a few
 * KiB; 100,000 series of text are about 2.7 MB (0.5 MB gzipped).
 */
export const RESPONSE_BYTES_BUCKETS: readonly number[] = [
  1_024, 4_096, 16_384, 65_536, 262_144, 1_048_576, 4_194_304, 16_777_216, 67_108_864,
];

/**
 * Scrape-duration buckets in seconds: 1 ms to 10 s (the default scrape timeout). Sub-millisecond
 * scrapes are common for small registries, so the ladder starts lower than the registry default.
 */
export const SCRAPE_DURATION_BUCKETS: readonly number[] = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

/** Whether `v` looks like a telltale registry (it can create the instruments we need). */
export function isSelfMetricsRegistry(v: unknown): v is SelfMetricsRegistry {
  if (typeof v !== 'object' || v === null) return false;
  const r = v as Record<string, unknown>;
  return (
    typeof r['counter'] === 'function' &&
    typeof r['gauge'] === 'function' &&
    typeof r['histogram'] === 'function'
  );
}

/**
 * Builds the recorder for a handler: registers the self-metrics in `target`, or, when `target`
 * is `undefined`, in the first gatherer if it is a registry. `false` (or no registry to use)
 * gives the no-op recorder. Registration is idempotent, so several handlers on one registry share
 * the same metrics.
 *
 * Metrics (all label values are fixed, so cardinality is bounded):
 * - `telltale_scrape_duration_seconds{format}` histogram: gather to last byte, served scrapes only.
 * - `telltale_scrape_response_bytes{format}` histogram: body bytes on the wire (the gzip-compressed
 *   size when the response was gzipped).
 * - `telltale_scrape_errors_total{reason="gather"|"encode"|"write"}` counter.
 * - `telltale_scrapes_rejected_total{reason="in_flight"|"auth"|"timeout"}` counter.
 * - `telltale_scrapes_in_flight` gauge.
 *
 * @throws {TelltaleError} `TT_INVALID_OPTION` when `target` is neither `false` nor a registry;
 *   whatever the registry throws when one of these names is already registered with another spec.
 */
export function createSelfMetrics(
  target: SelfMetricsRegistry | false | undefined,
  gatherers: readonly Gatherer[],
): ScrapeRecorder {
  if (target === false) return noopRecorder;
  let registry: SelfMetricsRegistry;
  if (target === undefined) {
    const first = gatherers[0];
    if (!isSelfMetricsRegistry(first)) return noopRecorder;
    registry = first;
  } else if (isSelfMetricsRegistry(target)) {
    registry = target;
  } else {
    return fail(
      'TT_INVALID_OPTION',
      'selfMetrics must be a registry (from createRegistry()) or false; omit it to use the served registry',
    );
  }

  const duration = registry.histogram({
    name: 'telltale_scrape_duration_seconds',
    help: 'Time to serve a metrics scrape, from gather to the last byte written, in seconds.',
    unit: 'seconds',
    labelNames: ['format'],
    buckets: SCRAPE_DURATION_BUCKETS,
  });
  const size = registry.histogram({
    name: 'telltale_scrape_response_bytes',
    help: 'Size of each metrics response body as sent (gzip-compressed size when gzipped), in bytes.',
    unit: 'bytes',
    labelNames: ['format'],
    buckets: RESPONSE_BYTES_BUCKETS,
  });
  const errors = registry.counter({
    name: 'telltale_scrape_errors_total',
    help: 'Metrics scrapes that failed, by reason (gather, encode, write).',
    labelNames: ['reason'],
  });
  const rejected = registry.counter({
    name: 'telltale_scrapes_rejected_total',
    help: 'Metrics scrapes turned away, by reason (in_flight, auth, timeout).',
    labelNames: ['reason'],
  });
  const inFlight = registry.gauge({
    name: 'telltale_scrapes_in_flight',
    help: 'Metrics scrapes being served right now.',
  });

  // Resolve once, record many: bind every handle now (this also creates each series at 0).
  const durationBy = new Map(FORMATS.map((f) => [f as string, duration.labels({ format: f })]));
  const sizeBy = new Map(FORMATS.map((f) => [f as string, size.labels({ format: f })]));
  const errorBy = new Map(ERROR_REASONS.map((r) => [r as string, errors.labels({ reason: r })]));
  const rejectBy = new Map(
    REJECT_REASONS.map((r) => [r as string, rejected.labels({ reason: r })]),
  );
  inFlight.set(0);

  return {
    started: () => inFlight.inc(),
    ended: () => inFlight.dec(),
    rejected: (reason) => rejectBy.get(reason)?.inc(),
    failed: (reason) => errorBy.get(reason)?.inc(),
    served(format, seconds, bytes) {
      durationBy.get(format)?.observe(seconds);
      sizeBy.get(format)?.observe(bytes);
    },
  };
}
