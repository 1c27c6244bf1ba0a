// The base of every instrument: declared labels, the series table, bounds (cap, overflow, TTL) and lookups.

import { fail } from '../internal/errors.js';
import { escapeLabelValue } from '../internal/escape.js';
import {
  type LabelPolicy,
  type LongLabelValuePolicy,
  normalizeLabelValue,
  OVERFLOW_LABEL_VALUE,
  type PiiKind,
  parseLabelText,
} from './labels.js';
import type { Exemplar, LabelSet, MetricFamily, MetricType } from './model.js';

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
  /** Milliseconds since the epoch. Injected so tests never sleep. */
  readonly now: () => number;
  readonly maxSeries: number;
  readonly maxLabelValueLength: number;
  readonly onLongLabelValue: LongLabelValuePolicy;
  readonly piiGuard: boolean;
  /** Idle-series time to live in ms; 0 disables eviction. */
  readonly ttlMs: number;
  readonly defaultLabelNames: readonly string[];
  /** Preformatted default labels, `service="x"`, or `''`. */
  readonly defaultLabelText: string;
  readonly events: MetricEvents;
  /** Check for undeclared label keys on every lookup, not only on the slow path (strict mode). */
  readonly checkExtraLabels: boolean;
}

/** The spec shared by every instrument. */
export interface MetricSpec<N extends readonly string[]> {
  /** The family name as exposed (after the registry prefix; counters without `_total`). */
  readonly name: string;
  readonly help: string;
  readonly unit: string;
  readonly labelNames: N;
}

/** Anything with a `text` label fragment that can stand as a {@link LabelSet}. */
export abstract class SeriesBase implements LabelSet {
  /** Preformatted `a="x",b="y"` (default labels first). */
  readonly text: string;
  /** Index in the metric's series table and slabs; -1 once removed or evicted. @internal */
  idx: number;
  /** @internal */
  readonly m: AnyMetric;

  constructor(m: AnyMetric, text: string, idx: number) {
    this.m = m;
    this.text = text;
    this.idx = idx;
  }

  /** Label names, default labels first. */
  get names(): readonly string[] {
    return this.m._allNames;
  }

  /** Label values aligned with {@link names}, decoded from the preformatted fragment. */
  get values(): readonly string[] {
    return parseLabelText(this.text);
  }

  /**
   * The plain {@link LabelSet} for `JSON.stringify`: without it the back-reference to the metric
   * (which holds every series) makes gathered families circular.
   */
  toJSON(): LabelSet {
    return { names: this.names, values: this.values, text: this.text };
  }

  /** The labels as a plain object. */
  get labels(): Record<string, string> {
    const out: Record<string, string> = {};
    const names = this.names;
    const values = this.values;
    for (let i = 0; i < names.length; i++) out[names[i]!] = values[i]!;
    return out;
  }
}

// biome-ignore lint/suspicious/noExplicitAny: internal back-reference from a series to its metric.
export type AnyMetric = Metric<readonly string[], any>;

type Node = Map<string, unknown>;

const INITIAL_CAPACITY = 8;

/**
 * The shared machinery of all instruments. Label lookups walk one nested `Map` level per label
 * (no key string is built on the hot path), series live in a dense table with per-metric
 * typed-array slabs for their numbers, and bound handles are the series objects themselves.
 */
export abstract class Metric<N extends readonly string[], S extends SeriesBase> {
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

  /** @internal Default label names followed by the declared ones. */
  readonly _allNames: readonly string[];
  /** @internal The dense series table (overflow series included). */
  _series: S[] = [];
  /** @internal Slab capacity (series slots). */
  _capacity = INITIAL_CAPACITY;
  /** @internal Seconds since the epoch when each series was created. */
  _created: Float64Array = new Float64Array(INITIAL_CAPACITY);
  /** @internal Set on update when a TTL is configured. */
  _touched: Uint8Array | null;
  /** @internal Last time (ms) a sweep saw each series touched. */
  _lastSeen: Float64Array | null;

  /** @internal */
  readonly _rt: MetricRuntime;
  private readonly _nameSet: ReadonlySet<string>;
  private readonly _policy: LabelPolicy;
  /** The same policy without the truncation and PII events, for reads (`get`, `point`, `remove`). */
  private readonly _readPolicy: LabelPolicy;
  private readonly _root: Node = new Map();
  private _overflowSeries: S | undefined;
  /** Live series, excluding the overflow series. */
  private _count = 0;
  /** The single series of a metric with no labels. */
  protected _single: S | undefined;

  constructor(spec: MetricSpec<N>, rt: MetricRuntime) {
    this.name = spec.name;
    this.help = spec.help;
    this.unit = spec.unit;
    this.labelNames = spec.labelNames;
    this._rt = rt;
    this._allNames = [...rt.defaultLabelNames, ...spec.labelNames];
    this._nameSet = new Set(spec.labelNames);
    this._touched = rt.ttlMs > 0 ? new Uint8Array(INITIAL_CAPACITY) : null;
    this._lastSeen = rt.ttlMs > 0 ? new Float64Array(INITIAL_CAPACITY) : null;
    this._find =
      spec.labelNames.length === 0
        ? (labels: unknown) => {
            if (labels !== undefined) this._checkNoLabels(labels);
            return this._single!;
          }
        : compileFind<S>(
            spec.labelNames,
            this._root,
            (labels) => this._slowFind(labels),
            rt.checkExtraLabels,
          );
    this._policy = {
      metric: spec.name,
      maxLength: rt.maxLabelValueLength,
      onLong: rt.onLongLabelValue,
      piiGuard: rt.piiGuard,
      onTruncate: () => rt.events.truncated(spec.name),
      onPii: (kind) => rt.events.pii(spec.name, kind),
    };
    // A read normalises its labels to find the series but rejects nothing, so it is not counted.
    this._readPolicy = { ...this._policy, onTruncate() {}, onPii() {} };
  }

  /** Creates the series object for a new slot. */
  protected abstract _newSeries(text: string, idx: number): S;
  /** Grows the subclass's slabs to `capacity` slots. */
  protected abstract _growSlabs(capacity: number): void;
  /** Moves slab data from slot `from` to slot `to` (swap-remove). */
  protected abstract _moveSlot(from: number, to: number): void;
  /** Zeroes slab data of slot `idx`. */
  protected abstract _zeroSlot(idx: number): void;
  /** Builds this family's gathered form. @internal */
  abstract _gather(): MetricFamily;

  /** Call at the end of a subclass constructor: creates the single series of a label-less metric. */
  protected _init(): void {
    if (this.labelNames.length === 0) this._single = this._add(this._rt.defaultLabelText);
  }

  /** Number of live series, including the overflow series once it exists. */
  get seriesCount(): number {
    return this._series.length;
  }

  // ---- lookups -------------------------------------------------------------------------------

  /**
   * @internal Finds or creates the series for a labels object. The hot path: compiled per metric
   * by {@link compileFind} so each label is a constant-key property read and one `Map.get`.
   */
  _find: (labels: unknown) => S;

  /** @internal Finds or creates the series for positional values. */
  _findPositional(values: readonly unknown[]): S {
    const names = this.labelNames;
    const n = names.length;
    if (values.length !== n) {
      fail(
        'TT_LABEL_COUNT',
        `metric "${this.name}": got ${values.length} label values, expected ${n} (${names.join(', ') || 'none'})`,
      );
    }
    if (n === 0) return this._single!;
    let node: unknown = this._root;
    for (let i = 0; i < n; i++) {
      const v = values[i];
      if (typeof v !== 'string') return this._findValues(values, true)!;
      node = (node as Node).get(v);
      if (node === undefined) return this._findValues(values, true)!;
    }
    return node as S;
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

  private _slowFind(labels: unknown): S {
    return this._findValues(this._valuesOf(labels), true)!;
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

  /** Normalises raw values and finds (or, when `create`, creates) their series. */
  protected _findValues(raw: readonly unknown[], create: boolean): S | undefined {
    const names = this.labelNames;
    const n = names.length;
    if (n === 0) return this._single;
    const vals: string[] = new Array(n);
    let allOverflow = true;
    for (let i = 0; i < n; i++) {
      const v = normalizeLabelValue(names[i]!, raw[i], create ? this._policy : this._readPolicy);
      vals[i] = v;
      if (v !== OVERFLOW_LABEL_VALUE) allOverflow = false;
    }
    if (allOverflow) return create ? this._overflow() : this._overflowSeries;
    let node: Node = this._root;
    for (let i = 0; i < n - 1; i++) {
      const next = node.get(vals[i]!) as Node | undefined;
      if (next === undefined) {
        if (!create) return undefined;
        return this._create(vals);
      }
      node = next;
    }
    const found = node.get(vals[n - 1]!) as S | undefined;
    if (found !== undefined || !create) return found;
    return this._create(vals);
  }

  private _create(vals: readonly string[]): S {
    if (this._count >= this._rt.maxSeries) {
      if (this._touched !== null) this._sweep(this._rt.now());
      if (this._count >= this._rt.maxSeries) {
        this._rt.events.overflow(this.name);
        return this._overflow();
      }
    }
    const names = this.labelNames;
    let text = this._rt.defaultLabelText;
    for (let i = 0; i < names.length; i++) {
      if (text !== '') text += ',';
      text += `${names[i]}="${escapeLabelValue(vals[i]!)}"`;
    }
    // Flatten the rope `+=` built (reading a character does it; GC then drops the cons nodes):
    // measured 343 → 2xx heap bytes per counter series.
    text.charCodeAt(0);
    const s = this._add(text);
    this._link(vals, s);
    return s;
  }

  private _overflow(): S {
    if (this._overflowSeries === undefined || this._overflowSeries.idx < 0) {
      let text = this._rt.defaultLabelText;
      for (const name of this.labelNames) {
        if (text !== '') text += ',';
        text += `${name}="${OVERFLOW_LABEL_VALUE}"`;
      }
      this._overflowSeries = this._add(text);
    }
    return this._overflowSeries;
  }

  /** Appends a series slot, growing the slabs when full. */
  private _add(text: string): S {
    const idx = this._allocSlot();
    const s = this._newSeries(text, idx);
    this._series.push(s);
    return s;
  }

  /** Reserves the next slot (growing every slab when full) and stamps its creation time. */
  private _allocSlot(): number {
    const idx = this._series.length;
    if (idx >= this._capacity) {
      const cap = this._capacity * 2;
      this._capacity = cap;
      this._created = grow(this._created, cap);
      if (this._touched !== null) this._touched = growU8(this._touched, cap);
      if (this._lastSeen !== null) this._lastSeen = grow(this._lastSeen, cap);
      this._growSlabs(cap);
    }
    const now = this._rt.now();
    this._created[idx] = now / 1000;
    if (this._touched !== null) this._touched[idx] = 1;
    if (this._lastSeen !== null) this._lastSeen[idx] = now;
    return idx;
  }

  /** Inserts a series into the nested label maps under its normalised values. */
  private _link(vals: readonly string[], s: S): void {
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
    node.set(vals[last]!, s);
    this._count++;
  }

  // ---- removal, reset, TTL ---------------------------------------------------------------------

  /** Detaches a series from the table (swap-remove); its handle stays usable and revives on update. */
  private _detach(s: S): void {
    const idx = s.idx;
    if (idx < 0) return;
    const lastIdx = this._series.length - 1;
    if (idx !== lastIdx) {
      const moved = this._series[lastIdx]!;
      this._series[idx] = moved;
      moved.idx = idx;
      this._created[idx] = this._created[lastIdx]!;
      if (this._touched !== null) this._touched[idx] = this._touched[lastIdx]!;
      if (this._lastSeen !== null) this._lastSeen[idx] = this._lastSeen[lastIdx]!;
      this._moveSlot(lastIdx, idx);
    }
    this._zeroSlot(lastIdx);
    this._series.pop();
    s.idx = -1;
    if (s !== this._overflowSeries && s !== this._single) this._count--;
    this._released(s);
  }

  /** Clears data a series keeps outside the slabs (summaries keep their window on the series). */
  protected _released(_s: S): void {}

  private _unlink(s: S): void {
    const vals = s.values.slice(this._rt.defaultLabelNames.length);
    const path: Node[] = [];
    let node: Node = this._root;
    for (let i = 0; i < vals.length - 1; i++) {
      path.push(node);
      const next = node.get(vals[i]!) as Node | undefined;
      if (next === undefined) return;
      node = next;
    }
    if (node.get(vals[vals.length - 1]!) !== s) return;
    node.delete(vals[vals.length - 1]!);
    // Drop emptied intermediate maps so memory follows the live series.
    for (let i = path.length - 1; i >= 0 && node.size === 0; i--) {
      const parent = path[i]!;
      parent.delete(vals[i]!);
      node = parent;
    }
  }

  /** @internal The live series with the same labels as a removed handle, without creating one. */
  _live(s: S): S | undefined {
    if (s.idx >= 0) return s;
    if (s.text === this._overflowSeries?.text) return this._overflowSeries;
    return this._findValues(s.values.slice(this._rt.defaultLabelNames.length), false);
  }

  /**
   * @internal Called by a handle whose series was removed or evicted, on its next update.
   * Re-adds it (or returns the live series that now has its labels) so no update is lost.
   */
  _revive(s: S): S {
    if (s === this._single) {
      // A label-less metric's only series is never unlinked; reset keeps it in place.
      return s;
    }
    if (s.text === this._overflowSeries?.text) return this._overflow();
    const vals = s.values.slice(this._rt.defaultLabelNames.length);
    const live = this._findValues(vals, false);
    if (live !== undefined) return live;
    if (this._count >= this._rt.maxSeries) {
      this._rt.events.overflow(this.name);
      return this._overflow();
    }
    // Re-insert the same object so the handle becomes live again.
    s.idx = this._allocSlot();
    this._series.push(s);
    this._link(vals, s);
    return s;
  }

  /** @internal Evicts series not updated for the TTL. Runs at gather time and at the cap. */
  _sweep(nowMs: number): void {
    const touched = this._touched;
    const lastSeen = this._lastSeen;
    if (touched === null || lastSeen === null) return;
    const ttl = this._rt.ttlMs;
    for (let i = this._series.length - 1; i >= 0; i--) {
      if (touched[i] === 1) {
        touched[i] = 0;
        lastSeen[i] = nowMs;
      } else if (nowMs - lastSeen[i]! >= ttl) {
        const s = this._series[i]!;
        if (s === this._single) continue;
        if (s !== this._overflowSeries) this._unlink(s);
        this._detach(s);
      }
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
    const s = this._findValues(raw, false);
    if (s === undefined || s === this._single) return false;
    if (s !== this._overflowSeries) this._unlink(s);
    this._detach(s);
    return true;
  }

  /**
   * Removes every series (a label-less metric goes back to zero). Bound handles stay valid and
   * start again from zero on their next update.
   */
  reset(): void {
    for (let i = this._series.length - 1; i >= 0; i--) {
      const s = this._series[i]!;
      if (s === this._single) continue;
      if (s !== this._overflowSeries) this._unlink(s);
      this._detach(s);
    }
    if (this._single !== undefined) {
      this._zeroSlot(this._single.idx);
      this._released(this._single);
      this._created[this._single.idx] = this._rt.now() / 1000;
    }
  }

  /** @internal Hook for subclasses that keep data outside slabs. */
  protected _touch(i: number): void {
    this._touched![i] = 1;
  }
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

/**
 * Compiles the labels-object lookup for one metric's label names. V8 reads a constant property
 * name through an inline cache, while `labels[names[i]]` in a loop is a megamorphic keyed load:
 * measured here at 32 ns vs 52 ns for three labels and 100 combinations. Label names are
 * validated identifiers (`[a-zA-Z_][a-zA-Z0-9_]*`) and are embedded with `JSON.stringify`, so
 * the generated source cannot be injected into.
 *
 * A labels object with an extra key is rejected whenever the lookup takes the slow path (every
 * first use of a label set, and any miss). Checking for extra keys on every call costs a
 * `for…in` (20–40 ns measured), so that check runs on the fast path only when the registry is
 * `strict`; TypeScript's excess-property check catches the rest at compile time.
 */
export function compileFind<S>(
  names: readonly string[],
  root: Map<string, unknown>,
  slow: (labels: unknown) => S,
  checkExtra: boolean,
): (labels: unknown) => S {
  for (const n of names) {
    if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(n))
      throw new Error(`unreachable: unvalidated label name ${n}`);
  }
  let body =
    "if (typeof rec !== 'object' || rec === null) return slow(rec);\nlet v;\nlet n = root;\n";
  for (const name of names) {
    body += `v = rec[${JSON.stringify(name)}];\n`;
    body +=
      "if (typeof v !== 'string') { if (typeof v !== 'number') return slow(rec); v = '' + v; }\n";
    body += 'n = n.get(v);\nif (n === undefined) return slow(rec);\n';
  }
  if (checkExtra)
    body += `let k = 0;\nfor (const _ in rec) k++;\nif (k !== ${names.length}) return slow(rec);\n`;
  body += 'return n;';
  const factory = new Function('root', 'slow', `return function find(rec) {\n${body}\n};`) as (
    r: Map<string, unknown>,
    s: (labels: unknown) => S,
  ) => (labels: unknown) => S;
  return factory(root, slow);
}
