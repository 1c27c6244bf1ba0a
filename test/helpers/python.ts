// Parses exposition bodies with Debian's Python prometheus_client 0.16 and adds the checks its lenient text parser lacks.
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { runCommand } from './child.js';
import { excerpt } from './promtool.js';

/**
 * The interpreter that sees Debian's `python3-prometheus-client`. Not the `python3` on PATH, which
 * may be a pyenv build without the module (`ModuleNotFoundError: prometheus_client`).
 */
export const SYSTEM_PYTHON = '/usr/bin/python3';

const SCRIPT = fileURLToPath(new URL('./parse_exposition.py', import.meta.url));

/** An exemplar as the OpenMetrics parser reads it. The text parser never produces one. */
export interface ParsedExemplar {
  labels: Record<string, string>;
  value: number;
  /** Seconds since the epoch, or `null` when the exemplar has no timestamp. */
  timestamp: number | null;
}

/** One sample line as parsed by prometheus_client. */
export interface ParsedSample {
  /** The sample's own name, e.g. `foo_bucket` inside family `foo`. */
  name: string;
  labels: Record<string, string>;
  /** `NaN`, `Infinity` and `-Infinity` are real numbers here. */
  value: number;
  /**
   * Seconds since the epoch, or `null`. The text parser divides the millisecond timestamp by 1000;
   * the OM parser reads seconds (an integer in ms is silently read as seconds).
   */
  timestamp: number | null;
  exemplar: ParsedExemplar | null;
}

/** One metric family as parsed by prometheus_client. */
export interface ParsedFamily {
  /**
   * Family name. In OpenMetrics a counter family `foo` has samples `foo_total` and `foo_created`.
   * The text parser converts counters to that model too: `# TYPE foo_total counter` becomes family
   * `foo` (samples keep `foo_total`), and the samples of `# TYPE foo counter` are renamed `foo_total`.
   */
  name: string;
  /** `counter`, `gauge`, `histogram`, `summary`, `unknown` (text `untyped` too), OM: `info`, `stateset`, `gaugehistogram`. */
  type: string;
  /** The HELP text, unescaped; `''` when there is none. */
  documentation: string;
  /** The OM `# UNIT`; always `''` for the text parser. */
  unit: string;
  samples: ParsedSample[];
}

/** Per body: the families, or the parser's error message (for OM, the `ValueError` text). */
export type ParseResult =
  | { ok: true; families: ParsedFamily[] }
  | { ok: false; error: string; errorType: string };

type WireNumber = number | 'NaN' | '+Inf' | '-Inf';
interface WireSample {
  name: string;
  labels: Record<string, string>;
  value: WireNumber;
  timestamp: WireNumber | null;
  exemplar: {
    labels: Record<string, string>;
    value: WireNumber;
    timestamp: WireNumber | null;
  } | null;
}
type WireResult =
  | { ok: true; families: Array<Omit<ParsedFamily, 'samples'> & { samples: WireSample[] }> }
  | { ok: false; error: string; errorType: string };

function num(v: WireNumber): number {
  if (v === 'NaN') return Number.NaN;
  if (v === '+Inf') return Number.POSITIVE_INFINITY;
  if (v === '-Inf') return Number.NEGATIVE_INFINITY;
  return v;
}

async function parseWith(
  format: 'text' | 'openmetrics',
  bodies: readonly string[],
): Promise<ParseResult[]> {
  if (bodies.length === 0) return [];
  // -I: isolated mode, so PYTHONPATH/PYTHONHOME from a pyenv shell cannot redirect the import.
  const r = await runCommand(SYSTEM_PYTHON, ['-I', SCRIPT], {
    input: JSON.stringify({ format, bodies }),
    timeoutMs: 60_000,
  });
  if (r.exitCode !== 0) {
    throw new Error(
      `${SYSTEM_PYTHON} ${SCRIPT} failed (exit ${r.exitCode}, signal ${r.signal}). Is ` +
        `python3-prometheus-client installed (bash scripts/setup.sh)?\n${r.stderr}`,
    );
  }
  const wire = JSON.parse(r.stdout) as WireResult[];
  return wire.map((res): ParseResult => {
    if (!res.ok) return res;
    return {
      ok: true,
      families: res.families.map((f) => ({
        name: f.name,
        type: f.type,
        documentation: f.documentation,
        unit: f.unit,
        samples: f.samples.map((s) => ({
          name: s.name,
          labels: s.labels,
          value: num(s.value),
          timestamp: s.timestamp === null ? null : num(s.timestamp),
          exemplar:
            s.exemplar === null
              ? null
              : {
                  labels: s.exemplar.labels,
                  value: num(s.exemplar.value),
                  timestamp: s.exemplar.timestamp === null ? null : num(s.exemplar.timestamp),
                },
        })),
      })),
    };
  });
}

/**
 * Parses text-format (0.0.4) bodies with `prometheus_client.parser.text_string_to_metric_families`,
 * all in **one** Python process.
 *
 * This parser is very lenient (CRLF, duplicate series, missing `+Inf`, exemplars turned into
 * garbage labels...), yields each sample that does not belong to the current TYPE'd family as its
 * own `unknown` one-sample family, and renames counters (see {@link ParsedFamily.name}). To judge a body, use {@link assertTextBodyValid}, which adds the missing checks.
 *
 * @returns One result per body, in the same order.
 * @throws When Python itself cannot run (not for parse errors, which are results).
 * @example
 * const [r] = await parseText(['# TYPE up gauge\nup 1\n']);
 * assert.ok(r?.ok && r.families[0]?.samples[0]?.value === 1);
 */
export function parseText(bodies: readonly string[]): Promise<ParseResult[]> {
  return parseWith('text', bodies);
}

/**
 * Parses OpenMetrics 1.0 bodies with the strict
 * `prometheus_client.openmetrics.parser.text_string_to_metric_families`, all in **one** Python process.
 *
 * It requires `# EOF` (error `Missing # EOF at end`), so a text-format body never parses as OM.
 * It does not catch duplicate series or the bad escape `\q`.
 *
 * @returns One result per body, in the same order.
 * @throws When Python itself cannot run.
 * @example
 * const [r] = await parseOpenMetrics(['# TYPE a counter\na_total 1\n# EOF\n']);
 */
export function parseOpenMetrics(bodies: readonly string[]): Promise<ParseResult[]> {
  return parseWith('openmetrics', bodies);
}

// Prometheus data model: https://prometheus.io/docs/concepts/data_model/
const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TEXT_TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

/** Options for the text-body checks. */
export interface TextCheckOptions {
  /**
   * Accept samples with no `# TYPE` line (legal in the text format). Default `false`: our encoder
   * always writes TYPE, and a missing one is how OpenMetrics-style naming (`# TYPE foo counter` +
   * `foo_total`) shows up after the lenient parse.
   */
  allowUntyped?: boolean;
}

/**
 * Checks the raw lines of a text-format body (what the Python parser cannot see).
 * Returns the TYPE lines found, by family name.
 */
function rawTextProblems(body: string, problems: string[]): Map<string, string> {
  const types = new Map<string, string>();
  if (body.includes('\r')) problems.push('contains a carriage return (CRLF); promtool rejects it');
  if (body !== '' && !body.endsWith('\n')) {
    problems.push('does not end with a newline (promtool: unexpected end of input stream)');
  }
  const lines = body.split('\n');
  lines.forEach((line, i) => {
    const n = i + 1;
    if (line.startsWith('#')) {
      if (/^#\s*EOF\s*$/.test(line))
        problems.push(`line ${n}: "# EOF" belongs to OpenMetrics only`);
      const m = /^# TYPE (\S+) (\S+)\s*$/.exec(line);
      if (m?.[1] !== undefined && m[2] !== undefined) {
        if (types.has(m[1])) problems.push(`line ${n}: second TYPE line for ${m[1]}`);
        types.set(m[1], m[2]);
        if (!TEXT_TYPES.has(m[2])) {
          problems.push(
            `line ${n}: type "${m[2]}" is not a text-format type (${[...TEXT_TYPES].join(', ')})`,
          );
        }
      }
      return;
    }
    if (line.trim() === '') return;
    const rest = afterLabels(line);
    if (rest === undefined) problems.push(`line ${n}: unterminated label set`);
    else if (rest.includes('#')) {
      problems.push(
        `line ${n}: "#" after the labels (an OpenMetrics exemplar or a comment): ${line}`,
      );
    }
  });
  return types;
}

/** The part of a sample line after its name and label set, skipping quoted label values. */
function afterLabels(line: string): string | undefined {
  const brace = line.indexOf('{');
  const space = line.search(/[ \t]/);
  if (brace === -1 || (space !== -1 && space < brace)) return space === -1 ? '' : line.slice(space);
  let inQuotes = false;
  for (let i = brace + 1; i < line.length; i++) {
    const c = line[i];
    if (inQuotes) {
      if (c === '\\') i++;
      else if (c === '"') inQuotes = false;
    } else if (c === '"') inQuotes = true;
    else if (c === '}') return line.slice(i + 1);
  }
  return undefined;
}

function seriesKey(name: string, labels: Record<string, string>): string {
  return JSON.stringify([name, ...Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1))]);
}

function withoutLabel(labels: Record<string, string>, drop: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(labels)) if (k !== drop) out[k] = v;
  return out;
}

function fmtSeries(name: string, labels: Record<string, string>): string {
  const parts = Object.entries(labels).map(
    ([k, v]) => `${LABEL_NAME.test(k) ? k : JSON.stringify(k)}=${JSON.stringify(v)}`,
  );
  return parts.length === 0 ? name : `${name}{${parts.join(',')}}`;
}

/**
 * Checks shared by text and OM parse results: names, label names, duplicate series, contiguous
 * families. In OpenMetrics one series may repeat with different timestamps, so there the
 * timestamp is part of the series identity.
 */
function familyProblems(
  families: readonly ParsedFamily[],
  problems: string[],
  format: 'text' | 'openmetrics',
): void {
  const seenFamilies = new Set<string>();
  const seenSeries = new Set<string>();
  let previous: string | undefined;
  for (const f of families) {
    // The text parser yields every sample that has no TYPE line as its own one-sample family, so
    // only a name that reappears after *another* family means a split family.
    if (f.name !== previous && seenFamilies.has(f.name)) {
      problems.push(
        `family ${f.name} appears in more than one group (families must be contiguous)`,
      );
    }
    seenFamilies.add(f.name);
    previous = f.name;
    if (!METRIC_NAME.test(f.name))
      problems.push(`invalid metric family name ${JSON.stringify(f.name)}`);
    for (const s of f.samples) {
      const where = fmtSeries(s.name, s.labels);
      if (!METRIC_NAME.test(s.name)) problems.push(`invalid metric name ${JSON.stringify(s.name)}`);
      for (const label of Object.keys(s.labels)) {
        if (/[#}{ ]/.test(label)) {
          problems.push(
            `${where}: label name ${JSON.stringify(label)} is an OpenMetrics exemplar misparsed as a label`,
          );
        } else if (!LABEL_NAME.test(label)) {
          problems.push(`${where}: invalid label name ${JSON.stringify(label)}`);
        } else if (label.startsWith('__')) {
          problems.push(`${where}: label name ${label} is reserved (starts with "__")`);
        }
      }
      const key = seriesKey(s.name, s.labels) + (format === 'openmetrics' ? `@${s.timestamp}` : '');
      if (seenSeries.has(key)) problems.push(`duplicate series ${where}`);
      seenSeries.add(key);
    }
  }
}

/** The sample lines of a body: not comments, not blank, before any `# EOF`. */
function sampleLines(body: string): string[] {
  const out: string[] = [];
  for (const line of body.split('\n')) {
    if (/^#\s*EOF\s*$/.test(line)) break;
    if (line.startsWith('#') || line.trim() === '') continue;
    out.push(line);
  }
  return out;
}

/**
 * The OM parser silently drops a sample that repeats the previous line's series and timestamp
 * (it treats it as timestamp truncation). Compare the line count with the parsed count to see it.
 */
function droppedSampleProblems(
  body: string,
  families: readonly ParsedFamily[],
  problems: string[],
): void {
  const lines = sampleLines(body);
  const parsed = families.reduce((n, f) => n + f.samples.length, 0);
  if (parsed >= lines.length) return;
  const before = problems.length;
  let prev: { series: string; timestamp: string | undefined } | undefined;
  for (const line of lines) {
    const rest = afterLabels(line) ?? '';
    const tokens = rest.trim().split(/\s+/);
    const cur = {
      series: line.slice(0, line.length - rest.length),
      timestamp: tokens[1] === '#' ? undefined : tokens[1],
    };
    if (prev && prev.series === cur.series && prev.timestamp === cur.timestamp) {
      problems.push(`duplicate series ${cur.series}`);
    }
    prev = cur;
  }
  if (problems.length === before) {
    problems.push(
      `${lines.length - parsed} sample lines were dropped by the parser (duplicate series?)`,
    );
  }
}

/** Histogram and summary structure, and counter signs, for text-format families. */
function typeProblems(f: ParsedFamily, problems: string[]): void {
  if (f.type === 'counter') {
    for (const s of f.samples) {
      if (s.value < 0) problems.push(`${fmtSeries(s.name, s.labels)}: negative counter ${s.value}`);
    }
    return;
  }
  if (f.type !== 'histogram' && f.type !== 'summary') return;
  interface Group {
    labels: Record<string, string>;
    buckets: Array<{ le: number; raw: string; value: number }>;
    sum?: number;
    count?: number;
    quantiles: number;
  }
  const groups = new Map<string, Group>();
  const group = (labels: Record<string, string>): Group => {
    const key = seriesKey('', labels);
    let g = groups.get(key);
    if (!g) {
      g = { labels, buckets: [], quantiles: 0 };
      groups.set(key, g);
    }
    return g;
  };
  for (const s of f.samples) {
    const where = fmtSeries(s.name, s.labels);
    if (s.name === `${f.name}_sum`) group(s.labels).sum = s.value;
    else if (s.name === `${f.name}_count`) group(s.labels).count = s.value;
    else if (f.type === 'histogram' && s.name === `${f.name}_bucket`) {
      const raw = s.labels['le'];
      const le = raw === undefined ? Number.NaN : parseLe(raw);
      if (Number.isNaN(le)) problems.push(`${where}: bucket needs an "le" label with a number`);
      else group(withoutLabel(s.labels, 'le')).buckets.push({ le, raw: raw ?? '', value: s.value });
    } else if (f.type === 'summary' && s.name === f.name) {
      const q = Number(s.labels['quantile']);
      if (s.labels['quantile'] === undefined || !(q >= 0 && q <= 1)) {
        problems.push(`${where}: summary quantile label must be a number in [0, 1]`);
      }
      group(withoutLabel(s.labels, 'quantile')).quantiles++;
    } else problems.push(`${where}: unexpected sample name in ${f.type} ${f.name}`);
  }
  for (const g of groups.values()) {
    const where = fmtSeries(f.name, g.labels);
    if (g.sum === undefined) problems.push(`${where}: ${f.type} has no _sum`);
    if (g.count === undefined) problems.push(`${where}: ${f.type} has no _count`);
    if (f.type !== 'histogram') continue;
    for (let i = 1; i < g.buckets.length; i++) {
      const prev = g.buckets[i - 1]!;
      const cur = g.buckets[i]!;
      if (!(cur.le > prev.le))
        problems.push(`${where}: bucket le="${cur.raw}" is not after le="${prev.raw}"`);
      if (cur.value < prev.value) {
        problems.push(
          `${where}: bucket counts not cumulative (le="${cur.raw}" ${cur.value} < le="${prev.raw}" ${prev.value})`,
        );
      }
    }
    const inf = g.buckets.at(-1);
    if (inf?.le !== Number.POSITIVE_INFINITY)
      problems.push(`${where}: histogram has no +Inf bucket as its last bucket`);
    else if (g.count !== undefined && g.count !== inf.value) {
      problems.push(`${where}: _count ${g.count} differs from the +Inf bucket ${inf.value}`);
    }
  }
}

function parseLe(raw: string): number {
  if (raw === '+Inf') return Number.POSITIVE_INFINITY;
  if (raw === '-Inf') return Number.NEGATIVE_INFINITY;
  if (raw.trim() === '') return Number.NaN;
  return Number(raw);
}

/**
 * Every problem found in a text-format body: the lenient Python parse (an error there is one
 * problem) plus the checks it lacks. An empty array means the body is valid.
 *
 * Checks: no CR, final newline, no `# EOF`, no `#` after a sample's labels (exemplars), text types
 * only and one TYPE per family, metric and label name patterns (no reserved `__` label names),
 * no exemplar misparsed into a label, no duplicate series, contiguous families, a TYPE line for
 * every family (see `allowUntyped`), no negative counters, and for histograms ascending `le`,
 * cumulative counts, a last `+Inf` bucket equal to `_count`, plus `_sum`/`_count` for histograms
 * and summaries.
 *
 * @example
 * assert.deepEqual(await textBodyProblems('a 1\na 2\n', { allowUntyped: true }), ['duplicate series a']);
 */
export async function textBodyProblems(
  body: string,
  options: TextCheckOptions = {},
): Promise<string[]> {
  const [result] = await parseText([body]);
  return textProblemsFromResult(body, result!, options);
}

function textProblemsFromResult(
  body: string,
  result: ParseResult,
  options: TextCheckOptions,
): string[] {
  const problems: string[] = [];
  const types = rawTextProblems(body, problems);
  if (!result.ok) {
    problems.push(`python text parser: ${result.errorType}: ${result.error}`);
    return problems;
  }
  familyProblems(result.families, problems, 'text');
  const samplesFamilies = result.families;
  for (const f of samplesFamilies) {
    for (const s of f.samples) {
      if (s.exemplar !== null)
        problems.push(`${fmtSeries(s.name, s.labels)}: exemplar in a text body`);
    }
    // The text parser renames a counter family `foo_total` to `foo` (its OpenMetrics model).
    const typed = types.has(f.name) || (f.type === 'counter' && types.has(`${f.name}_total`));
    if (!options.allowUntyped && !typed) {
      const owner = samplesFamilies.find(
        (o) => o.samples.length === 0 && types.has(o.name) && f.name.startsWith(`${o.name}_`),
      );
      problems.push(
        `family ${f.name} has no # TYPE line` +
          (owner
            ? ` (OpenMetrics-style naming? "# TYPE ${owner.name} ${owner.type}" has no samples)`
            : ''),
      );
    }
    typeProblems(f, problems);
  }
  return problems;
}

/**
 * Asserts that a text-format (0.0.4) body is valid: Python's lenient text parser accepts it AND
 * every extra check of {@link textBodyProblems} passes.
 *
 * @throws `AssertionError` listing every problem and the numbered start of the body.
 * @example
 * await assertTextBodyValid(encodeText(registry.gather()));
 */
export async function assertTextBodyValid(
  body: string,
  options: TextCheckOptions = {},
): Promise<void> {
  const problems = await textBodyProblems(body, options);
  if (problems.length === 0) return;
  assert.fail(
    `text body is not valid (${problems.length} problems):\n  - ${problems.slice(0, 30).join('\n  - ')}\n` +
      `--- body:\n${excerpt(body)}`,
  );
}

/**
 * Asserts several text bodies at once (one Python process for all), failing on the first bad one.
 *
 * @throws `AssertionError` naming the body's index, its problems and its start.
 */
export async function assertTextBodiesValid(
  bodies: readonly string[],
  options: TextCheckOptions = {},
): Promise<void> {
  const results = await parseText(bodies);
  bodies.forEach((body, i) => {
    const problems = textProblemsFromResult(body, results[i]!, options);
    if (problems.length > 0) {
      assert.fail(
        `text body #${i} is not valid:\n  - ${problems.join('\n  - ')}\n--- body:\n${excerpt(body)}`,
      );
    }
  });
}

/**
 * Every problem found in an OpenMetrics body: the strict Python OM parser's error, if any, plus
 * the checks that parser lacks (duplicate series, name and label-name patterns).
 *
 * @example
 * assert.deepEqual(await openMetricsBodyProblems('a 1\n'), ['python OpenMetrics parser: ValueError: Missing # EOF at end']);
 */
export async function openMetricsBodyProblems(body: string): Promise<string[]> {
  const [result] = await parseOpenMetrics([body]);
  const problems: string[] = [];
  if (!result!.ok) {
    problems.push(`python OpenMetrics parser: ${result!.errorType}: ${result!.error}`);
    return problems;
  }
  familyProblems(result!.families, problems, 'openmetrics');
  droppedSampleProblems(body, result!.families, problems);
  return problems;
}

/**
 * Asserts that an OpenMetrics 1.0 body passes the strict Python OM parser (which checks `# EOF`,
 * MetricPoint grouping, histogram buckets, exemplar placement, counter signs, UNIT...) and has no
 * duplicate series.
 *
 * @throws `AssertionError` with the parser's `ValueError` text and the numbered start of the body.
 * @example
 * await assertOpenMetricsBodyValid(encodeOpenMetrics(registry.gather()));
 */
export async function assertOpenMetricsBodyValid(body: string): Promise<void> {
  const problems = await openMetricsBodyProblems(body);
  if (problems.length === 0) return;
  assert.fail(
    `OpenMetrics body is not valid:\n  - ${problems.slice(0, 30).join('\n  - ')}\n--- body:\n${excerpt(body)}`,
  );
}
