// Checks a rendered text exposition: the series count and the totals must match what was recorded.
import { expectClose, expectEqual } from '../libs/check.mjs';

const decoder = new TextDecoder();
/** The exposition as a string, whatever the library returned (string, Buffer, Uint8Array or chunks). */
export function asText(out) {
  if (typeof out === 'string') return out;
  if (out instanceof Uint8Array) return decoder.decode(out);
  if (Array.isArray(out)) return out.map(asText).join('');
  throw new Error(`unexpected render output ${typeof out}`);
}
export const byteLength = (out) =>
  typeof out === 'string' ? Buffer.byteLength(out) : Buffer.byteLength(asText(out));

const sampleLine = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)/;

/**
 * V8 keeps the subject of the last successful regexp match (the legacy `RegExp.input`). A line
 * split from a rendered exposition is a slice of it, so that would keep megabytes alive and
 * spoil the heap measurement: match an empty string to let go.
 */
const releaseLastMatch = () => /^$/.exec('');

/** Counter exposition: `series` lines named bench_c*_total whose values sum to `total`. */
export function checkCounterText(text, series, total) {
  let lines = 0;
  let sum = 0;
  for (const line of text.split('\n')) {
    const m = sampleLine.exec(line);
    if (!m || !/^bench_c\d+_total$/.test(m[1])) continue;
    lines++;
    sum += Number(m[3]);
  }
  releaseLastMatch();
  expectEqual('rendered counter series', lines, series);
  expectEqual('rendered counter total', sum, total);
}

/** Histogram exposition: `series` _count lines summing to `count`, matching +Inf buckets and sums. */
export function checkHistogramText(text, series, count, sumTotal, bounds) {
  let counts = 0;
  let countSum = 0;
  let inf = 0;
  let buckets = 0;
  let sum = 0;
  for (const line of text.split('\n')) {
    const m = sampleLine.exec(line);
    if (!m?.[1].startsWith('bench_h')) continue;
    const v = Number(m[3]);
    if (m[1].endsWith('_count')) {
      counts++;
      countSum += v;
    } else if (m[1].endsWith('_sum')) sum += v;
    else if (m[1].endsWith('_bucket')) {
      buckets++;
      if (m[2].includes('le="+Inf"')) inf += v;
    }
  }
  releaseLastMatch();
  expectEqual('rendered histogram series', counts, series);
  expectEqual('rendered histogram count', countSum, count);
  expectEqual('rendered +Inf buckets', inf, count);
  expectEqual('rendered bucket lines', buckets, series * (bounds + 1));
  expectClose('rendered histogram sum', sum, sumTotal);
}

// ---- delimited protobuf (io.prometheus.client.MetricFamily, client_model's metrics.proto) ----

/** A little reader over one protobuf message: `next()` reads a tag, then one of the read methods. */
class Reader {
  constructor(bytes, start = 0, end = bytes.length) {
    this.b = bytes;
    this.pos = start;
    this.end = end;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  varint() {
    let n = 0;
    let mul = 1;
    for (;;) {
      if (this.pos >= this.end) throw new Error('protobuf: truncated varint');
      const byte = this.b[this.pos++];
      n += (byte & 0x7f) * mul;
      if (byte < 0x80) return n;
      mul *= 128;
    }
  }
  double() {
    const v = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }
  /** A length-delimited field, as a Reader over its bytes. */
  sub() {
    const len = this.varint();
    const start = this.pos;
    this.pos += len;
    if (this.pos > this.end) throw new Error('protobuf: truncated field');
    return new Reader(this.b, start, this.pos);
  }
  string() {
    const r = this.sub();
    return decoder.decode(this.b.subarray(r.pos, r.end));
  }
  skip(wire) {
    if (wire === 0) this.varint();
    else if (wire === 1) this.pos += 8;
    else if (wire === 2) this.pos = this.sub().end;
    else if (wire === 5) this.pos += 4;
    else throw new Error(`protobuf: unexpected wire type ${wire}`);
  }
  /** The next tag as [field number, wire type], or undefined at the end. */
  next() {
    if (this.pos >= this.end) return undefined;
    const tag = this.varint();
    return [Math.floor(tag / 8), tag & 7];
  }
}

/** The bytes of a protobuf render, whatever the library returned (one array or chunks). */
function asBytes(out) {
  if (out instanceof Uint8Array) return out;
  if (Array.isArray(out)) return Buffer.concat(out.map(asBytes));
  throw new Error(`unexpected protobuf render output ${typeof out}`);
}
export const protobufLength = (out) =>
  out instanceof Uint8Array ? out.length : out.reduce((n, c) => n + c.length, 0);

/**
 * Decodes a delimited MetricFamily stream into [{ name, type, metrics: [{ labels, fields }] }],
 * where `fields` maps the Metric's field number to a Reader over that sub-message (counter = 3,
 * histogram = 7). Only what the checks need.
 */
function families(out) {
  const bytes = asBytes(out);
  const top = new Reader(bytes);
  const result = [];
  while (top.pos < top.end) {
    const fam = top.sub();
    const f = { name: '', type: 0, metrics: [] };
    for (let t = fam.next(); t; t = fam.next()) {
      const [field, wire] = t;
      if (field === 1 && wire === 2) f.name = fam.string();
      else if (field === 3 && wire === 0) f.type = fam.varint();
      else if (field === 4 && wire === 2) {
        const m = fam.sub();
        const metric = { labels: 0, fields: new Map() };
        for (let u = m.next(); u; u = m.next()) {
          if (u[0] === 1 && u[1] === 2) {
            m.sub();
            metric.labels++;
          } else if (u[1] === 2) metric.fields.set(u[0], m.sub());
          else m.skip(u[1]);
        }
        f.metrics.push(metric);
      } else fam.skip(wire);
    }
    result.push(f);
  }
  return result;
}

/** Protobuf counter exposition: `series` COUNTER metrics in bench_c*_total families, 2 labels each, values summing to `total`. */
export function checkCounterProtobuf(out, series, total) {
  let n = 0;
  let sum = 0;
  for (const f of families(out)) {
    if (!/^bench_c\d+_total$/.test(f.name)) continue;
    expectEqual(`protobuf type of ${f.name}`, f.type, 0);
    for (const m of f.metrics) {
      expectEqual('protobuf label pairs per series', m.labels, 2);
      const c = m.fields.get(3);
      if (!c) throw new Error('read-back check failed: protobuf counter metric without a Counter');
      for (let t = c.next(); t; t = c.next()) {
        if (t[0] === 1 && t[1] === 1) sum += c.double();
        else c.skip(t[1]);
      }
      n++;
    }
  }
  expectEqual('protobuf counter series', n, series);
  expectEqual('protobuf counter total', sum, total);
}

/**
 * Protobuf histogram exposition: `series` HISTOGRAM metrics in bench_h* families whose
 * sample_count sums to `count` and sample_sum to `sumTotal`, each with `bounds` finite buckets
 * (the +Inf bucket is implied by sample_count), cumulative and ending at most at its count.
 */
export function checkHistogramProtobuf(out, series, count, sumTotal, bounds) {
  let n = 0;
  let countSum = 0;
  let sum = 0;
  let buckets = 0;
  for (const f of families(out)) {
    if (!f.name.startsWith('bench_h')) continue;
    expectEqual(`protobuf type of ${f.name}`, f.type, 4);
    for (const m of f.metrics) {
      expectEqual('protobuf label pairs per series', m.labels, 2);
      const h = m.fields.get(7);
      if (!h)
        throw new Error('read-back check failed: protobuf histogram metric without a Histogram');
      let c = 0;
      let last = 0;
      for (let t = h.next(); t; t = h.next()) {
        if (t[0] === 1 && t[1] === 0) c = h.varint();
        else if (t[0] === 2 && t[1] === 1) sum += h.double();
        else if (t[0] === 3 && t[1] === 2) {
          const b = h.sub();
          buckets++;
          for (let u = b.next(); u; u = b.next()) {
            if (u[0] === 1 && u[1] === 0) {
              const cum = b.varint();
              if (cum < last)
                throw new Error('read-back check failed: protobuf buckets not cumulative');
              last = cum;
            } else b.skip(u[1]);
          }
        } else h.skip(t[1]);
      }
      if (last > c)
        throw new Error('read-back check failed: protobuf bucket above the sample count');
      countSum += c;
      n++;
    }
  }
  expectEqual('protobuf histogram series', n, series);
  expectEqual('protobuf histogram count', countSum, count);
  expectEqual('protobuf bucket messages', buckets, series * bounds);
  expectClose('protobuf histogram sum', sum, sumTotal);
}
