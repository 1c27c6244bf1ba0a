// telltale/testing: helpers for users' own tests: read values, compare exposition text, parse, count series.

import { encodeText } from '../exposition/text.js';
import type { Labels, LabelValue } from '../metrics/labels.js';
import type { Registry } from '../metrics/registry.js';
import type { SnapshotSeries } from '../metrics/snapshot.js';

export {
  ExpositionParseError,
  type ParsedExemplar,
  type ParsedFamily,
  type ParsedSample,
  type ParsedType,
  parseExposition,
  parseOpenMetrics,
  parseText,
} from './parse.js';

function matches(
  series: SnapshotSeries,
  labels: Readonly<Record<string, LabelValue>> | undefined,
): boolean {
  if (labels === undefined) return true;
  for (const [k, v] of Object.entries(labels)) if (series.labels[k] !== String(v)) return false;
  return true;
}

/**
 * The series of family `name` whose labels include `labels` (a subset match; default labels may
 * be left out), as plain snapshot data. Runs no collect callbacks.
 * @example
 * ```ts
 * const [s] = findSeries(registry, 'http_requests', { method: 'GET' });
 * assert.equal(s?.value, 3);
 * ```
 */
export function findSeries(
  registry: Registry,
  name: string,
  labels?: Readonly<Record<string, LabelValue>>,
): SnapshotSeries[] {
  const snap = registry.snapshot();
  const fam = snap[name] ?? snap[name.replace(/_total$|_info$/, '')];
  if (fam === undefined) return [];
  return fam.series.filter((s) => matches(s, labels));
}

/**
 * The value of the one counter, gauge or info series matching `labels` (like client_golang's
 * `testutil.ToFloat64`). For a histogram or summary it is the observation count.
 * @throws Error when no series or more than one series matches.
 */
export function getValue(
  registry: Registry,
  name: string,
  labels?: Readonly<Record<string, LabelValue>>,
): number {
  const found = findSeries(registry, name, labels);
  if (found.length !== 1) {
    throw new Error(
      `getValue: expected one series of "${name}" matching ${JSON.stringify(labels ?? {})}, found ${found.length}`,
    );
  }
  const s = found[0]!;
  return s.value ?? s.count ?? Number.NaN;
}

/** Number of series of family `name`, or of every family when `name` is omitted. */
export function countSeries(registry: Registry, name?: string): number {
  const snap = registry.snapshot();
  if (name !== undefined)
    return (snap[name] ?? snap[name.replace(/_total$|_info$/, '')])?.series.length ?? 0;
  let n = 0;
  for (const fam of Object.values(snap)) n += fam.series.length;
  return n;
}

/**
 * Gathers the named families (all when `names` is empty) as Prometheus text and compares with
 * `expected` (leading indentation and surrounding blank lines are ignored, so a template literal
 * can be indented). Like client_golang's `testutil.GatherAndCompare`.
 * @throws Error showing both texts when they differ.
 */
export async function expectExposition(
  registry: Registry,
  expected: string,
  names: readonly string[] = [],
): Promise<void> {
  const families = await registry.gather(names.length > 0 ? { names: new Set(names) } : {});
  const actual = encodeText(families);
  const norm = (s: string) =>
    s
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '')
      .join('\n');
  if (norm(actual) !== norm(expected)) {
    throw new Error(
      `expectExposition: exposition differs\n--- expected\n${norm(expected)}\n--- actual\n${norm(actual)}`,
    );
  }
}

/** Re-exported label types, for typing helper arguments. */
export type { Labels, LabelValue };
