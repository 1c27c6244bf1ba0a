// Counter: a monotonically increasing count, stored in a per-metric Float64Array slab.

import { fail } from '../internal/errors.js';
import { exemplarSource } from '../internal/exemplar-source.js';
import {
  checkExemplar,
  grow,
  Metric,
  type MetricRuntime,
  type MetricSpec,
  makeExemplar,
  SeriesBase,
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

class CounterSeries extends SeriesBase implements CounterHandle {
  inc(v?: number): void {
    const m = this.m as CounterImpl<LabelNames>;
    if (v === undefined) v = 1;
    else if (typeof v !== 'number' || !(v >= 0) || v === Infinity) badIncrement(m.name, v);
    let i = this.idx;
    if (i < 0) i = m._revive(this).idx;
    m._vals[i]! += v;
    if (m._touched !== null) m._touched[i] = 1;
    if (exemplarSource !== null) m._autoExemplar(i, v);
  }

  incWithExemplar(v: number, exemplar: ExemplarLabels): void {
    const m = this.m as CounterImpl<LabelNames>;
    if (typeof v !== 'number' || !(v >= 0) || v === Infinity) badIncrement(m.name, v);
    checkExemplar(m.name, exemplar);
    // Resolve the slot first: a handle whose series was removed may revive into another series
    // object, and then this.idx stays -1.
    let i = this.idx;
    if (i < 0) i = m._revive(this).idx;
    m._vals[i]! += v;
    if (m._touched !== null) m._touched[i] = 1;
    m._ex ??= [];
    m._ex[i] = makeExemplar(exemplar, v, m._rt.now());
  }

  get(): number {
    const m = this.m as CounterImpl<LabelNames>;
    // A removed handle reads the live series that now has its labels, if any (updates go there too).
    const s = this.idx >= 0 ? this : m._live(this);
    return s === undefined ? 0 : m._vals[s.idx]!;
  }
}

/** Options of a counter, as resolved by the registry. @internal */
export interface CounterInit<N extends LabelNames> extends MetricSpec<N> {
  readonly collect?: ((c: Counter<N>) => void | Promise<void>) | undefined;
}

/** @internal The counter implementation; users see {@link Counter}. */
export class CounterImpl<N extends LabelNames>
  extends Metric<N, CounterSeries>
  implements Counter<N>
{
  readonly type = 'counter' as const;
  /** @internal */
  _vals: Float64Array = new Float64Array(this._capacity);
  /** @internal Exemplars by slot, created on first use. */
  _ex: (Exemplar | undefined)[] | null = null;
  /** @internal */
  readonly _collect: ((c: Counter<N>) => void | Promise<void>) | undefined;

  constructor(init: CounterInit<N>, rt: MetricRuntime) {
    super(init, rt);
    this._collect = init.collect;
    this._init();
  }

  /** @internal Attaches the active trace's exemplar, if any (kept out of `inc` so it stays small). */
  _autoExemplar(i: number, v: number): void {
    const labels = exemplarSource?.();
    if (labels === undefined) return;
    this._ex ??= [];
    this._ex[i] = { labels, value: v, timestamp: this._rt.now() / 1000 };
  }

  protected _newSeries(text: string, idx: number): CounterSeries {
    return new CounterSeries(this, text, idx);
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
      if (b !== undefined && (typeof b !== 'number' || !(b >= 0) || b === Infinity)) {
        badIncrement(this.name, b);
      }
      this._find(a).inc(b);
    } else if (this._single !== undefined) this._single.inc(a as number | undefined);
    else this._find(a);
  }

  labels(...args: unknown[]): CounterHandle {
    if (args.length === 1 && typeof args[0] === 'object') return this._find(args[0]);
    return this._findPositional(args);
  }

  get(labels?: unknown): number | undefined {
    const s = this._lookup(labels);
    return s === undefined ? undefined : this._vals[s.idx];
  }

  point(labels?: unknown): CounterPoint | undefined {
    const s = this._lookup(labels);
    return s === undefined ? undefined : this._point(s);
  }

  /** @internal */
  _lookup(labels: unknown): CounterSeries | undefined {
    if (this._single !== undefined) return this._single;
    return this._findValues(this._valuesOf(labels), false);
  }

  private _point(s: CounterSeries): CounterPoint {
    const i = s.idx;
    const ex = this._ex?.[i];
    return ex === undefined
      ? { labels: s, value: this._vals[i]!, created: this._created[i]! }
      : { labels: s, value: this._vals[i]!, created: this._created[i]!, exemplar: ex };
  }

  _gather(): CounterFamily {
    const series = this._series;
    const points: CounterPoint[] = new Array(series.length);
    for (let i = 0; i < series.length; i++) points[i] = this._point(series[i]!);
    return { type: 'counter', name: this.name, help: this.help, unit: this.unit, points };
  }
}
