// telltale/metrics: instruments, registries, bounds, buckets, timing helpers, snapshots and the no-op registry.

export {
  type ErrorCode,
  ErrorCodes,
  setWarningSink,
  TelltaleError,
  type WarningCode,
  WarningCodes,
  type WarningSink,
} from '../internal/errors.js';
export type { MinimalLogger } from '../internal/logger.js';
export {
  BucketPresets,
  DEFAULT_BUCKETS,
  exponentialBuckets,
  exponentialBucketsRange,
  linearBuckets,
  sloBuckets,
} from './buckets.js';
export {
  type Labels,
  type LabelValue,
  type LongLabelValuePolicy,
  OVERFLOW_LABEL_VALUE,
  REDACTED_LABEL_VALUE,
} from './labels.js';
export { type MergedGatherer, mergeFamilies, mergeRegistries } from './merge.js';
export type {
  BucketSpan,
  CounterFamily,
  CounterPoint,
  Exemplar,
  Gatherer,
  GatherOptions,
  GatherSelection,
  GaugeFamily,
  GaugePoint,
  HistogramFamily,
  HistogramPoint,
  InfoFamily,
  InfoPoint,
  LabelSet,
  MetricFamily,
  MetricPoint,
  MetricType,
  NativeBuckets,
  StateSetFamily,
  StateSetPoint,
  SummaryFamily,
  SummaryPoint,
  UnknownFamily,
} from './model.js';
export { lintMetricName, type NamingFinding } from './names.js';
export { type NativeHistogramOptions, nativeBucketUpperBound } from './native.js';
export { createNoopRegistry } from './noop.js';
export {
  type BoundsOptions,
  type CounterOptions,
  createRegistry,
  defaultRegistry,
  type GaugeOptions,
  type HistogramOptions,
  type MetricOptions,
  type Registry,
  type RegistryOptions,
  type StateSetOptions,
  type SummaryOptions,
} from './registry.js';
export { labelsOf, type Snapshot } from './snapshot.js';
export {
  classifyError,
  type DurationMetric,
  type InstrumentMethodsOptions,
  instrumentMethods,
  type TimeOptions,
  time,
} from './timing.js';
export type {
  AnyInstrument,
  Counter,
  CounterHandle,
  ExemplarLabels,
  Gauge,
  GaugeHandle,
  Histogram,
  HistogramHandle,
  Info,
  LabelNames,
  MetricBase,
  StateSet,
  StateSetHandle,
  Summary,
  SummaryHandle,
} from './types.js';
