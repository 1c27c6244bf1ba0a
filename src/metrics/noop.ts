// The no-op registry: the same API with instruments that record nothing, so "metrics off" costs almost nothing.

import type { MetricFamily } from './model.js';
import type { Registry } from './registry.js';
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
const EMPTY_HIST = Object.freeze({
  labels: Object.freeze({ names: [], values: [], text: '' }),
  cumulative: [0],
  sum: 0,
  count: 0,
  created: 0,
});
const EMPTY_SUMMARY = Object.freeze({
  labels: EMPTY_HIST.labels,
  values: [],
  sum: 0,
  count: 0,
  created: 0,
});

const handle: CounterHandle &
  GaugeHandle &
  HistogramHandle &
  SummaryHandle &
  StateSetHandle<string> = {
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

// Each type's handle reads as that type's empty value, so code written against the real handles
// (`h.labels().get().count`, `s.labels().get().includes('x')`) also works when metrics are off.
const HANDLES: Readonly<Record<string, typeof handle>> = {
  histogram: { ...handle, get: (() => EMPTY_HIST) as never },
  summary: { ...handle, get: (() => EMPTY_SUMMARY) as never },
  stateset: { ...handle, get: (() => []) as never },
};

function instrument(
  type: string,
  o: { name: string; help: string; unit?: string; labelNames?: readonly string[] },
) {
  return {
    type,
    name: o.name,
    help: o.help,
    unit: o.unit ?? '',
    labelNames: o.labelNames ?? [],
    seriesCount: 0,
    buckets: [],
    quantiles: [],
    states: [],
    inc: noop,
    dec: noop,
    set: noop,
    observe: noop,
    labels: () => HANDLES[type] ?? handle,
    get: () => undefined,
    point: () =>
      type === 'histogram' ? EMPTY_HIST : type === 'summary' ? EMPTY_SUMMARY : undefined,
    startTimer: timer,
    remove: () => false,
    reset: noop,
  };
}

/**
 * A registry whose instruments do nothing and gather nothing: pass it where a registry is
 * expected to switch metrics off. An update is one call to an empty function.
 * @example
 * ```ts
 * const registry = config.metrics.enabled ? createRegistry() : createNoopRegistry();
 * ```
 */
export function createNoopRegistry(): Registry {
  const make = (type: string) => (o: { name: string; help: string }) =>
    instrument(type, o) as never;
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
    snapshot: (): Snapshot => ({}),
  };
}
