// The delimited protobuf exposition encoder: gathered families to varint-length-prefixed io.prometheus.client.MetricFamily messages.
import { fail } from '../internal/errors.js';
import {
  type CounterPoint,
  type Exemplar,
  type GaugePoint,
  type HistogramFamily,
  type HistogramPoint,
  LABEL_SHAPE,
  type MetricFamily,
  type NativeBuckets,
  type StateSetFamily,
  type SummaryFamily,
} from '../metrics/model.js';
import { DEFAULT_CHUNK_SIZE } from './common.js';
import {
  isProtobufCache,
  Labels,
  type ProtobufCache,
  TEMPLATE_COUNTER,
  TEMPLATE_COUNTER_NO_CREATED,
  TEMPLATE_GAUGE,
  TEMPLATE_UNTYPED,
} from './protobuf-labels.js';
import {
  isUint64,
  sint64Size,
  timestampSize,
  utf8Length,
  varintSize,
  Writer,
  writeTimestamp,
  zigzag,
} from './wire.js';

/**
 * Options for {@link encodeProtobufChunks} and {@link encodeProtobuf}.
 *
 * @example
 * ```ts
 * encodeProtobufChunks(families, { chunkSize: 16_384, created: false });
 * ```
 */
export interface ProtobufOptions {
  /**
   * Roughly how many bytes each yielded chunk holds (chunks end on a series boundary; a single
   * series larger than this gets a chunk of its own). A positive integer, or `Infinity` for a
   * single chunk. Default 65,536.
   */
  readonly chunkSize?: number | undefined;
  /**
   * Write each counter's, histogram's and summary's `created_timestamp`. Default `true`: unlike
   * OpenMetrics `_created`, it is a field, not an extra series, so Prometheus stores nothing for it
   * unless asked to (created-timestamp ingestion).
   */
  readonly created?: boolean | undefined;
  /**
   * A cache from `createProtobufCache()`, shared by every encode of one server: each series'
   * label pairs are then encoded once in its lifetime, and unchanged counter and gauge messages
   * are copied whole. The bytes are the same with or without it.
   */
  readonly cache?: ProtobufCache | undefined;
}

// io.prometheus.client.MetricType
const COUNTER = 0;
const GAUGE = 1;
const SUMMARY = 2;
const UNTYPED = 3;
const HISTOGRAM = 4;

// Tags: (field number << 3) | wire type (0 varint, 1 fixed64, 2 length-delimited).
// MetricFamily: name 1, help 2, type 3, metric 4, unit 5.
const FAMILY_NAME = 0x0a;
const FAMILY_HELP = 0x12;
const FAMILY_TYPE = 0x18;
const FAMILY_METRIC = 0x22;
const FAMILY_UNIT = 0x2a;
// Metric: label 1, gauge 2, counter 3, summary 4, untyped 5, histogram 7.
const METRIC_LABEL = 0x0a;
const METRIC_GAUGE = 0x12;
const METRIC_COUNTER = 0x1a;
const METRIC_SUMMARY = 0x22;
const METRIC_UNTYPED = 0x2a;
const METRIC_HISTOGRAM = 0x3a;
// LabelPair: name 1, value 2.
const PAIR_NAME = 0x0a;
const PAIR_VALUE = 0x12;
// Gauge / Untyped / Counter value 1 (double); Counter exemplar 2, created_timestamp 3.
const VALUE = 0x09;
const COUNTER_EXEMPLAR = 0x12;
const COUNTER_CREATED = 0x1a;
// Summary: sample_count 1, sample_sum 2, quantile 3, created_timestamp 4. Quantile: quantile 1, value 2.
const SUMMARY_COUNT = 0x08;
const SUMMARY_SUM = 0x11;
const SUMMARY_QUANTILE = 0x1a;
const SUMMARY_CREATED = 0x22;
const QUANTILE_RANK = 0x09;
const QUANTILE_VALUE = 0x11;
// Histogram: sample_count 1, sample_sum 2, bucket 3, sample_count_float 4, schema 5,
// zero_threshold 6, zero_count 7, zero_count_float 8, negative_span 9, negative_delta 10,
// negative_count 11, positive_span 12, positive_delta 13, positive_count 14,
// created_timestamp 15, exemplars 16 (a two-byte tag).
const HIST_COUNT = 0x08;
const HIST_SUM = 0x11;
const HIST_BUCKET = 0x1a;
const HIST_COUNT_FLOAT = 0x21;
const HIST_SCHEMA = 0x28;
const HIST_ZERO_THRESHOLD = 0x31;
const HIST_ZERO_COUNT = 0x38;
const HIST_ZERO_COUNT_FLOAT = 0x41;
const HIST_NEGATIVE_SPAN = 0x4a;
const HIST_NEGATIVE_DELTA = 0x52;
const HIST_NEGATIVE_COUNT = 0x5a;
const HIST_POSITIVE_SPAN = 0x62;
const HIST_POSITIVE_DELTA = 0x6a;
const HIST_POSITIVE_COUNT = 0x72;
const HIST_CREATED = 0x7a;
const HIST_EXEMPLARS_0 = 0x82;
const HIST_EXEMPLARS_1 = 0x01;
// Bucket: cumulative_count 1, upper_bound 2, exemplar 3, cumulative_count_float 4.
const BUCKET_COUNT = 0x08;
const BUCKET_BOUND = 0x11;
const BUCKET_EXEMPLAR = 0x1a;
const BUCKET_COUNT_FLOAT = 0x21;
// BucketSpan: offset 1 (sint32), length 2 (uint32).
const SPAN_OFFSET = 0x08;
const SPAN_LENGTH = 0x10;
// Exemplar: label 1, value 2, timestamp 3.
const EXEMPLAR_LABEL = 0x0a;
const EXEMPLAR_VALUE = 0x11;
const EXEMPLAR_TIMESTAMP = 0x1a;

/** Bytes of a length-delimited field with a one-byte tag around `n` bytes of body. */
function field(n: number): number {
  return 1 + varintSize(n) + n;
}

/** A length-delimited submessage's size for a protobuf `double` field present: tag + 8 bytes. */
const DOUBLE_FIELD = 9;

/** The body size of an Exemplar message. */
function exemplarSize(e: Exemplar): number {
  let size = DOUBLE_FIELD;
  const l = e.labels;
  for (const k in l) size += field(field(utf8Length(k)) + field(utf8Length(l[k]!)));
  const ts = timestampSize(e.timestamp);
  if (ts >= 0) size += field(ts);
  return size;
}

function writeExemplar(w: Writer, e: Exemplar): void {
  const l = e.labels;
  for (const k in l) {
    const v = l[k]!;
    const kl = utf8Length(k);
    const vl = utf8Length(v);
    w.byte(EXEMPLAR_LABEL);
    w.varint(field(kl) + field(vl));
    w.stringField(PAIR_NAME, k, kl);
    w.stringField(PAIR_VALUE, v, vl);
  }
  w.byte(EXEMPLAR_VALUE);
  w.double(e.value);
  writeTimestamp(w, EXEMPLAR_TIMESTAMP, e.timestamp);
}

/** Per-encode state: the writer, chunking, the created option and the label pairs. */
interface Ctx {
  readonly w: Writer;
  /** Yield a chunk once this many bytes are written (`Infinity`: never, grow instead). */
  readonly limit: number;
  readonly created: boolean;
  readonly labels: Labels;
}

/** Throws unless the last Metric took exactly the bytes its size said: a guard against bugs. */
function check(w: Writer, start: number, size: number, family: MetricFamily): void {
  if (w.pos - start !== size) {
    fail(
      'TT_INVALID_VALUE',
      `protobuf encoder wrote ${w.pos - start} bytes for a series of ${family.type} ${family.name}, expected ${size}; please report this with the family`,
    );
  }
}

/** The fields of a MetricFamily before its metrics. */
interface Header {
  readonly name: string;
  readonly nameLen: number;
  readonly help: string;
  readonly helpLen: number;
  readonly type: number;
  readonly unit: string;
  readonly unitLen: number;
  readonly size: number;
}

function header(name: string, help: string, type: number, unit: string): Header {
  const nameLen = utf8Length(name);
  const helpLen = utf8Length(help);
  const unitLen = utf8Length(unit);
  const size = field(nameLen) + field(helpLen) + 2 + (unitLen > 0 ? field(unitLen) : 0);
  return { name, nameLen, help, helpLen, type, unit, unitLen, size };
}

/**
 * Makes room for `need` bytes when the current chunk is short of it: returns the full chunk to
 * yield (a fresh one is started), or grows the chunk when nothing is written yet or chunks are
 * unbounded and returns `undefined`.
 */
function spill(ctx: Ctx, need: number): Uint8Array | undefined {
  const w = ctx.w;
  if (ctx.limit !== Number.POSITIVE_INFINITY && w.pos > 0) return w.take(Math.max(ctx.limit, need));
  w.ensure(need);
  return undefined;
}

/** Writes the length prefix and the header of a family whose metrics take `metricsSize` bytes. */
function* writeHeader(
  ctx: Ctx,
  h: Header,
  metricsSize: number,
): Generator<Uint8Array, void, undefined> {
  const size = h.size + metricsSize;
  const w = ctx.w;
  const need = varintSize(size) + h.size;
  if (w.room() < need) {
    const full = spill(ctx, need);
    if (full !== undefined) yield full;
  }
  w.varint(size);
  w.stringField(FAMILY_NAME, h.name, h.nameLen);
  w.stringField(FAMILY_HELP, h.help, h.helpLen);
  w.byte(FAMILY_TYPE);
  w.byte(h.type);
  if (h.unitLen > 0) w.stringField(FAMILY_UNIT, h.unit, h.unitLen);
}

// Each family encoder below runs two passes over its points: the first sizes every Metric (and
// measures its label values), so the family's length prefix can be written before its first
// metric; the second writes. Before each Metric it makes room (yielding the chunk that would
// overflow); after it, it yields the chunk once that reaches the chunk size.

/**
 * Counter, gauge and untyped families: one value per series. A counter's family is named
 * `<name>_total`, and its points also carry an exemplar and (unless `created: false`) a created
 * timestamp; a gauge or untyped point is its labels and value only.
 */
function* valueFamily(
  ctx: Ctx,
  family: Extract<MetricFamily, { type: 'counter' | 'gauge' | 'unknown' }>,
): Generator<Uint8Array, void, undefined> {
  const points: readonly (CounterPoint | GaugePoint)[] = family.points;
  const n = points.length;
  const counter = family.type === 'counter';
  const gauge = family.type === 'gauge';
  const created = counter && ctx.created;
  const labels = ctx.labels;
  labels.begin(family.name, n, family[LABEL_SHAPE]);
  const kind = counter
    ? created
      ? TEMPLATE_COUNTER
      : TEMPLATE_COUNTER_NO_CREATED
    : gauge
      ? TEMPLATE_GAUGE
      : TEMPLATE_UNTYPED;
  const tpl = labels.templates(family.name, kind);
  // Per point: the whole `metric` field's size, and for one written afresh its Metric and
  // Counter/Gauge/Untyped body sizes (a point copied from the templates has body -1).
  const full = new Int32Array(n);
  const sizes = new Int32Array(n);
  const inner = new Int32Array(n);
  let total = 0;
  let misses = 0;
  for (let i = 0; i < n; i++) {
    const p = points[i]!;
    // Only a counter point has an exemplar or a created timestamp.
    const e = counter ? (p as CounterPoint).exemplar : undefined;
    if (
      tpl !== undefined &&
      i < tpl.n &&
      e === undefined &&
      (!counter || tpl.created[i] === (p as CounterPoint).created) &&
      tpl.keys[i] === labels.key(p.labels)
    ) {
      inner[i] = -1;
      full[i] = tpl.len[i]!;
      total += full[i]!;
      continue;
    }
    misses++;
    let body = DOUBLE_FIELD;
    if (e !== undefined) body += field(exemplarSize(e));
    const size0 = labels.size(p.labels, i);
    if (created) {
      const ts = timestampSize((p as CounterPoint).created);
      if (ts >= 0) body += field(ts);
    }
    inner[i] = body;
    const size = size0 + field(body);
    sizes[i] = size;
    full[i] = field(size);
    total += full[i]!;
  }
  const name = counter ? `${family.name}_total` : family.name;
  const type = counter ? COUNTER : gauge ? GAUGE : UNTYPED;
  yield* writeHeader(ctx, header(name, family.help, type, family.unit), total);
  const tag = counter ? METRIC_COUNTER : gauge ? METRIC_GAUGE : METRIC_UNTYPED;
  const build = misses > 0 ? labels.builder(n, total) : undefined;
  const w = ctx.w;
  const limit = ctx.limit;
  for (let i = 0; i < n; i++) {
    const p = points[i]!;
    const f = full[i]!;
    if (w.room() < f) {
      const chunk = spill(ctx, f);
      if (chunk !== undefined) yield chunk;
    }
    const start = w.pos;
    const body = inner[i]!;
    let at: number;
    if (body < 0) {
      // Unchanged since the templates were built: copy, then patch the value.
      const t = tpl!;
      at = t.at[i]!;
      w.copy(t.arena, t.off[i]!, f);
      w.view.setFloat64(start + at, p.value, true);
    } else {
      w.byte(FAMILY_METRIC);
      w.varint(sizes[i]!);
      labels.write(w, p.labels, i);
      w.byte(tag);
      w.varint(body);
      w.byte(VALUE);
      at = w.pos - start;
      w.double(p.value);
      const e = counter ? (p as CounterPoint).exemplar : undefined;
      if (e !== undefined) {
        w.byte(COUNTER_EXEMPLAR);
        w.varint(exemplarSize(e));
        writeExemplar(w, e);
      }
      if (created) writeTimestamp(w, COUNTER_CREATED, (p as CounterPoint).created);
    }
    check(w, start, f, family);
    if (build !== undefined) {
      // A point with an exemplar is never reused (its created is recorded as NaN); a gauge or
      // untyped point records 0.
      const c = p as CounterPoint;
      const at0 = counter ? (c.exemplar === undefined ? c.created : Number.NaN) : 0;
      build.add(i, labels.key(p.labels), at0, w, start, f, at);
    }
    if (w.pos >= limit) yield w.take(limit);
  }
  if (build !== undefined) labels.publish(family.name, kind, build, n);
}

/** An info family: a gauge `<name>_info` with value 1 per series, as client_golang exposes info. */
function* infoFamily(
  ctx: Ctx,
  family: Extract<MetricFamily, { type: 'info' }>,
): Generator<Uint8Array, void, undefined> {
  const points = family.points;
  const labels = ctx.labels;
  labels.begin(family.name, points.length, family[LABEL_SHAPE]);
  const sizes = points.map((p, i) => labels.size(p.labels, i) + field(DOUBLE_FIELD));
  let total = 0;
  for (const size of sizes) total += field(size);
  yield* writeHeader(ctx, header(`${family.name}_info`, family.help, GAUGE, family.unit), total);
  const w = ctx.w;
  for (let i = 0; i < points.length; i++) {
    const size = sizes[i]!;
    if (w.room() < field(size)) {
      const full = spill(ctx, field(size));
      if (full !== undefined) yield full;
    }
    const start = w.pos;
    w.byte(FAMILY_METRIC);
    w.varint(size);
    labels.write(w, points[i]!.labels, i);
    w.byte(METRIC_GAUGE);
    w.byte(DOUBLE_FIELD);
    w.byte(VALUE);
    w.double(1);
    check(w, start, field(size), family);
    if (w.pos >= ctx.limit) yield w.take(ctx.limit);
  }
}

/**
 * A stateset family: a gauge `<name>` with one series per state, the state in a label named after
 * the family (after the series' labels), value 1 or 0, exactly as the text format renders it.
 */
function* stateSetFamily(ctx: Ctx, family: StateSetFamily): Generator<Uint8Array, void, undefined> {
  const points = family.points;
  // The state's LabelPair, whole: `0x0a <len> 0x0a <len> <family> 0x12 <len> <state>`.
  const states = family.states.map((state) => {
    const nl = utf8Length(family.name);
    const vl = utf8Length(state);
    const pair = field(nl) + field(vl);
    const w = new Writer(field(pair));
    w.byte(METRIC_LABEL);
    w.varint(pair);
    w.stringField(PAIR_NAME, family.name, nl);
    w.stringField(PAIR_VALUE, state, vl);
    return w.buf;
  });
  const labels = ctx.labels;
  labels.begin(family.name, points.length, family[LABEL_SHAPE]);
  const labelSizes = points.map((p, i) => labels.size(p.labels, i));
  let total = 0;
  for (const ls of labelSizes) {
    for (const st of states) total += field(ls + st.length + field(DOUBLE_FIELD));
  }
  yield* writeHeader(ctx, header(family.name, family.help, GAUGE, family.unit), total);
  const w = ctx.w;
  for (let i = 0; i < points.length; i++) {
    const p = points[i]!;
    const on = p.enabled;
    for (let j = 0; j < states.length; j++) {
      const st = states[j]!;
      const size = labelSizes[i]! + st.length + field(DOUBLE_FIELD);
      if (w.room() < field(size)) {
        const full = spill(ctx, field(size));
        if (full !== undefined) yield full;
      }
      const start = w.pos;
      w.byte(FAMILY_METRIC);
      w.varint(size);
      // Every state repeats the series' labels.
      labels.write(w, p.labels, i);
      w.bytes(st);
      w.byte(METRIC_GAUGE);
      w.byte(DOUBLE_FIELD);
      w.byte(VALUE);
      w.double(on[j] === true ? 1 : 0);
      check(w, start, field(size), family);
      if (w.pos >= ctx.limit) yield w.take(ctx.limit);
    }
  }
}

/** `count` as a protobuf uint64, or a coded error naming the family. */
function uint64Count(count: number, family: string): number {
  if (isUint64(count)) return count;
  return fail(
    'TT_INVALID_VALUE',
    `summary ${family} has count ${String(count)}; the protobuf format needs a non-negative integer count`,
  );
}

function* summaryFamily(ctx: Ctx, family: SummaryFamily): Generator<Uint8Array, void, undefined> {
  const points = family.points;
  const n = points.length;
  const ranks = family.quantiles;
  const nq = ranks.length;
  const created = ctx.created;
  const sizes = new Int32Array(n);
  const inner = new Int32Array(n);
  // Quantile { quantile, value }: two doubles, 18 bytes, one length byte.
  const quantiles = nq * field(2 * DOUBLE_FIELD);
  const labels = ctx.labels;
  labels.begin(family.name, n, family[LABEL_SHAPE]);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const p = points[i]!;
    let body = 1 + varintSize(uint64Count(p.count, family.name)) + DOUBLE_FIELD + quantiles;
    const size0 = labels.size(p.labels, i);
    if (created) {
      const ts = timestampSize(p.created);
      if (ts >= 0) body += field(ts);
    }
    inner[i] = body;
    const size = size0 + field(body);
    sizes[i] = size;
    total += field(size);
  }
  yield* writeHeader(ctx, header(family.name, family.help, SUMMARY, family.unit), total);
  const w = ctx.w;
  const limit = ctx.limit;
  for (let i = 0; i < n; i++) {
    const p = points[i]!;
    const size = sizes[i]!;
    if (w.room() < field(size)) {
      const full = spill(ctx, field(size));
      if (full !== undefined) yield full;
    }
    const start = w.pos;
    w.byte(FAMILY_METRIC);
    w.varint(size);
    labels.write(w, p.labels, i);
    w.byte(METRIC_SUMMARY);
    w.varint(inner[i]!);
    w.byte(SUMMARY_COUNT);
    w.varint(p.count);
    w.byte(SUMMARY_SUM);
    w.double(p.sum);
    const qv = p.values;
    for (let j = 0; j < nq; j++) {
      w.byte(SUMMARY_QUANTILE);
      w.byte(2 * DOUBLE_FIELD);
      w.byte(QUANTILE_RANK);
      w.double(ranks[j]!);
      w.byte(QUANTILE_VALUE);
      w.double(qv[j] ?? Number.NaN);
    }
    if (created) writeTimestamp(w, SUMMARY_CREATED, p.created);
    check(w, start, field(size), family);
    if (w.pos >= limit) yield w.take(limit);
  }
}

/** A count field's size: a uint64 varint, or a double (`*_float`) when it is not a uint64. */
function countSize(c: number): number {
  return isUint64(c) ? 1 + varintSize(c) : DOUBLE_FIELD;
}

function writeCount(w: Writer, intTag: number, floatTag: number, c: number): void {
  if (isUint64(c)) {
    w.byte(intTag);
    w.varint(c);
  } else {
    w.byte(floatTag);
    w.double(c);
  }
}

/** Throws unless the spans of one side of `n` are integers whose lengths add up to its counts. */
function checkSide(
  spans: NativeBuckets['positiveSpans'],
  counts: readonly number[],
  family: string,
): void {
  let sum = 0;
  for (const s of spans) {
    if (
      !Number.isInteger(s.offset) ||
      Math.abs(s.offset) > 0x7fffffff ||
      !Number.isInteger(s.length) ||
      s.length < 0 ||
      s.length > 0xffffffff
    ) {
      fail(
        'TT_INVALID_VALUE',
        `histogram ${family}: native bucket span ${JSON.stringify(s)} needs an integer offset and a non-negative integer length`,
      );
    }
    sum += s.length;
  }
  if (sum !== counts.length) {
    fail(
      'TT_INVALID_VALUE',
      `histogram ${family}: native spans cover ${sum} buckets but there are ${counts.length} counts; they must match`,
    );
  }
}

/** Whether the native part is written with integer (delta) counts: every count is a uint64. */
function integerCounts(p: HistogramPoint, n: NativeBuckets): boolean {
  if (!isUint64(p.count) || !isUint64(n.zeroCount)) return false;
  for (const c of n.positiveCounts) if (!isUint64(c)) return false;
  for (const c of n.negativeCounts) if (!isUint64(c)) return false;
  return true;
}

/** Whether the native part needs the no-op span that tells it apart from a classic histogram. */
function needsNoopSpan(n: NativeBuckets): boolean {
  return (
    n.positiveSpans.length === 0 &&
    n.negativeSpans.length === 0 &&
    n.zeroThreshold === 0 &&
    n.zeroCount === 0
  );
}

/** The size of the spans and counts of one side of a native histogram. */
function sideSize(
  spans: NativeBuckets['positiveSpans'],
  counts: readonly number[],
  ints: boolean,
): number {
  let size = 0;
  for (const s of spans) {
    size += field(1 + varintSize(zigzag(s.offset)) + 1 + varintSize(s.length));
  }
  if (counts.length > 0) {
    if (ints) {
      let d = 0;
      let prev = 0;
      for (const c of counts) {
        d += sint64Size(c - prev);
        prev = c;
      }
      size += field(d);
    } else size += field(8 * counts.length);
  }
  return size;
}

function writeSide(
  w: Writer,
  spans: NativeBuckets['positiveSpans'],
  counts: readonly number[],
  ints: boolean,
  spanTag: number,
  deltaTag: number,
  countTag: number,
): void {
  for (const s of spans) {
    const z = zigzag(s.offset);
    w.byte(spanTag);
    w.varint(1 + varintSize(z) + 1 + varintSize(s.length));
    w.byte(SPAN_OFFSET);
    w.varint(z);
    w.byte(SPAN_LENGTH);
    w.varint(s.length);
  }
  if (counts.length === 0) return;
  if (ints) {
    // Packed sint64 deltas: the first bucket's count, then each bucket's change from the last.
    let d = 0;
    let prev = 0;
    for (const c of counts) {
      d += sint64Size(c - prev);
      prev = c;
    }
    w.byte(deltaTag);
    w.varint(d);
    prev = 0;
    for (const c of counts) {
      w.sint64(c - prev);
      prev = c;
    }
  } else {
    w.byte(countTag);
    w.varint(8 * counts.length);
    for (const c of counts) w.double(c);
  }
}

/** The size of a Histogram body (classic buckets, created timestamp, native fields). */
function histogramSize(family: HistogramFamily, p: HistogramPoint, created: boolean): number {
  const bounds = family.buckets;
  const nb = bounds.length;
  const cum = p.cumulative;
  const ex = p.exemplars;
  const native = p.native;
  const ints = native === undefined || integerCounts(p, native);
  let size = (ints ? countSize(p.count) : DOUBLE_FIELD) + DOUBLE_FIELD;
  for (let j = 0; j < nb; j++) {
    let b = countSize(cum[j]!) + DOUBLE_FIELD;
    const e = ex?.[j] ?? undefined;
    if (e !== undefined) b += field(exemplarSize(e));
    size += field(b);
  }
  // The +Inf bucket is implied by sample_count; it is written only to carry its exemplar, as
  // client_golang does. A native histogram carries exemplars in its own field instead.
  const inf = native === undefined ? (ex?.[nb] ?? undefined) : undefined;
  if (inf !== undefined)
    size += field(countSize(p.count) + DOUBLE_FIELD + field(exemplarSize(inf)));
  if (created) {
    const ts = timestampSize(p.created);
    if (ts >= 0) size += field(ts);
  }
  if (native !== undefined) {
    checkSide(native.positiveSpans, native.positiveCounts, family.name);
    checkSide(native.negativeSpans, native.negativeCounts, family.name);
    if (!Number.isInteger(native.schema) || Math.abs(native.schema) > 0x7fffffff) {
      fail(
        'TT_INVALID_VALUE',
        `histogram ${family.name}: native schema ${String(native.schema)} must be an integer (−4…8)`,
      );
    }
    size += 1 + varintSize(zigzag(native.schema)) + DOUBLE_FIELD;
    size += ints ? countSize(native.zeroCount) : DOUBLE_FIELD;
    size += sideSize(native.negativeSpans, native.negativeCounts, ints);
    size += sideSize(native.positiveSpans, native.positiveCounts, ints);
    if (needsNoopSpan(native)) size += field(4);
    if (ex !== undefined) {
      for (const e of ex) {
        if (e != null && timestampSize(e.timestamp) >= 0) size += 1 + field(exemplarSize(e));
      }
    }
  }
  return size;
}

function writeHistogram(
  w: Writer,
  family: HistogramFamily,
  p: HistogramPoint,
  created: boolean,
): void {
  const bounds = family.buckets;
  const nb = bounds.length;
  const cum = p.cumulative;
  const ex = p.exemplars;
  const native = p.native;
  const ints = native === undefined || integerCounts(p, native);
  if (ints) writeCount(w, HIST_COUNT, HIST_COUNT_FLOAT, p.count);
  else {
    w.byte(HIST_COUNT_FLOAT);
    w.double(p.count);
  }
  w.byte(HIST_SUM);
  w.double(p.sum);
  for (let j = 0; j < nb; j++) {
    const c = cum[j]!;
    const e = ex?.[j] ?? undefined;
    let b = countSize(c) + DOUBLE_FIELD;
    const es = e === undefined ? 0 : exemplarSize(e);
    if (e !== undefined) b += field(es);
    w.byte(HIST_BUCKET);
    w.varint(b);
    writeCount(w, BUCKET_COUNT, BUCKET_COUNT_FLOAT, c);
    w.byte(BUCKET_BOUND);
    w.double(bounds[j]!);
    if (e !== undefined) {
      w.byte(BUCKET_EXEMPLAR);
      w.varint(es);
      writeExemplar(w, e);
    }
  }
  const inf = native === undefined ? (ex?.[nb] ?? undefined) : undefined;
  if (inf !== undefined) {
    const es = exemplarSize(inf);
    w.byte(HIST_BUCKET);
    w.varint(countSize(p.count) + DOUBLE_FIELD + field(es));
    writeCount(w, BUCKET_COUNT, BUCKET_COUNT_FLOAT, p.count);
    w.byte(BUCKET_BOUND);
    w.double(Number.POSITIVE_INFINITY);
    w.byte(BUCKET_EXEMPLAR);
    w.varint(es);
    writeExemplar(w, inf);
  }
  if (native !== undefined) {
    w.byte(HIST_SCHEMA);
    w.varint(zigzag(native.schema));
    w.byte(HIST_ZERO_THRESHOLD);
    w.double(native.zeroThreshold);
    if (ints) writeCount(w, HIST_ZERO_COUNT, HIST_ZERO_COUNT_FLOAT, native.zeroCount);
    else {
      w.byte(HIST_ZERO_COUNT_FLOAT);
      w.double(native.zeroCount);
    }
    writeSide(
      w,
      native.negativeSpans,
      native.negativeCounts,
      ints,
      HIST_NEGATIVE_SPAN,
      HIST_NEGATIVE_DELTA,
      HIST_NEGATIVE_COUNT,
    );
    writeSide(
      w,
      native.positiveSpans,
      native.positiveCounts,
      ints,
      HIST_POSITIVE_SPAN,
      HIST_POSITIVE_DELTA,
      HIST_POSITIVE_COUNT,
    );
    if (needsNoopSpan(native)) {
      // BucketSpan { offset: 0, length: 0 }: "a native histogram with no observations yet".
      w.byte(HIST_POSITIVE_SPAN);
      w.byte(4);
      w.byte(SPAN_OFFSET);
      w.byte(0);
      w.byte(SPAN_LENGTH);
      w.byte(0);
    }
  }
  if (created) {
    writeTimestamp(w, HIST_CREATED, p.created);
  }
  if (native !== undefined && ex !== undefined) {
    for (const e of ex) {
      if (e == null || timestampSize(e.timestamp) < 0) continue;
      w.byte(HIST_EXEMPLARS_0);
      w.byte(HIST_EXEMPLARS_1);
      w.varint(exemplarSize(e));
      writeExemplar(w, e);
    }
  }
}

function* histogramFamily(
  ctx: Ctx,
  family: HistogramFamily,
): Generator<Uint8Array, void, undefined> {
  const points = family.points;
  const n = points.length;
  const created = ctx.created;
  const sizes = new Int32Array(n);
  const inner = new Int32Array(n);
  const labels = ctx.labels;
  labels.begin(family.name, n, family[LABEL_SHAPE]);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const p = points[i]!;
    const body = histogramSize(family, p, created);
    inner[i] = body;
    const size = labels.size(p.labels, i) + field(body);
    sizes[i] = size;
    total += field(size);
  }
  yield* writeHeader(ctx, header(family.name, family.help, HISTOGRAM, family.unit), total);
  const w = ctx.w;
  const limit = ctx.limit;
  for (let i = 0; i < n; i++) {
    const p = points[i]!;
    const size = sizes[i]!;
    if (w.room() < field(size)) {
      const full = spill(ctx, field(size));
      if (full !== undefined) yield full;
    }
    const start = w.pos;
    w.byte(FAMILY_METRIC);
    w.varint(size);
    labels.write(w, p.labels, i);
    w.byte(METRIC_HISTOGRAM);
    w.varint(inner[i]!);
    writeHistogram(w, family, p, created);
    check(w, start, field(size), family);
    if (w.pos >= limit) yield w.take(limit);
  }
}

function resolveOptions(options: ProtobufOptions): Ctx {
  if (typeof options !== 'object' || options === null) {
    fail('TT_INVALID_OPTION', 'protobuf encoder options must be an object, or omitted');
  }
  const { chunkSize, created, cache } = options;
  let limit = DEFAULT_CHUNK_SIZE;
  if (chunkSize !== undefined) {
    if (chunkSize !== Number.POSITIVE_INFINITY && !(Number.isInteger(chunkSize) && chunkSize > 0)) {
      fail(
        'TT_INVALID_OPTION',
        `chunkSize must be a positive integer (bytes) or Infinity, got ${String(chunkSize)}; omit it for the default of ${DEFAULT_CHUNK_SIZE}`,
      );
    }
    limit = chunkSize;
  }
  if (created !== undefined && typeof created !== 'boolean') {
    fail('TT_INVALID_OPTION', `created must be a boolean, got ${typeof created}; omit it for true`);
  }
  if (cache !== undefined && !isProtobufCache(cache)) {
    fail(
      'TT_INVALID_OPTION',
      'cache must come from createProtobufCache(); omit it to encode without one',
    );
  }
  const capacity = limit === Number.POSITIVE_INFINITY ? DEFAULT_CHUNK_SIZE : limit;
  return {
    w: new Writer(capacity),
    limit,
    created: created !== false,
    labels: new Labels(cache),
  };
}

/**
 * Encodes families in the delimited protobuf format
 * (`application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited`):
 * each family is one `io.prometheus.client.MetricFamily` message (client_model's
 * `metrics.proto`) preceded by its length as a varint. Yields chunks of about
 * `options.chunkSize` bytes that end on a series boundary, so a server can yield to the event
 * loop between them; concatenated, they are exactly {@link encodeProtobuf}'s output.
 *
 * Mapping (as client_golang does): a counter family is named `<name>_total`; info becomes a gauge
 * `<name>_info` with value 1; a stateset a gauge `<name>` with one series per state, the state in a
 * label named after the family, 1 or 0; unknown is `UNTYPED`. Counters carry their exemplar,
 * histogram buckets theirs (the `+Inf` bucket is written only to carry one). Counters, histograms
 * and summaries carry `created_timestamp` unless `created: false`. A histogram point with `native`
 * buckets gets the native fields (schema, zero threshold and count, spans, delta-encoded counts,
 * and its exemplars in `exemplars`); one with no bucket, no zero threshold and no zero count gets
 * the no-op span `{offset: 0, length: 0}` that marks it native. Label pairs are written in the
 * order of the label set. Times are written at microsecond resolution.
 *
 * @throws {TelltaleError} `TT_INVALID_OPTION` (at the call) for a bad option; `TT_INVALID_VALUE`
 *   (while iterating) for a value the format cannot carry: a summary count that is not a
 *   non-negative integer, or native spans that do not match their counts.
 * @example
 * ```ts
 * res.setHeader('Content-Type', CONTENT_TYPES.protobuf);
 * for (const chunk of encodeProtobufChunks(await registry.gather())) {
 *   if (!res.write(chunk)) await once(res, 'drain');
 * }
 * res.end();
 * ```
 */
export function encodeProtobufChunks(
  families: readonly MetricFamily[],
  options: ProtobufOptions = {},
): Generator<Uint8Array, void, undefined> {
  // Validated here, not inside the generator, so a bad option throws at the call.
  return protobufChunks(families, resolveOptions(options));
}

function* protobufChunks(
  families: readonly MetricFamily[],
  ctx: Ctx,
): Generator<Uint8Array, void, undefined> {
  for (let f = 0; f < families.length; f++) {
    const family = families[f]!;
    switch (family.type) {
      case 'counter':
      case 'gauge':
      case 'unknown':
        yield* valueFamily(ctx, family);
        break;
      case 'histogram':
        yield* histogramFamily(ctx, family);
        break;
      case 'summary':
        yield* summaryFamily(ctx, family);
        break;
      case 'info':
        yield* infoFamily(ctx, family);
        break;
      case 'stateset':
        yield* stateSetFamily(ctx, family);
        break;
    }
  }
  const w = ctx.w;
  if (w.pos > 0) yield w.buf.subarray(0, w.pos);
}

/**
 * Encodes families in the delimited protobuf format as one byte array (see
 * {@link encodeProtobufChunks} for the mapping). An empty list gives an empty array.
 *
 * @throws {TelltaleError} `TT_INVALID_OPTION` for a bad option, `TT_INVALID_VALUE` for a value
 *   the format cannot carry.
 * @example
 * ```ts
 * res.setHeader('Content-Type', CONTENT_TYPES.protobuf);
 * res.end(encodeProtobuf(await registry.gather()));
 * ```
 */
export function encodeProtobuf(
  families: readonly MetricFamily[],
  options: Omit<ProtobufOptions, 'chunkSize'> = {},
): Uint8Array {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (const c of protobufChunks(families, resolveOptions({ ...options }))) {
    chunks.push(c);
    size += c.length;
  }
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(size);
  let pos = 0;
  for (const c of chunks) {
    out.set(c, pos);
    pos += c.length;
  }
  return out;
}
