// Gauge: a value that goes up and down, stored in a per-metric Float64Array slab.

import { fail } from '../internal/errors.js';
import { grow, HandleBase, Metric, type MetricRuntime, type MetricSpec } from './metric.js';
import type { GaugeFamily, GaugePoint } from './model.js';
import type { Gauge, GaugeHandle, LabelNames } from './types.js';

function badGaugeValue(metric: string, op: string, v: unknown): never {
  fail(
    'TT_INVALID_VALUE',
    `gauge "${metric}": ${op}(${String(v)}) needs ${op === 'set' ? 'a number' : 'a finite number'}`,
  );
}

/** Checks a `set` value: any number, NaN and ±Infinity included. */
function checkSet(metric: string, v: unknown): void {
  if (typeof v !== 'number') badGaugeValue(metric, 'set', v);
}

/** Checks an `inc`/`dec` amount: a finite number. */
function checkDelta(metric: string, op: string, v: unknown): void {
  if (typeof v !== 'number' || v - v !== 0) badGaugeValue(metric, op, v);
}

class GaugeHandleImpl extends HandleBase implements GaugeHandle {
  set(v: number): void {
    const m = this.m as GaugeImpl<LabelNames>;
    checkSet(m.name, v);
    m._setAt(this._slot(), v);
  }

  inc(v?: number): void {
    const m = this.m as GaugeImpl<LabelNames>;
    if (v === undefined) v = 1;
    else checkDelta(m.name, 'inc', v);
    m._addAt(this._slot(), v);
  }

  dec(v?: number): void {
    const m = this.m as GaugeImpl<LabelNames>;
    if (v === undefined) v = 1;
    else checkDelta(m.name, 'dec', v);
    m._addAt(this._slot(), -v);
  }

  setToCurrentTime(): void {
    this.set(this.m._rt.now() / 1000);
  }

  startTimer(): () => number {
    return this._timer((s) => this.set(s));
  }

  get(): number {
    const m = this.m as GaugeImpl<LabelNames>;
    const i = m._live(this);
    return i < 0 ? 0 : m._vals[i]!;
  }

  private _slot(): number {
    const i = this.idx;
    return i >= 0 ? i : this.m._revive(this);
  }
}

/** Options of a gauge, as resolved by the registry. @internal */
export interface GaugeInit<N extends LabelNames> extends MetricSpec<N> {
  readonly collect?: ((g: Gauge<N>) => void | Promise<void>) | undefined;
}

/** @internal The gauge implementation; users see {@link Gauge}. */
export class GaugeImpl<N extends LabelNames>
  extends Metric<N, GaugeHandleImpl>
  implements Gauge<N>
{
  readonly type = 'gauge' as const;
  /** @internal */
  _vals: Float64Array = new Float64Array(this._capacity);
  /** @internal */
  readonly _collect: ((g: Gauge<N>) => void | Promise<void>) | undefined;

  constructor(init: GaugeInit<N>, rt: MetricRuntime) {
    super(init, rt);
    this._collect = init.collect;
    this._init();
  }

  /** @internal */
  _setAt(i: number, v: number): void {
    this._vals[i] = v;
    if (this._touched !== null) this._touched[i] = 1;
  }

  /** @internal */
  _addAt(i: number, v: number): void {
    this._vals[i]! += v;
    if (this._touched !== null) this._touched[i] = 1;
  }

  protected _newHandle(idx: number, own: readonly string[]): GaugeHandleImpl {
    return new GaugeHandleImpl(this, idx, own);
  }
  protected _growSlabs(cap: number): void {
    this._vals = grow(this._vals, cap);
  }
  protected _moveSlot(from: number, to: number): void {
    this._vals[to] = this._vals[from]!;
  }
  protected _zeroSlot(idx: number): void {
    this._vals[idx] = 0;
  }

  // Each update checks its value before the lookup, so a rejected update creates no series.
  set(a: unknown, b?: number): void {
    if (typeof a === 'object' && a !== null) {
      checkSet(this.name, b);
      this._setAt(this._find(a), b as number);
    } else if (this._labelless) {
      checkSet(this.name, a);
      this._setAt(0, a as number);
    } else this._find(a);
  }

  inc(a?: unknown, b?: number): void {
    this._delta('inc', a, b, 1);
  }

  dec(a?: unknown, b?: number): void {
    this._delta('dec', a, b, -1);
  }

  private _delta(op: string, a: unknown, b: number | undefined, sign: 1 | -1): void {
    if (typeof a === 'object' && a !== null) {
      if (b === undefined) b = 1;
      else checkDelta(this.name, op, b);
      this._addAt(this._find(a), sign * b);
    } else if (this._labelless) {
      let v = 1;
      if (a !== undefined) {
        checkDelta(this.name, op, a);
        v = a as number;
      }
      this._addAt(0, sign * v);
    } else this._find(a);
  }

  labels(...args: unknown[]): GaugeHandle {
    return this._bind(args);
  }

  get(labels?: unknown): number | undefined {
    const i = this._lookup(labels);
    return i < 0 ? undefined : this._vals[i];
  }

  point(labels?: unknown): GaugePoint | undefined {
    const i = this._lookup(labels);
    return i < 0 ? undefined : this._point(i);
  }

  /** @internal */
  _point(i: number): GaugePoint {
    return { labels: this._labels(i), value: this._vals[i]! };
  }

  /** @internal */
  _family(points: readonly GaugePoint[]): GaugeFamily {
    return {
      type: 'gauge',
      name: this.name,
      help: this.help,
      unit: this.unit,
      points,
    };
  }
}
