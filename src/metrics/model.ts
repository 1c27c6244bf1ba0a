// The neutral data model that gathering produces and encoders consume: plain, immutable data.

/**
 * The key of a gathered family's label shape, a hint for the encoders from the registry that
 * gathered it: every point's label set has exactly `names` as its keys, in that order, and when
 * `clean` is true no label value needs escaping in the text formats (no `\\`, `"` or line feed).
 * The text encoders then write each label as a name prefix made once per family and the value as
 * it is, and the protobuf encoder's cache keys a series by its label set object (the series' own,
 * the same in every gather). A non-enumerable, symbol-keyed property of the (frozen) family, so it
 * is not data: `structuredClone`, `JSON.stringify`, object spread and `assert.deepStrictEqual`
 * ignore it, and a family without it (built by hand, cloned, parsed, filtered) renders the same
 * bytes, its labels read and escaped point by point. @internal
 */
export const LABEL_SHAPE: unique symbol = Symbol('telltale.labelShape');

/** The value of a family's {@link LABEL_SHAPE} hint. @internal */
export interface LabelShape {
  /** Every point's label names, in their key order. */
  readonly names: readonly string[];
  /** Whether no label value of any point needs escaping in the text formats. */
  readonly clean: boolean;
}

/** The kinds of metric family telltale gathers. `unknown` is OpenMetrics' name for untyped. */
export type MetricType =
  | 'counter'
  | 'gauge'
  | 'histogram'
  | 'summary'
  | 'info'
  | 'stateset'
  | 'unknown';

/**
 * A series' labels as plain data: each label name a data property holding its value, default
 * labels first, then the declared labels in declaration order (`{ service: 'shop', method: 'GET' }`).
 * Values are already normalised (well-formed UTF-16, length-bounded). A gathered label set is the
 * series' own frozen object, the same in every gather. Two label sets are the same series when
 * they hold the same names and values (in any order, as Prometheus identifies series).
 */
export type LabelSet = Readonly<Record<string, string>>;

/** An OpenMetrics exemplar: a trace link attached to a counter or a histogram bucket. */
export interface Exemplar {
  /** Exemplar labels, such as `{ trace_id: '…' }`. At most 128 UTF-8 characters in total. */
  readonly labels: Readonly<Record<string, string>>;
  /** The observed value (for a counter, the increment). */
  readonly value: number;
  /** Unix time in seconds (fractional), when it was recorded. */
  readonly timestamp: number;
}

/** One counter series. */
export interface CounterPoint {
  readonly labels: LabelSet;
  readonly value: number;
  /** Unix seconds when the series was created (for OpenMetrics `_created`). */
  readonly created: number;
  readonly exemplar?: Exemplar | undefined;
}

/** One gauge (or unknown-type) series. */
export interface GaugePoint {
  readonly labels: LabelSet;
  readonly value: number;
}

/**
 * A run of consecutive sparse buckets: `length` buckets starting `offset` indexes after the end of
 * the previous span (for the first span, after index 0). Prometheus' `BucketSpan`.
 */
export interface BucketSpan {
  /** Gap to the previous span's end, or the first span's starting index (may be negative). */
  readonly offset: number;
  /** Number of consecutive buckets in this span (≥ 1). */
  readonly length: number;
}

/**
 * The sparse exponential buckets of a native histogram, as plain values. With
 * `base = 2^(2^-schema)`, bucket index `i` covers `(base^(i-1), base^i]` for positive values and
 * `[-base^i, -base^(i-1))` for negative ones (Prometheus' convention). Counts are absolute per
 * bucket (not delta-encoded; the protobuf encoder derives the deltas) and aligned with the spans:
 * `positiveCounts.length` equals the sum of `positiveSpans[k].length`.
 */
export interface NativeBuckets {
  /** Resolution, −4…8: each power of two is split into `2^schema` buckets. */
  readonly schema: number;
  /** Observations with `|v| <= zeroThreshold` count into the zero bucket. */
  readonly zeroThreshold: number;
  /** Observations in the zero bucket. */
  readonly zeroCount: number;
  readonly positiveSpans: readonly BucketSpan[];
  readonly positiveCounts: readonly number[];
  readonly negativeSpans: readonly BucketSpan[];
  readonly negativeCounts: readonly number[];
}

/** One histogram series. Bucket bounds live on the family. */
export interface HistogramPoint {
  readonly labels: LabelSet;
  /** Cumulative counts, one per bound in `family.buckets`, then one for `+Inf` (equal to `count`). */
  readonly cumulative: readonly number[];
  readonly sum: number;
  readonly count: number;
  readonly created: number;
  /**
   * Exemplars aligned with `cumulative` (the last is `+Inf`), `null` for a bucket without one (so
   * the array survives JSON); absent when none was recorded.
   */
  readonly exemplars?: readonly (Exemplar | null)[] | undefined;
  /**
   * The native (sparse exponential) buckets, when the histogram is configured with `native`.
   * A native-only histogram has an empty `family.buckets`, so `cumulative` is just `[count]`.
   */
  readonly native?: NativeBuckets | undefined;
}

/** One summary series. Quantile ranks live on the family. */
export interface SummaryPoint {
  readonly labels: LabelSet;
  /** Estimated values aligned with `family.quantiles`; `NaN` when the window is empty. */
  readonly values: readonly number[];
  readonly sum: number;
  readonly count: number;
  readonly created: number;
}

/** One info series: the labels carry the information, the value is always 1. */
export interface InfoPoint {
  readonly labels: LabelSet;
}

/** One stateset series: each state is on or off. The state label is named after the family. */
export interface StateSetPoint {
  readonly labels: LabelSet;
  /** The escaped-ready state names, in declaration order. Shared with the family's `states`. */
  readonly enabled: readonly boolean[];
}

/** One gathered series of any family type: what a family's `points` array holds. */
export type MetricPoint =
  | CounterPoint
  | GaugePoint
  | HistogramPoint
  | SummaryPoint
  | InfoPoint
  | StateSetPoint;

interface FamilyBase {
  /** The full metric name. For counters it has no `_total` suffix; encoders add it. */
  readonly name: string;
  readonly help: string;
  /** The OpenMetrics unit (`seconds`, `bytes`, …), or `''`. The name ends with `_<unit>` when set. */
  readonly unit: string;
  /** @internal The registry's hint about the points' label sets; see {@link LABEL_SHAPE}. */
  readonly [LABEL_SHAPE]?: LabelShape | undefined;
}

/** A counter family. */
export interface CounterFamily extends FamilyBase {
  readonly type: 'counter';
  readonly points: readonly CounterPoint[];
}
/** A gauge family. */
export interface GaugeFamily extends FamilyBase {
  readonly type: 'gauge';
  readonly points: readonly GaugePoint[];
}
/** An untyped family (rendered as `untyped` in text 0.0.4, `unknown` in OpenMetrics). */
export interface UnknownFamily extends FamilyBase {
  readonly type: 'unknown';
  readonly points: readonly GaugePoint[];
}
/** A histogram family with its bucket upper bounds (finite, ascending; `+Inf` implied). */
export interface HistogramFamily extends FamilyBase {
  readonly type: 'histogram';
  readonly buckets: readonly number[];
  readonly points: readonly HistogramPoint[];
}
/** A summary family with its quantile ranks (each in [0, 1]). */
export interface SummaryFamily extends FamilyBase {
  readonly type: 'summary';
  readonly quantiles: readonly number[];
  readonly points: readonly SummaryPoint[];
}
/** An info family. */
export interface InfoFamily extends FamilyBase {
  readonly type: 'info';
  readonly points: readonly InfoPoint[];
}
/** A stateset family with its state names. */
export interface StateSetFamily extends FamilyBase {
  readonly type: 'stateset';
  readonly states: readonly string[];
  readonly points: readonly StateSetPoint[];
}

/** One gathered metric family: plain data, safe to hold, compare or serialise. */
export type MetricFamily =
  | CounterFamily
  | GaugeFamily
  | UnknownFamily
  | HistogramFamily
  | SummaryFamily
  | InfoFamily
  | StateSetFamily;

/** Anything that can be gathered: a registry, several merged, or a test double. */
export interface Gatherer {
  /**
   * Gathers every family, running collect callbacks (each under its own timeout). Families are
   * sorted by name and never duplicated. Never rejects because of one failing callback.
   */
  gather(options?: GatherOptions): Promise<MetricFamily[]>;
}

/** Options a {@link Gatherer} receives (the metrics handler passes these). */
export interface GatherOptions {
  /** Only gather families with these names (the `name[]=` filter). Empty or absent means all. */
  readonly names?: ReadonlySet<string> | undefined;
}

/**
 * Options telltale's own gatherers accept (a registry's `gather()` and `gatherSync()`,
 * `mergeRegistries()`): like {@link GatherOptions}, but `names` may be any iterable of strings,
 * such as an array or a Set. A name selects a family by its name or by any of its sample names
 * (`http_requests_total` selects the counter `http_requests`).
 */
export interface GatherSelection {
  /** Only gather families with these names. Empty or absent means all. */
  readonly names?: Iterable<string> | undefined;
}
