// Histogram: per-bucket counts and sums in per-metric Float64Array slabs, one stride per series.

import { fail } from '../internal/errors.js';
import type { ExemplarSlot } from '../internal/exemplar-source.js';
import {
  checkExemplar,
  grow,
  HandleBase,
  Metric,
  type MetricRuntime,
  type MetricSpec,
  makeExemplar,
} from './metric.js';
import type { Exemplar, HistogramFamily, HistogramPoint, NativeBuckets } from './model.js';
import { emptyNativeBuckets, NativeConfig, NativeSeries, type NativeSpec } from './native.js';
import type { ExemplarLabels, Histogram, HistogramHandle, LabelNames } from './types.js';

/**
 * Below this many bounds a linear scan beats binary search (client_golang measured the same
 * crossover at about 35 bounds; the scan is branch-predictable and cache-friendly).
 */
const LINEAR_SEARCH_MAX = 35;

function badObservation(metric: string, v: unknown): never {
  fail(
    'TT_INVALID_VALUE',
    `histogram "${metric}": observation ${String(v)} is not a finite number`,
  );
}

/** Index of the first bucket whose upper bound is ≥ v (the `+Inf` slot when none is). */
function bucketIndex(bounds: Float64Array, v: number): number {
  const n = bounds.length;
  if (n < LINEAR_SEARCH_MAX) {
    let i = 0;
    while (i < n && v > bounds[i]!) i++;
    return i;
  }
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (v > bounds[mid]!) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function checkObservation(metric: string, v: unknown): void {
  if (typeof v !== 'number' || v - v !== 0) badObservation(metric, v);
}

class HistogramHandleImpl extends HandleBase implements HistogramHandle {
  observe(v: number): void {
    const m = this.m as HistogramImpl<LabelNames>;
    checkObservation(m.name, v);
    let i = this.idx;
    if (i < 0) i = m._revive(this);
    m._observeAt(i, v);
  }

  observeWithExemplar(v: number, exemplar: ExemplarLabels): void {
    const m = this.m as HistogramImpl<LabelNames>;
    checkObservation(m.name, v);
    checkExemplar(m.name, exemplar);
    let i = this.idx;
    if (i < 0) i = m._revive(this);
    const b = m._observeAt(i, v);
    m._ex ??= [];
    m._ex[b] = makeExemplar(exemplar, v, m._rt.now());
  }

  startTimer(): () => number {
    return this._timer((s) => this.observe(s));
  }

  get(): HistogramPoint {
    const m = this.m as HistogramImpl<LabelNames>;
    return m._point(m._live(this), this.own);
  }
}

/** Options of a histogram, as resolved by the registry. @internal */
export interface HistogramInit<N extends LabelNames> extends MetricSpec<N> {
  /** Finite, strictly ascending upper bounds (validated by the registry); empty when native-only. */
  readonly buckets: readonly number[];
  /** Native (sparse exponential) buckets, validated by the registry; absent for classic only. */
  readonly native?: NativeSpec | undefined;
}

/** @internal The histogram implementation; users see {@link Histogram}. */
export class HistogramImpl<N extends LabelNames>
  extends Metric<N, HistogramHandleImpl>
  implements Histogram<N>
{
  readonly type = 'histogram' as const;
  readonly buckets: readonly number[];
  /** @internal */
  readonly _bounds: Float64Array;
  /** @internal Slots per series: one per bound plus `+Inf`. */
  readonly _stride: number;
  /** @internal Non-cumulative counts, `_stride` per series. */
  _counts: Float64Array;
  /** @internal */
  _sums: Float64Array = new Float64Array(this._capacity);
  /** @internal Exemplars by `slot * stride + bucket`, created on first use. */
  _ex: (Exemplar | undefined)[] | null = null;
  /** @internal The registry's exemplar hook (`rt.exemplars`), one load closer to the update path. */
  readonly _exs: ExemplarSlot;
  /** @internal Native buckets by slot (count and sum stay in the slabs above), or null. */
  readonly _nat: NativeSeries[] | null;
  /** @internal */
  readonly _natCfg: NativeConfig | null;

  constructor(init: HistogramInit<N>, rt: MetricRuntime) {
    super(init, rt);
    this._exs = rt.exemplars;
    this.buckets = Object.freeze([...init.buckets]);
    this._bounds = Float64Array.from(init.buckets);
    this._stride = init.buckets.length + 1;
    this._counts = new Float64Array(this._capacity * this._stride);
    this._natCfg = init.native === undefined ? null : new NativeConfig(init.native, rt.now);
    this._nat = this._natCfg === null ? null : [];
    this._init();
  }

  /**
   * @internal Records a checked observation in slot `i`: the one place histogram data changes.
   * Returns the bucket's index in the counts slab.
   */
  _observeAt(i: number, v: number): number {
    const nat = this._nat;
    if (nat !== null && nat[i]!.observe(v)) this._restart(i);
    // Math.imul: an int32 product without V8's overflow and -0 checks (slots · stride < 2^31). A
    // native-only histogram (stride 1, no bounds) skips the bucket search.
    const k = this._stride;
    const b = k === 1 ? i : Math.imul(i, k) + bucketIndex(this._bounds, v);
    this._counts[b]!++;
    this._sums[i]! += v;
    if (this._touched !== null) this._touched[i] = 1;
    if (this._exs.live !== null) this._autoExemplar(b, v);
    return b;
  }

  /**
   * @internal Slot `i`'s native series reset itself (bucket limit or a due scheduled reset, see
   * native.ts): reset the rest of it too, as client_golang does (count, sum, classic buckets; the
   * created timestamp becomes the reset time). Exemplars stay, as in client_golang.
   */
  _restart(i: number): void {
    const k = this._stride;
    this._counts.fill(0, i * k, i * k + k);
    this._sums[i] = 0;
    this._created[i] = this._nat![i]!.lastResetMs / 1000;
  }

  /** @internal Attaches the active trace's exemplar to bucket slot `b`, if any. */
  _autoExemplar(b: number, v: number): void {
    const labels = this._exs.live?.();
    if (labels === undefined) return;
    this._ex ??= [];
    this._ex[b] = { labels, value: v, timestamp: this._rt.now() / 1000 };
  }

  protected _newHandle(idx: number, own: readonly string[]): HistogramHandleImpl {
    return new HistogramHandleImpl(this, idx, own);
  }
  protected _growSlabs(cap: number): void {
    this._counts = grow(this._counts, cap * this._stride);
    this._sums = grow(this._sums, cap);
  }
  protected override _initSlot(idx: number): void {
    const nat = this._nat;
    if (nat === null) return;
    const s = nat[idx];
    if (s === undefined) nat[idx] = new NativeSeries(this._natCfg!, this._rt.now());
    else s.clear(this._rt.now());
  }
  protected _moveSlot(from: number, to: number): void {
    const k = this._stride;
    const nat = this._nat;
    if (nat !== null) {
      // Swap, so the vacated slot keeps a series object (and its window) for reuse.
      const s = nat[to]!;
      nat[to] = nat[from]!;
      nat[from] = s;
    }
    this._counts.copyWithin(to * k, from * k, from * k + k);
    this._sums[to] = this._sums[from]!;
    if (this._ex !== null) {
      for (let b = 0; b < k; b++) this._ex[to * k + b] = this._ex[from * k + b];
    }
  }
  protected _zeroSlot(idx: number): void {
    const k = this._stride;
    this._counts.fill(0, idx * k, idx * k + k);
    this._sums[idx] = 0;
    if (this._ex !== null) for (let b = 0; b < k; b++) this._ex[idx * k + b] = undefined;
  }

  observe(a: unknown, b?: number): void {
    if (typeof a === 'object' && a !== null) {
      // Check the value before the lookup, so a rejected update creates no series.
      checkObservation(this.name, b);
      this._observeAt(this._find(a), b as number);
    } else if (this._labelless) {
      checkObservation(this.name, a);
      this._observeAt(0, a as number);
    } else this._find(a);
  }

  labels(...args: unknown[]): HistogramHandle {
    return this._bind(args);
  }

  startTimer(labels?: unknown): () => number {
    return this._handle(this._find(labels)).startTimer();
  }

  point(labels?: unknown): HistogramPoint | undefined {
    const i = this._lookup(labels);
    return i < 0 ? undefined : this._point(i);
  }

  /** @internal The point of slot `i`, or an empty one with declared values `own` when `i` is -1. */
  _point(i: number, own: readonly string[] = []): HistogramPoint {
    const k = this._stride;
    const nat = this._nat;
    if (nat !== null && i >= 0 && nat[i]!.resetDueMs !== Number.POSITIVE_INFINITY) {
      if (nat[i]!.sync(this._rt.now())) this._restart(i);
    }
    const cumulative: number[] = new Array(k);
    let acc = 0;
    if (i >= 0) {
      const base = i * k;
      const counts = this._counts;
      for (let b = 0; b < k; b++) {
        acc += counts[base + b]!;
        cumulative[b] = acc;
      }
    } else cumulative.fill(0);
    const point: HistogramPoint = {
      labels: i >= 0 ? this._labels(i) : this._labelSetOf(own),
      cumulative,
      sum: i >= 0 ? this._sums[i]! : 0,
      count: acc,
      created: i >= 0 ? this._created[i]! : 0,
    };
    if (nat !== null) {
      (point as { native?: NativeBuckets }).native =
        i >= 0
          ? nat[i]!.buckets()
          : emptyNativeBuckets(this._natCfg!.schema, this._natCfg!.zeroThreshold);
    }
    if (this._ex === null || i < 0) return point;
    // Dense and exactly `k` long (a slice of the sparse slab array could be shorter or holey),
    // so it stays aligned with `cumulative` as the model promises.
    const ex: (Exemplar | null)[] = new Array(k);
    let any = false;
    for (let b = 0; b < k; b++) {
      const e = this._ex[i * k + b];
      ex[b] = e ?? null;
      if (e !== undefined) any = true;
    }
    return any ? { ...point, exemplars: ex } : point;
  }

  /** @internal */
  _family(points: readonly HistogramPoint[]): HistogramFamily {
    return {
      type: 'histogram',
      name: this.name,
      help: this.help,
      unit: this.unit,
      buckets: this.buckets,
      points,
    };
  }
}
