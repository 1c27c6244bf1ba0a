// snapshot(): the gathered families keyed by name, for heartbeats and tests; labelsOf() reads a point's labels as a record.

import { fail } from '../internal/errors.js';
import type { LabelSet, MetricFamily, MetricPoint } from './model.js';

/**
 * Every family by name (a counter's without `_total`), as gathered: the same {@link MetricFamily}
 * data `gather()` gives, so a family's series are its `points` and a point's labels are a
 * {@link LabelSet} (read them as a record with {@link labelsOf}). The record and its families
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
  if (typeof x !== 'object' || x === null) return false;
  const { names, values } = x as { names?: unknown; values?: unknown };
  return (
    Array.isArray(names) &&
    Array.isArray(values) &&
    names.length === values.length &&
    names.every((n) => typeof n === 'string') &&
    values.every((v) => typeof v === 'string')
  );
}

/**
 * A point's labels (or a {@link LabelSet}'s) as a fresh plain record, names to values, in the
 * label set's order (default labels first). For tests and heartbeats; encoders read the label
 * set itself.
 * @throws TelltaleError `TT_INVALID_OPTION` when the argument is neither a point nor a label set
 *   (string `names` and `values` of equal length).
 * @example
 * ```ts
 * const fam = registry.snapshot()['http_requests'];
 * const get = fam?.points.find((p) => labelsOf(p)['method'] === 'GET');
 * assert.deepEqual(labelsOf(fam!.points[0]!), { service: 'api', method: 'GET' });
 * ```
 */
export function labelsOf(pointOrLabels: MetricPoint | LabelSet): Record<string, string> {
  const x: unknown = pointOrLabels;
  const set =
    typeof x === 'object' && x !== null && 'labels' in x && !('names' in x)
      ? (x as { labels: unknown }).labels
      : x;
  if (!isLabelSet(set)) {
    fail(
      'TT_INVALID_OPTION',
      'labelsOf: expected a gathered point or a label set ({ names, values }: string arrays of equal length)',
    );
  }
  const out: Record<string, string> = {};
  const { names, values } = set;
  for (let i = 0; i < names.length; i++) put(out, names[i]!, values[i]!);
  return out;
}
