// Summary: streaming quantiles over a sliding window (CKMS with age buckets), plus lifetime sum and count.

import { fail } from '../internal/errors.js';
import { Metric, type MetricRuntime, type MetricSpec, SeriesBase } from './metric.js';
import type { SummaryFamily, SummaryPoint } from './model.js';
import { QuantileWindow } from './quantile.js';
import type { LabelNames, Summary, SummaryHandle } from './types.js';

function badObservation(metric: string, v: unknown): never {
  fail('TT_INVALID_VALUE', `summary "${metric}": observation ${String(v)} is not a finite number`);
}

class SummarySeries extends SeriesBase implements SummaryHandle {
  /** @internal */
  window: QuantileWindow;
  /** @internal */
  sum = 0;
  /** @internal */
  count = 0;

  constructor(m: SummaryImpl<LabelNames>, text: string, idx: number) {
    super(m, text, idx);
    this.window = m._newWindow();
  }

  observe(v: number): void {
    const m = this.m as SummaryImpl<LabelNames>;
    if (typeof v !== 'number' || v - v !== 0) badObservation(m.name, v);
    if (this.idx < 0) {
      const live = m._revive(this);
      if (live !== this) {
        live.observe(v);
        return;
      }
    }
    this.window.observe(v);
    this.sum += v;
    this.count++;
    if (m._touched !== null) m._touched[this.idx] = 1;
  }

  startTimer(): () => number {
    const start = performance.now();
    return () => {
      const s = (performance.now() - start) / 1000;
      this.observe(s);
      return s;
    };
  }

  get(): SummaryPoint {
    return (this.m as SummaryImpl<LabelNames>)._point(this);
  }

  /** @internal */
  zero(): void {
    this.window.reset();
    this.sum = 0;
    this.count = 0;
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
  extends Metric<N, SummarySeries>
  implements Summary<N>
{
  readonly type = 'summary' as const;
  readonly quantiles: readonly number[];
  private readonly _maxAge: number;
  private readonly _ageBuckets: number;

  constructor(init: SummaryInit<N>, rt: MetricRuntime) {
    super(init, rt);
    this.quantiles = Object.freeze([...init.quantiles]);
    this._maxAge = init.maxAgeSeconds;
    this._ageBuckets = init.ageBuckets;
    this._init();
  }

  /** @internal */
  _newWindow(): QuantileWindow {
    return new QuantileWindow({
      quantiles: this.quantiles,
      maxAgeSeconds: this._maxAge,
      ageBuckets: this._ageBuckets,
      now: this._rt.now,
    });
  }

  protected _newSeries(text: string, idx: number): SummarySeries {
    return new SummarySeries(this, text, idx);
  }
  protected _growSlabs(): void {}
  protected _moveSlot(): void {}
  protected _zeroSlot(): void {}
  protected override _released(s: SummarySeries): void {
    s.zero();
  }

  observe(a: unknown, b?: number): void {
    if (typeof a === 'object' && a !== null) {
      // Check the value before the lookup, so a rejected update creates no series.
      if (typeof b !== 'number' || b - b !== 0) badObservation(this.name, b);
      this._find(a).observe(b);
    } else if (this._single !== undefined) this._single.observe(a as number);
    else this._find(a);
  }

  labels(...args: unknown[]): SummaryHandle {
    if (args.length === 1 && typeof args[0] === 'object') return this._find(args[0]);
    return this._findPositional(args);
  }

  startTimer(labels?: unknown): () => number {
    return this._find(labels).startTimer();
  }

  point(labels?: unknown): SummaryPoint | undefined {
    const s = this._single ?? this._findValues(this._valuesOf(labels), false);
    return s === undefined ? undefined : this._point(s);
  }

  /** @internal */
  _point(s: SummarySeries): SummaryPoint {
    const live = s.idx >= 0;
    return {
      labels: s,
      values: live ? s.window.query() : this.quantiles.map(() => Number.NaN),
      sum: live ? s.sum : 0,
      count: live ? s.count : 0,
      created: live ? this._created[s.idx]! : 0,
    };
  }

  _gather(): SummaryFamily {
    const series = this._series;
    const points: SummaryPoint[] = new Array(series.length);
    for (let i = 0; i < series.length; i++) points[i] = this._point(series[i]!);
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
