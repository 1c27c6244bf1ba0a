// A strict parser for the Prometheus text format 0.0.4 and OpenMetrics 1.0, for tests: it throws on anything the specs forbid.

import { TelltaleError } from '../metrics/index.js';

/** A family type as written in a `# TYPE` line (`untyped` is text-only; `info`, `stateset`, `gaugehistogram`, `unknown` are OpenMetrics-only). */
export type ParsedType =
  | 'counter'
  | 'gauge'
  | 'histogram'
  | 'gaugehistogram'
  | 'summary'
  | 'info'
  | 'stateset'
  | 'unknown'
  | 'untyped';

/** An OpenMetrics exemplar, as parsed. */
export interface ParsedExemplar {
  readonly labels: Record<string, string>;
  readonly value: number;
  /** Unix seconds; absent when the exemplar has none. */
  readonly timestamp?: number;
}

/** One sample line, as parsed. */
export interface ParsedSample {
  /** The sample name as written (`foo_total`, `foo_bucket`, …). */
  readonly name: string;
  /** Label names to unescaped values. */
  readonly labels: Record<string, string>;
  readonly value: number;
  /** Milliseconds (text) or seconds (OpenMetrics); absent when the line has none. */
  readonly timestamp?: number;
  /** Only in OpenMetrics. */
  readonly exemplar?: ParsedExemplar;
}

/** One metric family, as parsed. */
export interface ParsedFamily {
  /** The family name (`# TYPE` name; for an OpenMetrics counter, without `_total`). */
  readonly name: string;
  /** The declared type; `untyped` (text) or `unknown` (OpenMetrics) when there is no TYPE line. */
  readonly type: ParsedType;
  /** Unescaped HELP text; `''` when there is no HELP line. */
  readonly help: string;
  /** The OpenMetrics unit; `''` when there is no UNIT line (always `''` in text). */
  readonly unit: string;
  /** The samples in the order written. */
  readonly samples: ParsedSample[];
}

/**
 * Thrown by {@link parseText} and {@link parseOpenMetrics} when the input breaks the format: a
 * {@link TelltaleError} with code `TT_INVALID_EXPOSITION`, its message
 * `TT_INVALID_EXPOSITION: line 3: …`. `line` is 1-based (0 when the problem is the whole body,
 * such as a missing final newline).
 */
export class ExpositionParseError extends TelltaleError {
  /** The 1-based line at fault, or 0 for the body as a whole. */
  readonly line: number;
  constructor(line: number, message: string) {
    super('TT_INVALID_EXPOSITION', line > 0 ? `line ${line}: ${message}` : message);
    this.name = 'ExpositionParseError';
    this.line = line;
  }
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;
const REAL = /^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/;
const INF = /^([+-]?)(?:inf|infinity)$/i;
const LONE_SURROGATE = /\p{Surrogate}/u;

/** Parses a number as Go's ParseFloat (decimal only) and the OpenMetrics ABNF both accept it. */
function parseNumber(s: string, realOnly: boolean): number | undefined {
  if (REAL.test(s)) return Number(s);
  if (realOnly) return undefined;
  if (/^nan$/i.test(s)) return Number.NaN;
  const inf = INF.exec(s);
  if (inf !== null) return inf[1] === '-' ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  return undefined;
}

const TEXT_TYPES: ReadonlySet<string> = new Set([
  'counter',
  'gauge',
  'histogram',
  'summary',
  'untyped',
]);
const OM_TYPES: ReadonlySet<string> = new Set([
  'counter',
  'gauge',
  'histogram',
  'gaugehistogram',
  'summary',
  'info',
  'stateset',
  'unknown',
]);

/** The sample-name suffixes each type allows (`''` is the bare family name). */
const SUFFIXES: Readonly<Record<'text' | 'om', Readonly<Record<string, readonly string[]>>>> = {
  text: {
    counter: [''],
    gauge: [''],
    untyped: [''],
    histogram: ['_bucket', '_sum', '_count'],
    summary: ['', '_sum', '_count'],
  },
  om: {
    counter: ['_total', '_created'],
    gauge: [''],
    unknown: [''],
    histogram: ['_bucket', '_count', '_sum', '_created'],
    gaugehistogram: ['_bucket', '_gcount', '_gsum'],
    summary: ['', '_count', '_sum', '_created'],
    info: ['_info'],
    stateset: [''],
  },
};

const ALL_SUFFIXES: readonly string[] = [
  ...new Set(Object.values(SUFFIXES).flatMap((byType) => Object.values(byType).flat())),
].filter((suffix) => suffix !== '');

/** Per MetricPoint (label set without `le`/`quantile`/state label) bookkeeping. */
interface Group {
  /** `le` bounds and values in the order written. */
  readonly buckets: [number, number][];
  count: number | undefined;
  /** True once a non-bucket sample was seen (OpenMetrics: buckets come first). */
  pastBuckets: boolean;
  hasTotal: boolean;
  firstLine: number;
}

interface Building {
  readonly family: {
    name: string;
    type: ParsedType;
    help: string;
    unit: string;
    samples: ParsedSample[];
  };
  hasType: boolean;
  hasHelp: boolean;
  hasUnit: boolean;
  readonly series: Set<string>;
  readonly groups: Map<string, Group>;
  currentGroup: string | undefined;
}

type Format = 'text' | 'om';

class Parser {
  readonly format: Format;
  readonly families: Building[] = [];
  /** Family names and sample names seen so far, to each owning family: names must not clash. */
  readonly owners = new Map<string, Building>();
  current: Building | undefined;
  line = 0;
  constructor(format: Format) {
    this.format = format;
  }

  fail(message: string): never {
    throw new ExpositionParseError(this.line, message);
  }

  newFamily(name: string): Building {
    const owner = this.owners.get(name);
    if (owner !== undefined) {
      this.fail(
        owner.family.name === name
          ? `family ${name} appears again after other families (families must be contiguous, metadata must come before samples)`
          : `family name ${name} clashes with a sample of family ${owner.family.name}`,
      );
    }
    if (this.current !== undefined) this.finish(this.current);
    const b: Building = {
      family: {
        name,
        type: this.format === 'om' ? 'unknown' : 'untyped',
        help: '',
        unit: '',
        samples: [],
      },
      hasType: false,
      hasHelp: false,
      hasUnit: false,
      series: new Set(),
      groups: new Map(),
      currentGroup: undefined,
    };
    this.owners.set(name, b);
    this.families.push(b);
    this.current = b;
    return b;
  }

  /** The family a metadata line for `name` belongs to. */
  metadataFamily(name: string): Building {
    const c = this.current;
    if (c !== undefined && c.family.name === name && c.family.samples.length === 0) return c;
    return this.newFamily(name);
  }

  /** The family a sample named `name` belongs to: the current one if it fits, else a new untyped one. */
  sampleFamily(name: string): Building {
    const c = this.current;
    if (c !== undefined) {
      const suffixes = SUFFIXES[this.format][c.family.type] ?? [''];
      for (const s of suffixes) if (name === c.family.name + s) return c;
    }
    // A sample of an earlier family (`h_sum` after another family, when `h` is a histogram).
    for (const suffix of ALL_SUFFIXES) {
      if (!name.endsWith(suffix)) continue;
      const base = name.slice(0, name.length - suffix.length);
      const b = this.owners.get(base);
      if (
        b !== undefined &&
        b.family.name === base &&
        SUFFIXES[this.format][b.family.type]?.includes(suffix)
      ) {
        this.fail(
          `${name} belongs to family ${base}, which appeared earlier (families must be contiguous)`,
        );
      }
    }
    return this.newFamily(name);
  }

  addSample(sample: ParsedSample, hasExemplar: boolean): void {
    const b = this.sampleFamily(sample.name);
    const f = b.family;
    const owner = this.owners.get(sample.name);
    if (owner !== undefined && owner !== b) {
      this.fail(`sample ${sample.name} clashes with family ${owner.family.name}`);
    }
    this.owners.set(sample.name, b);
    const suffix = sample.name.slice(f.name.length);
    const labels = sample.labels;
    const key = `${sample.name}${canonical(labels, undefined)}`;
    if (b.series.has(key))
      this.fail(`duplicate series ${sample.name}${canonical(labels, undefined)}`);
    b.series.add(key);

    const om = this.format === 'om';
    const v = sample.value;
    if (
      hasExemplar &&
      !(
        suffix === '_total' ||
        (suffix === '_bucket' && (f.type === 'histogram' || f.type === 'gaugehistogram'))
      )
    ) {
      this.fail(
        `exemplars are only allowed on counter _total samples and histogram buckets (${sample.name})`,
      );
    }
    // Counter-like values: OpenMetrics requires them non-negative and not NaN; so does telltale's text.
    const counterLike =
      (f.type === 'counter' && (suffix === '' || suffix === '_total')) ||
      suffix === '_bucket' ||
      suffix === '_gcount' ||
      (suffix === '_count' && (f.type === 'histogram' || f.type === 'summary'));
    if (counterLike && !(v >= 0))
      this.fail(`${sample.name} must be a non-negative number, got ${v}`);

    let exclude: string | undefined;
    const histogram = f.type === 'histogram' || f.type === 'gaugehistogram';
    if (histogram && suffix === '_bucket') exclude = 'le';
    else if (f.type === 'summary' && suffix === '') exclude = 'quantile';
    else if (f.type === 'stateset') exclude = f.name;
    if (exclude === undefined) {
      if (histogram && 'le' in labels) this.fail(`${sample.name} must not have an le label`);
      if (f.type === 'summary' && 'quantile' in labels)
        this.fail(`${sample.name} must not have a quantile label`);
    } else if (!(exclude in labels)) {
      this.fail(`${sample.name} is missing its ${JSON.stringify(exclude)} label`);
    }

    const gkey = canonical(labels, exclude);
    let group = b.groups.get(gkey);
    if (group === undefined) {
      group = {
        buckets: [],
        count: undefined,
        pastBuckets: false,
        hasTotal: false,
        firstLine: this.line,
      };
      b.groups.set(gkey, group);
    } else if (om && b.currentGroup !== gkey) {
      this.fail(
        `samples of one MetricPoint must be adjacent (${sample.name}${canonical(labels, exclude)} is split)`,
      );
    }
    b.currentGroup = gkey;

    if (f.type === 'info' && v !== 1) this.fail(`info samples must have the value 1, got ${v}`);
    if (f.type === 'stateset' && v !== 0 && v !== 1)
      this.fail(`stateset samples must be 0 or 1, got ${v}`);
    if (f.type === 'counter' && suffix === '_total') group.hasTotal = true;
    if (histogram) {
      if (suffix === '_bucket') {
        if (om && group.pastBuckets)
          this.fail(`${sample.name} bucket after the _count/_sum of its MetricPoint`);
        const le = parseNumber(labels['le']!, false);
        if (le === undefined || Number.isNaN(le))
          this.fail(`invalid le value ${JSON.stringify(labels['le'])}`);
        const prev = group.buckets[group.buckets.length - 1];
        if (prev !== undefined) {
          if (!(le > prev[0]))
            this.fail(`buckets must be in increasing order of le (${le} after ${prev[0]})`);
          if (v < prev[1]) this.fail(`bucket counts must be cumulative (${v} after ${prev[1]})`);
        }
        group.buckets.push([le, v]);
      } else {
        group.pastBuckets = true;
        if (suffix === '_count' || suffix === '_gcount') group.count = v;
      }
    }
    if (f.type === 'summary' && suffix === '') {
      const q = parseNumber(labels['quantile']!, false);
      if (q === undefined || !(q >= 0 && q <= 1)) {
        this.fail(
          `invalid quantile ${JSON.stringify(labels['quantile'])}: must be a number in [0, 1]`,
        );
      }
    }
    f.samples.push(sample);
  }

  /** Checks what can only be checked once a family is complete. */
  finish(b: Building): void {
    const f = b.family;
    const at = (g: Group, message: string): never => {
      throw new ExpositionParseError(g.firstLine, message);
    };
    for (const g of b.groups.values()) {
      if (f.type === 'histogram' || f.type === 'gaugehistogram') {
        const last = g.buckets[g.buckets.length - 1];
        if (last === undefined || last[0] !== Number.POSITIVE_INFINITY) {
          throw new ExpositionParseError(
            g.firstLine,
            `histogram ${f.name} has a series without a +Inf bucket`,
          );
        }
        if (g.count !== undefined && g.count !== last[1]) {
          at(g, `histogram ${f.name}: _count ${g.count} does not match the +Inf bucket ${last[1]}`);
        }
      }
      if (this.format === 'om' && f.type === 'counter' && !g.hasTotal) {
        at(g, `counter ${f.name} has a MetricPoint without a _total sample`);
      }
    }
    if (this.format === 'om' && f.unit !== '' && (f.type === 'info' || f.type === 'stateset')) {
      throw new ExpositionParseError(0, `${f.type} family ${f.name} must not have a unit`);
    }
  }

  result(): ParsedFamily[] {
    if (this.current !== undefined) this.finish(this.current);
    return this.families.map((b) => b.family);
  }
}

/** `{a="x",b="y"}` with names sorted, leaving out `exclude`: a key for series and MetricPoints. */
function canonical(labels: Record<string, string>, exclude: string | undefined): string {
  const names = Object.keys(labels).sort();
  let out = '';
  for (const n of names) {
    if (n === exclude) continue;
    out += `${out === '' ? '' : ','}${n}=${JSON.stringify(labels[n])}`;
  }
  return `{${out}}`;
}

/** A cursor over one line. */
class Line {
  readonly s: string;
  i = 0;
  readonly p: Parser;
  constructor(s: string, p: Parser) {
    this.s = s;
    this.p = p;
  }
  get done(): boolean {
    return this.i >= this.s.length;
  }
  peek(): string {
    return this.s[this.i] ?? '';
  }
  blanks(): number {
    const start = this.i;
    while (this.s[this.i] === ' ' || this.s[this.i] === '\t') this.i++;
    return this.i - start;
  }
  expect(c: string): void {
    if (this.s[this.i] !== c) {
      this.p.fail(
        `expected ${JSON.stringify(c)} at column ${this.i + 1}, got ${JSON.stringify(this.peek() || 'end of line')}`,
      );
    }
    this.i++;
  }
  match(re: RegExp, what: string): string {
    const m = re.exec(this.s.slice(this.i));
    if (m === null) this.p.fail(`expected ${what} at column ${this.i + 1}`);
    this.i += m[0].length;
    return m[0];
  }
  /** Reads up to the next blank (text) or space (OpenMetrics), or the end of the line. */
  token(tabs: boolean): string {
    const start = this.i;
    while (this.i < this.s.length && this.s[this.i] !== ' ' && !(tabs && this.s[this.i] === '\t'))
      this.i++;
    return this.s.slice(start, this.i);
  }
  /** Reads an escaped string up to an unescaped `"` (label values) or the end of the line (HELP). */
  escaped(quoted: boolean, allowQuoteEscape: boolean, allowRawQuote: boolean): string {
    let out = '';
    for (;;) {
      if (this.i >= this.s.length) {
        if (quoted) this.p.fail('unterminated label value');
        return out;
      }
      const c = this.s[this.i]!;
      if (c === '\\') {
        const n = this.s[this.i + 1];
        if (n === '\\') out += '\\';
        else if (n === 'n') out += '\n';
        else if (n === '"' && allowQuoteEscape) out += '"';
        else this.p.fail(`invalid escape sequence ${JSON.stringify(`\\${n ?? ''}`)}`);
        this.i += 2;
        continue;
      }
      if (c === '"') {
        if (quoted) {
          this.i++;
          return out;
        }
        if (!allowRawQuote) this.p.fail('unescaped " in HELP text');
      }
      out += c;
      this.i++;
    }
  }
  /** Reads `{a="x",…}` into a record, failing on duplicate or invalid names. */
  labels(om: boolean): Record<string, string> {
    const labels: Record<string, string> = Object.create(null);
    this.expect('{');
    if (!om) this.blanks();
    if (this.peek() === '}') {
      this.i++;
      return { ...labels };
    }
    for (;;) {
      const name = this.match(LABEL_NAME, 'a label name');
      if (name.startsWith('__')) this.p.fail(`label name ${name} is reserved (starts with "__")`);
      if (Object.hasOwn(labels, name)) this.p.fail(`duplicate label name ${name}`);
      if (!om) this.blanks();
      this.expect('=');
      if (!om) this.blanks();
      this.expect('"');
      labels[name] = this.escaped(true, true, false);
      if (!om) this.blanks();
      const c = this.peek();
      this.i++;
      if (c === '}') break;
      if (c !== ',') this.p.fail(`expected "," or "}" after label ${name}`);
      if (!om) {
        // The text format allows a trailing comma; OpenMetrics does not.
        this.blanks();
        if (this.peek() === '}') {
          this.i++;
          break;
        }
      }
    }
    return { ...labels };
  }
}

function parseTextLine(p: Parser, text: string): void {
  const l = new Line(text, p);
  l.blanks();
  if (l.done) return; // Blank lines are allowed in the text format.
  if (l.peek() === '#') {
    l.i++;
    l.blanks();
    const keyword = l.token(true);
    if (keyword !== 'HELP' && keyword !== 'TYPE') return; // Any other comment is ignored.
    if (l.blanks() === 0) p.fail(`expected a metric name after # ${keyword}`);
    const name = l.match(METRIC_NAME, 'a metric name');
    if (!l.done && l.blanks() === 0) p.fail(`invalid metric name in # ${keyword}`);
    const b = p.metadataFamily(name);
    if (keyword === 'HELP') {
      if (b.hasHelp) p.fail(`second HELP line for ${name}`);
      b.hasHelp = true;
      b.family.help = l.escaped(false, false, true);
    } else {
      if (b.hasType) p.fail(`second TYPE line for ${name}`);
      const type = l.token(true);
      l.blanks();
      if (!l.done || !TEXT_TYPES.has(type))
        p.fail(`unknown metric type ${JSON.stringify(l.s.slice(l.i - type.length))}`);
      b.hasType = true;
      b.family.type = type as ParsedType;
    }
    return;
  }
  const name = l.match(METRIC_NAME, 'a metric name');
  const spaced = l.blanks();
  const labels = l.peek() === '{' ? l.labels(false) : {};
  if (l.blanks() === 0 && spaced === 0) p.fail(`expected a blank before the value`);
  const raw = l.token(true);
  const value = parseNumber(raw, false);
  if (value === undefined) p.fail(`invalid value ${JSON.stringify(raw)}`);
  l.blanks();
  let timestamp: number | undefined;
  if (!l.done) {
    if (l.peek() === '#')
      p.fail('exemplars (and any "#" after a value) are not allowed in the text format');
    const ts = l.token(true);
    if (!/^-?[0-9]+$/.test(ts))
      p.fail(`expected an integer timestamp in milliseconds, got ${JSON.stringify(ts)}`);
    timestamp = Number(ts);
    l.blanks();
    if (!l.done) p.fail(`unexpected ${JSON.stringify(l.s.slice(l.i))} after the timestamp`);
  }
  const sample: ParsedSample =
    timestamp === undefined ? { name, labels, value } : { name, labels, value, timestamp };
  p.addSample(sample, false);
}

function parseOmNumber(p: Parser, l: Line, what: string, realOnly: boolean): number {
  const raw = l.token(false);
  const n = parseNumber(raw, realOnly);
  if (n === undefined) p.fail(`invalid ${what} ${JSON.stringify(raw)}`);
  return n;
}

function parseOmLine(p: Parser, text: string): void {
  const l = new Line(text, p);
  if (l.done) p.fail('blank lines are not allowed in OpenMetrics');
  if (l.peek() === '#') {
    const m = /^# (TYPE|HELP|UNIT) /.exec(text);
    if (m === null)
      p.fail(
        `invalid line ${JSON.stringify(text)} (the only comments are # TYPE, # HELP, # UNIT and # EOF)`,
      );
    l.i = m[0].length;
    const keyword = m[1]!;
    const name = l.match(METRIC_NAME, 'a metric name');
    const b = p.metadataFamily(name);
    if (keyword === 'TYPE') {
      l.expect(' ');
      const type = l.s.slice(l.i);
      if (!OM_TYPES.has(type)) p.fail(`invalid TYPE ${JSON.stringify(type)}`);
      if (b.hasType) p.fail(`second TYPE line for ${name}`);
      b.hasType = true;
      b.family.type = type as ParsedType;
    } else if (keyword === 'HELP') {
      l.expect(' ');
      if (b.hasHelp) p.fail(`second HELP line for ${name}`);
      b.hasHelp = true;
      b.family.help = l.escaped(false, true, false);
    } else {
      l.expect(' ');
      const unit = l.s.slice(l.i);
      if (!/^[a-zA-Z0-9_:]*$/.test(unit)) p.fail(`invalid unit ${JSON.stringify(unit)}`);
      if (b.hasUnit) p.fail(`second UNIT line for ${name}`);
      if (unit !== '' && !name.endsWith(`_${unit}`))
        p.fail(`family name ${name} must end with _${unit}`);
      b.hasUnit = true;
      b.family.unit = unit;
    }
    return;
  }
  const name = l.match(METRIC_NAME, 'a metric name');
  const labels = l.peek() === '{' ? l.labels(true) : {};
  l.expect(' ');
  const value = parseOmNumber(p, l, 'value', false);
  let timestamp: number | undefined;
  let exemplar: ParsedExemplar | undefined;
  if (!l.done) {
    l.expect(' ');
    if (l.peek() !== '#') {
      timestamp = parseOmNumber(p, l, 'timestamp', true);
      if (!l.done) l.expect(' ');
    }
    if (!l.done) {
      l.expect('#');
      l.expect(' ');
      const exLabels = l.labels(true);
      let chars = 0;
      for (const k in exLabels) chars += [...k].length + [...exLabels[k]!].length;
      if (chars > 128) p.fail(`exemplar labels are ${chars} characters long; the limit is 128`);
      l.expect(' ');
      const exValue = parseOmNumber(p, l, 'exemplar value', false);
      if (l.done) exemplar = { labels: exLabels, value: exValue };
      else {
        l.expect(' ');
        exemplar = {
          labels: exLabels,
          value: exValue,
          timestamp: parseOmNumber(p, l, 'exemplar timestamp', true),
        };
      }
      if (!l.done) p.fail(`unexpected ${JSON.stringify(l.s.slice(l.i))} after the exemplar`);
    }
  }
  const sample: { -readonly [K in keyof ParsedSample]: ParsedSample[K] } = { name, labels, value };
  if (timestamp !== undefined) sample.timestamp = timestamp;
  if (exemplar !== undefined) sample.exemplar = exemplar;
  p.addSample(sample, exemplar !== undefined);
}

function decode(body: string | Uint8Array): string {
  if (typeof body === 'string') {
    if (LONE_SURROGATE.test(body))
      throw new ExpositionParseError(0, 'the body has a lone surrogate (not valid UTF-8)');
    return body;
  }
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(body);
  } catch {
    throw new ExpositionParseError(0, 'the body is not valid UTF-8');
  }
}

/**
 * Parses a Prometheus text format 0.0.4 body strictly, as expfmt (promtool) does plus the rules it
 * leaves out: no duplicate series, contiguous families, histograms with a `+Inf` bucket, cumulative
 * counts and `_count` equal to it, non-negative counters, no `__` label names, no exemplars. Blank
 * lines and other comments are allowed, as the format allows them.
 *
 * @param body The exposition, as a string or UTF-8 bytes (invalid UTF-8 is an error).
 * @returns The families in order, with unescaped help and label values.
 * @throws {ExpositionParseError} On the first violation, naming the line.
 * @example
 * ```ts
 * const [family] = parseText('# TYPE up gauge\nup 1\n');
 * assert.equal(family.samples[0].value, 1);
 * ```
 */
export function parseText(body: string | Uint8Array): ParsedFamily[] {
  const text = decode(body);
  const p = new Parser('text');
  if (text === '') return [];
  if (!text.endsWith('\n')) throw new ExpositionParseError(0, 'the body must end with a newline');
  const lines = text.split('\n');
  lines.pop();
  for (let i = 0; i < lines.length; i++) {
    p.line = i + 1;
    parseTextLine(p, lines[i]!);
  }
  return p.result();
}

/**
 * Parses an OpenMetrics 1.0 body strictly: single spaces, only `# TYPE`/`# HELP`/`# UNIT`
 * comments, a final `# EOF`, no blank lines, MetricPoints kept together, counters named
 * `<family>_total`, exemplars only on counters and buckets (label text at most 128 characters),
 * histograms with ascending `le`, a `+Inf` bucket and cumulative counts, info values of 1,
 * stateset values of 0 or 1, units that suffix the family name, and no duplicate series.
 *
 * @param body The exposition, as a string or UTF-8 bytes (invalid UTF-8 is an error).
 * @returns The families in order, with unescaped help and label values.
 * @throws {ExpositionParseError} On the first violation, naming the line.
 * @example
 * ```ts
 * const [family] = parseOpenMetrics('# TYPE jobs counter\njobs_total 3\n# EOF\n');
 * assert.deepEqual(family.samples[0], { name: 'jobs_total', labels: {}, value: 3 });
 * ```
 */
export function parseOpenMetrics(body: string | Uint8Array): ParsedFamily[] {
  const text = decode(body);
  const p = new Parser('om');
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  let eof = false;
  for (let i = 0; i < lines.length; i++) {
    p.line = i + 1;
    if (lines[i] === '# EOF') {
      if (i !== lines.length - 1) p.fail('content after # EOF');
      eof = true;
      break;
    }
    parseOmLine(p, lines[i]!);
  }
  if (!eof) throw new ExpositionParseError(0, 'missing # EOF at the end');
  return p.result();
}

/**
 * Parses a body in either format: `'text'` (Prometheus 0.0.4) or `'openmetrics'`.
 *
 * @throws {ExpositionParseError} On the first violation.
 * @example
 * ```ts
 * const families = parseExposition(body, negotiate(accept));
 * ```
 */
export function parseExposition(
  body: string | Uint8Array,
  format: 'text' | 'openmetrics',
): ParsedFamily[] {
  return format === 'openmetrics' ? parseOpenMetrics(body) : parseText(body);
}
