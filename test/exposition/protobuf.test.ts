// The delimited protobuf encoder: golden bytes decoded by protobufjs, the mapping of every family kind, native histograms, chunking, the label cache, bad input.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { encodeChunks } from '../../src/exposition/format.js';
import {
  encodeProtobuf,
  encodeProtobufChunks,
  type ProtobufOptions,
} from '../../src/exposition/protobuf.js';
import { createProtobufCache } from '../../src/exposition/protobuf-labels.js';
import { TelltaleError } from '../../src/internal/errors.js';
import type {
  CounterFamily,
  HistogramFamily,
  MetricFamily,
  NativeBuckets,
} from '../../src/metrics/model.js';
import { exemplar, labels, manyCounters, manyHistograms } from './fixtures.js';
import { decodeDelimited, type Loose, seconds, toText } from './protobuf-decode.js';
import { NATIVE_ONLY, NATIVE_WITH_CLASSIC, PROTOBUF_FAMILIES } from './protobuf-families.js';

// Hand-reviewed files; no update mode. exposition.pb.txt is exposition.pb decoded by protobufjs
// with client_model's metrics.proto (test/golden/metrics.proto).
const GOLDEN = new Uint8Array(readFileSync(new URL('../golden/exposition.pb', import.meta.url)));
const GOLDEN_TEXT = readFileSync(new URL('../golden/exposition.pb.txt', import.meta.url), 'utf8');

const concat = (chunks: Iterable<Uint8Array>): Uint8Array => Buffer.concat([...chunks]);
const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.compare(a, b) === 0;
const isCode = (code: string) => (e: unknown) => e instanceof TelltaleError && e.code === code;

/** Decodes a body that must hold exactly one family. */
function one(families: MetricFamily[], options?: ProtobufOptions): Loose {
  const decoded = decodeDelimited(encodeProtobuf(families, options));
  assert.equal(decoded.length, 1);
  return decoded[0] as Loose;
}

const histogram = (native: NativeBuckets, count: number): HistogramFamily => ({
  type: 'histogram',
  name: 'h',
  help: 'h',
  unit: '',
  buckets: [],
  points: [{ labels: labels(), cumulative: [count], sum: 1, count, created: 0, native }],
});
const NO_BUCKETS: NativeBuckets = {
  schema: 0,
  zeroThreshold: 0,
  zeroCount: 0,
  positiveSpans: [],
  positiveCounts: [],
  negativeSpans: [],
  negativeCounts: [],
};

describe('protobuf golden files', () => {
  it('the encoding of every family kind matches exposition.pb byte for byte', () => {
    assert.ok(same(encodeProtobuf(PROTOBUF_FAMILIES), GOLDEN));
  });

  it('exposition.pb decodes with protobufjs to exactly exposition.pb.txt', () => {
    assert.equal(toText(decodeDelimited(GOLDEN)), GOLDEN_TEXT);
  });

  it('chunked output concatenates to the same bytes for any chunk size; chunks end on series', () => {
    for (const chunkSize of [1, 7, 100, 512, 4096, Number.POSITIVE_INFINITY]) {
      const chunks = [...encodeProtobufChunks(PROTOBUF_FAMILIES, { chunkSize })];
      assert.ok(same(concat(chunks), GOLDEN), `chunkSize ${chunkSize}`);
      for (const c of chunks) assert.ok(c.length > 0, 'no empty chunks');
      if (chunkSize === Number.POSITIVE_INFINITY) assert.equal(chunks.length, 1);
      if (chunkSize === 4096) assert.equal(chunks.length, 1, 'the whole golden fits one chunk');
    }
    // With a small chunk size every chunk but the last holds whole metrics and stays under it
    // unless a single metric (or family header) is larger.
    const chunks = [...encodeProtobufChunks(manyCounters(2000, 3), { chunkSize: 1000 })];
    assert.ok(chunks.length > 50);
    for (const c of chunks) assert.ok(c.length <= 1000, `chunk of ${c.length} bytes`);
    assert.equal(decodeDelimited(concat(chunks)).length, 3);
  });

  it('encodeChunks(…, "protobuf") gives the same bytes', () => {
    assert.ok(same(concat(encodeChunks(PROTOBUF_FAMILIES, 'protobuf')), GOLDEN));
  });

  it('an empty list gives an empty body', () => {
    assert.equal(encodeProtobuf([]).length, 0);
    assert.deepEqual([...encodeProtobufChunks([])], []);
  });
});

describe('protobuf mapping', () => {
  it('names counter families with _total, info with _info; stateset and info are gauges', () => {
    const names = decodeDelimited(GOLDEN).map((f) => `${f['name']} ${f['type']}`);
    assert.deepEqual(names, [
      'build_info GAUGE',
      'data_sent_bytes_total COUNTER',
      'feature_state GAUGE',
      'http_requests_total COUNTER',
      'jobs_processed_total COUNTER',
      'legacy_value UNTYPED',
      'native_latency_seconds HISTOGRAM',
      'native_only_seconds HISTOGRAM',
      'queue_depth GAUGE',
      'request_duration_seconds HISTOGRAM',
      'rpc_duration_seconds SUMMARY',
      'temperature_celsius GAUGE',
    ]);
  });

  it('created:false drops every created_timestamp and nothing else', () => {
    const on = decodeDelimited(encodeProtobuf(PROTOBUF_FAMILIES));
    const off = decodeDelimited(encodeProtobuf(PROTOBUF_FAMILIES, { created: false }));
    const strip = (v: unknown): unknown => {
      if (Array.isArray(v)) return v.map(strip);
      if (typeof v !== 'object' || v === null) return v;
      return Object.fromEntries(
        Object.entries(v)
          .filter(([k]) => k !== 'createdTimestamp')
          .map(([k, x]) => [k, strip(x)]),
      );
    };
    assert.deepEqual(off, strip(on));
    assert.ok(JSON.stringify(on).includes('createdTimestamp'));
    assert.ok(!JSON.stringify(off).includes('createdTimestamp'));
  });

  it('writes times at microsecond resolution, negative times with non-negative nanos, and omits non-finite ones', () => {
    const c = (created: number): CounterFamily => ({
      type: 'counter',
      name: 'c',
      help: '',
      unit: '',
      points: [{ labels: labels(), value: 1, created }],
    });
    const ts = (created: number) => one([c(created)])['metric'][0].counter.createdTimestamp;
    assert.deepEqual(ts(1_700_000_000.123), { seconds: '1700000000', nanos: 123_000_000 });
    // Within half a microsecond of a whole second (the nearest doubles to ±2e-7 past it).
    assert.deepEqual(ts(1_700_000_000 + 2e-7), { seconds: '1700000000' });
    assert.deepEqual(ts(1_700_000_001 - 2e-7), { seconds: '1700000001' });
    assert.deepEqual(ts(1_700_000_000 + 3e-6), { seconds: '1700000000', nanos: 3000 });
    assert.deepEqual(ts(-1.5), { seconds: '-2', nanos: 500_000_000 });
    assert.deepEqual(ts(0), {});
    assert.deepEqual(ts(1e12), { seconds: '1000000000000' });
    assert.equal(ts(Number.NaN), undefined);
    assert.equal(ts(Number.POSITIVE_INFINITY), undefined);
    assert.equal(ts(1e19), undefined);
  });

  it('writes the +Inf bucket of a classic histogram only to carry its exemplar', () => {
    const h = (withInf: boolean): HistogramFamily => ({
      type: 'histogram',
      name: 'h',
      help: '',
      unit: '',
      buckets: [1],
      points: [
        {
          labels: labels(),
          cumulative: [1, 2],
          sum: 3,
          count: 2,
          created: 5,
          exemplars: [null, withInf ? exemplar(2, 6, 'x') : null],
        },
      ],
    });
    assert.deepEqual(one([h(false)])['metric'][0].histogram.bucket, [
      { cumulativeCount: '1', upperBound: 1 },
    ]);
    assert.deepEqual(one([h(true)])['metric'][0].histogram.bucket, [
      { cumulativeCount: '1', upperBound: 1 },
      {
        cumulativeCount: '2',
        upperBound: Number.POSITIVE_INFINITY,
        exemplar: {
          label: [{ name: 'trace_id', value: 'x' }],
          value: 2,
          timestamp: { seconds: '6' },
        },
      },
    ]);
  });

  it('native histograms: spans, deltas and the zero bucket as Prometheus expects', () => {
    const h = one([NATIVE_WITH_CLASSIC])['metric'][0].histogram;
    assert.equal(h.schema, 0);
    assert.equal(h.zeroThreshold, 2 ** -128);
    assert.equal(h.zeroCount, '1');
    assert.deepEqual(h.positiveSpan, [
      { offset: -1, length: 2 },
      { offset: 1, length: 1 },
    ]);
    assert.deepEqual(h.positiveDelta, ['1', '0', '0']);
    assert.deepEqual(h.negativeSpan, [{ offset: 1, length: 1 }]);
    assert.deepEqual(h.negativeDelta, ['1']);
    assert.equal(h.sampleCount, '5');
    assert.equal(h.sampleSum, 2.55);
    assert.deepEqual(
      h.exemplars.map((e: Loose) => [e.value, seconds(e.timestamp)]),
      [
        [0.75, 1_700_000_010.5],
        [3, 1_700_000_011],
      ],
    );
    const only = one([NATIVE_ONLY])['metric'];
    assert.equal(only[0].histogram.bucket, undefined, 'no classic bucket at all');
    assert.deepEqual(only[0].histogram.positiveDelta, ['5', '-3', '5']);
    assert.deepEqual(only[1].histogram.positiveSpan, [{ offset: 0, length: 0 }]);
  });

  it('the no-op span is written only when nothing else marks the histogram native', () => {
    const span = (n: NativeBuckets) => one([histogram(n, 1)])['metric'][0].histogram.positiveSpan;
    assert.deepEqual(span(NO_BUCKETS), [{ offset: 0, length: 0 }]);
    assert.equal(span({ ...NO_BUCKETS, zeroThreshold: 1e-9 }), undefined);
    assert.equal(span({ ...NO_BUCKETS, zeroCount: 1 }), undefined);
    assert.deepEqual(
      span({ ...NO_BUCKETS, positiveSpans: [{ offset: 3, length: 1 }], positiveCounts: [1] }),
      [{ offset: 3, length: 1 }],
    );
  });

  it('non-integer native counts go in the float fields, integer ones as deltas', () => {
    const h = one([
      histogram(
        {
          ...NO_BUCKETS,
          zeroCount: 0.5,
          positiveSpans: [{ offset: 0, length: 2 }],
          positiveCounts: [1.5, 2],
        },
        4,
      ),
    ])['metric'][0].histogram;
    assert.equal(h.sampleCountFloat, 4);
    assert.equal(h.sampleCount, undefined);
    assert.equal(h.zeroCountFloat, 0.5);
    assert.deepEqual(h.positiveCount, [1.5, 2]);
    assert.equal(h.positiveDelta, undefined);
  });

  it('large values: 64-bit counts, big deltas and multi-byte lengths', () => {
    const big = 2 ** 53 - 1;
    const h = one([
      histogram(
        {
          ...NO_BUCKETS,
          positiveSpans: [{ offset: -2_000_000_000, length: 2 }],
          positiveCounts: [big, 0],
        },
        big,
      ),
    ])['metric'][0].histogram;
    assert.equal(h.sampleCount, String(big));
    assert.deepEqual(h.positiveSpan, [{ offset: -2_000_000_000, length: 2 }]);
    assert.deepEqual(h.positiveDelta, [String(big), String(-big)]);
    const long = 'x'.repeat(20_000);
    const g = one([
      {
        type: 'gauge',
        name: 'g',
        help: long,
        unit: '',
        points: [{ labels: labels({ v: long }), value: 1 }],
      },
    ]);
    assert.equal(g['help'], long);
    assert.equal(g['metric'][0].label[0].value, long);
  });

  it('UTF-8: non-ASCII and astral characters; lone surrogates become U+FFFD as TextEncoder writes them', () => {
    const values = ['Zürich', '日本', '🚀', 'a\uD800b', '\uDC00', 'x\uD83D'];
    const g = one([
      {
        type: 'gauge',
        name: 'g',
        help: 'é\uD800',
        unit: '',
        points: values.map((v, i) => ({ labels: labels({ v, i: String(i) }), value: i })),
      },
    ]);
    assert.equal(g['help'], 'é\uFFFD');
    assert.deepEqual(
      g['metric'].map((m: Loose) => m.label[0].value),
      ['Zürich', '日本', '🚀', 'a\uFFFDb', '\uFFFD', 'x\uFFFD'],
    );
  });

  it('labels are written from names and values, in the label set order, not from the text', () => {
    const g = one([
      {
        type: 'gauge',
        name: 'g',
        help: '',
        unit: '',
        points: [{ labels: { z: '1', a: '2' }, value: 1 }],
      },
    ]);
    assert.deepEqual(g['metric'][0].label, [
      { name: 'z', value: '1' },
      { name: 'a', value: '2' },
    ]);
  });

  it('does not mutate its input', () => {
    const families = [...PROTOBUF_FAMILIES, ...manyHistograms(5, 2)];
    const copy = structuredClone(families);
    encodeProtobuf(families);
    encodeProtobuf(families, { cache: createProtobufCache() });
    assert.deepEqual(families, copy);
  });
});

describe('protobuf label cache', () => {
  it('gives the same bytes as no cache, scrape after scrape, as series come and go', () => {
    const cache = createProtobufCache();
    const base = manyCounters(3000, 3);
    for (let round = 0; round < 12; round++) {
      // Each round drops some series, adds new ones, and renames a family: order and keys move.
      const families: MetricFamily[] = base.map((f, k) => ({
        ...f,
        name: round % 4 === 3 && k === 0 ? 'renamed' : f.name,
        points: f.points
          .filter((_, i) => (i + round) % 7 !== 0)
          .concat([
            {
              labels: labels({ method: 'NEW', route: `/r/${round}/${k}` }),
              value: round,
              created: 1,
            },
          ]),
      }));
      const expected = encodeProtobuf(families);
      assert.ok(same(encodeProtobuf(families, { cache }), expected), `round ${round}`);
      assert.ok(same(concat(encodeProtobufChunks(families, { cache, chunkSize: 333 })), expected));
    }
  });

  it('stays correct across compactions, even for an encode that was running when one happened', () => {
    const cache = createProtobufCache();
    const gen = (round: number) => [
      {
        ...manyCounters(1, 1)[0]!,
        points: Array.from({ length: 3000 }, (_, i) => ({
          labels: labels({ round: String(round), i: String(i) }),
          value: i,
          created: 1,
        })),
      },
    ];
    // A slow encode of round 0, one chunk at a time, while other rounds churn every series.
    const slowFamilies = gen(0);
    const slow = encodeProtobufChunks(slowFamilies, { cache, chunkSize: 4096 });
    const slowChunks: Uint8Array[] = [];
    for (let round = 1; round <= 8; round++) {
      const next = slow.next();
      if (next.done !== true) slowChunks.push(next.value);
      const families = gen(round);
      assert.ok(
        same(encodeProtobuf(families, { cache }), encodeProtobuf(families)),
        `round ${round}`,
      );
    }
    for (const c of slow as Iterable<Uint8Array>) slowChunks.push(c);
    assert.ok(same(concat(slowChunks), encodeProtobuf(slowFamilies)));
    // And the series of round 0, seen again after they were compacted away, are re-encoded.
    assert.ok(same(encodeProtobuf(slowFamilies, { cache }), encodeProtobuf(slowFamilies)));
  });

  it('reused counter and gauge messages follow every change of value, created time, exemplar and option', () => {
    const cache = createProtobufCache();
    const sets = Array.from({ length: 200 }, (_, i) => labels({ i: String(i) }));
    const families = (round: number): MetricFamily[] => [
      {
        type: 'counter',
        name: 'c',
        help: '',
        unit: '',
        points: sets.map((set, i) => ({
          labels: set,
          value: round * 1000 + i + 0.5,
          // A reset now and then moves a series' created time; exemplars come and go.
          created: 1_700_000_000 + (i % 17 === round % 17 ? round : 0),
          ...(i % 5 === round % 5 && {
            exemplar: exemplar(round, 1_700_000_100 + round, `t${round}`),
          }),
        })),
      },
      {
        type: round % 3 === 2 ? 'unknown' : 'gauge',
        name: 'g',
        help: '',
        unit: '',
        points: sets.slice(round % 4).map((set, i) => ({ labels: set, value: -round * i })),
      },
    ];
    // A slow encode of round 0 reads templates while later rounds replace them.
    const slowFamilies = families(0);
    encodeProtobuf(slowFamilies, { cache });
    const slow = encodeProtobufChunks(slowFamilies, { cache, chunkSize: 512 });
    const slowChunks: Uint8Array[] = [];
    for (let round = 1; round <= 12; round++) {
      const next = slow.next();
      if (next.done !== true) slowChunks.push(next.value);
      const fs = families(round);
      for (const created of [true, true, false, true]) {
        const expected = encodeProtobuf(fs, { created });
        assert.ok(same(encodeProtobuf(fs, { cache, created }), expected), `round ${round}`);
      }
    }
    for (const c of slow as Iterable<Uint8Array>) slowChunks.push(c);
    assert.ok(same(concat(slowChunks), encodeProtobuf(slowFamilies)));
  });

  it('keys label sets by their text; identical sets in different families share an entry', () => {
    const cache = createProtobufCache();
    const set = labels({ a: 'x' });
    const families: MetricFamily[] = [
      { type: 'gauge', name: 'g1', help: '', unit: '', points: [{ labels: set, value: 1 }] },
      {
        type: 'gauge',
        name: 'g2',
        help: '',
        unit: '',
        points: [{ labels: labels({ a: 'x' }), value: 2 }],
      },
    ];
    assert.ok(same(encodeProtobuf(families, { cache }), encodeProtobuf(families)));
    assert.ok(same(encodeProtobuf(families, { cache }), encodeProtobuf(families)));
  });
});

describe('protobuf bad input', () => {
  it('rejects bad options with TT_INVALID_OPTION, at the call', () => {
    for (const options of [
      { chunkSize: 0 },
      { chunkSize: -1 },
      { chunkSize: 1.5 },
      { chunkSize: Number.NaN },
      { created: 'yes' },
      { cache: {} },
      { cache: { kind: 'telltale.protobufCache' } },
    ]) {
      assert.throws(
        () => encodeProtobufChunks([], options as ProtobufOptions),
        isCode('TT_INVALID_OPTION'),
      );
      assert.throws(
        () => encodeChunks([], 'protobuf', options as ProtobufOptions),
        isCode('TT_INVALID_OPTION'),
      );
    }
    assert.throws(
      () => encodeProtobufChunks([], null as unknown as ProtobufOptions),
      isCode('TT_INVALID_OPTION'),
    );
  });

  it('native spans that do not match their counts, or are not integers, are TT_INVALID_VALUE', () => {
    const bad: NativeBuckets[] = [
      { ...NO_BUCKETS, positiveSpans: [{ offset: 0, length: 2 }], positiveCounts: [1] },
      { ...NO_BUCKETS, negativeCounts: [1] },
      { ...NO_BUCKETS, positiveSpans: [{ offset: 0.5, length: 1 }], positiveCounts: [1] },
      { ...NO_BUCKETS, positiveSpans: [{ offset: 0, length: -1 }], positiveCounts: [] },
      { ...NO_BUCKETS, schema: 1.5 },
    ];
    for (const n of bad) {
      assert.throws(
        () => encodeProtobuf([histogram(n, 1)]),
        isCode('TT_INVALID_VALUE'),
        JSON.stringify(n),
      );
    }
  });

  it('a summary count that is not a non-negative integer is TT_INVALID_VALUE', () => {
    for (const count of [-1, 1.5, Number.NaN]) {
      assert.throws(
        () =>
          encodeProtobuf([
            {
              type: 'summary',
              name: 's',
              help: '',
              unit: '',
              quantiles: [],
              points: [{ labels: labels(), values: [], sum: 0, count, created: 0 }],
            },
          ]),
        isCode('TT_INVALID_VALUE'),
      );
    }
  });
});
