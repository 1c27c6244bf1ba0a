// Info and StateSet: the two OpenMetrics types whose series carry labels or booleans rather than numbers.

import { fail } from '../internal/errors.js';
import { Metric, type MetricRuntime, type MetricSpec, SeriesBase } from './metric.js';
import type { InfoFamily, InfoPoint, StateSetFamily, StateSetPoint } from './model.js';
import type { Info, LabelNames, StateSet, StateSetHandle } from './types.js';

class InfoSeries extends SeriesBase {
  touch(): void {
    const m = this.m as InfoImpl<LabelNames>;
    let i = this.idx;
    if (i < 0) i = m._revive(this).idx;
    if (m._touched !== null) m._touched[i] = 1;
  }
}

/** @internal The info implementation; users see {@link Info}. */
export class InfoImpl<N extends LabelNames> extends Metric<N, InfoSeries> implements Info<N> {
  readonly type = 'info' as const;

  constructor(spec: MetricSpec<N>, rt: MetricRuntime) {
    super(spec, rt);
    this._init();
  }

  protected _newSeries(text: string, idx: number): InfoSeries {
    return new InfoSeries(this, text, idx);
  }
  protected _growSlabs(): void {}
  protected _moveSlot(): void {}
  protected _zeroSlot(): void {}

  set(...args: unknown[]): void {
    const s =
      args.length === 1 && typeof args[0] === 'object'
        ? this._find(args[0])
        : this._findPositional(args);
    s.touch();
  }

  _gather(): InfoFamily {
    const points: InfoPoint[] = this._series.map((s) => ({ labels: s }));
    return { type: 'info', name: this.name, help: this.help, unit: this.unit, points };
  }
}

class StateSetSeries extends SeriesBase implements StateSetHandle<string> {
  set(state: string): void {
    const m = this.m as StateSetImpl<LabelNames, string>;
    const k = m._stateIndex(state);
    const i = this._slot();
    const n = m.states.length;
    m._bits.fill(0, i * n, i * n + n);
    m._bits[i * n + k] = 1;
  }

  setState(state: string, enabled: boolean): void {
    const m = this.m as StateSetImpl<LabelNames, string>;
    const k = m._stateIndex(state);
    if (typeof enabled !== 'boolean') {
      fail('TT_INVALID_VALUE', `stateset "${m.name}": setState("${state}", …) needs a boolean`);
    }
    const i = this._slot();
    m._bits[i * m.states.length + k] = enabled ? 1 : 0;
  }

  get(): string[] {
    const m = this.m as StateSetImpl<LabelNames, string>;
    if (this.idx < 0) return [];
    const n = m.states.length;
    return m.states.filter((_, k) => m._bits[this.idx * n + k] === 1);
  }

  private _slot(): number {
    const m = this.m as StateSetImpl<LabelNames, string>;
    let i = this.idx;
    if (i < 0) i = m._revive(this).idx;
    if (m._touched !== null) m._touched[i] = 1;
    return i;
  }
}

/** Options of a stateset, as resolved by the registry. @internal */
export interface StateSetInit<N extends LabelNames, S extends string> extends MetricSpec<N> {
  readonly states: readonly S[];
}

/** @internal The stateset implementation; users see {@link StateSet}. */
export class StateSetImpl<N extends LabelNames, S extends string>
  extends Metric<N, StateSetSeries>
  implements StateSet<N, S>
{
  readonly type = 'stateset' as const;
  readonly states: readonly S[];
  /** @internal One byte per state per series. */
  _bits: Uint8Array;
  private readonly _index: ReadonlyMap<string, number>;

  constructor(init: StateSetInit<N, S>, rt: MetricRuntime) {
    super(init, rt);
    this.states = Object.freeze([...init.states]);
    this._index = new Map(init.states.map((s, i) => [s, i]));
    this._bits = new Uint8Array(this._capacity * init.states.length);
    this._init();
  }

  /** @internal */
  _stateIndex(state: string): number {
    const k = this._index.get(state);
    if (k === undefined) {
      fail(
        'TT_INVALID_STATE',
        `stateset "${this.name}": unknown state ${JSON.stringify(state)}; declared states are ${this.states.map((s) => `"${s}"`).join(', ')}`,
      );
    }
    return k;
  }

  protected _newSeries(text: string, idx: number): StateSetSeries {
    return new StateSetSeries(this, text, idx);
  }
  protected _growSlabs(cap: number): void {
    const b = new Uint8Array(cap * this.states.length);
    b.set(this._bits);
    this._bits = b;
  }
  protected _moveSlot(from: number, to: number): void {
    const n = this.states.length;
    this._bits.copyWithin(to * n, from * n, from * n + n);
  }
  protected _zeroSlot(idx: number): void {
    const n = this.states.length;
    this._bits.fill(0, idx * n, idx * n + n);
  }

  set(a: unknown, b?: S): void {
    if (typeof a === 'object' && a !== null) {
      this._stateIndex(b as S); // throws on an unknown state before the lookup creates a series
      this._find(a).set(b as S);
    } else if (this._single !== undefined) this._single.set(a as S);
    else this._find(a);
  }

  labels(...args: unknown[]): StateSetHandle<S> {
    if (args.length === 1 && typeof args[0] === 'object')
      return this._find(args[0]) as unknown as StateSetHandle<S>;
    return this._findPositional(args) as unknown as StateSetHandle<S>;
  }

  _gather(): StateSetFamily {
    const n = this.states.length;
    const points: StateSetPoint[] = this._series.map((s) => {
      const enabled: boolean[] = new Array(n);
      for (let k = 0; k < n; k++) enabled[k] = this._bits[s.idx * n + k] === 1;
      return { labels: s, enabled };
    });
    return {
      type: 'stateset',
      name: this.name,
      help: this.help,
      unit: this.unit,
      states: this.states,
      points,
    };
  }
}
