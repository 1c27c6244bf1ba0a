// defineMetrics: a validated, typed catalog, and its instruments bound to a registry with each bounded label checked against its allowed values.

import { fail } from '../internal/errors.js';
import type { LabelValue } from '../metrics/labels.js';
import { defaultRegistry, type Registry } from '../metrics/registry.js';
import type {
  Counter,
  CounterHandle,
  Gauge,
  GaugeHandle,
  Histogram,
  HistogramHandle,
  LabelNames,
  Summary,
  SummaryHandle,
} from '../metrics/types.js';
import type { CatalogEntry, CatalogLabelValues, CatalogSpec, EntrySpec } from './schema.js';
import { validateCatalog } from './validate.js';

/** Labels of an instrument whose entry's labels are not known to the compiler (a YAML catalog). */
type AnyLabels = Readonly<Record<string, LabelValue>>;

/** `(value?)` without labels, `(labels, value?)` with them, loose for an untyped catalog. */
type OptionalValueArgs<L, V> = string extends keyof L
  ? [labelsOrValue?: AnyLabels | V, value?: V]
  : [keyof L] extends [never]
    ? [value?: V]
    : [labels: L, value?: V];

/** `(value)` without labels, `(labels, value)` with them, loose for an untyped catalog. */
type ValueArgs<L, V> = string extends keyof L
  ? [labelsOrValue: AnyLabels | V, value?: V]
  : [keyof L] extends [never]
    ? [value: V]
    : [labels: L, value: V];

/** `()` without labels, `(labels)` with them, loose for an untyped catalog. */
type LabelArgs<L> = string extends keyof L
  ? [labels?: AnyLabels]
  : [keyof L] extends [never]
    ? []
    : [labels: L];

/** What every catalog instrument has. */
interface CatalogInstrumentBase<L> {
  /** The validated entry. */
  readonly entry: CatalogEntry;
  /**
   * Removes one series. Bound handles to it stay valid.
   * @returns whether the series existed.
   */
  remove(...labels: LabelArgs<L>): boolean;
  /** Removes every series (a label-less metric goes back to zero). */
  reset(): void;
}

/**
 * A catalog counter. Labels are given by name (`{ method: 'GET' }`); a bounded label's value
 * must be one of its allowed values, else the update throws `TT_LABEL_VALUE_NOT_ALLOWED` and
 * changes nothing. `labels(…)` checks once and returns the registry's cached handle, so updates
 * through it cost what a registry handle's do.
 */
export interface CatalogCounter<L = Record<never, never>> extends CatalogInstrumentBase<L> {
  /** The registry instrument (for `time()`, `instrumentMethods()`); it does not check values. */
  readonly metric: Counter<LabelNames>;
  /** Adds `value` (default 1). @throws TelltaleError as `Counter.inc`, and `TT_LABEL_VALUE_NOT_ALLOWED`. */
  inc(...args: OptionalValueArgs<L, number>): void;
  /** The cached bound handle for these labels, checked once. */
  labels(...labels: LabelArgs<L>): CounterHandle;
  /** The series' value, or `undefined` if it does not exist. */
  get(...labels: LabelArgs<L>): number | undefined;
}

/** A catalog gauge; labels are checked as in {@link CatalogCounter}. */
export interface CatalogGauge<L = Record<never, never>> extends CatalogInstrumentBase<L> {
  /** The registry instrument; it does not check values. */
  readonly metric: Gauge<LabelNames>;
  /** Sets the value (any number, NaN and ±Infinity included). */
  set(...args: ValueArgs<L, number>): void;
  /** Adds `value` (default 1). */
  inc(...args: OptionalValueArgs<L, number>): void;
  /** Subtracts `value` (default 1). */
  dec(...args: OptionalValueArgs<L, number>): void;
  /** The cached bound handle for these labels, checked once. */
  labels(...labels: LabelArgs<L>): GaugeHandle;
  /** The series' value, or `undefined` if it does not exist. */
  get(...labels: LabelArgs<L>): number | undefined;
}

/** A catalog histogram; labels are checked as in {@link CatalogCounter}. */
export interface CatalogHistogram<L = Record<never, never>> extends CatalogInstrumentBase<L> {
  /** The registry instrument; it does not check values. */
  readonly metric: Histogram<LabelNames>;
  /** Records one observation, in the entry's unit. */
  observe(...args: ValueArgs<L, number>): void;
  /** Starts a timer; the returned function observes the elapsed seconds and returns them. */
  startTimer(...labels: LabelArgs<L>): () => number;
  /** The cached bound handle for these labels, checked once. */
  labels(...labels: LabelArgs<L>): HistogramHandle;
}

/** A catalog summary; labels are checked as in {@link CatalogCounter}. */
export interface CatalogSummary<L = Record<never, never>> extends CatalogInstrumentBase<L> {
  /** The registry instrument; it does not check values. */
  readonly metric: Summary<LabelNames>;
  /** Records one observation, in the entry's unit. */
  observe(...args: ValueArgs<L, number>): void;
  /** Starts a timer; the returned function observes the elapsed seconds and returns them. */
  startTimer(...labels: LabelArgs<L>): () => number;
  /** The cached bound handle for these labels, checked once. */
  labels(...labels: LabelArgs<L>): SummaryHandle;
}

/** The instrument of one entry, by its type. */
export type CatalogInstrument<E> = E extends { readonly type: 'counter' }
  ? CatalogCounter<CatalogLabelValues<E>>
  : E extends { readonly type: 'gauge' }
    ? CatalogGauge<CatalogLabelValues<E>>
    : E extends { readonly type: 'histogram' }
      ? CatalogHistogram<CatalogLabelValues<E>>
      : E extends { readonly type: 'summary' }
        ? CatalogSummary<CatalogLabelValues<E>>
        : never;

/** A catalog's instruments, by entry key. */
export type CatalogInstruments<S> = { readonly [K in keyof S]: CatalogInstrument<S[K]> };

/** Options of {@link Catalog.bind}. */
export interface CatalogBindOptions {
  /** Where the instruments are registered. Default `defaultRegistry()`. */
  readonly registry?: Registry;
}

/** A validated catalog: its entries, and `bind()` to get its instruments. */
export interface Catalog<S = CatalogSpec> {
  /** The validated entries, in declaration order, frozen. */
  readonly entries: readonly CatalogEntry[];
  /**
   * Registers every entry in a registry (idempotently: binding twice gives instruments over the
   * same series) and returns the typed instruments by entry key.
   * @throws TelltaleError `TT_INVALID_OPTION` when the options are not an object or `registry`
   *   is not a registry; `TT_CONFLICTING_REGISTRATION` when the registry holds another spec
   *   under an entry's name.
   * @example
   * ```ts
   * const m = catalog.bind({ registry });
   * m.requests.inc({ method: 'GET' });
   * ```
   */
  bind(options?: CatalogBindOptions): CatalogInstruments<S>;
}

/** A bounded label, resolved for the update path: its name and the allowed values as a Set. */
interface Bounded {
  readonly name: string;
  readonly allowed: ReadonlySet<string>;
  readonly list: readonly string[];
}

/** Per-instrument state of the label check, resolved once at bind time. */
interface Check {
  readonly metric: string;
  readonly key: string;
  /** Whether the entry declares labels (then the first argument must be a labels object). */
  readonly labelled: boolean;
  readonly bounded: readonly Bounded[];
}

function resolveCheck(entry: CatalogEntry): Check {
  const bounded: Bounded[] = [];
  for (const l of entry.labels) {
    if (l.values !== undefined) {
      bounded.push({ name: l.name, allowed: new Set(l.values), list: l.values });
    }
  }
  return { metric: entry.name, key: entry.key, labelled: entry.labels.length > 0, bounded };
}

function notAllowed(c: Check, b: Bounded, v: unknown): never {
  const shown = b.list.length > 10 ? `${b.list.slice(0, 10).join(', ')}, …` : b.list.join(', ');
  fail(
    'TT_LABEL_VALUE_NOT_ALLOWED',
    `metric "${c.metric}": label "${b.name}" got ${JSON.stringify(v)}, which is not one of its allowed values (${shown}); record an allowed value, or add this one to catalog entry "${c.key}"`,
  );
}

function notLabels(c: Check, v: unknown): never {
  fail(
    'TT_INVALID_OPTION',
    `metric "${c.metric}": labels must be an object such as { ${c.bounded[0]?.name ?? 'label'}: … } (catalog instruments take labels by name), got ${v === null ? 'null' : typeof v}`,
  );
}

/**
 * Refuses a labels object whose bounded label holds a value outside its set. A missing value is
 * left to the registry, which names it (`TT_MISSING_LABEL`). One Set lookup per bounded label:
 * numbers are looked up as their string only when the string lookup missed.
 */
function check(c: Check, labels: unknown): void {
  if (typeof labels !== 'object' || labels === null) notLabels(c, labels);
  const bounded = c.bounded;
  for (let i = 0; i < bounded.length; i++) {
    const b = bounded[i]!;
    const v = (labels as Record<string, unknown>)[b.name];
    if (v === undefined || b.allowed.has(v as string)) continue;
    if (typeof v === 'number' && b.allowed.has(String(v))) continue;
    notAllowed(c, b, v);
  }
}

type Untyped = (...args: unknown[]) => never;

/** The update and read methods every type shares, forwarding to the registry instrument. */
class Base {
  readonly entry: CatalogEntry;
  readonly metric: Methods;
  /** @internal */
  readonly _c: Check;
  constructor(entry: CatalogEntry, metric: Methods) {
    this.entry = entry;
    this.metric = metric;
    this._c = resolveCheck(entry);
  }
  remove(...args: unknown[]): boolean {
    if (this._c.labelled) check(this._c, args[0]);
    return this.metric.remove(...args);
  }
  reset(): void {
    this.metric.reset();
  }
  labels(...args: unknown[]): never {
    if (this._c.labelled) check(this._c, args[0]);
    return this.metric.labels(...args);
  }
}

interface Methods {
  name: string;
  remove: Untyped;
  reset(): void;
  labels: Untyped;
  inc: Untyped;
  dec: Untyped;
  set: Untyped;
  get: Untyped;
  observe: Untyped;
  startTimer: Untyped;
}

class CounterEntry extends Base {
  inc(a?: unknown, b?: unknown): void {
    if (this._c.labelled) check(this._c, a);
    this.metric.inc(a, b);
  }
  get(...args: unknown[]): number | undefined {
    if (this._c.labelled) check(this._c, args[0]);
    return this.metric.get(...args);
  }
}

class GaugeEntry extends CounterEntry {
  set(a: unknown, b?: unknown): void {
    if (this._c.labelled) check(this._c, a);
    this.metric.set(a, b);
  }
  dec(a?: unknown, b?: unknown): void {
    if (this._c.labelled) check(this._c, a);
    this.metric.dec(a, b);
  }
}

class ObservedEntry extends Base {
  observe(a: unknown, b?: unknown): void {
    if (this._c.labelled) check(this._c, a);
    this.metric.observe(a, b);
  }
  startTimer(...args: unknown[]): () => number {
    if (this._c.labelled) check(this._c, args[0]);
    return this.metric.startTimer(...args);
  }
}

function register(registry: Registry, e: CatalogEntry): object {
  const labelNames = e.labels.map((l) => l.name);
  const base = { name: e.name, help: e.help, unit: e.unit, labelNames };
  switch (e.type) {
    case 'counter':
      return new CounterEntry(e, registry.counter(base) as unknown as Methods);
    case 'gauge':
      return new GaugeEntry(e, registry.gauge(base) as unknown as Methods);
    case 'histogram': {
      const h = registry.histogram({
        ...base,
        ...(e.buckets.length > 0 || e.native === undefined ? { buckets: e.buckets } : {}),
        ...(e.native === undefined ? {} : { native: e.native }),
      });
      return new ObservedEntry(e, h as unknown as Methods);
    }
    case 'summary': {
      const s = registry.summary({
        ...base,
        quantiles: e.quantiles,
        maxAgeSeconds: e.maxAgeSeconds,
        ageBuckets: e.ageBuckets,
      });
      return new ObservedEntry(e, s as unknown as Methods);
    }
  }
}

class CatalogImpl<S> implements Catalog<S> {
  readonly entries: readonly CatalogEntry[];
  constructor(entries: readonly CatalogEntry[]) {
    this.entries = entries;
  }
  bind(options: CatalogBindOptions = {}): CatalogInstruments<S> {
    if (typeof options !== 'object' || options === null) {
      fail('TT_INVALID_OPTION', 'catalog.bind: options must be an object such as { registry }');
    }
    const registry = options.registry ?? defaultRegistry();
    if (typeof (registry as { counter?: unknown }).counter !== 'function') {
      fail('TT_INVALID_OPTION', 'catalog.bind: registry must be a telltale registry');
    }
    const out: Record<string, object> = {};
    for (const e of this.entries) out[e.key] = register(registry, e);
    return Object.freeze(out) as CatalogInstruments<S>;
  }
}

/** @internal Makes a catalog of validated entries (the YAML loader's way in). */
export function catalogOf(entries: readonly CatalogEntry[]): Catalog {
  return new CatalogImpl<CatalogSpec>(entries);
}

/**
 * Defines a typed metric catalog: one entry per metric, by key, each with its name, type, help,
 * unit, labels (a bounded label lists its allowed values, and its value type becomes their
 * union), buckets or native settings, objectives and dashboard hints. Validates every entry at
 * once; nothing is registered until `bind()`. See docs/catalog.md.
 *
 * @throws TelltaleError naming the entry and the field: `TT_INVALID_METRIC_NAME`,
 *   `TT_INVALID_LABEL_NAME`, `TT_RESERVED_LABEL`, `TT_INVALID_HELP`, `TT_INVALID_UNIT`,
 *   `TT_INVALID_BUCKETS`, `TT_INVALID_QUANTILES`, `TT_INVALID_OPTION` (native options), and
 *   `TT_INVALID_CATALOG` for the rest (an unknown key, a bounded label without values, an SLO
 *   that does not fit the entry, two entries with one name).
 * @example
 * ```ts
 * const catalog = defineMetrics({
 *   requests: {
 *     name: 'http_requests_total', type: 'counter', help: 'HTTP requests handled.',
 *     labels: { method: { values: ['GET', 'POST'] }, route: {} },
 *   },
 * });
 * const m = catalog.bind({ registry });
 * m.requests.inc({ method: 'GET', route: '/users/:id' });
 * m.requests.inc({ method: 'PATCH', route: '/' }); // compile error, and TT_LABEL_VALUE_NOT_ALLOWED
 * ```
 */
export function defineMetrics<const S extends Readonly<Record<string, EntrySpec>>>(
  spec: S,
): Catalog<S> {
  return new CatalogImpl<S>(validateCatalog(spec));
}
