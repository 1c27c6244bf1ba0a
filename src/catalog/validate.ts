// Validation of catalog entries, written in TypeScript or read from YAML: every problem is a coded error naming the entry and the path of the field.

import { type ErrorCode, fail, TelltaleError } from '../internal/errors.js';
import { DEFAULT_BUCKETS } from '../metrics/buckets.js';
import { validateLabelNames, validateMetricName, validateUnit } from '../metrics/names.js';
import { resolveNativeOptions } from '../metrics/native.js';
import { normalizeHelp } from '../metrics/registry.js';
import type {
  CatalogEntry,
  CatalogLabel,
  CatalogMetricType,
  DashboardHints,
  ErrorRatioObjective,
  LatencyObjective,
  SaturationObjective,
  SloSpec,
} from './schema.js';

/** One step of a field's path: a key, or an index into a list. */
export type PathSegment = string | number;

/** Where the entries come from, for messages. */
export interface Source {
  /** Who is validating: `defineMetrics`, `parseCatalog`, or a file name. */
  readonly where: string;
  /** Extra location text for a path, such as `line 14` in a YAML file. */
  readonly locate?: (path: readonly PathSegment[]) => string | undefined;
}

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** `metrics[2].labels.route.values`: keys as `.key` (or `["odd key"]`), indices as `[i]`. */
export function renderPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const s of path) {
    if (typeof s === 'number') out += `[${s}]`;
    else if (IDENT.test(s)) out += out === '' ? s : `.${s}`;
    else out += `[${JSON.stringify(s)}]`;
  }
  return out;
}

/** A field being validated: its path, and the entry's metric name once it is known. */
class At {
  readonly src: Source;
  readonly path: readonly PathSegment[];
  /** The length of the path that names the entry (`requests`, or `metrics[2]`). */
  readonly rootLength: number;
  readonly metric: { name: string | undefined };
  constructor(
    src: Source,
    path: readonly PathSegment[],
    rootLength: number,
    metric: { name: string | undefined },
  ) {
    this.src = src;
    this.path = path;
    this.rootLength = rootLength;
    this.metric = metric;
  }
  at(...more: PathSegment[]): At {
    return new At(this.src, [...this.path, ...more], this.rootLength, this.metric);
  }
  fail(code: ErrorCode, message: string): never {
    const notes: string[] = [];
    const root = renderPath(this.path.slice(0, this.rootLength));
    const name = this.metric.name;
    if (name !== undefined && name !== root) notes.push(`metric "${name}"`);
    const where = this.src.locate?.(this.path);
    if (where !== undefined) notes.push(where);
    const note = notes.length > 0 ? ` (${notes.join(', ')})` : '';
    fail(code, `${this.src.where}: ${renderPath(this.path)}${note}: ${message}`);
  }
  /** Runs a registry rule, re-raising its error here with its code and without its own prefix. */
  rule(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      if (!(err instanceof TelltaleError)) throw err;
      const text = err.message
        .slice(err.code.length + 2)
        .replace(/^(?:metric|histogram|summary) "[^"]*": /, '');
      this.fail(err.code, text);
    }
  }
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'string') return `the string ${JSON.stringify(v)}`;
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v)}`;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function record(at: At, v: unknown, example: string): Record<string, unknown> {
  if (!isRecord(v))
    at.fail('TT_INVALID_CATALOG', `must be an object such as ${example}, got ${describe(v)}`);
  return v;
}

/** Edit distance, for "did you mean": keys are short, so the quadratic table is cheap. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}

/** Fails on the first key of `o` that is not in `known`, suggesting the closest known key. */
function knownKeys(
  at: At,
  o: Record<string, unknown>,
  known: readonly string[],
  elsewhere?: (key: string) => string | undefined,
): void {
  for (const k of Object.keys(o)) {
    if (known.includes(k)) continue;
    const other = elsewhere?.(k);
    if (other !== undefined) at.at(k).fail('TT_INVALID_CATALOG', other);
    let best: string | undefined;
    let bestD = 3;
    for (const c of known) {
      const d = distance(k.toLowerCase(), c.toLowerCase());
      if (d < bestD) {
        best = c;
        bestD = d;
      }
    }
    at.at(k).fail(
      'TT_INVALID_CATALOG',
      `unknown key${best === undefined ? '' : ` (did you mean "${best}"?)`}; the keys here are ${known.join(', ')}`,
    );
  }
}

function nonEmptyString(at: At, v: unknown, what: string): string {
  if (typeof v !== 'string' || v === '') {
    at.fail('TT_INVALID_CATALOG', `${what} must be a non-empty string, got ${describe(v)}`);
  }
  return v;
}

function ratio(at: At, v: unknown): number {
  if (typeof v !== 'number' || !(v > 0 && v < 1)) {
    at.fail(
      'TT_INVALID_CATALOG',
      `the target must be a fraction between 0 and 1 (exclusive), such as 0.99 for 99 %; got ${describe(v)}`,
    );
  }
  return v;
}

function finite(at: At, v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    at.fail('TT_INVALID_CATALOG', `${what} must be a finite number, got ${describe(v)}`);
  }
  return v;
}

const TYPES: readonly CatalogMetricType[] = ['counter', 'gauge', 'histogram', 'summary'];
const COMMON_KEYS: readonly string[] = [
  'name',
  'type',
  'help',
  'unit',
  'labels',
  'slo',
  'dashboard',
];
const TYPE_KEYS: Readonly<Record<CatalogMetricType, readonly string[]>> = Object.freeze({
  counter: Object.freeze([]),
  gauge: Object.freeze([]),
  histogram: Object.freeze(['buckets', 'native']),
  summary: Object.freeze(['quantiles', 'maxAgeSeconds', 'ageBuckets']),
});

function labelsOf(at: At, type: CatalogMetricType, name: string, raw: unknown): CatalogLabel[] {
  if (raw === undefined) return [];
  const labels = record(at, raw, "{ method: { values: ['GET', 'POST'] }, route: {} }");
  const out: CatalogLabel[] = [];
  for (const [n, spec] of Object.entries(labels)) {
    const here: At = at.at(n);
    here.rule(() => validateLabelNames(name, type, [n]));
    const s = record(here, spec, "{} (any value) or { values: ['a', 'b'] }");
    knownKeys(here, s, ['values', 'help']);
    const help = s['help'] === undefined ? '' : nonEmptyString(here.at('help'), s['help'], 'help');
    let values: string[] | undefined;
    if (s['values'] !== undefined) {
      const vs: At = here.at('values');
      const list = s['values'];
      if (!Array.isArray(list)) {
        vs.fail(
          'TT_INVALID_CATALOG',
          `must be a list of the allowed values, got ${describe(list)}`,
        );
      }
      if (list.length === 0) {
        vs.fail(
          'TT_INVALID_CATALOG',
          `a bounded label needs at least one allowed value; list them, or remove "values" to let "${n}" take any value`,
        );
      }
      values = [];
      for (let i = 0; i < list.length; i++) {
        const v: unknown = list[i];
        const item: At = vs.at(i);
        if (typeof v !== 'string' || v === '') {
          item.fail(
            'TT_INVALID_CATALOG',
            `an allowed value must be a non-empty string, got ${describe(v)}${typeof v === 'number' ? ` (quote it: "${v}")` : ''}`,
          );
        }
        if (values.includes(v)) item.fail('TT_INVALID_CATALOG', `"${v}" is listed twice`);
        values.push(v);
      }
      Object.freeze(values);
    }
    out.push(Object.freeze({ name: n, values, help }));
  }
  return out;
}

function bucketsOf(at: At, raw: unknown): number[] {
  if (!Array.isArray(raw)) {
    at.fail('TT_INVALID_BUCKETS', `must be a list of upper bounds, got ${describe(raw)}`);
  }
  const out: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    const b: unknown = raw[i];
    const item: At = at.at(i);
    if (b === Number.POSITIVE_INFINITY && i === raw.length - 1) break; // +Inf is implied
    if (typeof b !== 'number' || !Number.isFinite(b)) {
      item.fail('TT_INVALID_BUCKETS', `a bucket bound must be a finite number, got ${describe(b)}`);
    }
    const prev = out[out.length - 1];
    if (prev !== undefined && b <= prev) {
      item.fail('TT_INVALID_BUCKETS', `buckets must be strictly ascending; ${b} follows ${prev}`);
    }
    out.push(b);
  }
  if (out.length === 0) at.fail('TT_INVALID_BUCKETS', 'needs at least one finite bucket bound');
  return out;
}

function quantilesOf(at: At, raw: unknown): number[] {
  if (!Array.isArray(raw) || raw.length === 0) {
    at.fail(
      'TT_INVALID_QUANTILES',
      `must be a non-empty list of ranks in [0, 1], got ${describe(raw)}`,
    );
  }
  const out: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    const q: unknown = raw[i];
    const prev = out[out.length - 1];
    const item: At = at.at(i);
    if (typeof q !== 'number' || !(q >= 0 && q <= 1) || (prev !== undefined && q <= prev)) {
      item.fail(
        'TT_INVALID_QUANTILES',
        `quantiles must be ascending ranks in [0, 1] without duplicates; got ${describe(q)}`,
      );
    }
    out.push(q);
  }
  return out;
}

function positive(at: At, v: unknown, integer: boolean): number {
  if (
    typeof v !== 'number' ||
    !(v > 0) ||
    !Number.isFinite(v) ||
    (integer && !Number.isInteger(v))
  ) {
    at.fail(
      'TT_INVALID_CATALOG',
      `must be ${integer ? 'an integer ≥ 1' : 'a finite number > 0'}, got ${describe(v)}`,
    );
  }
  return v;
}

function between(list: readonly number[], t: number): string {
  const below = list.filter((b) => b < t).at(-1);
  const above = list.find((b) => b > t);
  return below === undefined || above === undefined
    ? `is outside the buckets (${list[0]} to ${list.at(-1)})`
    : `falls between the bucket bounds ${below} and ${above}`;
}

function sloOf(
  at: At,
  raw: unknown,
  type: CatalogMetricType,
  labels: readonly CatalogLabel[],
  buckets: readonly number[],
): SloSpec {
  const o = record(at, raw, '{ latency: { threshold: 0.25, target: 0.99 } }');
  knownKeys(at, o, ['latency', 'errorRatio', 'saturation']);
  const slo: {
    latency?: LatencyObjective;
    errorRatio?: ErrorRatioObjective;
    saturation?: SaturationObjective;
  } = {};
  if (o['latency'] !== undefined) {
    const here: At = at.at('latency');
    if (type !== 'histogram') {
      here.fail(
        'TT_INVALID_CATALOG',
        `a latency objective needs a histogram; this entry is a ${type}`,
      );
    }
    const l = record(here, o['latency'], '{ threshold: 0.25, target: 0.99 }');
    knownKeys(here, l, ['threshold', 'target']);
    const threshold = finite(here.at('threshold'), l['threshold'], 'the threshold');
    if (!buckets.includes(threshold)) {
      here
        .at('threshold')
        .fail(
          'TT_INVALID_CATALOG',
          buckets.length === 0
            ? `${threshold} has no bucket to count against: a latency objective needs classic buckets that contain the threshold (add buckets, for example sloBuckets([${threshold}]))`
            : `${threshold} ${between(buckets, threshold)}; a latency objective counts the observations in the bucket whose bound is the threshold, so add ${threshold} to the buckets (sloBuckets() builds a layout that contains it)`,
        );
    }
    const target = ratio(here.at('target'), l['target']);
    slo.latency = Object.freeze({ threshold, target });
  }
  if (o['errorRatio'] !== undefined) {
    const here: At = at.at('errorRatio');
    if (type === 'gauge') {
      here.fail(
        'TT_INVALID_CATALOG',
        'an error-ratio objective counts events, so it needs a counter, a histogram or a summary; this entry is a gauge',
      );
    }
    const e = record(
      here,
      o['errorRatio'],
      "{ target: 0.999, label: 'outcome', values: ['error'] }",
    );
    knownKeys(here, e, ['target', 'label', 'values']);
    const target = ratio(here.at('target'), e['target']);
    const name = nonEmptyString(here.at('label'), e['label'], 'the label');
    const label = labels.find((l) => l.name === name);
    const labelAt: At = here.at('label');
    if (label === undefined) {
      labelAt.fail(
        'TT_INVALID_CATALOG',
        `"${name}" is not a label of this entry (${labels.length === 0 ? 'it has none' : `its labels: ${labels.map((l) => l.name).join(', ')}`}); the errors are told apart by a declared label`,
      );
    }
    const vs: At = here.at('values');
    const list = e['values'];
    if (!Array.isArray(list) || list.length === 0) {
      vs.fail(
        'TT_INVALID_CATALOG',
        `must list the values of "${name}" that count as errors, got ${describe(list)}`,
      );
    }
    const values: string[] = [];
    for (let i = 0; i < list.length; i++) {
      const v: unknown = list[i];
      const item: At = vs.at(i);
      if (typeof v !== 'string' || v === '') {
        item.fail(
          'TT_INVALID_CATALOG',
          `an error value must be a non-empty string, got ${describe(v)}`,
        );
      }
      if (label.values !== undefined && !label.values.includes(v)) {
        item.fail(
          'TT_INVALID_CATALOG',
          `"${v}" is not an allowed value of label "${name}" (${label.values.join(', ')})`,
        );
      }
      values.push(v);
    }
    slo.errorRatio = Object.freeze({ target, label: name, values: Object.freeze(values) });
  }
  if (o['saturation'] !== undefined) {
    const here: At = at.at('saturation');
    if (type !== 'gauge') {
      here.fail(
        'TT_INVALID_CATALOG',
        `a saturation threshold needs a gauge; this entry is a ${type}`,
      );
    }
    const s = record(here, o['saturation'], '{ threshold: 0.9 }');
    knownKeys(here, s, ['threshold']);
    slo.saturation = Object.freeze({
      threshold: finite(here.at('threshold'), s['threshold'], 'the threshold'),
    });
  }
  return Object.freeze(slo);
}

function dashboardOf(at: At, raw: unknown): DashboardHints {
  const o = record(at, raw, "{ row: 'HTTP', title: 'Requests' }");
  knownKeys(at, o, ['row', 'title']);
  const out: { row?: string; title?: string } = {};
  if (o['row'] !== undefined) out.row = nonEmptyString(at.at('row'), o['row'], 'the row');
  if (o['title'] !== undefined) out.title = nonEmptyString(at.at('title'), o['title'], 'the title');
  return Object.freeze(out);
}

/**
 * Validates one entry and returns it with every default applied, frozen.
 * @param path The path that names the entry: `['requests']`, or `['metrics', 2]` in YAML.
 */
export function validateEntry(
  src: Source,
  path: readonly PathSegment[],
  key: string,
  raw: unknown,
): CatalogEntry {
  const metric = { name: undefined as string | undefined };
  const at = new At(src, path, path.length, metric);
  const o = record(at, raw, "{ name: 'jobs_total', type: 'counter', help: 'Jobs run.' }");
  const name = o['name'];
  at.at('name').rule(() => validateMetricName(name));
  metric.name = name as string;
  const type = o['type'];
  if (!TYPES.includes(type as CatalogMetricType)) {
    at.at('type').fail(
      'TT_INVALID_CATALOG',
      `the type must be one of ${TYPES.join(', ')}, got ${describe(type)}`,
    );
  }
  const t = type as CatalogMetricType;
  knownKeys(at, o, [...COMMON_KEYS, ...TYPE_KEYS[t]], (k) => {
    const owner = TYPES.find((x) => TYPE_KEYS[x].includes(k));
    return owner === undefined ? undefined : `only a ${owner} has "${k}"; this entry is a ${t}`;
  });
  const n = name as string;
  const family = t === 'counter' && n.endsWith('_total') ? n.slice(0, -'_total'.length) : n;
  at.at('name').rule(() => validateMetricName(family));
  const help = typeof o['help'] === 'string' ? normalizeHelp(o['help']) : '';
  if (help === '') {
    at.at('help').fail(
      'TT_INVALID_HELP',
      'help must be a non-empty string describing what the metric measures',
    );
  }
  const unit = o['unit'] ?? '';
  const unitAt: At = at.at('unit');
  if (typeof unit !== 'string')
    unitAt.fail('TT_INVALID_UNIT', `unit must be a string, got ${describe(unit)}`);
  unitAt.rule(() => validateUnit(family, unit));
  const labels = Object.freeze(labelsOf(at.at('labels'), t, n, o['labels']));
  let buckets: readonly number[] = [];
  let native: CatalogEntry['native'];
  let quantiles: readonly number[] = [];
  let maxAgeSeconds = 0;
  let ageBuckets = 0;
  if (t === 'histogram') {
    if (o['native'] !== undefined) {
      at.at('native').rule(() => resolveNativeOptions(`histogram "${n}"`, o['native']));
      native = Object.freeze({ ...(o['native'] as object) });
    }
    buckets = Object.freeze(
      o['buckets'] !== undefined
        ? bucketsOf(at.at('buckets'), o['buckets'])
        : native !== undefined
          ? []
          : [...DEFAULT_BUCKETS],
    );
  } else if (t === 'summary') {
    quantiles = Object.freeze(
      o['quantiles'] === undefined
        ? [0.5, 0.9, 0.99]
        : quantilesOf(at.at('quantiles'), o['quantiles']),
    );
    maxAgeSeconds =
      o['maxAgeSeconds'] === undefined
        ? 600
        : positive(at.at('maxAgeSeconds'), o['maxAgeSeconds'], false);
    ageBuckets =
      o['ageBuckets'] === undefined ? 5 : positive(at.at('ageBuckets'), o['ageBuckets'], true);
  }
  const slo =
    o['slo'] === undefined ? undefined : sloOf(at.at('slo'), o['slo'], t, labels, buckets);
  const dashboard =
    o['dashboard'] === undefined ? undefined : dashboardOf(at.at('dashboard'), o['dashboard']);
  return Object.freeze({
    key,
    name: n,
    family,
    type: t,
    help,
    unit,
    labels,
    buckets,
    native,
    quantiles,
    maxAgeSeconds,
    ageBuckets,
    slo,
    dashboard,
  });
}

/** Fails when two entries share a family name (a counter `jobs` and `jobs_total` are one). */
export function checkUnique(
  src: Source,
  entries: readonly { entry: CatalogEntry; path: readonly PathSegment[] }[],
): void {
  const seen = new Map<string, readonly PathSegment[]>();
  for (const { entry, path } of entries) {
    const first = seen.get(entry.family);
    if (first !== undefined) {
      new At(src, path, path.length, { name: entry.name })
        .at('name')
        .fail(
          'TT_INVALID_CATALOG',
          `entry ${renderPath(first)} already defines metric "${entry.family}"; give each metric one entry`,
        );
    }
    seen.set(entry.family, path);
  }
}

/** Validates a TypeScript catalog spec: entries by key. */
export function validateCatalog(spec: unknown): readonly CatalogEntry[] {
  const src: Source = { where: 'defineMetrics' };
  if (!isRecord(spec)) {
    fail(
      'TT_INVALID_CATALOG',
      `defineMetrics: the spec must be an object of entries by key, such as { jobs: { name: 'jobs_total', type: 'counter', help: 'Jobs run.' } }, got ${describe(spec)}`,
    );
  }
  const list = Object.entries(spec).map(([key, raw]) => ({
    entry: validateEntry(src, [key], key, raw),
    path: [key],
  }));
  checkUnique(src, list);
  return Object.freeze(list.map((e) => e.entry));
}
