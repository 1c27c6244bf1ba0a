// Content negotiation for a scrape: picks the exposition format from Accept, and gzip from Accept-Encoding.
import type { ExpositionFormat } from './format.js';

/** One element of an Accept or Accept-Encoding list. */
interface Range {
  /** Lower-cased media type (`text`, `*`) or content coding (`gzip`, `*`). */
  readonly type: string;
  /** Lower-cased subtype (`plain`, `*`); `''` for a content coding. */
  readonly subtype: string;
  /** The `version` parameter, or `undefined` when absent. */
  readonly version: string | undefined;
  /** The `proto` parameter (protobuf's message name), or `undefined` when absent. */
  readonly proto: string | undefined;
  /** The `encoding` parameter (protobuf's framing), or `undefined` when absent. */
  readonly encoding: string | undefined;
  /** The weight in [0, 1]; 1 when absent. */
  readonly q: number;
}

// RFC 9110 §5.6.2: tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+/;
// RFC 9110 §12.4.2: qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )
const QVALUE = /^(?:0(?:\.[0-9]{0,3})?|1(?:\.0{0,3})?)$/;
// RFC 9110 §5.6.4: quoted-string, with qdtext and quoted-pair (obs-text allowed).
const QUOTED = /^"((?:[\t \x21\x23-\x5b\x5d-\x7e\x80-\xff]|\\[\t \x21-\x7e\x80-\xff])*)"/;

/**
 * Parses a comma-separated list of media ranges (`media: true`) or content codings, each with
 * parameters, per RFC 9110 §12.5.1 and §12.5.3. Empty list elements are skipped (§5.6.1).
 * Returns `undefined` when any element is malformed.
 */
function parseList(header: string, media: boolean): Range[] | undefined {
  const out: Range[] = [];
  let s = header;
  const skipOws = () => {
    let i = 0;
    while (i < s.length && (s[i] === ' ' || s[i] === '\t')) i++;
    s = s.slice(i);
  };
  for (;;) {
    skipOws();
    if (s === '') return out;
    if (s[0] === ',') {
      s = s.slice(1);
      continue;
    }
    const t = TOKEN.exec(s);
    if (t === null) return undefined;
    const type = t[0].toLowerCase();
    s = s.slice(t[0].length);
    let subtype = '';
    if (media) {
      if (s[0] !== '/') return undefined;
      s = s.slice(1);
      const st = TOKEN.exec(s);
      if (st === null) return undefined;
      subtype = st[0].toLowerCase();
      s = s.slice(st[0].length);
      // `*/plain` is not a media range: a wildcard type needs a wildcard subtype.
      if (type === '*' && subtype !== '*') return undefined;
    }
    let version: string | undefined;
    let proto: string | undefined;
    let encoding: string | undefined;
    let q = 1;
    for (;;) {
      skipOws();
      if (s === '' || s[0] === ',') break;
      if (s[0] !== ';') return undefined;
      s = s.slice(1);
      skipOws();
      const name = TOKEN.exec(s);
      if (name === null || s[name[0].length] !== '=') return undefined;
      s = s.slice(name[0].length + 1);
      let value: string;
      const quoted = s[0] === '"' ? QUOTED.exec(s) : null;
      if (quoted !== null) {
        value = quoted[1]!.replace(/\\(.)/g, '$1');
        s = s.slice(quoted[0].length);
      } else {
        const v = TOKEN.exec(s);
        if (v === null) return undefined;
        value = v[0];
        s = s.slice(v[0].length);
      }
      const key = name[0].toLowerCase();
      if (key === 'q') {
        if (!QVALUE.test(value)) return undefined;
        q = Number(value);
      } else if (key === 'version') {
        version = value;
      } else if (key === 'proto') {
        proto = value;
      } else if (key === 'encoding') {
        encoding = value;
      }
      // Other parameters (`charset`, `escaping`) do not change which of our formats a range
      // matches: telltale's names and values are valid under every escaping.
    }
    out.push({ type, subtype, version, proto, encoding, q });
  }
}

/** The protobuf message and framing telltale serves, as Prometheus asks for them. */
const PROTO_MESSAGE = 'io.prometheus.client.MetricFamily';
const PROTO_ENCODING = 'delimited';

/**
 * How specifically `r` names `format`: 3 with a matching version, 2 for the bare type, 1 for
 * `type/*`, 0 for `*\/*`, -1 when it does not match. RFC 9110 §12.5.1: the most specific range
 * that matches decides a type's quality. Protobuf matches only
 * `application/vnd.google.protobuf` with `proto=io.prometheus.client.MetricFamily` and
 * `encoding=delimited` (case-sensitive values, as Prometheus' expfmt compares them): never a
 * wildcard, and never another message or framing (`encoding=text`, `compact-text`, none).
 */
function specificity(r: Range, format: ExpositionFormat): number {
  if (format === 'protobuf') {
    return r.type === 'application' &&
      r.subtype === 'vnd.google.protobuf' &&
      r.proto === PROTO_MESSAGE &&
      r.encoding === PROTO_ENCODING
      ? 3
      : -1;
  }
  if (r.type === '*') return 0;
  const [type, subtype, versions] =
    format === 'text'
      ? ['text', 'plain', ['0.0.4']]
      : // Prometheus asks for OpenMetrics 0.0.1 and 1.0.0; the two are the same text format.
        ['application', 'openmetrics-text', ['1.0.0', '0.0.1']];
  if (r.type !== type) return -1;
  if (r.subtype === '*') return 1;
  if (r.subtype !== subtype) return -1;
  if (r.version === undefined) return 2;
  return versions.includes(r.version) ? 3 : -1;
}

// Listed in tie-break order: when one range (`*/*`) matches both text formats equally, text wins.
const FORMATS: readonly ExpositionFormat[] = ['text', 'openmetrics', 'protobuf'];

/**
 * Picks the exposition format for a scrape from its `Accept` header, honouring q-values
 * (RFC 9110 §12.5.1): each format takes the quality of the most specific range that matches it,
 * the highest quality wins, and a tie goes to the range listed first. `q=0` means "not
 * acceptable".
 *
 * Matches: `application/openmetrics-text` with `version=1.0.0`, `version=0.0.1` or no version,
 * and `application/*`, select OpenMetrics; `text/plain` with `version=0.0.4` or no version,
 * `text/*` and `*\/*` select text; `application/vnd.google.protobuf` with
 * `proto=io.prometheus.client.MetricFamily` and `encoding=delimited`, exactly, selects protobuf
 * (what Prometheus started with `--enable-feature=native-histograms` lists first). A protobuf
 * range naming another message or framing matches nothing, so the next acceptable range decides.
 * Wildcards never select protobuf. Falls back to `'text'` when the header is absent, malformed,
 * or accepts nothing we serve.
 *
 * @example
 * ```ts
 * negotiate('application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5'); // 'openmetrics'
 * negotiate('application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited,application/openmetrics-text;version=1.0.0;q=0.8'); // 'protobuf'
 * negotiate(undefined); // 'text'
 * ```
 */
export function negotiate(accept: string | undefined): ExpositionFormat {
  if (accept === undefined) return 'text';
  const ranges = parseList(accept, true);
  if (ranges === undefined) return 'text';
  let chosen: ExpositionFormat = 'text';
  let chosenQ = 0;
  let chosenIndex = Number.POSITIVE_INFINITY;
  for (const format of FORMATS) {
    let spec = -1;
    let q = 0;
    let index = -1;
    for (let i = 0; i < ranges.length; i++) {
      const r = ranges[i]!;
      const s = specificity(r, format);
      if (s > spec || (s === spec && s >= 0 && r.q > q)) {
        spec = s;
        q = r.q;
        index = i;
      }
    }
    if (spec < 0 || q === 0) continue;
    if (q > chosenQ || (q === chosenQ && index < chosenIndex)) {
      chosen = format;
      chosenQ = q;
      chosenIndex = index;
    }
  }
  return chosen;
}

/**
 * Whether the client accepts a gzip-compressed response, from its `Accept-Encoding` header
 * (RFC 9110 §12.5.3): an explicit `gzip` (or `x-gzip`) with a non-zero q, or else `*` with a
 * non-zero q. Returns `false` when the header is absent, empty or malformed, so an unknown client
 * gets an uncompressed body.
 *
 * @example
 * ```ts
 * acceptsGzip('gzip'); // true (what Prometheus sends)
 * acceptsGzip('gzip;q=0, *'); // false
 * ```
 */
export function acceptsGzip(acceptEncoding: string | undefined): boolean {
  if (acceptEncoding === undefined) return false;
  const codings = parseList(acceptEncoding, false);
  if (codings === undefined) return false;
  let explicit: number | undefined;
  let wildcard: number | undefined;
  for (const c of codings) {
    if (c.type === 'gzip' || c.type === 'x-gzip') explicit = Math.max(explicit ?? 0, c.q);
    else if (c.type === '*') wildcard = Math.max(wildcard ?? 0, c.q);
  }
  return (explicit ?? wildcard ?? 0) > 0;
}
