// Metric and label name validation, and the Prometheus naming conventions checked at registration.

import { fail, warnOnce } from '../internal/errors.js';
import type { MetricType } from './model.js';

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const SNAKE_CASE = /^[a-z_][a-z0-9_]*$/;
const UNIT = /^[a-z][a-z0-9_]*$/;

/** Non-base units and the base unit Prometheus conventions ask for instead. */
const NON_BASE_UNITS: Readonly<Record<string, string>> = {
  ms: 'seconds',
  msec: 'seconds',
  millis: 'seconds',
  milliseconds: 'seconds',
  us: 'seconds',
  microseconds: 'seconds',
  ns: 'seconds',
  nanoseconds: 'seconds',
  minutes: 'seconds',
  hours: 'seconds',
  days: 'seconds',
  kb: 'bytes',
  kilobytes: 'bytes',
  mb: 'bytes',
  megabytes: 'bytes',
  gb: 'bytes',
  gigabytes: 'bytes',
  bits: 'bytes',
};

/** Throws `TT_INVALID_METRIC_NAME` unless `name` matches `[a-zA-Z_:][a-zA-Z0-9_:]*`. */
export function validateMetricName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || !METRIC_NAME.test(name)) {
    fail(
      'TT_INVALID_METRIC_NAME',
      `metric name ${JSON.stringify(name)} is not valid: use letters, digits and underscores, not starting with a digit (for example "http_requests_total")`,
    );
  }
}

/**
 * Validates declared label names for a metric: syntax, reserved names (`__*`, `le` on
 * histograms, `quantile` on summaries, the family name on statesets) and duplicates.
 */
export function validateLabelNames(
  metric: string,
  type: MetricType,
  names: readonly unknown[],
  reservedExtra: readonly string[] = [],
): asserts names is readonly string[] {
  const seen = new Set<string>();
  for (const n of names) {
    if (typeof n !== 'string' || !LABEL_NAME.test(n)) {
      fail(
        'TT_INVALID_LABEL_NAME',
        `metric "${metric}": label name ${JSON.stringify(n)} is not valid: use letters, digits and underscores, not starting with a digit`,
      );
    }
    if (n.startsWith('__')) {
      fail(
        'TT_RESERVED_LABEL',
        `metric "${metric}": label name "${n}" starts with "__", which Prometheus reserves for internal use; rename it`,
      );
    }
    if (type === 'histogram' && n === 'le') {
      fail(
        'TT_RESERVED_LABEL',
        `metric "${metric}": a histogram cannot have a label named "le" (it holds bucket bounds); rename it`,
      );
    }
    if (type === 'summary' && n === 'quantile') {
      fail(
        'TT_RESERVED_LABEL',
        `metric "${metric}": a summary cannot have a label named "quantile"; rename it`,
      );
    }
    if (reservedExtra.includes(n)) {
      fail(
        'TT_RESERVED_LABEL',
        `metric "${metric}": label name "${n}" is reserved here (a default label of the registry, the state label of a stateset, or a label of telltale's own metrics: metric, kind, format, reason, check, task, outcome, phase, hook); rename it`,
      );
    }
    if (seen.has(n)) {
      fail('TT_DUPLICATE_LABEL', `metric "${metric}": label name "${n}" is declared twice`);
    }
    seen.add(n);
  }
}

/** Throws `TT_INVALID_UNIT` unless the unit is snake_case and the name ends with `_<unit>`. */
export function validateUnit(name: string, unit: string): void {
  if (unit === '') return;
  if (!UNIT.test(unit)) {
    fail(
      'TT_INVALID_UNIT',
      `metric "${name}": unit "${unit}" must be lower snake_case, like "seconds"`,
    );
  }
  if (!name.endsWith(`_${unit}`)) {
    fail(
      'TT_INVALID_UNIT',
      `metric "${name}": the name must end with "_${unit}" when the unit is "${unit}" (OpenMetrics); rename it to "${name}_${unit}"`,
    );
  }
}

/** One finding of the naming-convention lint. */
export interface NamingFinding {
  /** The metric name. */
  readonly metric: string;
  /** What is wrong and how to fix it. */
  readonly message: string;
}

const TYPES: readonly string[] = [
  'counter',
  'gauge',
  'histogram',
  'summary',
  'info',
  'stateset',
  'unknown',
];

/**
 * Checks a metric name against the Prometheus naming conventions, as a registry does at
 * registration: snake_case, `_total` only on counters, base units (`_seconds`, `_bytes`, not
 * `_ms` or `_kilobytes`), no colons (reserved for recording rules). Returns the findings (empty
 * when the name is fine); it never throws on a finding.
 *
 * `name` is the name as you would register it (`http_requests_total`), or a gathered family
 * name; the findings are the same either way. `declared` is the name the findings report
 * (default `name`): the registry passes the family name as `name` and the name given to it here.
 * @example
 * ```ts
 * lintMetricName('request_ms', 'histogram');
 * // [{ metric: 'request_ms', message: 'use base unit "seconds" instead of "ms" (rename to "request_seconds" and observe seconds)' }]
 * ```
 * @throws TelltaleError `TT_INVALID_METRIC_NAME` when `name` or `declared` is not a string,
 *   `TT_INVALID_OPTION` when `type` is not a metric type.
 */
export function lintMetricName(
  name: string,
  type: MetricType,
  declared: string = name,
): NamingFinding[] {
  if (typeof name !== 'string' || typeof declared !== 'string') {
    fail(
      'TT_INVALID_METRIC_NAME',
      `lintMetricName: name must be a string, got ${typeof name === 'string' ? typeof declared : typeof name}`,
    );
  }
  if (!TYPES.includes(type)) {
    fail(
      'TT_INVALID_OPTION',
      `lintMetricName: type must be one of ${TYPES.join(', ')}; got ${JSON.stringify(type)}`,
    );
  }
  const out: NamingFinding[] = [];
  if (name.includes(':')) {
    out.push({
      metric: declared,
      message: 'metric names should not contain ":" (reserved for recording rules)',
    });
  }
  if (!SNAKE_CASE.test(name.replace(/:/g, '_'))) {
    out.push({
      metric: declared,
      message: "metric names should be written in 'snake_case' not 'camelCase'",
    });
  }
  if (type !== 'counter' && /_total$/.test(declared)) {
    out.push({ metric: declared, message: 'non-counter metrics should not have "_total" suffix' });
  }
  const parts = name.split('_');
  for (const p of parts) {
    const base = NON_BASE_UNITS[p];
    if (base !== undefined) {
      out.push({
        metric: declared,
        message: `use base unit "${base}" instead of "${p}"${type === 'histogram' && base === 'seconds' ? ` (rename to "${name.replace(new RegExp(`_${p}(?=_|$)`), '_seconds')}" and observe seconds)` : ''}`,
      });
      break;
    }
  }
  return out;
}

/**
 * Applies the naming lint at registration: in strict mode the first finding throws
 * `TT_NAMING_RULE`; otherwise each finding is a warning emitted once per process.
 */
export function enforceNaming(
  name: string,
  type: MetricType,
  declared: string,
  strict: boolean,
): void {
  const findings = lintMetricName(name, type, declared);
  for (const f of findings) {
    if (strict) fail('TT_NAMING_RULE', `metric "${f.metric}": ${f.message}`);
    warnOnce(
      'TT_NAMING_CONVENTION',
      `${f.metric}:${f.message}`,
      `metric "${f.metric}": ${f.message}`,
    );
  }
}

/**
 * Validates `gather()` options and returns the name filter as a Set (`undefined` for "all").
 * `names` may be any iterable of strings (an array, a Set); it is read once, so a generator works.
 * @throws TelltaleError `TT_INVALID_OPTION` when the options are not an object, or `names` is a
 *   string, not iterable, or holds a non-string.
 */
export function gatherNames(where: string, options: unknown): ReadonlySet<string> | undefined {
  if (options === undefined) return undefined;
  if (typeof options !== 'object' || options === null) {
    fail(
      'TT_INVALID_OPTION',
      `${where}: options must be an object like { names: ['http_requests'] }`,
    );
  }
  const names = (options as { names?: unknown }).names;
  if (names === undefined) return undefined;
  if (names instanceof Set) {
    for (const n of names) if (typeof n !== 'string') badName(where, n);
    return names as ReadonlySet<string>;
  }
  if (
    typeof names !== 'object' ||
    names === null ||
    typeof (names as { [Symbol.iterator]?: unknown })[Symbol.iterator] !== 'function'
  ) {
    fail(
      'TT_INVALID_OPTION',
      `${where}: names must be an iterable of metric names (an array or a Set), got ${typeof names === 'string' ? `the string ${JSON.stringify(names)}; wrap it in an array` : names === null ? 'null' : typeof names}`,
    );
  }
  const out = new Set<string>();
  for (const n of names as Iterable<unknown>) {
    if (typeof n !== 'string') badName(where, n);
    out.add(n);
  }
  return out;
}

function badName(where: string, n: unknown): never {
  fail(
    'TT_INVALID_OPTION',
    `${where}: names must hold metric names (strings), got ${typeof n === 'object' ? String(n) : `${typeof n} ${String(n)}`}`,
  );
}

/**
 * The sample-name suffixes each family type exposes besides its bare name: a counter `x` has
 * samples `x_total` and `x_created`, a histogram `x_bucket`, `x_sum`, `x_count` and `x_created`,
 * and so on. The one table behind registration clashes, `gather({ names })` and the metrics
 * handler's `name[]` filter.
 */
export const SAMPLE_SUFFIXES: Readonly<Record<MetricType, readonly string[]>> = Object.freeze({
  counter: Object.freeze(['_total', '_created']),
  histogram: Object.freeze(['_bucket', '_sum', '_count', '_created']),
  summary: Object.freeze(['_sum', '_count', '_created']),
  info: Object.freeze(['_info']),
  gauge: Object.freeze([]),
  stateset: Object.freeze([]),
  unknown: Object.freeze([]),
});

/** Every suffix of {@link SAMPLE_SUFFIXES}, once. */
export const ALL_SAMPLE_SUFFIXES: readonly string[] = Object.freeze([
  ...new Set(Object.values(SAMPLE_SUFFIXES).flat()),
]);

/** The sample names a family of this type exposes: its bare name, then one per suffix. */
export function sampleNames(type: MetricType, name: string): string[] {
  return [name, ...SAMPLE_SUFFIXES[type].map((s) => name + s)];
}
