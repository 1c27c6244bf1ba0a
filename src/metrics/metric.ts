// The base of every instrument: declared labels, the series table, bounds (cap, overflow, TTL) and lookups.

import type { Clock } from '../internal/clock.js';
import { fail } from '../internal/errors.js';
import { needsEscape } from '../internal/escape.js';
import type { ExemplarSlot } from '../internal/exemplar-source.js';
import {
  type LabelPolicy,
  type LongLabelValuePolicy,
  normalizeLabelValue,
  OVERFLOW_LABEL_VALUE,
  type PiiKind,
} from './labels.js';
import { type LookupPool, makeFind } from './lookup.js';
import {
  type Exemplar,
  LABEL_SHAPE,
  type LabelSet,
  type LabelShape,
  type MetricFamily,
  type MetricType,
} from './model.js';

/** Registry-level events a metric reports (they feed telltale's self-metrics). */
export interface MetricEvents {
  /** A new label set was folded into the overflow series. */
  overflow(metric: string): void;
  /** A label value was truncated to the length limit. */
  truncated(metric: string): void;
  /** The PII guard replaced a label value. */
  pii(metric: string, kind: PiiKind): void;
}

/** What a registry resolves for each metric it creates. Internal. */
export interface MetricRuntime {
  /** The registry's clock: milliseconds since the epoch. Injected so tests never sleep. */
  readonly now: Clock['now'];
  readonly maxSeries: number;
  readonly maxLabelValueLength: number;
  readonly onLongLabelValue: LongLabelValuePolicy;
  readonly piiGuard: boolean;
  /** Idle-series time to live in ms; 0 disables eviction. */
  readonly ttlMs: number;
  readonly defaultLabelNames: readonly string[];
  /** The default labels' values, aligned with `defaultLabelNames`. */
  readonly defaultLabelValues: readonly string[];
  readonly events: MetricEvents;
  /** Check for undeclared label keys on every lookup, not only on the slow path (strict mode). */
  readonly checkExtraLabels: boolean;
  /** The registry's labels-object lookup copies (one per label-name tuple while they last). */
  readonly lookups: LookupPool;
  /** The registry's exemplar hook (counters and histograms read `live` on every update). */
  readonly exemplars: ExemplarSlot;
  /** The registry's label set makers, one per label-name tuple (see {@link RecordMakers}). */
  readonly records: RecordMakers;
}

/** The spec shared by every instrument. */
export interface MetricSpec<N extends readonly string[]> {
  /** The family name as exposed (after the registry prefix; counters without `_total`). */
  readonly name: string;
  readonly help: string;
  readonly unit: string;
  readonly labelNames: N;
}

/**
 * A bound handle: the object `labels()` returns. It knows its slot (or -1 once the series was
 * removed or evicted) and its label values, from which it re-finds or re-creates its series.
 */
export abstract class HandleBase {
  /** @internal */
  readonly m: AnyMetric;
  /** @internal Slot in the metric's table and slabs; -1 once removed or evicted. */
  idx: number;
  /** @internal The declared labels' normalised values (default labels not included). */
  readonly own: readonly string[];

  constructor(m: AnyMetric, idx: number, own: readonly string[]) {
    this.m = m;
    this.idx = idx;
    this.own = own;
  }

  /** The handle's labels as a label set (plain data, default labels first). */
  get labelSet(): LabelSet {
    return this.m._labelSetOf(this.own);
  }

  /** Plain data for `JSON.stringify` (the metric back-reference would be circular). */
  toJSON(): LabelSet {
    return this.m._labelSetOf(this.own);
  }

  /**
   * A timer for `startTimer()`: the returned function records the seconds elapsed since now with
   * `record` and returns them.
   */
  protected _timer(record: (seconds: number) => void): () => number {
    const start = performance.now();
    return () => {
      const s = (performance.now() - start) / 1000;
      record(s);
      return s;
    };
  }
}

// biome-ignore lint/suspicious/noExplicitAny: internal back-reference from a handle to its metric.
export type AnyMetric = Metric<readonly string[], any>;

type Node = Map<string, unknown>;

const INITIAL_CAPACITY = 8;
/** How much the slabs grow when full (see `_add`). */
const SLAB_GROWTH = 1.5;

/**
 * The most often a metric at its series cap sweeps for idle series when new label sets arrive
 * (the TTL, when shorter). In between, new label sets fold into the overflow series at once, so an
 * overflowing metric with a TTL costs one clock read more per update, not one sweep of every series.
 */
export const CAP_SWEEP_INTERVAL_MS = 1000;

/**
 * The shared machinery of all instruments. Label lookups walk one nested `Map` level per label
 * (no key string is built on the hot path) and end at a slot number; each slot's numbers live in
 * per-metric typed-array slabs and its preformatted label text in one array. A series has no
 * object of its own: bound handles are made (once per slot) only when `labels()` asks for one.
 */
export abstract class Metric<N extends readonly string[], H extends HandleBase> {
  /** The exposed family name (for counters, without `_total`). */
  readonly name: string;
  /** The help text. */
  readonly help: string;
  /** The OpenMetrics unit, or `''`. */
  readonly unit: string;
  /** The declared label names, in order. */
  readonly labelNames: N;
  /** The family type. */
  abstract readonly type: MetricType;

  /** @internal Default label names followed by the declared ones (frozen: shared by every gather). */
  readonly _allNames: readonly string[];
  /**
   * @internal Each slot's label set: a frozen record, made once when the series is created and
   * handed out by every gather (so a gathered point costs one object, and consumers may key caches
   * on it). Its length is the number of slots in use. No other per-series object is kept: the
   * text encoders build each label text from the record when they render (see `LABEL_SHAPE`).
   */
  _sets: LabelSet[] = [];
  /** @internal Slab capacity (series slots). */
  _capacity = INITIAL_CAPACITY;
  /** @internal Seconds since the epoch when each series was created. */
  _created: Float64Array = new Float64Array(INITIAL_CAPACITY);
  /** @internal Set on update when a TTL is configured. */
  _touched: Uint8Array | null;
  /** @internal Last time (ms) a sweep saw each series touched. */
  _lastSeen: Float64Array | null;
  /** @internal When (ms) the last sweep ran, at a gather or at the cap; -Infinity before the first. */
  _lastSweep = Number.NEGATIVE_INFINITY;
  /** @internal Bound handles by slot, created on first `labels()`. */
  _handles: Map<number, H> | null = null;

  /** @internal */
  readonly _rt: MetricRuntime;
  /** @internal True when the metric declares no labels: slot 0 is its only series. */
  readonly _labelless: boolean;
  private readonly _nameSet: ReadonlySet<string>;
  private readonly _policy: LabelPolicy;
  /** The same policy without the truncation and PII events, for reads (`get`, `point`, `remove`). */
  private readonly _readPolicy: LabelPolicy;
  private _root: Node = new Map();
  /**
   * The declared labels' positions in the order the nested maps are keyed, or null for the
   * declared order. Chosen by cardinality (see {@link _reorder}), so the maps' memory does not
   * depend on the order labels were declared in.
   */
  private _order: number[] | null = null;
  /** The series count at which {@link _reorder} next looks at the label cardinalities. */
  private _nextReorder = REORDER_FIRST;
  /** The label set of a label-less metric's only series: the same frozen object in every gather. */
  private readonly _noLabels: LabelSet;
  /** Makes a slot's label set from every label's value (default labels first). */
  private readonly _record: RecordMaker;
  /**
   * Set once any series' label values (the default labels' included) needed escaping in the text
   * formats, and kept: a sliced gather's points may include such a series even after it was
   * removed, so the gathered shape says `clean` only when none ever existed.
   */
  private _escaped: boolean;
  /** The two shapes a gathered family can carry (see `LABEL_SHAPE`), made once. */
  private readonly _shapes: readonly [clean: LabelShape, escaped: LabelShape];

  /** @internal The overflow series' slot, or -1. */
  _overflowSlot = -1;
  /** Live series, excluding the overflow series. */
  private _count = 0;
  /** Cache of {@link _exposedName} (the type is only known once the subclass is built). */
  private _exposed: string | undefined;

  constructor(spec: MetricSpec<N>, rt: MetricRuntime) {
    this.name = spec.name;
    this.help = spec.help;
    this.unit = spec.unit;
    this.labelNames = spec.labelNames;
    this._rt = rt;
    this._labelless = spec.labelNames.length === 0;
    this._allNames = Object.freeze([...rt.defaultLabelNames, ...spec.labelNames]);
    this._record = rt.records.of(this._allNames);
    this._noLabels = this._record(rt.defaultLabelValues);
    this._escaped = rt.defaultLabelValues.some(needsEscape);
    this._shapes = [
      Object.freeze({ names: this._allNames, clean: true }),
      Object.freeze({ names: this._allNames, clean: false }),
    ];
    this._nameSet = new Set(spec.labelNames);
    this._touched = rt.ttlMs > 0 ? new Uint8Array(INITIAL_CAPACITY) : null;
    this._lastSeen = rt.ttlMs > 0 ? new Float64Array(INITIAL_CAPACITY) : null;
    this._find = this._labelless
      ? (labels: unknown) => {
          if (labels !== undefined) this._checkNoLabels(labels);
          return 0;
        }
      : this._makeFind();
    this._policy = {
      metric: spec.name,
      maxLength: rt.maxLabelValueLength,
      onLong: rt.onLongLabelValue,
      piiGuard: rt.piiGuard,
      onTruncate: () => rt.events.truncated(this._exposedName),
      onPii: (kind) => rt.events.pii(this._exposedName, kind),
    };
    // A read normalises its labels to find the series but rejects nothing, so it is not counted.
    this._readPolicy = { ...this._policy, onTruncate() {}, onPii() {} };
  }

  /** Creates the bound handle of a slot with its declared labels' values. */
  protected abstract _newHandle(idx: number, own: readonly string[]): H;
  /** Grows the subclass's slabs to `capacity` slots. */
  protected abstract _growSlabs(capacity: number): void;
  /** Moves slot data from `from` to `to` (swap-remove). */
  protected abstract _moveSlot(from: number, to: number): void;
  /** Drops the data of slot `idx`, leaving it pristine (zeroed slabs). */
  protected abstract _zeroSlot(idx: number): void;
  /** Prepares a freshly allocated slot (summaries create their window here). */
  protected _initSlot(_idx: number): void {}
  /**
   * @internal The gathered point of slot `i`: plain data, read in one synchronous step, so a
   * point is always consistent in itself (a histogram's `count` equals its `+Inf` bucket).
   */
  abstract _point(i: number): unknown;
  /** @internal This family's gathered form around already-gathered points (not frozen yet). */
  abstract _family(points: readonly unknown[]): MetricFamily;

  /**
   * @internal The gathered family, frozen, with its label shape hint: a non-enumerable property,
   * so it is not part of the data (see `LABEL_SHAPE`).
   */
  _frozenFamily(points: unknown[]): MetricFamily {
    const family = this._family(Object.freeze(points));
    Object.defineProperty(family, LABEL_SHAPE, { value: this._shapes[this._escaped ? 1 : 0] });
    return Object.freeze(family);
  }

  /** @internal Builds this family's gathered form in one synchronous pass. */
  _gather(): MetricFamily {
    const n = this._sets.length;
    const points: unknown[] = new Array(n);
    for (let i = 0; i < n; i++) points[i] = this._point(i);
    return this._frozenFamily(points);
  }

  /** @internal The readers of a sliced gather in progress (see {@link _read}); null when none. */
  _readers: Set<SliceReader> | null = null;

  /**
   * @internal Starts a sliced read of this family: call `reader.next(max)` until it returns
   * false, between event-loop turns if you like, then `reader.end()` for the family. Series
   * created meanwhile are read when the reader reaches them; a series moved below the reader's
   * position by a removal is read at the moment it moves, so no live series is missed or read
   * twice.
   */
  _read(): SliceReader {
    const r = new SliceReader(this);
    this._readers ??= new Set();
    this._readers.add(r);
    return r;
  }

  /** Call at the end of a subclass constructor: creates the single series of a label-less metric. */
  protected _init(): void {
    if (this._labelless) this._add([]);
  }

  /**
   * @internal The name as exposition writes it and queries use it: `<name>_total` for a counter,
   * `<name>_info` for an info, else the family name. The `metric` label of telltale's own metrics.
   */
  get _exposedName(): string {
    this._exposed ??= exposedName(this.type, this.name);
    return this._exposed;
  }

  /** Number of live series, including the overflow series once it exists. */
  get seriesCount(): number {
    return this._sets.length;
  }

  /** @internal The gathered label set of a slot: the series' own frozen record. */
  _labels(idx: number): LabelSet {
    return this._sets[idx]!;
  }

  /** @internal The label set of declared values `own` (default labels added), for a handle. */
  _labelSetOf(own: readonly string[]): LabelSet {
    if (this._labelless) return this._noLabels;
    const defaults = this._rt.defaultLabelValues;
    return this._record(defaults.length === 0 ? own : [...defaults, ...own]);
  }

  /** @internal The declared labels' values of slot `idx`. */
  _ownAt(idx: number): string[] {
    const set = this._sets[idx]!;
    const names = this.labelNames;
    const out: string[] = new Array(names.length);
    for (let j = 0; j < names.length; j++) out[j] = set[names[j]!]!;
    return out;
  }

  // ---- lookups -------------------------------------------------------------------------------

  /**
   * @internal Finds or creates the slot for a labels object. The hot path, built by
   * {@link makeFind} without code generation: each label is a monomorphic property read and one
   * `Map.get`.
   */
  _find: (labels: unknown) => number;

  /** @internal Finds or creates the slot for positional values. */
  _findPositional(values: readonly unknown[]): number {
    const names = this.labelNames;
    const n = names.length;
    if (values.length !== n) {
      fail(
        'TT_LABEL_COUNT',
        `metric "${this.name}": got ${values.length} label values, expected ${n} (${names.join(', ') || 'none'})`,
      );
    }
    if (n === 0) return 0;
    let node: unknown = this._root;
    const order = this._order;
    for (let i = 0; i < n; i++) {
      const v = values[order === null ? i : order[i]!];
      if (typeof v !== 'string') return this._findValues(values, true);
      node = (node as Node).get(v);
      if (node === undefined) return this._findValues(values, true);
    }
    return node as number;
  }

  /** @internal The cached bound handle for `labels(...)` arguments (object or positional). */
  _bind(args: readonly unknown[]): H {
    const idx =
      args.length === 1 && typeof args[0] === 'object'
        ? this._find(args[0])
        : this._findPositional(args);
    return this._handle(idx);
  }

  /** @internal The cached bound handle of a slot. */
  _handle(idx: number): H {
    this._handles ??= new Map();
    const handles = this._handles;
    let h = handles.get(idx);
    if (h === undefined) {
      h = this._newHandle(idx, Object.freeze(this._ownAt(idx)));
      handles.set(idx, h);
    }
    return h;
  }

  private _checkNoLabels(labels: unknown): void {
    if (typeof labels !== 'object' || labels === null) {
      fail(
        'TT_UNKNOWN_LABEL',
        `metric "${this.name}" declares no labels; call it without a labels argument`,
      );
    }
    for (const k in labels) {
      fail(
        'TT_UNKNOWN_LABEL',
        `metric "${this.name}": label "${k}" is not declared; this metric declares no labels`,
      );
    }
  }

  private _slowFind(labels: unknown): number {
    return this._findValues(this._valuesOf(labels), true);
  }

  /** Validates a labels object (no unknown keys) and returns the raw values in declared order. */
  protected _valuesOf(labels: unknown): unknown[] {
    const names = this.labelNames;
    if (typeof labels !== 'object' || labels === null) {
      fail(
        'TT_MISSING_LABEL',
        `metric "${this.name}": expected a labels object with ${names.map((x) => `"${x}"`).join(', ')}; got ${labels === null ? 'null' : typeof labels}`,
      );
    }
    const rec = labels as Record<string, unknown>;
    for (const k in rec) {
      if (!this._nameSet.has(k)) {
        fail(
          'TT_UNKNOWN_LABEL',
          `metric "${this.name}": label "${k}" is not declared; declared labels are ${names.map((x) => `"${x}"`).join(', ')}`,
        );
      }
    }
    const raw: unknown[] = new Array(names.length);
    for (let i = 0; i < names.length; i++) raw[i] = rec[names[i]!];
    return raw;
  }

  /** @internal The slot of an existing series for a labels object (a read: creates nothing), or -1. */
  _lookup(labels: unknown): number {
    if (this._labelless) {
      if (labels !== undefined) this._checkNoLabels(labels);
      return 0;
    }
    return this._findValues(this._valuesOf(labels), false);
  }

  /**
   * Normalises raw values and finds their slot; when `create`, creates the series (or folds it
   * into the overflow series at the cap). Returns -1 when not found and not created.
   */
  protected _findValues(raw: readonly unknown[], create: boolean): number {
    const names = this.labelNames;
    const n = names.length;
    if (n === 0) return 0;
    const vals: string[] = new Array(n);
    let allOverflow = true;
    for (let i = 0; i < n; i++) {
      const v = normalizeLabelValue(names[i]!, raw[i], create ? this._policy : this._readPolicy);
      vals[i] = v;
      if (v !== OVERFLOW_LABEL_VALUE) allOverflow = false;
    }
    if (allOverflow) return create ? this._overflow() : this._overflowSlot;
    const found = this._walk(vals);
    if (found >= 0 || !create) return found;
    return this._create(vals);
  }

  /** The slot stored under normalised values, or -1. */
  private _walk(vals: readonly string[]): number {
    let node: unknown = this._root;
    const order = this._order;
    for (let i = 0; i < vals.length; i++) {
      node = (node as Node).get(vals[order === null ? i : order[i]!]!);
      if (node === undefined) return -1;
    }
    return node as number;
  }

  private _create(vals: readonly string[]): number {
    if (this._count >= this._rt.maxSeries) {
      if (this._touched !== null) this._capSweep();
      if (this._count >= this._rt.maxSeries) {
        this._rt.events.overflow(this._exposedName);
        return this._overflow();
      }
    }
    if (!this._escaped && vals.some(needsEscape)) this._escaped = true;
    const idx = this._add(vals);
    this._setLeaf(vals, idx);
    this._count++;
    if (this._count === this._nextReorder) this._reorder();
    return idx;
  }

  /** The labels-object lookup over the current map root and level order. */
  private _makeFind(): (labels: unknown) => number {
    const names = this.labelNames;
    const order = this._order;
    return makeFind(
      order === null ? names : order.map((j) => names[j]!),
      this._root,
      (labels) => this._slowFind(labels),
      this._rt.checkExtraLabels,
      this._rt.lookups,
    );
  }

  /**
   * Keys the nested maps by the labels in ascending order of cardinality, estimated from an even
   * sample of up to {@link REORDER_SAMPLE} series: a label unique per series (a path, an id)
   * then sits at the last level, where each series costs one map entry, instead of giving every
   * series a map of its own at the levels below it. Runs when the series count reaches 128, 1,024,
   * 8,192 and 65,536, and rebuilds the maps only when the order changes.
   */
  private _reorder(): void {
    this._nextReorder = this._nextReorder < REORDER_LAST ? this._nextReorder * 8 : -1;
    const names = this.labelNames;
    if (names.length < 2) return;
    const sets = this._sets;
    const step = Math.max(1, Math.floor(sets.length / REORDER_SAMPLE));
    const distinct = names.map(() => new Set<string>());
    for (let i = 0; i < sets.length; i += step) {
      if (i === this._overflowSlot) continue;
      const set = sets[i]!;
      for (let j = 0; j < names.length; j++) distinct[j]!.add(set[names[j]!]!);
    }
    const order = names
      .map((_, j) => j)
      .sort((a, b) => distinct[a]!.size - distinct[b]!.size || a - b);
    const current = this._order ?? names.map((_, j) => j);
    if (order.every((j, i) => j === current[i])) return;
    this._order = order.every((j, i) => j === i) ? null : order;
    this._root = new Map();
    for (let i = 0; i < sets.length; i++) {
      if (i !== this._overflowSlot) this._setLeaf(this._ownAt(i), i);
    }
    this._find = this._makeFind();
  }

  /** The overflow series' slot, created on first use. */
  private _overflow(): number {
    if (this._overflowSlot < 0) {
      this._overflowSlot = this._add(this.labelNames.map(() => OVERFLOW_LABEL_VALUE));
    }
    return this._overflowSlot;
  }

  /** Appends a slot for declared values `vals`, growing the slabs when full; stamps its creation time. */
  private _add(vals: readonly string[]): number {
    const idx = this._sets.length;
    if (idx >= this._capacity) {
      // Half again, not double: the slabs' unused tail stays within a third of their size
      // (a quarter on average) rather than a half, for slightly more frequent copies.
      const cap = Math.ceil(this._capacity * SLAB_GROWTH);
      this._capacity = cap;
      this._created = grow(this._created, cap);
      if (this._touched !== null) this._touched = growU8(this._touched, cap);
      if (this._lastSeen !== null) this._lastSeen = grow(this._lastSeen, cap);
      this._growSlabs(cap);
    }
    this._sets.push(this._labelSetOf(vals));
    const now = this._rt.now();
    this._created[idx] = now / 1000;
    if (this._touched !== null) this._touched[idx] = 1;
    if (this._lastSeen !== null) this._lastSeen[idx] = now;
    this._initSlot(idx);
    return idx;
  }

  /** Stores `idx` under normalised values in the nested maps, creating levels as needed. */
  private _setLeaf(own: readonly string[], idx: number): void {
    const vals = this._keyed(own);
    let node: Node = this._root;
    const last = vals.length - 1;
    for (let i = 0; i < last; i++) {
      let next = node.get(vals[i]!) as Node | undefined;
      if (next === undefined) {
        next = new Map();
        node.set(vals[i]!, next);
      }
      node = next;
    }
    node.set(vals[last]!, idx);
  }

  /** Declared-order values in the maps' level order. */
  private _keyed(own: readonly string[]): readonly string[] {
    const order = this._order;
    return order === null ? own : order.map((j) => own[j]!);
  }

  // ---- removal, reset, TTL ---------------------------------------------------------------------

  /**
   * Removes slot `idx` (swap-remove: the last slot moves into its place and its map leaf and
   * handle follow). A handle of the removed slot is marked -1 and revives on its next update.
   */
  private _detach(idx: number): void {
    const last = this._sets.length - 1;
    const handles = this._handles;
    const h = handles?.get(idx);
    if (h !== undefined) {
      h.idx = -1;
      handles!.delete(idx);
    }
    if (idx === this._overflowSlot) this._overflowSlot = -1;
    else this._count--;
    const readers = this._readers;
    if (readers !== null && idx !== last) {
      // A reader past `idx` but not yet at `last` would never reach the moved series: read it now.
      for (const r of readers) r._moving(idx, last);
    }
    const sets = this._sets;
    if (idx !== last) {
      sets[idx] = sets[last]!;
      this._created[idx] = this._created[last]!;
      if (this._touched !== null) this._touched[idx] = this._touched[last]!;
      if (this._lastSeen !== null) this._lastSeen[idx] = this._lastSeen[last]!;
      this._moveSlot(last, idx);
      if (last === this._overflowSlot) this._overflowSlot = idx;
      else this._setLeaf(this._ownAt(idx), idx);
      const moved = handles?.get(last);
      if (moved !== undefined) {
        moved.idx = idx;
        handles!.delete(last);
        handles!.set(idx, moved);
      }
    }
    this._zeroSlot(last);
    sets.pop();
  }

  /** Deletes a slot's map leaf, and the intermediate maps that become empty. */
  private _unlink(idx: number): void {
    if (idx === this._overflowSlot) return;
    const vals = this._keyed(this._ownAt(idx));
    const path: Node[] = [];
    let node: Node = this._root;
    for (let i = 0; i < vals.length - 1; i++) {
      path.push(node);
      const next = node.get(vals[i]!) as Node | undefined;
      if (next === undefined) return;
      node = next;
    }
    if (node.get(vals[vals.length - 1]!) !== idx) return;
    node.delete(vals[vals.length - 1]!);
    for (let i = path.length - 1; i >= 0 && node.size === 0; i--) {
      const parent = path[i]!;
      parent.delete(vals[i]!);
      node = parent;
    }
  }

  /** @internal The live slot with a removed handle's labels, without creating one; -1 if none. */
  _live(h: H): number {
    if (h.idx >= 0) return h.idx;
    if (isOverflow(h.own)) return this._overflowSlot;
    return this._walk(h.own);
  }

  /**
   * @internal Called by a handle whose series was removed or evicted, on its next update. Re-finds
   * or re-creates its series (subject to the cap) and returns the slot to write to; the handle
   * becomes live again unless another handle already stands for that slot.
   */
  _revive(h: H): number {
    if (this._labelless) return 0;
    let idx: number;
    if (isOverflow(h.own)) idx = this._overflow();
    else {
      idx = this._walk(h.own);
      if (idx < 0) idx = this._create(h.own);
    }
    this._handles ??= new Map();
    const handles = this._handles;
    if (idx !== this._overflowSlot && !handles.has(idx)) {
      h.idx = idx;
      handles.set(idx, h);
    }
    return idx;
  }

  /**
   * At the cap, with a TTL: sweeps unless a sweep ran less than {@link CAP_SWEEP_INTERVAL_MS} (or
   * the TTL, if shorter) ago, so a stream of new label sets sweeps at most once per interval
   * instead of once per update. A clock that went backwards allows a sweep.
   */
  private _capSweep(): void {
    const now = this._rt.now();
    const since = now - this._lastSweep;
    if (since >= Math.min(this._rt.ttlMs, CAP_SWEEP_INTERVAL_MS) || since < 0) this._sweep(now);
  }

  /**
   * @internal Evicts series not updated for the TTL. Runs at every gather of the family, and at
   * the cap at most once per {@link CAP_SWEEP_INTERVAL_MS} (see {@link _capSweep}). A sweep
   * evicts each series not updated since the sweep before whose idle time has reached the TTL; the
   * idle time counts from the first sweep after its last update (or after its creation), or from
   * a sweep that found the clock earlier than that.
   */
  _sweep(nowMs: number): void {
    const touched = this._touched;
    const lastSeen = this._lastSeen;
    if (touched === null || lastSeen === null || this._labelless) return;
    this._lastSweep = nowMs;
    const ttl = this._rt.ttlMs;
    for (let i = this._sets.length - 1; i >= 0; i--) {
      if (touched[i] === 1) {
        touched[i] = 0;
        lastSeen[i] = nowMs;
        continue;
      }
      const idle = nowMs - lastSeen[i]!;
      if (idle >= ttl) {
        this._unlink(i);
        this._detach(i);
      } else if (idle < 0) lastSeen[i] = nowMs; // The clock went back: count the idle time from now.
    }
  }

  /**
   * Removes the series with these labels (object or positional). Its bound handles stay valid:
   * a later update through one re-creates the series from zero. Returns whether one existed.
   * @throws TelltaleError on a missing or unknown label.
   */
  remove(...args: unknown[]): boolean {
    const raw =
      args.length === 1 && typeof args[0] === 'object' && args[0] !== null
        ? this._valuesOf(args[0])
        : args;
    if (raw.length !== this.labelNames.length) {
      fail(
        'TT_LABEL_COUNT',
        `metric "${this.name}": remove() got ${raw.length} label values, expected ${this.labelNames.length}`,
      );
    }
    if (this._labelless) return false;
    const idx = this._findValues(raw, false);
    if (idx < 0) return false;
    this._unlink(idx);
    this._detach(idx);
    return true;
  }

  /**
   * Removes every series (a label-less metric goes back to zero). Bound handles stay valid and
   * start again from zero on their next update.
   */
  reset(): void {
    if (this._labelless) {
      this._zeroSlot(0);
      this._initSlot(0);
      this._created[0] = this._rt.now() / 1000;
      return;
    }
    for (let i = this._sets.length - 1; i >= 0; i--) {
      this._unlink(i);
      this._detach(i);
    }
  }
}

/** Makes a frozen label set from every label's value, in the maker's name order. */
export type RecordMaker = (values: readonly string[]) => LabelSet;

/**
 * One registry's label set makers, one per label-name tuple, so the metrics of a registry that
 * share label names share one hidden class for their label sets: an encoder reading those sets
 * family after family then stays monomorphic (with a maker per metric, 1,000 families made 1,000
 * classes and made the text render of 100,000 series about 1.6 times slower).
 */
export class RecordMakers {
  private readonly _byNames = new Map<string, RecordMaker>();

  /** The maker for label names `names`. */
  of(names: readonly string[]): RecordMaker {
    // Label names are identifiers, so a comma cannot occur inside one: the key is injective.
    const key = names.join(',');
    let maker = this._byNames.get(key);
    if (maker === undefined) {
      maker = recordMaker(names);
      this._byNames.set(key, maker);
    }
    return maker;
  }
}

/**
 * The maker of a label-name tuple's label sets: frozen records with the label names `names` as data
 * properties, in order, and `Object.prototype` as their prototype (plain objects to every
 * consumer). Made through a constructor of the metric's own, so V8's slack tracking sizes every
 * record to exactly its properties: measured 40 B per 2-label record, against 56 B for a `{}`
 * literal filled in a loop (which reserves four property slots). Label names are validated
 * identifiers that never start with `__`, so none is `__proto__`.
 */
function recordMaker(names: readonly string[]): RecordMaker {
  function LabelRecord(this: Record<string, string>, values: readonly string[]): void {
    for (let j = 0; j < names.length; j++) this[names[j]!] = values[j]!;
  }
  LabelRecord.prototype = Object.prototype;
  const Make = LabelRecord as unknown as new (values: readonly string[]) => LabelSet;
  return (values) => Object.freeze(new Make(values));
}

/** Series counts at which a metric first and last reconsiders its map level order. */
const REORDER_FIRST = 128;
const REORDER_LAST = 65_536;
/** Series sampled to estimate each label's cardinality. */
const REORDER_SAMPLE = 4_096;

/** Whether declared values are the overflow series' (every one `__overflow__`). */
function isOverflow(own: readonly string[]): boolean {
  if (own.length === 0) return false;
  for (let j = 0; j < own.length; j++) if (own[j] !== OVERFLOW_LABEL_VALUE) return false;
  return true;
}

/**
 * One sliced read of a family (see `Metric._read`): its position, the points read so far, and
 * the points of series a removal moved from ahead of it to behind it. @internal
 */
export class SliceReader {
  private readonly _m: AnyMetric;
  /** The next slot to read. */
  private _pos = 0;
  private readonly _points: unknown[] = [];

  constructor(m: AnyMetric) {
    this._m = m;
  }

  /** Reads up to `max` more series; returns whether any are left. */
  next(max: number): boolean {
    const m = this._m;
    const n = m._sets.length;
    const end = Math.min(n, this._pos + max);
    const points = this._points;
    for (let i = this._pos; i < end; i++) points.push(m._point(i));
    this._pos = end;
    return end < n;
  }

  /** Ends the read and returns the family (frozen). */
  end(): MetricFamily {
    this._m._readers?.delete(this);
    if (this._m._readers?.size === 0) this._m._readers = null;
    return this._m._frozenFamily(this._points);
  }

  /** @internal Slot `last` is about to move to `idx` (a swap-remove). */
  _moving(idx: number, last: number): void {
    if (idx < this._pos && last >= this._pos) {
      this._points.push(this._m._point(last));
    }
  }
}

/**
 * The name a family is exposed and queried under: counters `<name>_total` and info metrics
 * `<name>_info` (their sample names, and the HELP/TYPE name in the text format), every other type
 * its family name ([ADR 0001](../../docs/adr/0001-exposed-names.md)).
 */
export function exposedName(type: MetricType, name: string): string {
  return type === 'counter' ? `${name}_total` : type === 'info' ? `${name}_info` : name;
}

/** Grows a Float64Array to `cap` slots, keeping its contents. */
export function grow(a: Float64Array, cap: number): Float64Array {
  const b = new Float64Array(cap);
  b.set(a);
  return b;
}

function growU8(a: Uint8Array, cap: number): Uint8Array {
  const b = new Uint8Array(cap);
  b.set(a);
  return b;
}

/** Validates exemplar labels: valid names, at most 128 UTF-8 characters of names and values combined. */
export function checkExemplar(metric: string, labels: Readonly<Record<string, string>>): void {
  let len = 0;
  for (const k in labels) {
    if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(k)) {
      fail(
        'TT_INVALID_EXEMPLAR',
        `metric "${metric}": exemplar label name ${JSON.stringify(k)} is not valid`,
      );
    }
    const v = labels[k];
    if (typeof v !== 'string') {
      fail('TT_INVALID_EXEMPLAR', `metric "${metric}": exemplar label "${k}" must be a string`);
    }
    len += [...k].length + [...v].length;
  }
  if (len > 128) {
    fail(
      'TT_INVALID_EXEMPLAR',
      `metric "${metric}": exemplar labels are ${len} characters long, over OpenMetrics' limit of 128; shorten them`,
    );
  }
}

/** Builds an exemplar record. */
export function makeExemplar(
  labels: Readonly<Record<string, string>>,
  value: number,
  nowMs: number,
): Exemplar {
  return { labels: { ...labels }, value, timestamp: nowMs / 1000 };
}
