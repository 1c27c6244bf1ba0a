// V8 heap metrics: heap size and use, external memory, and size, use and room per heap space.

import { getHeapSpaceStatistics, getHeapStatistics } from 'node:v8';
import { checkOptionKeys } from '../internal/option-keys.js';
import {
  COLLECTOR_OPTIONS,
  type CollectorOptions,
  checkOptions,
  OwnedFamilies,
  type RuntimeCollector,
  sharedReading,
} from './common.js';

/** Options of {@link startHeapMetrics}. */
export interface HeapMetricsOptions extends CollectorOptions {}

/** Every key of {@link HeapMetricsOptions}: `startHeapMetrics` refuses any other. */
export const HEAP_METRICS_OPTIONS = [...COLLECTOR_OPTIONS] as const;

// V8 has about ten heap spaces (nine in Node 20); a cap keeps a future V8 from growing the label.
const MAX_SPACES = 32;

/**
 * Starts the heap collector, read at gather time from `v8.getHeapStatistics()` and
 * `v8.getHeapSpaceStatistics()` (no timer).
 *
 * Families (gauges, bytes): `nodejs_heap_size_total_bytes`, `nodejs_heap_size_used_bytes`,
 * `nodejs_external_memory_bytes`, and per V8 space (`space` label without the `_space` suffix, as
 * prom-client does: `new`, `old`, `code`, `large_object`, …) `nodejs_heap_space_size_total_bytes`,
 * `nodejs_heap_space_size_used_bytes`, `nodejs_heap_space_size_available_bytes`.
 *
 * @throws TelltaleError `TT_INVALID_OPTION` on a bad or unknown option; `TT_CONFLICTING_REGISTRATION` when
 * one of its names is already registered.
 * @example
 * ```ts
 * const heap = startHeapMetrics({ registry });
 * heap.stop();
 * ```
 */
export function startHeapMetrics(options?: HeapMetricsOptions): RuntimeCollector {
  const where = 'startHeapMetrics';
  const { registry, prefix } = checkOptions(where, options);
  checkOptionKeys(where, options ?? {}, HEAP_METRICS_OPTIONS);
  const fam = new OwnedFamilies(registry, prefix, where);
  fam.preflight([
    'nodejs_heap_size_total_bytes',
    'nodejs_heap_size_used_bytes',
    'nodejs_external_memory_bytes',
    'nodejs_heap_space_size_total_bytes',
    'nodejs_heap_space_size_used_bytes',
    'nodejs_heap_space_size_available_bytes',
  ]);

  const heap = sharedReading(() => getHeapStatistics());
  fam.own(
    registry.gauge({
      name: fam.name('nodejs_heap_size_total_bytes'),
      help: 'Size of the V8 heap, in bytes.',
      collect: (g) => g.set(heap(0).total_heap_size),
    }),
  );
  fam.own(
    registry.gauge({
      name: fam.name('nodejs_heap_size_used_bytes'),
      help: 'Used size of the V8 heap, in bytes.',
      collect: (g) => g.set(heap(1).used_heap_size),
    }),
  );
  fam.own(
    registry.gauge({
      name: fam.name('nodejs_external_memory_bytes'),
      help: 'Memory of C++ objects bound to JavaScript objects managed by V8, in bytes.',
      collect: (g) => g.set(heap(2).external_memory),
    }),
  );

  const spaces = sharedReading(() => getHeapSpaceStatistics());
  const label = (name: string): string => (name.endsWith('_space') ? name.slice(0, -6) : name);
  const spaceGauge = (
    slot: number,
    name: string,
    help: string,
    pick: (s: ReturnType<typeof getHeapSpaceStatistics>[number]) => number,
  ): void => {
    fam.own(
      registry.gauge({
        name: fam.name(name),
        help,
        labelNames: ['space'],
        maxSeries: MAX_SPACES,
        collect: (g) => {
          for (const s of spaces(slot)) g.set({ space: label(s.space_name) }, pick(s));
        },
      }),
    );
  };
  spaceGauge(
    0,
    'nodejs_heap_space_size_total_bytes',
    'Size of each V8 heap space, in bytes.',
    (s) => s.space_size,
  );
  spaceGauge(
    1,
    'nodejs_heap_space_size_used_bytes',
    'Used size of each V8 heap space, in bytes.',
    (s) => s.space_used_size,
  );
  spaceGauge(
    2,
    'nodejs_heap_space_size_available_bytes',
    'Room left in each V8 heap space, in bytes.',
    (s) => s.space_available_size,
  );

  return { stop: () => fam.unregisterAll() };
}
