// Registries: explicit, idempotent registration; default labels, prefix and bounds; gather with bounded collect callbacks.

import { type Clock, systemClock } from '../internal/clock.js';
import { fail, TelltaleError, warnOnce } from '../internal/errors.js';
import { ExemplarSlot } from '../internal/exemplar-source.js';
import type { MinimalLogger } from '../internal/logger.js';
import { checkOptionKeys } from '../internal/option-keys.js';
import { raceTimeout, TIMED_OUT } from '../internal/timeout.js';
import '../internal/well-formed.js';
import { DEFAULT_BUCKETS, validateBuckets } from './buckets.js';
import { CounterImpl } from './counter.js';
import { GaugeImpl } from './gauge.js';
import { HistogramImpl } from './histogram.js';
import { InfoImpl, StateSetImpl } from './info.js';
import type { LongLabelValuePolicy, PiiKind } from './labels.js';
import { LookupPool } from './lookup.js';
import {
  type AnyMetric,
  type MetricEvents,
  type MetricRuntime,
  type MetricSpec,
  RecordMakers,
} from './metric.js';
import type { Gatherer, GatherSelection, MetricFamily, MetricType } from './model.js';
import {
  enforceNaming,
  gatherNames,
  sampleNames,
  validateLabelNames,
  validateMetricName,
  validateUnit,
} from './names.js';
import { type NativeHistogramOptions, resolveNativeOptions } from './native.js';
import { type Snapshot, snapshotOf } from './snapshot.js';
import { SummaryImpl } from './summary.js';
import type {
  AnyInstrument,
  Counter,
  Gauge,
  Histogram,
  Info,
  LabelNames,
  StateSet,
  Summary,
} from './types.js';

/** Bounds shared by registries and metrics; a metric's own setting wins over its registry's. */
export interface BoundsOptions {
  /** Most series per metric before new label sets fold into the overflow series. Default 1,000. */
  readonly maxSeries?: number;
  /** Longest label value, in UTF-16 code units. Default 64. */
  readonly maxLabelValueLength?: number;
  /** What a longer value gets: `'truncate'` (default; counted and warned once) or `'throw'`. */
  readonly onLongLabelValue?: LongLabelValuePolicy;
  /** Replace label values that look like UUIDs, emails or IP addresses with `[redacted]`. Default false. */
  readonly piiGuard?: boolean;
  /**
   * Evict series not updated for this many seconds. Checked at every gather of the metric, and
   * when a new label set arrives at the series cap, at most once per second (or per TTL, if
   * shorter), so the freed room can take it. Default: never.
   */
  readonly seriesTtlSeconds?: number;
}

/** Options of {@link createRegistry}. */
export interface RegistryOptions extends BoundsOptions {
  /** Prepended to every metric name, for the `{service}_{subsystem}_` convention. Default `''`. */
  readonly prefix?: string;
  /** Labels added to every series, such as `{ service: 'shop', instance: 'a1' }`. */
  readonly defaultLabels?: Readonly<Record<string, string>>;
  /**
   * Strict mode: naming-convention findings throw `TT_NAMING_RULE` instead of warning once, and
   * every labels object is checked for undeclared keys on every update (about 20–40 ns more per
   * update; without it, undeclared keys are caught on each label set's first use). Default false.
   */
  readonly strict?: boolean;
  /** Timeout for each async collect callback, in ms. Default 5,000. */
  readonly collectTimeoutMs?: number;
  /**
   * The longest `gather()` reads series before it yields to the event loop, in ms. A gather reads
   * series in slices (of 256), checks the clock between slices, and waits for the next event-loop
   * turn once this much time has passed, so a scrape of a million series never blocks the loop for
   * much longer than this. `0` yields after every slice. Default 4. `gatherSync()` never yields.
   */
  readonly gatherSliceMs?: number;
  /**
   * The time now, in milliseconds since the epoch: a `Clock`'s `now` (pass `() => clock.now()`
   * to share a test's fake clock). Read for created timestamps, exemplar timestamps, idle-series
   * TTLs and native histogram resets. Default `Date.now`.
   */
  readonly now?: Clock['now'];
  /** Where collect failures are logged (`error`, once per metric). Default: a process warning. */
  readonly logger?: Pick<MinimalLogger, 'warn' | 'error'>;
}

/** Every key of {@link RegistryOptions}: `createRegistry` refuses any other. */
const REGISTRY_OPTIONS = [
  'maxSeries',
  'maxLabelValueLength',
  'onLongLabelValue',
  'piiGuard',
  'seriesTtlSeconds',
  'prefix',
  'defaultLabels',
  'strict',
  'collectTimeoutMs',
  'gatherSliceMs',
  'now',
  'logger',
] as const;

/** Options every instrument takes. */
export interface MetricOptions<N extends LabelNames> extends BoundsOptions {
  /** The metric name. A counter's `_total` suffix (and an info's `_info`) is optional. */
  readonly name: string;
  /**
   * What it measures, in one sentence. Required (promtool lints a missing one). Exposed as given,
   * escaped, except that leading and trailing whitespace is trimmed (the text format cannot carry
   * leading blanks, and parsers that strip lines or read `\r\n` as a line end drop trailing
   * ones) and lone surrogates become U+FFFD, so every format and parser reads the same text.
   */
  readonly help: string;
  /** Label names, typed as literals so a wrong label is a compile error. */
  readonly labelNames?: N;
  /** OpenMetrics unit; the name must end with `_<unit>`. */
  readonly unit?: string;
}

/** Options of {@link Registry.counter}. */
export interface CounterOptions<N extends LabelNames> extends MetricOptions<N> {
  /** Called at gather time to update the counter; may be async (then runs under the collect timeout). */
  readonly collect?: (counter: Counter<N>) => void | Promise<void>;
}
/** Options of {@link Registry.gauge}. */
export interface GaugeOptions<N extends LabelNames> extends MetricOptions<N> {
  /** Called at gather time to set the gauge; may be async (then runs under the collect timeout). */
  readonly collect?: (gauge: Gauge<N>) => void | Promise<void>;
}
/** Options of {@link Registry.histogram}. */
export interface HistogramOptions<N extends LabelNames> extends MetricOptions<N> {
  /**
   * Finite, ascending upper bounds. Default {@link DEFAULT_BUCKETS} (5 ms to 10 s), or none when
   * `native` is given: give both for classic and native buckets side by side.
   */
  readonly buckets?: readonly number[];
  /**
   * Native (sparse exponential) buckets, `{}` for the defaults. Alone, the histogram is native-only
   * (text and OpenMetrics show its count, sum and a `+Inf` bucket); with `buckets`, it has both.
   * See docs/metrics.md, "Native histograms".
   */
  readonly native?: NativeHistogramOptions;
}
/** Options of {@link Registry.summary}. */
export interface SummaryOptions<N extends LabelNames> extends MetricOptions<N> {
  /** Quantile ranks in [0, 1]. Default `[0.5, 0.9, 0.99]`. */
  readonly quantiles?: readonly number[];
  /** Length of the sliding window, in seconds. Default 600. */
  readonly maxAgeSeconds?: number;
  /** How many buckets the window rotates through. Default 5. */
  readonly ageBuckets?: number;
}
/** Options of {@link Registry.stateSet}. */
export interface StateSetOptions<N extends LabelNames, S extends string> extends MetricOptions<N> {
  /** The state names. */
  readonly states: readonly S[];
}

/** A registry: creates instruments and gathers them. */
export interface Registry extends Gatherer {
  /** Creates (or returns the identical existing) counter. @throws TelltaleError on a bad or conflicting spec. */
  counter<const N extends LabelNames = readonly []>(options: CounterOptions<N>): Counter<N>;
  /** Creates (or returns the identical existing) gauge. */
  gauge<const N extends LabelNames = readonly []>(options: GaugeOptions<N>): Gauge<N>;
  /** Creates (or returns the identical existing) histogram. */
  histogram<const N extends LabelNames = readonly []>(options: HistogramOptions<N>): Histogram<N>;
  /** Creates (or returns the identical existing) summary. */
  summary<const N extends LabelNames = readonly []>(options: SummaryOptions<N>): Summary<N>;
  /** Creates (or returns the identical existing) info metric. */
  info<const N extends LabelNames = readonly []>(options: MetricOptions<N>): Info<N>;
  /** Creates (or returns the identical existing) stateset. */
  stateSet<const N extends LabelNames = readonly [], const S extends string = string>(
    options: StateSetOptions<N, S>,
  ): StateSet<N, S>;
  /** The instrument with this exposed family name (or declared name), if registered. */
  get(name: string): AnyInstrument | undefined;
  /** Unregisters a metric. Returns whether it existed. */
  unregister(name: string): boolean;
  /** Unregisters every metric. */
  clear(): void;
  /** Every registered instrument, sorted by name. */
  instruments(): AnyInstrument[];
  /**
   * Gathers every family, or only those `names` selects (any iterable of strings: an array, a
   * Set), running collect callbacks, each under `collectTimeoutMs`. Families are sorted by name.
   * A failing callback drops only its own family. Rejects with `TT_INVALID_OPTION` when `names`
   * is not an iterable of strings.
   * @example
   * ```ts
   * const families = await registry.gather({ names: ['http_requests_total'] });
   * ```
   */
  gather(options?: GatherSelection): Promise<MetricFamily[]>;
  /**
   * Gathers synchronously. Collect callbacks run, but a callback that returns a promise is not
   * awaited (its family shows the values it has now). Prefer {@link Registry.gather}.
   * @throws TelltaleError `TT_INVALID_OPTION` when `names` is not an iterable of strings.
   */
  gatherSync(options?: GatherSelection): MetricFamily[];
  /**
   * Every family as gathered (the same {@link MetricFamily} data `gather()` gives), keyed by
   * family name (a counter's without `_total`): plain data, frozen, consistent per series. Runs
   * no collect callbacks and no idle-series sweep, so it is synchronous and cheap enough for a
   * heartbeat. Read a point's labels with `labelsOf`.
   * @example
   * ```ts
   * const fam = registry.snapshot()['jobs'];
   * const total = fam?.type === 'counter' ? fam.points.reduce((a, p) => a + p.value, 0) : 0;
   * ```
   */
  snapshot(): Snapshot;
}

const DEFAULT_MAX_SERIES = 1000;

/**
 * Label names of telltale's own metrics (series overflow, truncation, PII, collect errors, scrape
 * self-metrics). A default label with one of these names would give those series a duplicate
 * label, so it is refused.
 */
const SELF_METRIC_LABELS: readonly string[] = [
  'metric',
  'kind',
  'format',
  'reason',
  'check',
  'task',
  'outcome',
  'phase',
  'hook',
];
const DEFAULT_MAX_LABEL_LENGTH = 64;
const DEFAULT_COLLECT_TIMEOUT_MS = 5000;

function positiveInt(what: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
    fail('TT_INVALID_OPTION', `${what} must be an integer ≥ 1, got ${String(v)}`);
  }
  return v;
}

function nonNegativeNumber(what: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
    fail('TT_INVALID_OPTION', `${what} must be a finite number >= 0, got ${String(v)}`);
  }
  return v;
}

function positiveNumber(what: string, v: unknown): number {
  if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v)) {
    fail('TT_INVALID_OPTION', `${what} must be a finite number > 0, got ${String(v)}`);
  }
  return v;
}

interface ResolvedBounds {
  maxSeries: number;
  maxLabelValueLength: number;
  onLongLabelValue: LongLabelValuePolicy;
  piiGuard: boolean;
  ttlMs: number;
}

function resolveBounds(where: string, o: BoundsOptions, base: ResolvedBounds): ResolvedBounds {
  const out = { ...base };
  if (o.maxSeries !== undefined) out.maxSeries = positiveInt(`${where}: maxSeries`, o.maxSeries);
  if (o.maxLabelValueLength !== undefined) {
    out.maxLabelValueLength = positiveInt(`${where}: maxLabelValueLength`, o.maxLabelValueLength);
  }
  if (o.onLongLabelValue !== undefined) {
    if (o.onLongLabelValue !== 'truncate' && o.onLongLabelValue !== 'throw') {
      fail('TT_INVALID_OPTION', `${where}: onLongLabelValue must be "truncate" or "throw"`);
    }
    out.onLongLabelValue = o.onLongLabelValue;
  }
  if (o.piiGuard !== undefined) {
    if (typeof o.piiGuard !== 'boolean')
      fail('TT_INVALID_OPTION', `${where}: piiGuard must be a boolean`);
    out.piiGuard = o.piiGuard;
  }
  if (o.seriesTtlSeconds !== undefined) {
    out.ttlMs = positiveNumber(`${where}: seriesTtlSeconds`, o.seriesTtlSeconds) * 1000;
  }
  return out;
}

type Impl = AnyMetric &
  AnyInstrument & { _collect?: ((m: never) => void | Promise<void>) | undefined };

interface Entry {
  readonly metric: Impl;
  /** A string that is equal for identical specs. */
  readonly specKey: string;
}

/** @internal The registry implementation. */
class RegistryImpl implements Registry {
  private readonly _entries = new Map<string, Entry>();
  private readonly _samples = new Map<string, string>();
  private _sorted: Entry[] | null = null;
  private readonly _prefix: string;
  private readonly _strict: boolean;
  private readonly _collectTimeoutMs: number;
  private readonly _sliceMs: number;
  private readonly _now: Clock['now'];
  private readonly _logger: Pick<MinimalLogger, 'warn' | 'error'> | undefined;
  private readonly _bounds: ResolvedBounds;
  private readonly _defaultNames: readonly string[];
  private readonly _defaultValues: readonly string[];
  private readonly _events: MetricEvents;
  private readonly _selfEvents: MetricEvents;
  /** Labels-object lookup copies, handed out per label-name tuple ([ADR 0003](../../docs/adr/0003-series-storage-and-lookups.md)). */
  private readonly _lookups = new LookupPool();
  /** @internal This registry's exemplar hook, shared by its metrics (see {@link exemplarSlotOf}). */
  readonly _exemplarSlot = new ExemplarSlot();
  /** Label set makers, one per label-name tuple (see `RecordMakers`). */
  private readonly _records = new RecordMakers();
  private _self: {
    overflow?: Counter<readonly ['metric']>;
    truncated?: Counter<readonly ['metric']>;
    pii?: Counter<readonly ['metric', 'kind']>;
    collectErrors?: Counter<readonly ['metric']>;
  } = {};

  constructor(options: RegistryOptions = {}) {
    if (typeof options !== 'object' || options === null)
      fail('TT_INVALID_OPTION', 'createRegistry: options must be an object');
    checkOptionKeys('createRegistry', options, REGISTRY_OPTIONS);
    const prefix = options.prefix ?? '';
    if (
      typeof prefix !== 'string' ||
      (prefix !== '' && !/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(prefix))
    ) {
      fail(
        'TT_INVALID_OPTION',
        `createRegistry: prefix ${JSON.stringify(prefix)} must be a valid metric-name start, like "shop_"`,
      );
    }
    this._prefix = prefix;
    this._strict = options.strict ?? false;
    this._collectTimeoutMs =
      options.collectTimeoutMs === undefined
        ? DEFAULT_COLLECT_TIMEOUT_MS
        : positiveNumber('createRegistry: collectTimeoutMs', options.collectTimeoutMs);
    this._sliceMs =
      options.gatherSliceMs === undefined
        ? DEFAULT_GATHER_SLICE_MS
        : nonNegativeNumber('createRegistry: gatherSliceMs', options.gatherSliceMs);
    if (options.now !== undefined && typeof options.now !== 'function') {
      fail('TT_INVALID_OPTION', 'createRegistry: now must be a function returning milliseconds');
    }
    this._now = options.now ?? systemClock.now;
    this._logger = options.logger;
    this._bounds = resolveBounds('createRegistry', options, {
      maxSeries: DEFAULT_MAX_SERIES,
      maxLabelValueLength: DEFAULT_MAX_LABEL_LENGTH,
      onLongLabelValue: 'truncate',
      piiGuard: false,
      ttlMs: 0,
    });
    const defaults = options.defaultLabels ?? {};
    const names = Object.keys(defaults);
    validateLabelNames('default labels', 'gauge', names, SELF_METRIC_LABELS);
    const values: string[] = [];
    for (const n of names) {
      const v = defaults[n];
      if (typeof v !== 'string')
        fail('TT_INVALID_OPTION', `createRegistry: default label "${n}" must be a string`);
      const w = v.toWellFormed();
      values.push(w);
    }
    this._defaultNames = names;
    this._defaultValues = values;
    this._events = {
      overflow: (metric) => this._selfCounter('overflow').inc({ metric }),
      truncated: (metric) => this._selfCounter('truncated').inc({ metric }),
      pii: (metric: string, kind: PiiKind) => this._piiCounter().inc({ metric, kind }),
    };
    // Self-metrics must not report on themselves (that could recurse).
    this._selfEvents = { overflow() {}, truncated() {}, pii() {} };
  }

  // ---- self-metrics --------------------------------------------------------------------------

  private _selfCounter(
    kind: 'overflow' | 'truncated' | 'collectErrors',
  ): Counter<readonly ['metric']> {
    let c = this._self[kind];
    if (c === undefined) {
      const spec = {
        overflow: [
          'telltale_series_overflow',
          "Label sets folded into a metric's overflow series because it reached its series cap.",
        ],
        truncated: [
          'telltale_label_values_truncated',
          'Label values truncated to the maximum label-value length.',
        ],
        collectErrors: [
          'telltale_collect_errors',
          'Collect callbacks that failed or timed out; the family was left out of that gather.',
        ],
      }[kind];
      c = this._registerSelf(
        new CounterImpl(
          { name: spec[0]!, help: spec[1]!, unit: '', labelNames: ['metric'] as const },
          this._selfRuntime(),
        ) as unknown as Impl,
      ) as unknown as Counter<readonly ['metric']>;
      this._self[kind] = c;
    }
    return c;
  }

  private _piiCounter(): Counter<readonly ['metric', 'kind']> {
    let c = this._self.pii;
    if (c === undefined) {
      c = this._registerSelf(
        new CounterImpl(
          {
            name: 'telltale_pii_rejected',
            help: 'Label values the PII guard replaced because they looked like a UUID, an email or an IP address.',
            unit: '',
            labelNames: ['metric', 'kind'] as const,
          },
          this._selfRuntime(),
        ) as unknown as Impl,
      ) as unknown as Counter<readonly ['metric', 'kind']>;
      this._self.pii = c;
    }
    return c;
  }

  private _selfRuntime(): MetricRuntime {
    return {
      now: this._now,
      maxSeries: 10_000,
      maxLabelValueLength: 256,
      onLongLabelValue: 'truncate',
      piiGuard: false,
      ttlMs: 0,
      defaultLabelNames: this._defaultNames,
      defaultLabelValues: this._defaultValues,
      events: this._selfEvents,
      checkExtraLabels: false,
      lookups: this._lookups,
      exemplars: this._exemplarSlot,
      records: this._records,
    };
  }

  private _registerSelf(m: Impl): Impl {
    const existing = this._entries.get(m.name);
    if (existing !== undefined) return existing.metric;
    this._entries.set(m.name, { metric: m, specKey: `self:${m.name}` });
    for (const s of sampleNames(m.type, m.name)) this._samples.set(s, m.name);
    this._sorted = null;
    return m;
  }

  // ---- registration --------------------------------------------------------------------------

  private _register<M extends Impl>(
    type: MetricType,
    options: MetricOptions<LabelNames>,
    extraKey: string,
    reservedLabels: readonly string[],
    build: (spec: MetricSpec<LabelNames>, rt: MetricRuntime) => M,
  ): M {
    if (typeof options !== 'object' || options === null) {
      fail(
        'TT_INVALID_OPTION',
        `registry.${type === 'stateset' ? 'stateSet' : type}(): options must be an object with name and help`,
      );
    }
    const declared = options.name;
    validateMetricName(declared);
    const full = this._prefix + declared;
    validateMetricName(full);
    let name = full;
    if (type === 'counter' && name.endsWith('_total')) name = name.slice(0, -'_total'.length);
    if (type === 'info' && name.endsWith('_info')) name = name.slice(0, -'_info'.length);
    validateMetricName(name);
    const help = typeof options.help === 'string' ? normalizeHelp(options.help) : '';
    if (help === '') {
      fail(
        'TT_INVALID_HELP',
        `metric "${full}": help must be a non-empty string describing what it measures`,
      );
    }
    const unit = options.unit ?? '';
    if (typeof unit !== 'string')
      fail('TT_INVALID_UNIT', `metric "${full}": unit must be a string`);
    validateUnit(name, unit);
    const labelNames = options.labelNames ?? [];
    if (!Array.isArray(labelNames))
      fail('TT_INVALID_LABEL_NAME', `metric "${full}": labelNames must be an array of strings`);
    validateLabelNames(full, type, labelNames, [...this._defaultNames, ...reservedLabels]);
    // The registry's default labels become this metric's labels too, so they must not be a name
    // this type reserves (`le` on a histogram, `quantile` on a summary, a stateset's own name).
    validateLabelNames(full, type, this._defaultNames, reservedLabels);

    const bounds = resolveBounds(`metric "${full}"`, options, this._bounds);
    const specKey = JSON.stringify([type, help, unit, labelNames, extraKey]);
    const existing = this._entries.get(name);
    if (existing !== undefined) {
      if (existing.specKey === specKey) return existing.metric as M;
      fail(
        'TT_CONFLICTING_REGISTRATION',
        `metric "${full}" is already registered with a different spec (${describeDiff(existing, type, help, labelNames, unit)}); use the same spec, or another name`,
      );
    }
    for (const s of sampleNames(type, name)) {
      const owner = this._samples.get(s);
      if (owner !== undefined && owner !== name) {
        fail(
          'TT_CONFLICTING_REGISTRATION',
          `metric "${full}" would expose "${s}", which metric "${owner}" already exposes; rename one of them`,
        );
      }
    }
    enforceNaming(name, type, full, this._strict);

    const rt: MetricRuntime = {
      now: this._now,
      maxSeries: bounds.maxSeries,
      maxLabelValueLength: bounds.maxLabelValueLength,
      onLongLabelValue: bounds.onLongLabelValue,
      piiGuard: bounds.piiGuard,
      ttlMs: bounds.ttlMs,
      defaultLabelNames: this._defaultNames,
      defaultLabelValues: this._defaultValues,
      events: this._events,
      checkExtraLabels: this._strict,
      lookups: this._lookups,
      exemplars: this._exemplarSlot,
      records: this._records,
    };
    const metric = build({ name, help, unit, labelNames: Object.freeze([...labelNames]) }, rt);
    this._entries.set(name, { metric, specKey });
    for (const s of sampleNames(type, name)) this._samples.set(s, name);
    this._sorted = null;
    return metric;
  }

  counter<const N extends LabelNames = readonly []>(o: CounterOptions<N>): Counter<N> {
    const collect = checkCollect(o);
    return this._register(
      'counter',
      o,
      '',
      [],
      (spec, rt) => new CounterImpl({ ...spec, collect: collect as never }, rt) as never,
    ) as unknown as Counter<N>;
  }

  gauge<const N extends LabelNames = readonly []>(o: GaugeOptions<N>): Gauge<N> {
    const collect = checkCollect(o);
    return this._register(
      'gauge',
      o,
      '',
      [],
      (spec, rt) => new GaugeImpl({ ...spec, collect: collect as never }, rt) as never,
    ) as unknown as Gauge<N>;
  }

  histogram<const N extends LabelNames = readonly []>(o: HistogramOptions<N>): Histogram<N> {
    const full = this._prefix + String(o?.name);
    const native =
      o?.native === undefined ? undefined : resolveNativeOptions(`histogram "${full}"`, o.native);
    // Native-only unless buckets are given too (client_golang: no default buckets with native).
    const buckets =
      native !== undefined && o.buckets === undefined
        ? []
        : validateBuckets(full, o?.buckets ?? DEFAULT_BUCKETS);
    return this._register(
      'histogram',
      o,
      JSON.stringify(native === undefined ? buckets : [buckets, native]),
      [],
      (spec, rt) => new HistogramImpl({ ...spec, buckets, native }, rt) as never,
    ) as unknown as Histogram<N>;
  }

  summary<const N extends LabelNames = readonly []>(o: SummaryOptions<N>): Summary<N> {
    const where = `summary "${this._prefix}${String(o?.name)}"`;
    const quantiles = o?.quantiles ?? [0.5, 0.9, 0.99];
    if (!Array.isArray(quantiles) || quantiles.length === 0) {
      fail(
        'TT_INVALID_QUANTILES',
        `${where}: quantiles must be a non-empty array of ranks in [0, 1]`,
      );
    }
    for (let i = 0; i < quantiles.length; i++) {
      const q = quantiles[i];
      if (typeof q !== 'number' || !(q >= 0 && q <= 1) || (i > 0 && q <= quantiles[i - 1]!)) {
        fail(
          'TT_INVALID_QUANTILES',
          `${where}: quantiles must be ascending ranks in [0, 1] without duplicates; got ${JSON.stringify(quantiles)}`,
        );
      }
    }
    const maxAgeSeconds =
      o?.maxAgeSeconds === undefined
        ? 600
        : positiveNumber(`${where}: maxAgeSeconds`, o.maxAgeSeconds);
    const ageBuckets =
      o?.ageBuckets === undefined ? 5 : positiveInt(`${where}: ageBuckets`, o.ageBuckets);
    return this._register(
      'summary',
      o,
      JSON.stringify([quantiles, maxAgeSeconds, ageBuckets]),
      [],
      (spec, rt) => new SummaryImpl({ ...spec, quantiles, maxAgeSeconds, ageBuckets }, rt) as never,
    ) as unknown as Summary<N>;
  }

  info<const N extends LabelNames = readonly []>(o: MetricOptions<N>): Info<N> {
    return this._register(
      'info',
      o,
      '',
      [],
      (spec, rt) => new InfoImpl(spec, rt) as never,
    ) as unknown as Info<N>;
  }

  stateSet<const N extends LabelNames = readonly [], const S extends string = string>(
    o: StateSetOptions<N, S>,
  ): StateSet<N, S> {
    if (typeof o !== 'object' || o === null) {
      fail(
        'TT_INVALID_OPTION',
        'registry.stateSet(): options must be an object with name and help',
      );
    }
    const full = this._prefix + String(o.name);
    const states = o.states;
    if (!Array.isArray(states) || states.length === 0) {
      fail('TT_INVALID_STATE', `stateset "${full}": states must be a non-empty array of strings`);
    }
    const seen = new Set<string>();
    for (const s of states) {
      if (typeof s !== 'string' || s === '' || seen.has(s)) {
        fail(
          'TT_INVALID_STATE',
          `stateset "${full}": states must be distinct, non-empty strings; got ${JSON.stringify(s)}`,
        );
      }
      seen.add(s);
    }
    if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(full)) {
      fail(
        'TT_INVALID_METRIC_NAME',
        `stateset "${full}": the name is also the state label's name, so it must be a valid label name (no ":")`,
      );
    }
    return this._register(
      'stateset',
      o,
      JSON.stringify(states),
      [full],
      (spec, rt) => new StateSetImpl({ ...spec, states }, rt) as never,
    ) as unknown as StateSet<N, S>;
  }

  get(name: string): AnyInstrument | undefined {
    const direct = this._entries.get(name) ?? this._entries.get(this._prefix + name);
    if (direct !== undefined) return direct.metric;
    const owner = this._samples.get(name) ?? this._samples.get(this._prefix + name);
    return owner === undefined ? undefined : this._entries.get(owner)?.metric;
  }

  unregister(name: string): boolean {
    const m = this.get(name) as Impl | undefined;
    if (m === undefined) return false;
    this._entries.delete(m.name);
    for (const s of sampleNames(m.type, m.name)) this._samples.delete(s);
    for (const k of Object.keys(this._self) as (keyof typeof this._self)[]) {
      if ((this._self[k] as unknown) === m) delete this._self[k];
    }
    this._sorted = null;
    return true;
  }

  clear(): void {
    this._entries.clear();
    this._samples.clear();
    this._self = {};
    this._sorted = null;
  }

  instruments(): AnyInstrument[] {
    return this._sortedEntries().map((e) => e.metric);
  }

  private _sortedEntries(): Entry[] {
    if (this._sorted === null) {
      this._sorted = [...this._entries.values()].sort((a, b) =>
        a.metric.name < b.metric.name ? -1 : a.metric.name > b.metric.name ? 1 : 0,
      );
    }
    return this._sorted;
  }

  private _selected(names: ReadonlySet<string> | undefined): Entry[] {
    const all = this._sortedEntries();
    if (names === undefined || names.size === 0) return all;
    return all.filter((e) => sampleNames(e.metric.type, e.metric.name).some((s) => names.has(s)));
  }

  // ---- gathering -----------------------------------------------------------------------------

  private readonly _loggedCollect = new Set<string>();

  /** Counts a failed collect callback, and logs it once per metric. */
  private _collectFailed(m: Impl, err: unknown): void {
    const metric = m._exposedName;
    this._selfCounter('collectErrors').inc({ metric });
    const reason = err instanceof Error ? err.message : String(err);
    const message = `metric "${metric}": collect callback failed (${reason}); the family was left out of this gather`;
    if (this._logger === undefined) {
      warnOnce('TT_COLLECT_FAILED', metric, message);
      return;
    }
    if (this._loggedCollect.has(metric) || this._loggedCollect.size >= 10_000) return;
    this._loggedCollect.add(metric);
    this._logger.error({ metric, code: 'TT_COLLECT_FAILED' }, message);
  }

  async gather(options?: GatherSelection): Promise<MetricFamily[]> {
    const names = gatherNames('registry.gather()', options);
    const failed = new Set<Impl>();
    const pending: Promise<void>[] = [];
    for (const e of this._selected(names)) {
      const m = e.metric;
      if (m._collect === undefined) continue;
      try {
        const r = m._collect(m as never);
        if (r !== undefined && typeof (r as Promise<void>).then === 'function') {
          pending.push(
            withTimeout(r as Promise<void>, this._collectTimeoutMs, m.name).catch(
              (err: unknown) => {
                failed.add(m);
                this._collectFailed(m, err);
              },
            ),
          );
        }
      } catch (err) {
        failed.add(m);
        this._collectFailed(m, err);
      }
    }
    if (pending.length > 0) await Promise.all(pending);
    return this._familiesSliced(names, failed);
  }

  /**
   * Like {@link _families}, but reads the series in slices of {@link SLICE_SERIES} and yields to
   * the event loop (`setImmediate`) whenever `gatherSliceMs` has passed since the last yield. Each
   * series is read in one synchronous step, so every point is consistent in itself; a series that
   * changes between slices shows the value it had when its slice was read.
   */
  private async _familiesSliced(
    names: ReadonlySet<string> | undefined,
    failed: ReadonlySet<Impl>,
  ): Promise<MetricFamily[]> {
    const budget = this._sliceMs;
    let deadline = performance.now() + budget;
    const out: MetricFamily[] = [];
    for (const e of this._selected(names)) {
      const m = e.metric;
      if (failed.has(m)) continue;
      if (m._touched !== null) m._sweep(this._now());
      if (m.seriesCount <= SLICE_SERIES) {
        out.push(m._gather());
      } else {
        const reader = m._read();
        let family: MetricFamily;
        try {
          while (reader.next(SLICE_SERIES)) {
            if (performance.now() >= deadline) {
              await nextTurn();
              deadline = performance.now() + budget;
            }
          }
        } finally {
          // Always detach the reader, so a failed read leaves no listener on the metric.
          family = reader.end();
        }
        out.push(family);
      }
      if (performance.now() >= deadline) {
        await nextTurn();
        deadline = performance.now() + budget;
      }
    }
    return out;
  }

  gatherSync(options?: GatherSelection): MetricFamily[] {
    const names = gatherNames('registry.gatherSync()', options);
    const failed = new Set<Impl>();
    for (const e of this._selected(names)) {
      const m = e.metric;
      if (m._collect === undefined) continue;
      try {
        const r = m._collect(m as never);
        if (r !== undefined && typeof (r as Promise<void>).then === 'function') {
          (r as Promise<void>).catch((err: unknown) => this._collectFailed(m, err));
        }
      } catch (err) {
        failed.add(m);
        this._collectFailed(m, err);
      }
    }
    return this._families(names, failed);
  }

  private _families(
    names: ReadonlySet<string> | undefined,
    failed: ReadonlySet<Impl>,
  ): MetricFamily[] {
    const now = this._now();
    const out: MetricFamily[] = [];
    for (const e of this._selected(names)) {
      const m = e.metric;
      if (failed.has(m)) continue;
      if (m._touched !== null) m._sweep(now);
      out.push(m._gather());
    }
    return out;
  }

  snapshot(): Snapshot {
    return snapshotOf(this._sortedEntries().map((e) => e.metric._gather()));
  }
}

/**
 * HELP text as exposed: trimmed (a text-format HELP line cannot start with a blank, and trailing
 * whitespace, a CR above all, is dropped by parsers that strip lines or read `\r\n` as a line
 * end) and well-formed (a lone surrogate would make the body invalid UTF-8). @internal
 */
export function normalizeHelp(help: string): string {
  return help.trim().toWellFormed();
}

function checkCollect(o: { collect?: unknown } | undefined): unknown {
  const c = o?.collect;
  if (c !== undefined && typeof c !== 'function') {
    fail(
      'TT_INVALID_OPTION',
      `metric "${String((o as { name?: unknown }).name)}": collect must be a function`,
    );
  }
  return c;
}

function describeDiff(
  existing: Entry,
  type: MetricType,
  help: string,
  labelNames: LabelNames,
  unit: string,
): string {
  const m = existing.metric;
  const diffs: string[] = [];
  if (m.type !== type) diffs.push(`type ${m.type} vs ${type}`);
  if (m.help !== help) diffs.push(`help ${JSON.stringify(m.help)} vs ${JSON.stringify(help)}`);
  if (m.unit !== unit) diffs.push(`unit "${m.unit}" vs "${unit}"`);
  if (JSON.stringify(m.labelNames) !== JSON.stringify(labelNames)) {
    diffs.push(`labels [${m.labelNames.join(', ')}] vs [${labelNames.join(', ')}]`);
  }
  if (diffs.length === 0) diffs.push('buckets, native options, quantiles or states differ');
  return diffs.join('; ');
}

/** Series read between two looks at the clock in a sliced gather. */
const SLICE_SERIES = 256;
/** Default {@link RegistryOptions.gatherSliceMs}. */
const DEFAULT_GATHER_SLICE_MS = 4;

/** Resolves on the next event-loop turn (after pending I/O callbacks). */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Runs a collect callback's promise under the collect timeout (`TT_COLLECT_TIMEOUT`). */
async function withTimeout(p: Promise<void>, ms: number, metric: string): Promise<void> {
  if ((await raceTimeout(p, ms)) === TIMED_OUT) {
    throw new TelltaleError(
      'TT_COLLECT_TIMEOUT',
      `metric "${metric}": collect callback did not finish within ${ms} ms`,
    );
  }
}

/**
 * Creates a registry. Nothing is registered until you create instruments on it.
 * @example
 * ```ts
 * const registry = createRegistry({ defaultLabels: { service: 'shop' } });
 * const requests = registry.counter({ name: 'http_requests_total', help: 'HTTP requests.', labelNames: ['method', 'status'] });
 * requests.inc({ method: 'GET', status: '200' });
 * ```
 * @throws TelltaleError `TT_INVALID_OPTION` on a bad option, or a key it does not know (with a did-you-mean).
 */
export function createRegistry(options?: RegistryOptions): Registry {
  return new RegistryImpl(options);
}

/**
 * @internal The exemplar hook of a registry from {@link createRegistry} or {@link defaultRegistry},
 * or `undefined` for any other (a no-op registry records nothing, so it has none).
 */
export function exemplarSlotOf(registry: Registry): ExemplarSlot | undefined {
  return registry instanceof RegistryImpl ? registry._exemplarSlot : undefined;
}

/**
 * The lazily created default: `undefined` until the first {@link defaultRegistry} call. The one
 * module-level variable of the metrics core (docs/architecture.md, "Module-level state").
 */
let defaultReg: Registry | undefined;

/**
 * The default registry: the one every factory records into when its `registry` option is omitted,
 * and the one `createMetricsServer()` serves without one (the default telemetry's registry, see
 * [docs/telemetry.md](../../docs/telemetry.md#an-omitted-registry)). Created on the first call,
 * never on import; the same registry for the life of the process.
 *
 * @example
 * ```ts
 * defaultRegistry().counter({ name: 'jobs_total', help: 'Jobs run.' }).inc();
 * ```
 */
export function defaultRegistry(): Registry {
  defaultReg ??= new RegistryImpl();
  return defaultReg;
}
