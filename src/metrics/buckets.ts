// Histogram bucket layouts: generators, the defaults, and presets aligned with latency SLOs.

import { fail } from '../internal/errors.js';

/** The default buckets (seconds), the same as prom-client's and client_golang's. */
export const DEFAULT_BUCKETS: readonly number[] = Object.freeze([
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
]);

/** Rounds away binary noise (0.1 + 0.2) so bounds print as written: 15 significant digits. */
function tidy(x: number): number {
  return Number.parseFloat(x.toPrecision(15));
}

function positiveInt(what: string, n: number): void {
  if (!Number.isInteger(n) || n < 1)
    fail('TT_INVALID_BUCKETS', `${what}: count must be an integer ≥ 1, got ${n}`);
}

/**
 * `count` buckets starting at `start`, each `width` apart.
 * @example linearBuckets(0.1, 0.1, 3) // [0.1, 0.2, 0.3]
 * @throws TelltaleError `TT_INVALID_BUCKETS` when count < 1 or width ≤ 0.
 */
export function linearBuckets(start: number, width: number, count: number): number[] {
  positiveInt('linearBuckets', count);
  if (!(width > 0) || !Number.isFinite(start) || !Number.isFinite(width)) {
    fail(
      'TT_INVALID_BUCKETS',
      `linearBuckets: start must be finite and width > 0 (got ${start}, ${width})`,
    );
  }
  return Array.from({ length: count }, (_, i) => tidy(start + i * width));
}

/**
 * `count` buckets starting at `start`, each `factor` times the previous.
 * @example exponentialBuckets(0.001, 2, 4) // [0.001, 0.002, 0.004, 0.008]
 * @throws TelltaleError `TT_INVALID_BUCKETS` when start ≤ 0, factor ≤ 1 or count < 1.
 */
export function exponentialBuckets(start: number, factor: number, count: number): number[] {
  positiveInt('exponentialBuckets', count);
  if (!(start > 0) || !(factor > 1) || !Number.isFinite(start) || !Number.isFinite(factor)) {
    fail(
      'TT_INVALID_BUCKETS',
      `exponentialBuckets: start must be > 0 and factor > 1 (got ${start}, ${factor})`,
    );
  }
  return Array.from({ length: count }, (_, i) => tidy(start * factor ** i));
}

/**
 * `count` exponentially spaced buckets from `min` to `max` inclusive.
 * @example exponentialBucketsRange(0.001, 1, 4) // [0.001, 0.01, 0.1, 1]
 */
export function exponentialBucketsRange(min: number, max: number, count: number): number[] {
  positiveInt('exponentialBucketsRange', count);
  if (!(min > 0) || !(max > min) || !Number.isFinite(max)) {
    fail('TT_INVALID_BUCKETS', `exponentialBucketsRange: need 0 < min < max (got ${min}, ${max})`);
  }
  if (count === 1) return [tidy(max)];
  // Each bound from its own power of max/min, and the last is max itself: multiplying by a rounded
  // factor drifts (0.001 → 1 in 4 steps ended at 0.999999999999999).
  const ratio = max / min;
  return Array.from({ length: count }, (_, i) =>
    i === count - 1 ? tidy(max) : tidy(min * ratio ** (i / (count - 1))),
  );
}

/**
 * Buckets for latency SLOs: an exponential ladder from `min` to `max` (factor 2.5 by default)
 * merged with every SLO threshold, so `le="<threshold>"` exists and ratio queries such as
 * "share of requests under 100 ms" are exact, not interpolated.
 * @example sloBuckets([0.01, 0.05, 0.1]) // includes 0.01, 0.05 and 0.1 exactly
 */
export function sloBuckets(
  thresholdsSeconds: readonly number[],
  options: { readonly min?: number; readonly max?: number; readonly factor?: number } = {},
): number[] {
  const min = options.min ?? 0.001;
  const max = options.max ?? 10;
  const factor = options.factor ?? 2.5;
  for (const t of thresholdsSeconds) {
    if (!(t > 0) || !Number.isFinite(t))
      fail('TT_INVALID_BUCKETS', `sloBuckets: threshold ${t} must be finite and > 0`);
  }
  const ladder: number[] = [];
  for (let b = min; b <= max * (1 + 1e-9); b *= factor) ladder.push(tidy(b));
  const all = [...new Set([...ladder, ...thresholdsSeconds.map(tidy)])].sort((a, b) => a - b);
  return all;
}

/** Bucket presets (seconds unless named otherwise). */
export const BucketPresets = Object.freeze({
  /** prom-client's and client_golang's defaults: 5 ms to 10 s. */
  default: DEFAULT_BUCKETS,
  /**
   * Real-time messaging and RPC latency: fine resolution from 1 ms to 1 s, with bounds exactly at
   * 10, 50 and 100 ms, so the share under each of those thresholds (targets such as p50 ≤ 10 ms,
   * p90 ≤ 50 ms, p99 ≤ 100 ms) is exact, not interpolated.
   */
  realtimeLatency: Object.freeze([
    0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1,
  ]),
  /** HTTP API latency: 5 ms to 10 s with bounds at the usual 100/250/500 ms and 1 s targets. */
  httpLatency: Object.freeze([0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]),
  /** Fast in-process or cache operations: 50 µs to 1 s. */
  fastOperation: Object.freeze([
    0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1, 1,
  ]),
  /** Payload sizes in bytes: 64 B to 16 MiB, factor 4. */
  bytes: Object.freeze(exponentialBuckets(64, 4, 10)),
});

/**
 * Validates a bucket layout: finite, strictly ascending, non-empty. A trailing `+Inf` is
 * accepted and dropped (it is always implied).
 * @throws TelltaleError `TT_INVALID_BUCKETS`
 */
export function validateBuckets(metric: string, buckets: readonly unknown[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < buckets.length; i++) {
    const b = buckets[i];
    if (b === Number.POSITIVE_INFINITY && i === buckets.length - 1) break;
    if (typeof b !== 'number' || !Number.isFinite(b)) {
      fail(
        'TT_INVALID_BUCKETS',
        `histogram "${metric}": bucket ${String(b)} is not a finite number`,
      );
    }
    if (out.length > 0 && b <= out[out.length - 1]!) {
      fail(
        'TT_INVALID_BUCKETS',
        `histogram "${metric}": buckets must be strictly ascending; ${b} follows ${out[out.length - 1]}`,
      );
    }
    out.push(b);
  }
  if (out.length === 0)
    fail('TT_INVALID_BUCKETS', `histogram "${metric}": needs at least one finite bucket`);
  return out;
}
