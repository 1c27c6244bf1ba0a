// Info and StateSet: the two OpenMetrics types whose series carry labels or booleans rather than numbers.

import { fail } from '../internal/errors.js';
import { HandleBase, Metric, type MetricRuntime, type MetricSpec } from './metric.js';
import type { InfoFamily, InfoPoint, StateSetFamily, StateSetPoint } from './model.js';
import type { Info, LabelNames, StateSet, StateSetHandle } from './types.js';

/** Info series are never bound by users; the handle type exists for the base class. */
class InfoHandleImpl extends HandleBase {}

/** @internal The info implementation; users see {@link Info}. */
export class InfoImpl<N extends LabelNames> extends Metric<N, InfoHandleImpl> implements Info<N> {
  readonly type = 'info' as const;

  constructor(spec: MetricSpec<N>, rt: MetricRuntime) {
    super(spec, rt);
    this._init();
  }

  protected _newHandle(idx: number, own: readonly string[]): InfoHandleImpl {
    return new InfoHandleImpl(this, idx, own);
  }
  protected _growSlabs(): void {}
  protected _moveSlot(): void {}
  protected _zeroSlot(): void {}

  set(...args: unknown[]): void {
    const i =
      args.length === 1 && typeof args[0] === 'object'
        ? this._find(args[0])
        : this._findPositional(args);
    if (this._touched !== null) this._touched[i] = 1;
  }

  /** @internal */
  _point(i: number): InfoPoint {
    return { labels: this._labels(i) };
  }

  /** @internal */
  _family(points: readonly InfoPoint[]): InfoFamily {
    return {
      type: 'info',
      name: this.name,
      help: this.help,
      unit: this.unit,
      points,
    };
  }
}

class StateSetHandleImpl extends HandleBase implements StateSetHandle<string> {
  set(state: string): void {
    const m = this.m as StateSetImpl<LabelNames, string>;
    m._setAt(this._slot(), m._stateIndex(state));
  }

  setState(state: string, enabled: boolean): void {
    const m = this.m as StateSetImpl<LabelNames, string>;
    const k = m._stateIndex(state);
    if (typeof enabled !== 'boolean') {
      fail('TT_INVALID_VALUE', `stateset "${m.name}": setState("${state}", …) needs a boolean`);
    }
    const i = this._slot();
    m._bits[i * m.states.length + k] = enabled ? 1 : 0;
    if (m._touched !== null) m._touched[i] = 1;
  }

  get(): string[] {
    const m = this.m as StateSetImpl<LabelNames, string>;
    const i = m._live(this);
    if (i < 0) return [];
    const n = m.states.length;
    return m.states.filter((_, k) => m._bits[i * n + k] === 1);
  }

  private _slot(): number {
    const i = this.idx;
    return i >= 0 ? i : this.m._revive(this);
  }
}

/** Options of a stateset, as resolved by the registry. @internal */
export interface StateSetInit<N extends LabelNames, S extends string> extends MetricSpec<N> {
  readonly states: readonly S[];
}

/** @internal The stateset implementation; users see {@link StateSet}. */
export class StateSetImpl<N extends LabelNames, S extends string>
  extends Metric<N, StateSetHandleImpl>
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

  /** @internal Enables exactly state `k` in slot `i`. */
  _setAt(i: number, k: number): void {
    const n = this.states.length;
    this._bits.fill(0, i * n, i * n + n);
    this._bits[i * n + k] = 1;
    if (this._touched !== null) this._touched[i] = 1;
  }

  protected _newHandle(idx: number, own: readonly string[]): StateSetHandleImpl {
    return new StateSetHandleImpl(this, idx, own);
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
      const k = this._stateIndex(b as S); // throws on an unknown state before the lookup creates a series
      this._setAt(this._find(a), k);
    } else if (this._labelless) this._setAt(0, this._stateIndex(a as S));
    else this._find(a);
  }

  labels(...args: unknown[]): StateSetHandle<S> {
    return this._bind(args) as unknown as StateSetHandle<S>;
  }

  /** @internal */
  _point(i: number): StateSetPoint {
    const n = this.states.length;
    const enabled: boolean[] = new Array(n);
    for (let k = 0; k < n; k++) enabled[k] = this._bits[i * n + k] === 1;
    return { labels: this._labels(i), enabled };
  }

  /** @internal */
  _family(points: readonly StateSetPoint[]): StateSetFamily {
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
