// telltale/testing: helpers for users' own tests: read values, compare exposition text, parse, count series.

import { encodeText } from '../exposition/text.js';
import { TelltaleError } from '../metrics/index.js';
import type { Labels, LabelValue } from '../metrics/labels.js';
import type {
  CounterPoint,
  GaugePoint,
  HistogramPoint,
  MetricFamily,
  MetricPoint,
  SummaryPoint,
} from '../metrics/model.js';
import type { Registry } from '../metrics/registry.js';
import { labelsOf } from '../metrics/snapshot.js';

/** Re-exported point types, for typing what {@link findSeries} returns. */
export type {
  CounterPoint,
  GaugePoint,
  HistogramPoint,
  InfoPoint,
  MetricPoint,
  StateSetPoint,
  SummaryPoint,
} from '../metrics/model.js';
export { expectAllRecorded } from './catalog.js';
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
/** Re-exported from `telltale/metrics`: a point's labels as a plain record. */
export { labelsOf };

function invalid(message: string): never {
  throw new TelltaleError('TT_INVALID_OPTION', message);
}

function checkArgs(fn: string, registry: unknown, name: unknown, labels?: unknown): void {
  if (typeof (registry as { snapshot?: unknown } | null)?.snapshot !== 'function') {
    invalid(`${fn}: registry must be a telltale registry (with snapshot())`);
  }
  if (name !== undefined && typeof name !== 'string') {
    invalid(`${fn}: name must be a string, got ${typeof name}`);
  }
  if (labels !== undefined && (typeof labels !== 'object' || labels === null)) {
    invalid(`${fn}: labels must be an object of label values`);
  }
}

/** Family `name` of a snapshot, or the family that `name` minus `_total`/`_info` names. */
function familyOf(registry: Registry, name: string): MetricFamily | undefined {
  const snap = registry.snapshot();
  return Object.hasOwn(snap, name) ? snap[name] : snap[name.replace(/_total$|_info$/, '')];
}

function matches(
  point: MetricPoint,
  labels: Readonly<Record<string, LabelValue>> | undefined,
): boolean {
  if (labels === undefined) return true;
  const have = labelsOf(point);
  for (const [k, v] of Object.entries(labels)) {
    if (!Object.hasOwn(have, k) || have[k] !== String(v)) return false;
  }
  return true;
}

/**
 * The points (gathered series) of family `name` whose labels include `labels` (a subset match;
 * default labels may be left out), as `registry.snapshot()` holds them: a counter's or gauge's
 * point has `value`, a histogram's `cumulative` (aligned with the family's `buckets`, then
 * `+Inf`), `sum` and `count`, a summary's `values` (aligned with the family's `quantiles`), a
 * stateset's `enabled` (aligned with the family's `states`). `name` may carry the `_total` or
 * `_info` suffix. Runs no collect callbacks. The type parameter names the point type you expect
 * (it is not checked: a counter family gives counter points).
 * @throws TelltaleError `TT_INVALID_OPTION` when `registry`, `name` or `labels` is malformed.
 * @example
 * ```ts
 * const [get] = findSeries<CounterPoint>(registry, 'http_requests_total', { method: 'GET' });
 * assert.equal(get?.value, 3);
 * assert.equal(labelsOf(get!)['status'], '200');
 * const [h] = findSeries<HistogramPoint>(registry, 'http_request_duration_seconds');
 * assert.equal(h?.count, 3);
 * ```
 */
export function findSeries<P extends MetricPoint = MetricPoint>(
  registry: Registry,
  name: string,
  labels?: Readonly<Record<string, LabelValue>>,
): P[] {
  checkArgs('findSeries', registry, name, labels);
  const fam = familyOf(registry, name);
  if (fam === undefined) return [];
  return (fam.points as readonly MetricPoint[]).filter((p) => matches(p, labels)) as P[];
}

/**
 * The value of the one series of family `name` matching `labels` (like client_golang's
 * `testutil.ToFloat64`): a counter's or gauge's `value`, 1 for an info series, the observation
 * `count` for a histogram or summary. `name` may carry the `_total` or `_info` suffix.
 * @throws TelltaleError `TT_ASSERTION_FAILED` when no series or more than one series matches.
 * @throws TelltaleError `TT_INVALID_OPTION` when `registry`, `name` or `labels` is malformed, or
 *   the family is a stateset (read its `enabled` flags with {@link findSeries}).
 * @example
 * ```ts
 * assert.equal(getValue(registry, 'http_requests_total', { method: 'GET' }), 3);
 * assert.equal(getValue(registry, 'http_request_duration_seconds'), 3); // the count
 * ```
 */
export function getValue(
  registry: Registry,
  name: string,
  labels?: Readonly<Record<string, LabelValue>>,
): number {
  checkArgs('getValue', registry, name, labels);
  const fam = familyOf(registry, name);
  const one = <P extends MetricPoint>(points: readonly P[]): P => {
    const found = points.filter((p) => matches(p, labels));
    if (found.length !== 1) {
      throw new TelltaleError(
        'TT_ASSERTION_FAILED',
        `getValue: expected one series of "${name}" matching ${JSON.stringify(labels ?? {})}, found ${found.length}`,
      );
    }
    return found[0]!;
  };
  if (fam === undefined) return one([]);
  switch (fam.type) {
    case 'counter':
    case 'gauge':
    case 'unknown':
      return one<CounterPoint | GaugePoint>(fam.points).value;
    case 'info':
      one(fam.points);
      return 1;
    case 'histogram':
    case 'summary':
      return one<HistogramPoint | SummaryPoint>(fam.points).count;
    case 'stateset':
      throw new TelltaleError(
        'TT_INVALID_OPTION',
        `getValue: "${name}" is a stateset, which has no single value; read its enabled flags with findSeries`,
      );
  }
}

/**
 * Number of points (series) of family `name` (which may carry the `_total` or `_info` suffix),
 * or of every family when `name` is omitted; 0 for an unknown family.
 * @throws TelltaleError `TT_INVALID_OPTION` when `registry` or `name` is malformed.
 * @example
 * ```ts
 * assert.equal(countSeries(registry, 'http_requests_total'), 2);
 * assert.equal(countSeries(registry), 5);
 * ```
 */
export function countSeries(registry: Registry, name?: string): number {
  checkArgs('countSeries', registry, name);
  if (name !== undefined) return familyOf(registry, name)?.points.length ?? 0;
  let n = 0;
  for (const fam of Object.values(registry.snapshot())) n += fam.points.length;
  return n;
}

/**
 * Gathers the named families (all when `names` is empty) as Prometheus text and compares with
 * `expected` (leading indentation and surrounding blank lines are ignored, so a template literal
 * can be indented). Like client_golang's `testutil.GatherAndCompare`.
 * @throws TelltaleError `TT_ASSERTION_FAILED`, showing both texts, when they differ.
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
    throw new TelltaleError(
      'TT_ASSERTION_FAILED',
      `expectExposition: exposition differs\n--- expected\n${norm(expected)}\n--- actual\n${norm(actual)}`,
    );
  }
}

/** Re-exported label types, for typing helper arguments. */
export type { Labels, LabelValue };
