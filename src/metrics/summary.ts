// Summary: streaming quantiles over a sliding window (CKMS with age buckets), plus lifetime sum and count.

import { fail } from '../internal/errors.js';
import { grow, HandleBase, Metric, type MetricRuntime, type MetricSpec } from './metric.js';
import type { SummaryFamily, SummaryPoint } from './model.js';
import { QuantileWindow } from './quantile.js';
import type { LabelNames, Summary, SummaryHandle } from './types.js';

function badObservation(metric: string, v: unknown): never {
  fail('TT_INVALID_VALUE', `summary "${metric}": observation ${String(v)} is not a finite number`);
}

function checkObservation(metric: string, v: unknown): void {
  if (typeof v !== 'number' || v - v !== 0) badObservation(metric, v);
}

class SummaryHandleImpl extends HandleBase implements SummaryHandle {
  observe(v: number): void {
    const m = this.m as SummaryImpl<LabelNames>;
    checkObservation(m.name, v);
    let i = this.idx;
    if (i < 0) i = m._revive(this);
    m._observeAt(i, v);
  }

  startTimer(): () => number {
    return this._timer((s) => this.observe(s));
  }

  get(): SummaryPoint {
    const m = this.m as SummaryImpl<LabelNames>;
    return m._point(m._live(this), this.own);
  }
}

/** Options of a summary, as resolved by the registry. @internal */
export interface SummaryInit<N extends LabelNames> extends MetricSpec<N> {
  readonly quantiles: readonly number[];
  readonly maxAgeSeconds: number;
  readonly ageBuckets: number;
}

/** @internal The summary implementation; users see {@link Summary}. */
export class SummaryImpl<N extends LabelNames>
  extends Metric<N, SummaryHandleImpl>
  implements Summary<N>
{
  readonly type = 'summary' as const;
  readonly quantiles: readonly number[];
  private readonly _maxAge: number;
  private readonly _ageBuckets: number;
  /** @internal One quantile window per slot. */
  _windows: QuantileWindow[] = [];
  /** @internal Lifetime sums by slot. */
  _sums: Float64Array = new Float64Array(this._capacity);
  /** @internal Lifetime counts by slot. */
  _counts: Float64Array = new Float64Array(this._capacity);

  constructor(init: SummaryInit<N>, rt: MetricRuntime) {
    super(init, rt);
    this.quantiles = Object.freeze([...init.quantiles]);
    this._maxAge = init.maxAgeSeconds;
    this._ageBuckets = init.ageBuckets;
    this._init();
  }

  /** @internal Records a checked observation in slot `i`. */
  _observeAt(i: number, v: number): void {
    this._windows[i]!.observe(v);
    this._sums[i]! += v;
    this._counts[i]!++;
    if (this._touched !== null) this._touched[i] = 1;
  }

  protected _newHandle(idx: number, own: readonly string[]): SummaryHandleImpl {
    return new SummaryHandleImpl(this, idx, own);
  }
  protected override _initSlot(idx: number): void {
    this._windows[idx] = new QuantileWindow({
      quantiles: this.quantiles,
      maxAgeSeconds: this._maxAge,
      ageBuckets: this._ageBuckets,
      now: this._rt.now,
    });
  }
  protected _growSlabs(cap: number): void {
    this._sums = grow(this._sums, cap);
    this._counts = grow(this._counts, cap);
  }
  protected _moveSlot(from: number, to: number): void {
    this._windows[to] = this._windows[from]!;
    this._sums[to] = this._sums[from]!;
    this._counts[to] = this._counts[from]!;
  }
  protected _zeroSlot(idx: number): void {
    // The slot is either popped (swap-remove) or re-initialised (a label-less reset).
    if (idx === this._windows.length - 1) this._windows.pop();
    this._sums[idx] = 0;
    this._counts[idx] = 0;
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

  labels(...args: unknown[]): SummaryHandle {
    return this._bind(args);
  }

  startTimer(labels?: unknown): () => number {
    return this._handle(this._find(labels)).startTimer();
  }

  point(labels?: unknown): SummaryPoint | undefined {
    const i = this._lookup(labels);
    return i < 0 ? undefined : this._point(i);
  }

  /** @internal The point of slot `i`, or an empty one with declared values `own` when `i` is -1. */
  _point(i: number, own: readonly string[] = []): SummaryPoint {
    const live = i >= 0;
    return {
      labels: live ? this._labels(i) : this._labelSetOf(own),
      values: live ? this._windows[i]!.query() : this.quantiles.map(() => Number.NaN),
      sum: live ? this._sums[i]! : 0,
      count: live ? this._counts[i]! : 0,
      created: live ? this._created[i]! : 0,
    };
  }

  /** @internal */
  _family(points: readonly SummaryPoint[]): SummaryFamily {
    return {
      type: 'summary',
      name: this.name,
      help: this.help,
      unit: this.unit,
      quantiles: this.quantiles,
      points,
    };
  }
}
