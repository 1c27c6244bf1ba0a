// Gauge: a value that goes up and down, stored in a per-metric Float64Array slab.

import { fail } from '../internal/errors.js';
import { grow, Metric, type MetricRuntime, type MetricSpec, SeriesBase } from './metric.js';
import type { GaugeFamily, GaugePoint } from './model.js';
import type { Gauge, GaugeHandle, LabelNames } from './types.js';

function badGaugeValue(metric: string, op: string, v: unknown): never {
  fail(
    'TT_INVALID_VALUE',
    `gauge "${metric}": ${op}(${String(v)}) needs ${op === 'set' ? 'a number' : 'a finite number'}`,
  );
}

class GaugeSeries extends SeriesBase implements GaugeHandle {
  set(v: number): void {
    const m = this.m as GaugeImpl<LabelNames>;
    if (typeof v !== 'number') badGaugeValue(m.name, 'set', v);
    let i = this.idx;
    if (i < 0) i = m._revive(this).idx;
    m._vals[i] = v;
    if (m._touched !== null) m._touched[i] = 1;
  }

  inc(v?: number): void {
    const m = this.m as GaugeImpl<LabelNames>;
    if (v === undefined) v = 1;
    else if (typeof v !== 'number' || v - v !== 0) badGaugeValue(m.name, 'inc', v);
    let i = this.idx;
    if (i < 0) i = m._revive(this).idx;
    m._vals[i]! += v;
    if (m._touched !== null) m._touched[i] = 1;
  }

  dec(v?: number): void {
    if (v === undefined) v = 1;
    else if (typeof v !== 'number' || v - v !== 0) badGaugeValue(this.m.name, 'dec', v);
    this.inc(-v);
  }

  setToCurrentTime(): void {
    this.set(this.m._rt.now() / 1000);
  }

  startTimer(): () => number {
    const start = performance.now();
    return () => {
      const s = (performance.now() - start) / 1000;
      this.set(s);
      return s;
    };
  }

  get(): number {
    const m = this.m as GaugeImpl<LabelNames>;
    // A removed handle reads the live series that now has its labels, if any (updates go there too).
    const s = this.idx >= 0 ? this : m._live(this);
    return s === undefined ? 0 : m._vals[s.idx]!;
  }
}

/** Options of a gauge, as resolved by the registry. @internal */
export interface GaugeInit<N extends LabelNames> extends MetricSpec<N> {
  readonly collect?: ((g: Gauge<N>) => void | Promise<void>) | undefined;
}

/** @internal The gauge implementation; users see {@link Gauge}. */
export class GaugeImpl<N extends LabelNames> extends Metric<N, GaugeSeries> implements Gauge<N> {
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

  protected _newSeries(text: string, idx: number): GaugeSeries {
    return new GaugeSeries(this, text, idx);
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

  // Each checks the value before the lookup, so a rejected update creates no series.
  set(a: unknown, b?: number): void {
    if (typeof a === 'object' && a !== null) {
      if (typeof b !== 'number') badGaugeValue(this.name, 'set', b);
      this._find(a).set(b);
    } else if (this._single !== undefined) this._single.set(a as number);
    else this._find(a);
  }
  inc(a?: unknown, b?: number): void {
    if (typeof a === 'object' && a !== null) {
      if (b !== undefined && (typeof b !== 'number' || b - b !== 0))
        badGaugeValue(this.name, 'inc', b);
      this._find(a).inc(b);
    } else if (this._single !== undefined) this._single.inc(a as number | undefined);
    else this._find(a);
  }
  dec(a?: unknown, b?: number): void {
    if (typeof a === 'object' && a !== null) {
      if (b !== undefined && (typeof b !== 'number' || b - b !== 0))
        badGaugeValue(this.name, 'dec', b);
      this._find(a).dec(b);
    } else if (this._single !== undefined) this._single.dec(a as number | undefined);
    else this._find(a);
  }

  labels(...args: unknown[]): GaugeHandle {
    if (args.length === 1 && typeof args[0] === 'object') return this._find(args[0]);
    return this._findPositional(args);
  }

  get(labels?: unknown): number | undefined {
    const s = this._lookup(labels);
    return s === undefined ? undefined : this._vals[s.idx];
  }

  point(labels?: unknown): GaugePoint | undefined {
    const s = this._lookup(labels);
    return s === undefined ? undefined : { labels: s, value: this._vals[s.idx]! };
  }

  /** @internal */
  _lookup(labels: unknown): GaugeSeries | undefined {
    if (this._single !== undefined) return this._single;
    return this._findValues(this._valuesOf(labels), false);
  }

  _gather(): GaugeFamily {
    const series = this._series;
    const points: GaugePoint[] = new Array(series.length);
    for (let i = 0; i < series.length; i++) {
      const s = series[i]!;
      points[i] = { labels: s, value: this._vals[i]! };
    }
    return { type: 'gauge', name: this.name, help: this.help, unit: this.unit, points };
  }
}
