// The catalog's types: what a catalog entry is written as, and the validated entry every generator and check reads.

import type { LabelValue } from '../metrics/labels.js';
import type { NativeHistogramOptions } from '../metrics/native.js';

/** The metric types a catalog entry can have. */
export type CatalogMetricType = 'counter' | 'gauge' | 'histogram' | 'summary';

/**
 * One label of a catalog entry. With `values` the label is **bounded**: its value type is the
 * union of the listed strings, and any other value is refused when recorded
 * (`TT_LABEL_VALUE_NOT_ALLOWED`). Without `values` it takes any value (`{}`).
 */
export interface LabelSpec {
  /** The allowed values, at least one, each a distinct string. */
  readonly values?: readonly string[];
  /** What the label says, for the generated docs. */
  readonly help?: string;
}

/**
 * A latency objective on a histogram: `target` of the observations are at most `threshold`.
 * `threshold` is in the histogram's unit and must be one of its bucket bounds, so the good
 * events are exactly one bucket's count (`sloBuckets()` builds a layout that contains it).
 */
export interface LatencyObjective {
  /** The latency limit, in the histogram's unit (seconds for a `_seconds` histogram). */
  readonly threshold: number;
  /** The fraction of observations at or under `threshold`, in (0, 1): `0.99` for 99 %. */
  readonly target: number;
}

/**
 * An error-ratio objective: at most `1 - target` of the events carry one of the error `values`
 * of `label` (a declared label; when it is bounded, the values must be among its allowed ones).
 */
export interface ErrorRatioObjective {
  /** The fraction of events that must not be errors, in (0, 1): `0.999` allows 0.1 % errors. */
  readonly target: number;
  /** The declared label that tells errors apart, such as `outcome` or `status`. */
  readonly label: string;
  /** The values of `label` that count as errors, at least one. */
  readonly values: readonly string[];
}

/** A saturation objective on a gauge: its value should stay at or under `threshold`. */
export interface SaturationObjective {
  /** The value above which the gauge is saturated, in the gauge's unit. */
  readonly threshold: number;
}

/** The service-level objectives of an entry; each one is optional. */
export interface SloSpec {
  /** Histograms only. */
  readonly latency?: LatencyObjective;
  /** Counters, histograms and summaries (their event count). */
  readonly errorRatio?: ErrorRatioObjective;
  /** Gauges only. */
  readonly saturation?: SaturationObjective;
}

/** Where an entry goes on a generated dashboard. */
export interface DashboardHints {
  /** The dashboard row (one per subsystem), such as `'HTTP'`. Default: the first word of the name. */
  readonly row?: string;
  /** The panel title. Default: the metric name (the help text becomes the panel description). */
  readonly title?: string;
}

/** What every catalog entry has. */
interface EntrySpecBase {
  /** The metric name as registered (a counter's `_total` suffix is optional). */
  readonly name: string;
  /** What it measures, in one sentence; the HELP text and the generated docs' meaning. */
  readonly help: string;
  /** The OpenMetrics unit, such as `'seconds'`; the name must end with `_<unit>`. Default none. */
  readonly unit?: string;
  /** The labels by name, in order; each bounded (with `values`) or not (`{}`). */
  readonly labels?: Readonly<Record<string, LabelSpec>>;
  /** The service-level objectives. */
  readonly slo?: SloSpec;
  /** Hints for the generated dashboard. */
  readonly dashboard?: DashboardHints;
}

/** A counter entry. */
export interface CounterEntrySpec extends EntrySpecBase {
  readonly type: 'counter';
}

/** A gauge entry. */
export interface GaugeEntrySpec extends EntrySpecBase {
  readonly type: 'gauge';
}

/** A histogram entry: classic buckets, native buckets, or both. */
export interface HistogramEntrySpec extends EntrySpecBase {
  readonly type: 'histogram';
  /** Finite, strictly ascending upper bounds. Default `DEFAULT_BUCKETS`, or none with `native`. */
  readonly buckets?: readonly number[];
  /** Native (sparse exponential) buckets, `{}` for the defaults (docs/metrics.md). */
  readonly native?: NativeHistogramOptions;
}

/** A summary entry. */
export interface SummaryEntrySpec extends EntrySpecBase {
  readonly type: 'summary';
  /** Ascending quantile ranks in [0, 1]. Default `[0.5, 0.9, 0.99]`. */
  readonly quantiles?: readonly number[];
  /** The sliding window, in seconds. Default 600. */
  readonly maxAgeSeconds?: number;
  /** How many buckets the window rotates through. Default 5. */
  readonly ageBuckets?: number;
}

/** One catalog entry, as written. */
export type EntrySpec = CounterEntrySpec | GaugeEntrySpec | HistogramEntrySpec | SummaryEntrySpec;

/** A catalog as written: entries by key; the key names the entry's instrument. */
export type CatalogSpec = Readonly<Record<string, EntrySpec>>;

/** One label of a validated entry. */
export interface CatalogLabel {
  /** The label name. */
  readonly name: string;
  /** The allowed values (a bounded label), or `undefined` for any value. */
  readonly values: readonly string[] | undefined;
  /** What the label says, or `''`. */
  readonly help: string;
}

/**
 * One validated catalog entry, frozen: what the generators and `expectAllRecorded` read. Every
 * default is applied (`unit` `''`, a histogram's buckets, a summary's quantiles).
 */
export interface CatalogEntry {
  /** The entry's key: its property in the spec, or its name in a YAML catalog. */
  readonly key: string;
  /** The metric name as written. */
  readonly name: string;
  /** The family name: a counter's without `_total` (`registry.snapshot()` keys). */
  readonly family: string;
  readonly type: CatalogMetricType;
  readonly help: string;
  /** The unit, or `''`. */
  readonly unit: string;
  /** The labels, in declaration order. */
  readonly labels: readonly CatalogLabel[];
  /** A histogram's classic bounds (`[]` for a native-only one); `[]` for the other types. */
  readonly buckets: readonly number[];
  /** A histogram's native options as written, or `undefined`. */
  readonly native: NativeHistogramOptions | undefined;
  /** A summary's quantiles; `[]` for the other types. */
  readonly quantiles: readonly number[];
  /** A summary's window in seconds (600 by default); 0 for the other types. */
  readonly maxAgeSeconds: number;
  /** A summary's age buckets (5 by default); 0 for the other types. */
  readonly ageBuckets: number;
  /** The objectives, or `undefined`. */
  readonly slo: SloSpec | undefined;
  /** The dashboard hints, or `undefined`. */
  readonly dashboard: DashboardHints | undefined;
}

/**
 * The label values a catalog entry's instrument takes, by label name: a bounded label's value is
 * the union of its allowed values, any other label's a string or number.
 */
export type CatalogLabelValues<E> = E extends { readonly labels?: infer L }
  ? {
      readonly [K in keyof NonNullable<L> & string]: NonNullable<L>[K] extends {
        readonly values: readonly (infer V)[];
      }
        ? V
        : LabelValue;
    }
  : Record<never, never>;
