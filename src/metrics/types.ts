// The public instrument and registry interfaces: what users hold, independent of the implementation.

import type { Labels, LabelValue } from './labels.js';
import type {
  CounterPoint,
  GaugePoint,
  HistogramPoint,
  MetricFamily,
  SummaryPoint,
} from './model.js';

/** Label names as declared: a tuple of string literals, such as `['method', 'route']`. */
export type LabelNames = readonly string[];

/** The labels argument for a metric with label names `N`: an object, or values in order. */
export type LabelsArgs<N extends LabelNames> = N extends readonly []
  ? []
  : [labels: Labels<N[number]>] | { -readonly [K in keyof N]: LabelValue };

/** Arguments of an update whose value is optional: `(value?)`, or `(labels, value?)` with labels. */
export type OptionalValueArgs<N extends LabelNames, V> = N extends readonly []
  ? [value?: V]
  : [labels: Labels<N[number]>, value?: V];

/** Arguments of an update whose value is required: `(value)`, or `(labels, value)` with labels. */
export type ValueArgs<N extends LabelNames, V> = N extends readonly []
  ? [value: V]
  : [labels: Labels<N[number]>, value: V];

/** Labels for optional reads: nothing for a label-less metric, else an object. */
export type ReadArgs<N extends LabelNames> = N extends readonly []
  ? []
  : [labels: Labels<N[number]>];

/** Exemplar labels, such as `{ trace_id: '4bf92f3577b34da6a3ce929d0e0e4736' }`. */
export type ExemplarLabels = Readonly<Record<string, string>>;

/** Members every instrument has. */
export interface MetricBase<N extends LabelNames> {
  /** The family name as exposed (a counter's without `_total`, an info's without `_info`). */
  readonly name: string;
  /** The help text. */
  readonly help: string;
  /** The OpenMetrics unit, or `''`. */
  readonly unit: string;
  /** The declared label names. */
  readonly labelNames: N;
  /** How many series exist now (the overflow series included). */
  readonly seriesCount: number;
  /**
   * Removes one series. Bound handles to it stay valid and start from zero on their next update.
   * @returns whether the series existed.
   */
  remove(...labels: LabelsArgs<N>): boolean;
  /** Removes every series (a label-less metric goes back to zero). */
  reset(): void;
}

/** A bound counter series: updates do no lookup and allocate nothing. */
export interface CounterHandle {
  /**
   * Adds `value` (default 1).
   * @throws TelltaleError `TT_NEGATIVE_INCREMENT` when negative, `TT_INVALID_VALUE` when NaN,
   * infinite or not a number. The series is unchanged when it throws.
   */
  inc(value?: number): void;
  /** Adds `value` and records an OpenMetrics exemplar (at most 128 characters of labels). */
  incWithExemplar(value: number, exemplar: ExemplarLabels): void;
  /** The current value. */
  get(): number;
}

/** A monotonically increasing count, exposed as `<name>_total`. */
export interface Counter<N extends LabelNames = readonly []> extends MetricBase<N> {
  readonly type: 'counter';
  /** Adds to the series for `labels` (default 1). Example: `c.inc({ method: 'GET' })`, `c.inc(2)`. */
  inc(...args: OptionalValueArgs<N, number>): void;
  /** Returns the cached bound handle for these labels (object or positional). */
  labels(...labels: LabelsArgs<N>): CounterHandle;
  /** The series' current value, or `undefined` if it does not exist. */
  get(...labels: ReadArgs<N>): number | undefined;
  /** The series' gathered point, or `undefined`. */
  point(...labels: ReadArgs<N>): CounterPoint | undefined;
}

/** A bound gauge series. */
export interface GaugeHandle {
  /** Sets the value. Any number, including NaN and ±Infinity, is a valid gauge value. */
  set(value: number): void;
  /** Adds `value` (default 1). @throws TelltaleError `TT_INVALID_VALUE` when not finite. */
  inc(value?: number): void;
  /** Subtracts `value` (default 1). @throws TelltaleError `TT_INVALID_VALUE` when not finite. */
  dec(value?: number): void;
  /** Sets the value to the current Unix time in seconds. */
  setToCurrentTime(): void;
  /** Starts a timer; calling the returned function sets the gauge to the elapsed seconds and returns them. */
  startTimer(): () => number;
  /** The current value. */
  get(): number;
}

/** A value that can go up and down. */
export interface Gauge<N extends LabelNames = readonly []> extends MetricBase<N> {
  readonly type: 'gauge';
  set(...args: ValueArgs<N, number>): void;
  inc(...args: OptionalValueArgs<N, number>): void;
  dec(...args: OptionalValueArgs<N, number>): void;
  labels(...labels: LabelsArgs<N>): GaugeHandle;
  get(...labels: ReadArgs<N>): number | undefined;
  point(...labels: ReadArgs<N>): GaugePoint | undefined;
}

/** A bound histogram series. */
export interface HistogramHandle {
  /** Records one observation. @throws TelltaleError `TT_INVALID_VALUE` when not a finite number. */
  observe(value: number): void;
  /** Records one observation with an exemplar on its bucket. */
  observeWithExemplar(value: number, exemplar: ExemplarLabels): void;
  /** Starts a timer; the returned function observes the elapsed seconds and returns them. */
  startTimer(): () => number;
  /** The series' current point (cumulative buckets, sum, count). */
  get(): HistogramPoint;
}

/** A distribution over fixed buckets. */
export interface Histogram<N extends LabelNames = readonly []> extends MetricBase<N> {
  readonly type: 'histogram';
  /** The finite upper bounds, ascending (`+Inf` is implied). */
  readonly buckets: readonly number[];
  observe(...args: ValueArgs<N, number>): void;
  labels(...labels: LabelsArgs<N>): HistogramHandle;
  /** Starts a timer for the series with these labels. */
  startTimer(...labels: ReadArgs<N>): () => number;
  point(...labels: ReadArgs<N>): HistogramPoint | undefined;
}

/** A bound summary series. */
export interface SummaryHandle {
  /** Records one observation. @throws TelltaleError `TT_INVALID_VALUE` when not a finite number. */
  observe(value: number): void;
  /** Starts a timer; the returned function observes the elapsed seconds and returns them. */
  startTimer(): () => number;
  /** The series' current point (quantile estimates over the window, lifetime sum and count). */
  get(): SummaryPoint;
}

/** Quantiles over a sliding time window, with lifetime sum and count. */
export interface Summary<N extends LabelNames = readonly []> extends MetricBase<N> {
  readonly type: 'summary';
  /** The quantile ranks reported. */
  readonly quantiles: readonly number[];
  observe(...args: ValueArgs<N, number>): void;
  labels(...labels: LabelsArgs<N>): SummaryHandle;
  startTimer(...labels: ReadArgs<N>): () => number;
  point(...labels: ReadArgs<N>): SummaryPoint | undefined;
}

/** An OpenMetrics info metric: each series' labels carry information, its value is always 1. */
export interface Info<N extends LabelNames = readonly []> extends MetricBase<N> {
  readonly type: 'info';
  /** Adds (or keeps) the series with these labels. Example: `info.set({ version: '1.2.0' })`. */
  set(...labels: LabelsArgs<N>): void;
}

/** A bound stateset series. */
export interface StateSetHandle<S extends string> {
  /** Enables exactly this state and disables the others (an enum). */
  set(state: S): void;
  /** Turns one state on or off, leaving the others. */
  setState(state: S, enabled: boolean): void;
  /** The enabled states. */
  get(): S[];
}

/** An OpenMetrics stateset: a set of named boolean states, such as a state machine's. */
export interface StateSet<N extends LabelNames = readonly [], S extends string = string>
  extends MetricBase<N> {
  readonly type: 'stateset';
  /** The declared states. */
  readonly states: readonly S[];
  /** Enables exactly `state` for the series (label-less: `set('ready')`). */
  set(...args: ValueArgs<N, S>): void;
  labels(...labels: LabelsArgs<N>): StateSetHandle<S>;
}

/** Any instrument. */
export type AnyInstrument =
  | Counter<LabelNames>
  | Gauge<LabelNames>
  | Histogram<LabelNames>
  | Summary<LabelNames>
  | Info<LabelNames>
  | StateSet<LabelNames, string>;

/** Re-exported for convenience. */
export type { MetricFamily };
