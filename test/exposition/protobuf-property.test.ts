// Property test: random families of every kind → our protobuf encoder → protobufjs with metrics.proto → exactly the model's names, labels, values, buckets, native buckets and exemplars.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { encodeProtobuf, encodeProtobufChunks } from '../../src/exposition/protobuf.js';
import { createProtobufCache } from '../../src/exposition/protobuf-labels.js';
import type {
  Exemplar,
  HistogramPoint,
  MetricFamily,
  NativeBuckets,
} from '../../src/metrics/model.js';
import { labels } from './fixtures.js';
import { decodeDelimited, type Loose, micros } from './protobuf-decode.js';

// The metrics core hands encoders well-formed UTF-16 (model.ts).
const toWellFormed = (s: string) =>
  s.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
const str = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.string({ maxLength: 200 }),
  fc
    .string({
      unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)),
      maxLength: 30,
    })
    .map(toWellFormed),
);
const labelName = fc.stringMatching(/^[a-z_][a-z0-9_]{0,12}$/);
const value = fc.oneof(
  fc.double(),
  fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0, 0, 1e21),
);
const count = fc.oneof(
  fc.nat({ max: 1000 }),
  fc.constant(2 ** 53 - 1),
  fc.integer({ min: 0, max: 2 ** 40 }),
);
// Unix seconds with whole microseconds, as the encoder writes them.
const time = fc.integer({ min: -1e15, max: 9e15 }).map((us) => us / 1e6);

const labelSet = fc
  .uniqueArray(fc.tuple(labelName, str), { maxLength: 4, selector: ([n]) => n })
  .map((pairs) => labels(Object.fromEntries(pairs)));
const exemplarArb: fc.Arbitrary<Exemplar> = fc.record({
  labels: fc.dictionary(labelName, str, { maxKeys: 2 }),
  value,
  timestamp: time,
});
const maybeExemplar = fc.option(exemplarArb, { nil: undefined, freq: 3 });
/** A histogram bucket's exemplar slot: `null` when it has none, as the model writes it. */
const bucketExemplar = fc.option(exemplarArb, { nil: null, freq: 3 });

/** Spans (gap ≥ 0 after the first) with absolute integer counts aligned to them. */
const side = fc
  .array(
    fc.tuple(fc.integer({ min: -50, max: 50 }), fc.array(count, { minLength: 1, maxLength: 4 })),
    {
      maxLength: 3,
    },
  )
  .map((runs) => ({
    spans: runs.map(([offset, cs], i) => ({
      offset: i === 0 ? offset : Math.abs(offset),
      length: cs.length,
    })),
    counts: runs.flatMap(([, cs]) => cs),
  }));
const nativeArb: fc.Arbitrary<NativeBuckets> = fc
  .record({
    schema: fc.integer({ min: -4, max: 8 }),
    zeroThreshold: fc.constantFrom(0, 2 ** -128, 0.001),
    zeroCount: count,
    positive: side,
    negative: side,
  })
  .map((n) => ({
    schema: n.schema,
    zeroThreshold: n.zeroThreshold,
    zeroCount: n.zeroCount,
    positiveSpans: n.positive.spans,
    positiveCounts: n.positive.counts,
    negativeSpans: n.negative.spans,
    negativeCounts: n.negative.counts,
  }));

const bounds = fc
  .uniqueArray(fc.double({ noNaN: true, noDefaultInfinity: true }), { maxLength: 5 })
  .map((b) => [...b].sort((x, y) => x - y));

function familyArb(name: string): fc.Arbitrary<MetricFamily> {
  const base = { name, help: '', unit: '' };
  const withHelp = <T extends object>(a: fc.Arbitrary<T>) =>
    fc.tuple(a, str).map(([f, help]) => ({ ...f, help }));
  const points = <T>(p: fc.Arbitrary<T>) => fc.array(p, { maxLength: 5 });
  return fc.oneof(
    withHelp(
      points(fc.record({ labels: labelSet, value, created: time, exemplar: maybeExemplar })).map(
        (ps) => ({ ...base, type: 'counter' as const, points: ps }),
      ),
    ),
    withHelp(
      fc
        .tuple(
          fc.constantFrom('gauge' as const, 'unknown' as const),
          points(fc.record({ labels: labelSet, value })),
        )
        .map(([type, ps]) => ({ ...base, type, points: ps })),
    ),
    withHelp(
      points(fc.record({ labels: labelSet })).map((ps) => ({
        ...base,
        type: 'info' as const,
        points: ps,
      })),
    ),
    withHelp(
      fc.uniqueArray(str, { minLength: 1, maxLength: 3 }).chain((states) =>
        points(
          fc.record({
            labels: labelSet,
            enabled: fc.array(fc.boolean(), { minLength: states.length, maxLength: states.length }),
          }),
        ).map((ps) => ({ ...base, type: 'stateset' as const, states, points: ps })),
      ),
    ),
    withHelp(
      fc
        .uniqueArray(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 3 })
        .chain((quantiles) =>
          points(
            fc.record({
              labels: labelSet,
              values: fc.array(value, { minLength: quantiles.length, maxLength: quantiles.length }),
              sum: value,
              count,
              created: time,
            }),
          ).map((ps) => ({ ...base, type: 'summary' as const, quantiles, points: ps })),
        ),
    ),
    withHelp(
      bounds.chain((buckets) =>
        points(
          fc
            .record({
              labels: labelSet,
              steps: fc.array(count, {
                minLength: buckets.length + 1,
                maxLength: buckets.length + 1,
              }),
              sum: value,
              created: time,
              exemplars: fc.option(
                fc.array(bucketExemplar, {
                  minLength: buckets.length + 1,
                  maxLength: buckets.length + 1,
                }),
                { nil: undefined },
              ),
              native: fc.option(nativeArb, { nil: undefined }),
            })
            .map(({ steps, native, exemplars, ...p }): HistogramPoint => {
              const cumulative: number[] = [];
              let c = 0;
              for (const s of steps) {
                c = Math.min(c + s, 2 ** 53 - 1);
                cumulative.push(c);
              }
              return {
                ...p,
                cumulative,
                count: c,
                ...(exemplars && { exemplars }),
                ...(native && { native }),
              };
            }),
        ).map((ps) => ({ ...base, type: 'histogram' as const, buckets, points: ps })),
      ),
    ),
  );
}

const familiesArb = fc
  .uniqueArray(fc.stringMatching(/^[a-z][a-z0-9_]{0,10}$/), { minLength: 1, maxLength: 4 })
  .chain((names) => fc.tuple(...names.map(familyArb)));

const same = (actual: unknown, expected: number, what: string) =>
  assert.ok(Object.is(actual, expected), `${what}: ${String(actual)} !== ${String(expected)}`);
const pairs = (l: Readonly<Record<string, string>>) =>
  Object.entries(l).map(([name, value]) => ({ name, value }));
const decodedPairs = (m: Loose) =>
  (m.label ?? []).map((p: Loose) => ({ name: p.name ?? '', value: p.value ?? '' }));

function checkExemplar(d: Loose | undefined, e: Exemplar, what: string): void {
  assert.ok(d !== undefined, `${what}: exemplar missing`);
  assert.deepEqual(
    decodedPairs(d),
    Object.entries(e.labels).map(([name, value]) => ({ name, value })),
  );
  same(d.value, e.value, `${what} exemplar value`);
  assert.equal(micros(d.timestamp), Math.round(e.timestamp * 1e6), `${what} exemplar timestamp`);
}

/** The absolute counts behind decoded deltas. */
function absolute(deltas: readonly string[] | undefined): number[] {
  let c = 0;
  return (deltas ?? []).map((d) => {
    c += Number(d);
    return c;
  });
}

function check(families: MetricFamily[], decoded: Loose[]): void {
  assert.equal(decoded.length, families.length);
  families.forEach((f, k) => {
    const d = decoded[k]!;
    const metrics: Loose[] = d['metric'] ?? [];
    assert.equal(d['help'], f.help);
    const at = `${f.type} ${f.name}`;
    switch (f.type) {
      case 'counter':
        assert.deepEqual([d['name'], d['type']], [`${f.name}_total`, 'COUNTER']);
        f.points.forEach((p, i) => {
          const m = metrics[i]!;
          assert.deepEqual(decodedPairs(m), pairs(p.labels));
          same(m.counter.value, p.value, at);
          assert.equal(micros(m.counter.createdTimestamp), Math.round(p.created * 1e6));
          if (p.exemplar === undefined) assert.equal(m.counter.exemplar, undefined);
          else checkExemplar(m.counter.exemplar, p.exemplar, at);
        });
        assert.equal(metrics.length, f.points.length);
        break;
      case 'gauge':
      case 'unknown': {
        const key = f.type === 'gauge' ? 'gauge' : 'untyped';
        assert.deepEqual(
          [d['name'], d['type']],
          [f.name, f.type === 'gauge' ? 'GAUGE' : 'UNTYPED'],
        );
        assert.equal(metrics.length, f.points.length);
        f.points.forEach((p, i) => {
          assert.deepEqual(decodedPairs(metrics[i]!), pairs(p.labels));
          same(metrics[i]![key].value, p.value, at);
        });
        break;
      }
      case 'info':
        assert.deepEqual([d['name'], d['type']], [`${f.name}_info`, 'GAUGE']);
        assert.equal(metrics.length, f.points.length);
        f.points.forEach((p, i) => {
          assert.deepEqual(decodedPairs(metrics[i]!), pairs(p.labels));
          same(metrics[i]!.gauge.value, 1, at);
        });
        break;
      case 'stateset':
        assert.deepEqual([d['name'], d['type']], [f.name, 'GAUGE']);
        assert.equal(metrics.length, f.points.length * f.states.length);
        f.points.forEach((p, i) => {
          f.states.forEach((state, j) => {
            const m = metrics[i * f.states.length + j]!;
            assert.deepEqual(decodedPairs(m), [...pairs(p.labels), { name: f.name, value: state }]);
            same(m.gauge.value, p.enabled[j] ? 1 : 0, at);
          });
        });
        break;
      case 'summary':
        assert.deepEqual([d['name'], d['type']], [f.name, 'SUMMARY']);
        assert.equal(metrics.length, f.points.length);
        f.points.forEach((p, i) => {
          const s = metrics[i]!.summary;
          assert.deepEqual(decodedPairs(metrics[i]!), pairs(p.labels));
          assert.equal(s.sampleCount, String(p.count));
          same(s.sampleSum, p.sum, at);
          assert.equal(micros(s.createdTimestamp), Math.round(p.created * 1e6));
          assert.equal((s.quantile ?? []).length, f.quantiles.length);
          f.quantiles.forEach((q, j) => {
            same(s.quantile[j].quantile, q, at);
            same(s.quantile[j].value, p.values[j]!, at);
          });
        });
        break;
      case 'histogram':
        assert.deepEqual([d['name'], d['type']], [f.name, 'HISTOGRAM']);
        assert.equal(metrics.length, f.points.length);
        f.points.forEach((p, i) => {
          const h = metrics[i]!.histogram;
          assert.deepEqual(decodedPairs(metrics[i]!), pairs(p.labels));
          assert.equal(h.sampleCount, String(p.count));
          same(h.sampleSum, p.sum, at);
          assert.equal(micros(h.createdTimestamp), Math.round(p.created * 1e6));
          const inf =
            p.native === undefined ? (p.exemplars?.[f.buckets.length] ?? undefined) : undefined;
          const buckets: Loose[] = h.bucket ?? [];
          assert.equal(buckets.length, f.buckets.length + (inf === undefined ? 0 : 1));
          f.buckets.forEach((bound, j) => {
            same(buckets[j]!.upperBound, bound, at);
            assert.equal(buckets[j]!.cumulativeCount, String(p.cumulative[j]));
            const e = p.exemplars?.[j] ?? undefined;
            if (e === undefined) assert.equal(buckets[j]!.exemplar, undefined);
            else checkExemplar(buckets[j]!.exemplar, e, `${at} bucket ${j}`);
          });
          if (inf !== undefined) {
            const b = buckets[f.buckets.length]!;
            same(b.upperBound, Number.POSITIVE_INFINITY, at);
            assert.equal(b.cumulativeCount, String(p.count));
            checkExemplar(b.exemplar, inf, `${at} +Inf`);
          }
          const n = p.native;
          if (n === undefined) {
            assert.equal(h.schema, undefined);
            assert.equal(h.exemplars, undefined);
            return;
          }
          assert.equal(h.schema, n.schema);
          same(h.zeroThreshold, n.zeroThreshold, at);
          assert.equal(h.zeroCount, String(n.zeroCount));
          const noop =
            n.positiveSpans.length === 0 &&
            n.negativeSpans.length === 0 &&
            n.zeroThreshold === 0 &&
            n.zeroCount === 0;
          assert.deepEqual(
            h.positiveSpan ?? [],
            noop ? [{ offset: 0, length: 0 }] : n.positiveSpans,
          );
          assert.deepEqual(h.negativeSpan ?? [], n.negativeSpans);
          assert.deepEqual(absolute(h.positiveDelta), n.positiveCounts);
          assert.deepEqual(absolute(h.negativeDelta), n.negativeCounts);
          const ex = (p.exemplars ?? []).filter((e) => e !== null);
          assert.equal((h.exemplars ?? []).length, ex.length);
          ex.forEach((e, j) => {
            checkExemplar(h.exemplars[j], e, `${at} native exemplar ${j}`);
          });
        });
        break;
    }
  });
}

describe('protobuf property: random families survive encode → protobufjs decode', () => {
  it('every name, label, value, bucket, native bucket and exemplar comes back exactly', () => {
    fc.assert(
      fc.property(familiesArb, fc.integer({ min: 1, max: 600 }), (families, chunkSize) => {
        const body = encodeProtobuf(families);
        check(families, decodeDelimited(body) as Loose[]);
        // Chunked and cached encodes are the same bytes.
        const cache = createProtobufCache();
        for (let i = 0; i < 2; i++) {
          const chunked = Buffer.concat([...encodeProtobufChunks(families, { chunkSize, cache })]);
          assert.equal(Buffer.compare(chunked, body), 0);
        }
      }),
      { numRuns: 300 },
    );
  });
});
