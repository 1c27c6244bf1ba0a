// The streaming quantile estimator behind the Summary metric: CKMS targeted quantiles over a
// sliding time window of age buckets. See docs/adr/0002-summary-quantile-estimator.md.
//
// Algorithm: Cormode, Korn, Muthukrishnan, Srivastava, "Effective Computation of Biased Quantiles
// over Data Streams" (ICDE 2005), with the sliding window of Prometheus client_golang's Summary.
//
// A stream keeps sorted tuples (v, g, Δ): v is an observed value, g the number of observations it
// stands for, Δ the uncertainty of its rank. With rmin(i) = g(0) + … + g(i) the rank of v(i) is
// known to lie in [rmin(i), rmin(i) + Δ(i)]. The invariant g(i) + Δ(i) ≤ f(r, n), where r is
// rmin(i - 1) and n the number of observations, is what bounds the error of a query.
//
// For a target (φ, ε) this file uses the paper's targeted f with the rank φ replaced by φ - ε:
//
//   f(r, n) = 2ε(n - r) / (1 - φ + ε)   for r ≤ (φ - ε)n
//   f(r, n) = 2εr / (φ - ε)             otherwise
//
// (and no constraint when φ ≤ ε or φ + ε ≥ 1, where any answer is close enough). Given the query
// rule, it is the most permissive f that stays true as observations arrive on either side of a
// tuple and still guarantees a tuple whose rank interval lies inside [φn - εn, φn + εn]. The
// paper's f (with φ) only guarantees εn / (1 - ε/(1 - φ)) by the same argument: 11% more than
// asked for 0.99 ± 0.001. With several targets f is their minimum. Since f ≥ 2εn everywhere, the
// tuples need not grow in number with n (see storedSamples).

import { type Clock, monotonicClock } from '../internal/clock.js';
import { fail } from '../internal/errors.js';

/** Options of a {@link QuantileWindow}. */
export interface QuantileWindowOptions {
  /** Quantile ranks to answer, each in [0, 1], strictly increasing. May be empty. */
  quantiles: readonly number[];
  /**
   * Allowed rank error per quantile (aligned with `quantiles`), each in [0.0001, 0.5]: the
   * estimate for rank φ is a value whose true rank among the window's observations is within
   * φn ± εn. Default: 0.05 for 0.5, 0.01 for 0.9, 0.001 for 0.99, otherwise 0.01.
   */
  errors?: readonly number[];
  /** How far back the window reaches, in seconds. Default 600. */
  maxAgeSeconds?: number;
  /** How many streams the window rotates through (the window slides in steps of maxAge/ageBuckets). Default 5, at most 100. */
  ageBuckets?: number;
  /**
   * The time now in milliseconds (a `Clock`'s `now`; only differences are used, so a monotonic
   * clock is best). Default monotonic: `performance.timeOrigin + performance.now()`. Injected by
   * tests; a registry's summaries pass the registry's clock.
   */
  now?: Clock['now'];
  /**
   * Observations buffered before they are merged into the streams, 16 to 100,000. Default 500.
   * The buffer starts at 64 (or less) and doubles each time it fills, up to this size, so a
   * series that is rarely observed keeps a small one.
   */
  bufferSize?: number;
}

/** The default allowed rank error for a quantile rank: client_golang's former DefObjectives, else 0.01. */
export function defaultQuantileError(q: number): number {
  if (q === 0.5) return 0.05;
  if (q === 0.9) return 0.01;
  if (q === 0.99) return 0.001;
  return 0.01;
}

const MIN_ERROR = 0.0001;
const MAX_AGE_BUCKETS = 100;
const MIN_BUFFER = 16;
const INITIAL_BUFFER = 64;
const MAX_BUFFER = 100_000;

/**
 * One CKMS summary: `size` tuples (v, g, Δ) interleaved in `t` (t[3i] = v, t[3i+1] = g,
 * t[3i+2] = Δ), sorted by v. Allocated at the first merge; capacity grows geometrically.
 */
class Stream {
  t = EMPTY;
  size = 0;
  /** Observations merged into this stream since its last reset. */
  n = 0;
  clear(): void {
    this.size = 0;
    this.n = 0;
  }
}

const EMPTY = new Float64Array(0);

// Merge output, shared by every window: merges are synchronous and never nested, so one scratch
// array per process suffices; each stream then keeps only what it needs.
let scratch = new Float64Array(3 * 1024);

/**
 * Quantile estimates over a sliding time window, for the Summary metric.
 *
 * `maxAgeSeconds` is split into `ageBuckets` streams. Every observation goes into a shared buffer
 * that, when full (or on a query, or when the head stream expires), is sorted once and merged into
 * every stream. Every maxAge/ageBuckets the head stream is cleared and the next-oldest becomes
 * the head; a query reads the head, which holds between maxAge·(1 - 1/ageBuckets) and maxAge of
 * history. Memory is bounded: a buffer of `bufferSize` values, plus per stream a number of tuples
 * that depends on the targets, not on how many observations the window holds (`storedSamples`).
 *
 * Not a metric by itself: the Summary keeps lifetime `sum` and `count` and asks this for quantiles.
 *
 * @example
 * ```ts
 * const w = new QuantileWindow({ quantiles: [0.5, 0.9, 0.99] });
 * w.observe(0.012);
 * const [p50, p90, p99] = w.query();
 * ```
 */
export class QuantileWindow {
  /** The quantile ranks answered, as given. */
  readonly quantiles: readonly number[];
  /** The allowed rank error of each quantile. */
  readonly errors: readonly number[];
  readonly maxAgeSeconds: number;
  readonly ageBuckets: number;

  private readonly now: () => number;
  private readonly streamMs: number;
  private readonly streams: Stream[];
  private head = 0;
  private headExpires: number;

  private buf: Float64Array;
  private readonly bufferSize: number;
  private len = 0;

  // The invariant f, 4 numbers per constraining target: the breakpoint fraction φ - ε, the left
  // and right slopes, and the breakpoint rank (φ - ε)n for the merge under way.
  private readonly fx: Float64Array;

  constructor(opts: QuantileWindowOptions) {
    if (opts === null || typeof opts !== 'object') {
      fail('TT_INVALID_OPTION', 'QuantileWindow options must be an object with `quantiles`.');
    }
    const quantiles = validateQuantiles(opts.quantiles);
    const errors = validateErrors(opts.errors, quantiles);
    const maxAgeSeconds = opts.maxAgeSeconds ?? 600;
    if (
      typeof maxAgeSeconds !== 'number' ||
      !Number.isFinite(maxAgeSeconds) ||
      maxAgeSeconds <= 0
    ) {
      fail(
        'TT_INVALID_OPTION',
        `maxAgeSeconds ${String(maxAgeSeconds)} is not a positive finite number of seconds; use e.g. 600.`,
      );
    }
    const ageBuckets = opts.ageBuckets ?? 5;
    if (!Number.isInteger(ageBuckets) || ageBuckets < 1 || ageBuckets > MAX_AGE_BUCKETS) {
      fail(
        'TT_INVALID_OPTION',
        `ageBuckets ${String(ageBuckets)} is not an integer from 1 to ${MAX_AGE_BUCKETS}; use e.g. 5.`,
      );
    }
    const bufferSize = opts.bufferSize ?? 500;
    if (!Number.isInteger(bufferSize) || bufferSize < MIN_BUFFER || bufferSize > MAX_BUFFER) {
      fail(
        'TT_INVALID_OPTION',
        `bufferSize ${String(bufferSize)} is not an integer from ${MIN_BUFFER} to ${MAX_BUFFER}; use e.g. 500.`,
      );
    }
    const now = opts.now ?? monotonicClock.now;
    if (typeof now !== 'function') {
      fail('TT_INVALID_OPTION', 'now must be a function returning the time in milliseconds.');
    }

    this.quantiles = quantiles;
    this.errors = errors;
    this.maxAgeSeconds = maxAgeSeconds;
    this.ageBuckets = ageBuckets;
    this.now = now;
    this.streamMs = (maxAgeSeconds * 1000) / ageBuckets;
    this.bufferSize = bufferSize;
    this.buf = new Float64Array(Math.min(bufferSize, INITIAL_BUFFER));

    const fx: number[] = [];
    for (let i = 0; i < quantiles.length; i++) {
      const phi = quantiles[i]!;
      const eps = errors[i]!;
      // No constraint when every rank the answer could have is already within φn ± εn.
      if (phi <= eps || phi + eps >= 1) continue;
      fx.push(phi - eps, (2 * eps) / (1 - phi + eps), (2 * eps) / (phi - eps), 0);
    }
    this.fx = Float64Array.from(fx);

    this.streams = [];
    for (let i = 0; i < ageBuckets; i++) this.streams.push(new Stream());
    this.headExpires = now() + this.streamMs;
  }

  /** Records one observation. `NaN` is ignored (it has no rank). O(1) amortised, allocation-free. */
  observe(v: number): void {
    if (Number.isNaN(v)) return;
    const t = this.now();
    if (t >= this.headExpires) this.rotate(t);
    this.buf[this.len] = v;
    if (++this.len === this.buf.length) this.flushFull();
  }

  /**
   * The estimates for `quantiles` over the window, aligned with them; `NaN` for each when the
   * window holds no observation. Fills and returns `out` when given (to avoid an allocation).
   */
  query(out: number[] = new Array<number>(this.quantiles.length)): number[] {
    const s = this.sync();
    const qs = this.quantiles;
    for (let i = 0; i < qs.length; i++) out[i] = s.n === 0 ? Number.NaN : this.estimate(s, qs[i]!);
    return out;
  }

  /**
   * How many observations the window currently answers from (the head stream's). Not the
   * Summary's `_count`, which is a lifetime total kept by the Summary.
   */
  get count(): number {
    return this.sync().n;
  }

  /** Forgets every observation and restarts the rotation schedule from now. */
  reset(): void {
    this.len = 0;
    for (const s of this.streams) s.clear();
    this.head = 0;
    this.headExpires = this.now() + this.streamMs;
  }

  /**
   * The number of tuples (24 bytes each) each stream stores, for tests of the memory bound.
   * Excludes the buffer (`bufferSize` values). Does not merge the buffer first.
   *
   * The documented bound, measured on random, sorted, reverse-sorted and heavily tied data up to
   * 10,000,000 observations (an estimate, not a worst-case theorem; see the ADR):
   * 2 + 2·Σ over targets with ε < φ < 1 - ε of (L/2ε)·ln(1/L) + (R/2ε)·ln(1/R), where
   * L = 1 - φ + ε and R = φ - ε: the rank space divided by f, twice. 111 for the defaults
   * {0.5: 0.05, 0.9: 0.01, 0.99: 0.001}, which keep about 40.
   */
  storedSamples(): number[] {
    return this.streams.map((s) => s.size);
  }

  /** Brings the window up to date with the clock and the buffer; returns the head stream. */
  private sync(): Stream {
    const t = this.now();
    if (t >= this.headExpires) this.rotate(t);
    this.flush();
    return this.streams[this.head]!;
  }

  /** Merges the buffer (observed before the expiry), then clears expired head streams. */
  private rotate(t: number): void {
    this.flush();
    const k = this.streams.length;
    if (t - this.headExpires >= this.maxAgeSeconds * 1000) {
      // Idle for longer than the window: everything expired. Skip ahead without looping.
      const steps = Math.floor((t - this.headExpires) / this.streamMs) + 1;
      for (const s of this.streams) s.clear();
      this.head = (this.head + steps) % k;
      this.headExpires += steps * this.streamMs;
      return;
    }
    while (t >= this.headExpires) {
      this.streams[this.head]!.clear();
      this.head = this.head + 1 === k ? 0 : this.head + 1;
      this.headExpires += this.streamMs;
    }
  }

  /** Merges a full buffer, then doubles it until it reaches `bufferSize`. */
  private flushFull(): void {
    this.flush();
    const size = this.buf.length;
    if (size < this.bufferSize) this.buf = new Float64Array(Math.min(2 * size, this.bufferSize));
  }

  /** Sorts the buffer once and merges it into every stream. */
  private flush(): void {
    const len = this.len;
    if (len === 0) return;
    const batch = len === this.buf.length ? this.buf : this.buf.subarray(0, len);
    batch.sort();
    for (const s of this.streams) this.merge(s, batch, len);
    this.len = 0;
  }

  /**
   * Merges sorted `b[0..blen)` into stream `s` and compresses, in one linear pass into the shared
   * scratch array, then copies the result back into the stream.
   *
   * A new value inserted just before old tuple i gets Δ = g(i) + Δ(i) - 1 (its rank can be no
   * higher than v(i)'s could), or Δ(i - 1) if smaller and the value equals v(i - 1) (ties may be
   * ordered so that it comes right after that copy), and Δ = 0 before the old minimum or after
   * the old maximum (its rank is then exact). Without the tie rule, data with few distinct values
   * keeps many tuples of the same value. Compression is greedy, left to right: the pending tuple is folded into
   * its right neighbour x, giving (v(x), g + g(x), Δ(x)), while g + g(x) + Δ(x) ≤ f(r, n), where
   * r is the rank before the pending tuple. The first tuple is never folded, so the minimum and
   * the maximum (never folded away, being rightmost) stay exact.
   */
  private merge(s: Stream, b: Float64Array, blen: number): void {
    const osize = s.size;
    if (scratch.length < 3 * (osize + blen)) {
      scratch = new Float64Array(Math.max(3 * (osize + blen), 2 * scratch.length));
    }
    const o = s.t;
    const out = scratch;
    const n = s.n + blen;
    const fx = this.fx;
    for (let j = 0; j < fx.length; j += 4) fx[j + 3] = fx[j]! * n;

    let i = 0; // Next old tuple.
    let j = 0; // Next new value.
    let w = 0; // Tuples written to out.
    let r = 0; // Sum of g over written tuples: the rank just before the pending one.
    let limit = 0; // f(r, n); 0 while the pending tuple is the first, which never folds.
    // The pending tuple, starting with the first in merged order.
    let pv: number;
    let pg: number;
    let pd: number;
    if (osize > 0 && (blen === 0 || o[0]! <= b[0]!)) {
      pv = o[0]!;
      pg = o[1]!;
      pd = o[2]!;
      i = 1;
    } else {
      pv = b[0]!;
      pg = 1;
      pd = 0;
      j = 1;
    }
    while (i < osize || j < blen) {
      let xv: number;
      let xg: number;
      let xd: number;
      const k = 3 * i;
      if (j === blen || (i < osize && o[k]! <= b[j]!)) {
        xv = o[k]!;
        xg = o[k + 1]!;
        xd = o[k + 2]!;
        i++;
      } else {
        xv = b[j]!;
        xg = 1;
        if (i === 0 || i === osize) xd = 0;
        else {
          xd = o[k + 1]! + o[k + 2]! - 1;
          // A copy of old tuple i - 1's value can take the rank just after it: Δ(i - 1).
          if (o[k - 3] === xv && o[k - 1]! < xd) xd = o[k - 1]!;
        }
        j++;
      }
      if (pg + xg + xd <= limit) {
        pv = xv;
        pg += xg;
        pd = xd;
      } else {
        const m = 3 * w++;
        out[m] = pv;
        out[m + 1] = pg;
        out[m + 2] = pd;
        r += pg;
        limit = this.f(r, n);
        pv = xv;
        pg = xg;
        pd = xd;
      }
    }
    const m = 3 * w++;
    out[m] = pv;
    out[m + 1] = pg;
    out[m + 2] = pd;

    let t = s.t;
    if (t.length < 3 * w) t = s.t = new Float64Array(Math.max(3 * w, 2 * t.length, 3 * 16));
    for (let x = 0; x < 3 * w; x++) t[x] = out[x]!;
    s.size = w;
    s.n = n;
  }

  /** The invariant bound f(r, n): the least over targets; `Infinity` with no constraining target. */
  private f(r: number, n: number): number {
    const fx = this.fx;
    let m = Number.POSITIVE_INFINITY;
    for (let j = 0; j < fx.length; j += 4) {
      const x = r <= fx[j + 3]! ? fx[j + 1]! * (n - r) : fx[j + 2]! * r;
      if (x < m) m = x;
    }
    return m;
  }

  /**
   * The value for rank φ: the tuple whose rank interval [rmin, rmax] strays least from φn. The
   * invariant guarantees one strays at most εn, so the answer's true rank is within φn ± εn.
   */
  private estimate(s: Stream, phi: number): number {
    const goal = phi * s.n;
    const t = s.t;
    let best = Number.POSITIVE_INFINITY;
    let value = Number.NaN;
    let rmin = 0;
    for (let i = 0; i < 3 * s.size; i += 3) {
      rmin += t[i + 1]!;
      if (rmin - goal >= best) break; // Every later tuple strays at least this far.
      const err = Math.max(goal - rmin, rmin + t[i + 2]! - goal);
      if (err < best) {
        best = err;
        value = t[i]!;
      }
    }
    return value;
  }
}

function validateQuantiles(quantiles: unknown): readonly number[] {
  if (!Array.isArray(quantiles)) {
    fail(
      'TT_INVALID_QUANTILES',
      'quantiles must be an array of ranks in [0, 1], e.g. [0.5, 0.9, 0.99].',
    );
  }
  const out: number[] = [];
  for (let i = 0; i < quantiles.length; i++) {
    const q: unknown = quantiles[i];
    if (typeof q !== 'number' || !(q >= 0 && q <= 1)) {
      fail(
        'TT_INVALID_QUANTILES',
        `quantile ${String(q)} is not a rank in [0, 1]; use e.g. 0.99 for the 99th percentile.`,
      );
    }
    if (i > 0 && q <= out[i - 1]!) {
      fail(
        'TT_INVALID_QUANTILES',
        `quantiles must be strictly increasing without duplicates; ${String(q)} follows ${String(out[i - 1])}.`,
      );
    }
    out.push(q);
  }
  return Object.freeze(out);
}

function validateErrors(errors: unknown, quantiles: readonly number[]): readonly number[] {
  if (errors === undefined) return Object.freeze(quantiles.map(defaultQuantileError));
  if (!Array.isArray(errors) || errors.length !== quantiles.length) {
    fail(
      'TT_INVALID_OPTION',
      `errors must be an array with one allowed rank error per quantile (${quantiles.length}).`,
    );
  }
  const out: number[] = [];
  for (const e of errors as unknown[]) {
    if (typeof e !== 'number' || !(e >= MIN_ERROR && e <= 0.5)) {
      fail(
        'TT_INVALID_OPTION',
        `error ${String(e)} is not an allowed rank error in [${MIN_ERROR}, 0.5]; use e.g. 0.01 (or 0.001 for 0.99).`,
      );
    }
    out.push(e);
  }
  return Object.freeze(out);
}
