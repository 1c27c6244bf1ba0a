// The no-op registry: the same API with instruments that record nothing, so "metrics off" costs almost nothing.

import { fail } from '../internal/errors.js';
import { DEFAULT_BUCKETS } from './buckets.js';
import type { LabelSet, MetricFamily, MetricType } from './model.js';
import { emptyNativeBuckets, type NativeSpec, resolveNativeOptions } from './native.js';
import { normalizeHelp, type Registry } from './registry.js';
import type { Snapshot } from './snapshot.js';
import type {
  AnyInstrument,
  CounterHandle,
  GaugeHandle,
  HistogramHandle,
  StateSetHandle,
  SummaryHandle,
} from './types.js';

const noop = (): void => {};
const zero = (): number => 0;
const timer = (): (() => number) => zero;
const NO_LABELS: LabelSet = Object.freeze({});
const EMPTY_SNAPSHOT: Snapshot = Object.freeze({});
const DEFAULT_QUANTILES: readonly number[] = Object.freeze([0.5, 0.9, 0.99]);

type Handle = CounterHandle &
  GaugeHandle &
  HistogramHandle &
  SummaryHandle &
  StateSetHandle<string>;

const HANDLE: Readonly<Handle> = {
  inc: noop,
  incWithExemplar: noop,
  dec: noop,
  set: noop,
  setState: noop,
  setToCurrentTime: noop,
  observe: noop,
  observeWithExemplar: noop,
  startTimer: timer,
  get: (() => 0) as never,
};
const STATESET_HANDLE: Readonly<Handle> = { ...HANDLE, get: (() => []) as never };

interface NoopOptions {
  readonly name: string;
  readonly help: string;
  readonly unit?: string;
  readonly labelNames?: readonly string[];
  readonly buckets?: readonly number[];
  readonly native?: unknown;
  readonly quantiles?: readonly number[];
  readonly states?: readonly string[];
}

/**
 * The point a real series of this type reads as before any update: zero counts and sums, every
 * bucket, `NaN` for each quantile. `created` is 0 (nothing was created) and the labels are empty.
 */
function emptyPoint(
  type: MetricType,
  buckets: readonly number[],
  quantiles: readonly number[],
  native: NativeSpec | undefined,
) {
  switch (type) {
    case 'counter':
      return Object.freeze({ labels: NO_LABELS, value: 0, created: 0 });
    case 'gauge':
      return Object.freeze({ labels: NO_LABELS, value: 0 });
    case 'histogram':
      return Object.freeze({
        labels: NO_LABELS,
        cumulative: Object.freeze(buckets.map(() => 0).concat(0)),
        sum: 0,
        count: 0,
        created: 0,
        ...(native !== undefined && {
          native: emptyNativeBuckets(native.schema, native.zeroThreshold),
        }),
      });
    case 'summary':
      return Object.freeze({
        labels: NO_LABELS,
        values: Object.freeze(quantiles.map(() => Number.NaN)),
        sum: 0,
        count: 0,
        created: 0,
      });
    default:
      return undefined;
  }
}

/**
 * A no-op instrument. Every read returns what a real instrument of the same spec returns before
 * its first update: the family name (a counter's without `_total`, an info's without `_info`),
 * help as exposed, `seriesCount` 1 for a label-less metric (its one series) and 0 otherwise,
 * `get()`/`point()` 0 and an empty point without labels and `undefined` with them (no series
 * exists), and each handle's `get()` its type's empty value. Built once per instrument, so updates
 * and `labels()` allocate nothing.
 */
function instrument(type: MetricType, o: NoopOptions) {
  if (typeof o !== 'object' || o === null) {
    fail(
      'TT_INVALID_OPTION',
      `registry.${type === 'stateset' ? 'stateSet' : type}(): options must be an object with name and help`,
    );
  }
  let name = String(o.name);
  if (type === 'counter' && name.endsWith('_total')) name = name.slice(0, -'_total'.length);
  if (type === 'info' && name.endsWith('_info')) name = name.slice(0, -'_info'.length);
  const labelNames = o.labelNames ?? [];
  const labelless = labelNames.length === 0;
  // As a real registry: native options validated, and native-only unless buckets are given too.
  const native =
    type === 'histogram' && o.native !== undefined
      ? resolveNativeOptions(`histogram "${name}"`, o.native)
      : undefined;
  const buckets = Object.freeze([...(o.buckets ?? (native !== undefined ? [] : DEFAULT_BUCKETS))]);
  const quantiles = o.quantiles === undefined ? DEFAULT_QUANTILES : Object.freeze([...o.quantiles]);
  const point = emptyPoint(type, buckets, quantiles, native);
  const value = labelless ? 0 : undefined;
  const labelledPoint = labelless ? point : undefined;
  const handle =
    type === 'stateset'
      ? STATESET_HANDLE
      : type === 'histogram' || type === 'summary'
        ? { ...HANDLE, get: (() => point) as never }
        : HANDLE;
  const base = {
    type,
    name,
    help: typeof o.help === 'string' ? normalizeHelp(o.help) : o.help,
    unit: o.unit ?? '',
    labelNames,
    seriesCount: labelless ? 1 : 0,
    inc: noop,
    dec: noop,
    set: noop,
    observe: noop,
    labels: () => handle,
    get: () => value,
    point: () => labelledPoint,
    startTimer: timer,
    remove: () => false,
    reset: noop,
  };
  if (type === 'histogram') return { ...base, buckets };
  if (type === 'summary') return { ...base, quantiles };
  if (type === 'stateset') return { ...base, states: Object.freeze([...(o.states ?? [])]) };
  return base;
}

/**
 * A registry whose instruments do nothing and gather nothing: pass it where a registry is
 * expected to switch metrics off. An update is one call to an empty function. Reads return what
 * a real instrument returns before its first update (a counter's `get()` is 0), except that
 * points carry no labels and `created` is 0. Options other than their being an object are not
 * validated.
 * @example
 * ```ts
 * const registry = config.metrics.enabled ? createRegistry() : createNoopRegistry();
 * ```
 */
export function createNoopRegistry(): Registry {
  const make = (type: MetricType) => (o: NoopOptions) => instrument(type, o) as never;
  return {
    counter: make('counter'),
    gauge: make('gauge'),
    histogram: make('histogram'),
    summary: make('summary'),
    info: make('info'),
    stateSet: make('stateset'),
    get: (): AnyInstrument | undefined => undefined,
    unregister: () => false,
    clear: noop,
    instruments: (): AnyInstrument[] => [],
    gather: async (): Promise<MetricFamily[]> => [],
    gatherSync: (): MetricFamily[] => [],
    snapshot: (): Snapshot => EMPTY_SNAPSHOT,
  };
}
