// Counter: a monotonically increasing count, stored in a per-metric Float64Array slab.

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
import type { CounterFamily, CounterPoint, Exemplar } from './model.js';
import type { Counter, CounterHandle, ExemplarLabels, LabelNames } from './types.js';

/** Throws the coded error for a bad counter increment (kept out of line so `inc` stays small). */
export function badIncrement(metric: string, v: unknown): never {
  if (typeof v === 'number' && v < 0) {
    fail(
      'TT_NEGATIVE_INCREMENT',
      `counter "${metric}": increment ${v} is negative; counters only go up (use a gauge for values that go down)`,
    );
  }
  fail(
    'TT_INVALID_VALUE',
    `counter "${metric}": increment ${String(v)} is not a finite, non-negative number`,
  );
}

function checkIncrement(metric: string, v: unknown): void {
  if (typeof v !== 'number' || !(v >= 0) || v === Infinity) badIncrement(metric, v);
}

class CounterHandleImpl extends HandleBase implements CounterHandle {
  inc(v?: number): void {
    const m = this.m as CounterImpl<LabelNames>;
    if (v === undefined) v = 1;
    else checkIncrement(m.name, v);
    let i = this.idx;
    if (i < 0) i = m._revive(this);
    m._add1(i, v);
  }

  incWithExemplar(v: number, exemplar: ExemplarLabels): void {
    const m = this.m as CounterImpl<LabelNames>;
    checkIncrement(m.name, v);
    checkExemplar(m.name, exemplar);
    let i = this.idx;
    if (i < 0) i = m._revive(this);
    m._add1(i, v);
    m._ex ??= [];
    m._ex[i] = makeExemplar(exemplar, v, m._rt.now());
  }

  get(): number {
    const m = this.m as CounterImpl<LabelNames>;
    // A removed handle reads the live series that now has its labels, if any (updates go there too).
    const i = m._live(this);
    return i < 0 ? 0 : m._vals[i]!;
  }
}

/** Options of a counter, as resolved by the registry. @internal */
export interface CounterInit<N extends LabelNames> extends MetricSpec<N> {
  readonly collect?: ((c: Counter<N>) => void | Promise<void>) | undefined;
}

/** @internal The counter implementation; users see {@link Counter}. */
export class CounterImpl<N extends LabelNames>
  extends Metric<N, CounterHandleImpl>
  implements Counter<N>
{
  readonly type = 'counter' as const;
  /** @internal */
  _vals: Float64Array = new Float64Array(this._capacity);
  /** @internal Exemplars by slot, created on first use. */
  _ex: (Exemplar | undefined)[] | null = null;
  /** @internal The registry's exemplar hook (`rt.exemplars`), one load closer to the update path. */
  readonly _exs: ExemplarSlot;
  /** @internal */
  readonly _collect: ((c: Counter<N>) => void | Promise<void>) | undefined;

  constructor(init: CounterInit<N>, rt: MetricRuntime) {
    super(init, rt);
    this._exs = rt.exemplars;
    this._collect = init.collect;
    this._init();
  }

  /** @internal Adds a checked increment to slot `i`: the one place a counter value changes. */
  _add1(i: number, v: number): void {
    this._vals[i]! += v;
    if (this._touched !== null) this._touched[i] = 1;
    if (this._exs.live !== null) this._autoExemplar(i, v);
  }

  /** @internal Attaches the active trace's exemplar, if any (kept out of `_add1` so it stays small). */
  _autoExemplar(i: number, v: number): void {
    const labels = this._exs.live?.();
    if (labels === undefined) return;
    this._ex ??= [];
    this._ex[i] = { labels, value: v, timestamp: this._rt.now() / 1000 };
  }

  protected _newHandle(idx: number, own: readonly string[]): CounterHandleImpl {
    return new CounterHandleImpl(this, idx, own);
  }
  protected _growSlabs(cap: number): void {
    this._vals = grow(this._vals, cap);
  }
  protected _moveSlot(from: number, to: number): void {
    this._vals[to] = this._vals[from]!;
    if (this._ex !== null) this._ex[to] = this._ex[from];
  }
  protected _zeroSlot(idx: number): void {
    this._vals[idx] = 0;
    if (this._ex !== null) this._ex[idx] = undefined;
  }

  inc(a?: unknown, b?: number): void {
    if (typeof a === 'object') {
      // Check the value before the lookup, so a rejected update creates no series.
      if (b === undefined) b = 1;
      else checkIncrement(this.name, b);
      this._add1(this._find(a), b);
    } else if (this._labelless) {
      if (a === undefined) this._add1(0, 1);
      else {
        checkIncrement(this.name, a);
        this._add1(0, a as number);
      }
    } else this._find(a);
  }

  labels(...args: unknown[]): CounterHandle {
    return this._bind(args);
  }

  get(labels?: unknown): number | undefined {
    const i = this._lookup(labels);
    return i < 0 ? undefined : this._vals[i];
  }

  point(labels?: unknown): CounterPoint | undefined {
    const i = this._lookup(labels);
    return i < 0 ? undefined : this._point(i);
  }

  /** @internal */
  _point(i: number): CounterPoint {
    const ex = this._ex?.[i];
    const labels = this._labels(i);
    return ex === undefined
      ? { labels, value: this._vals[i]!, created: this._created[i]! }
      : { labels, value: this._vals[i]!, created: this._created[i]!, exemplar: ex };
  }

  /** @internal */
  _family(points: readonly CounterPoint[]): CounterFamily {
    return {
      type: 'counter',
      name: this.name,
      help: this.help,
      unit: this.unit,
      points,
    };
  }
}
