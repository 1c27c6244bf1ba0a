// snapshot(): the gathered families keyed by name, for heartbeats and tests; labelsOf() reads a point's labels as a record.

import { fail } from '../internal/errors.js';
import type { LabelSet, MetricFamily, MetricPoint } from './model.js';

/**
 * Every family by name (a counter's without `_total`), as gathered: the same {@link MetricFamily}
 * data `gather()` gives, so a family's series are its `points` and a point's labels are a
 * {@link LabelSet}, a frozen record (copy one with {@link labelsOf}). The record and its families
 * are frozen; later updates do not change it.
 * @example
 * ```ts
 * const fam = registry.snapshot()['http_requests'];
 * if (fam?.type === 'counter') for (const p of fam.points) console.log(labelsOf(p), p.value);
 * ```
 */
export type Snapshot = Readonly<Record<string, MetricFamily>>;

/** Sets `out[key]` as an own data property, also for `__proto__` (which plain assignment drops). */
function put<T>(out: Record<string, T>, key: string, value: T): void {
  if (key === '__proto__') {
    Object.defineProperty(out, key, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  } else {
    out[key] = value;
  }
}

/** @internal Keys gathered families by name and freezes the record: `registry.snapshot()`. */
export function snapshotOf(families: Iterable<MetricFamily>): Snapshot {
  const out: Record<string, MetricFamily> = {};
  for (const f of families) put(out, f.name, f);
  return Object.freeze(out);
}

function isLabelSet(x: unknown): x is LabelSet {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) return false;
  for (const k in x) if (typeof (x as Record<string, unknown>)[k] !== 'string') return false;
  return true;
}

/**
 * A point's labels (or a {@link LabelSet}'s) as a fresh, mutable plain record, names to values,
 * in the label set's order (default labels first). For tests and heartbeats; a gathered label
 * set is already a (frozen) record, so `point.labels['method']` reads one value directly.
 * @throws TelltaleError `TT_INVALID_OPTION` when the argument is neither a point nor a label set
 *   (an object whose values are all strings).
 * @example
 * ```ts
 * const fam = registry.snapshot()['http_requests'];
 * const get = fam?.points.find((p) => p.labels['method'] === 'GET');
 * assert.deepEqual(labelsOf(fam!.points[0]!), { service: 'api', method: 'GET' });
 * ```
 */
export function labelsOf(pointOrLabels: MetricPoint | LabelSet): Record<string, string> {
  const x: unknown = pointOrLabels;
  // A point's `labels` is an object; a label set's values (a label named `labels` too) are strings.
  const inner =
    typeof x === 'object' && x !== null ? (x as { labels?: unknown }).labels : undefined;
  const set = typeof inner === 'object' && inner !== null ? inner : x;
  if (!isLabelSet(set)) {
    fail(
      'TT_INVALID_OPTION',
      'labelsOf: expected a gathered point or a label set (an object of label names to string values)',
    );
  }
  const out: Record<string, string> = {};
  for (const k in set) put(out, k, set[k]!);
  return out;
}
