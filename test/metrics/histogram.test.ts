// Histogram: bucket placement on exact bounds, cumulative counts, both search paths against a brute-force reference, exemplars, bucket generators.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  BucketPresets,
  createRegistry,
  DEFAULT_BUCKETS,
  exponentialBuckets,
  exponentialBucketsRange,
  linearBuckets,
  sloBuckets,
} from '../../src/metrics/index.js';
import { family, silenceWarnings, throwsCode } from './helpers.js';

silenceWarnings();

/** Cumulative counts the slow, obvious way: a value counts in every bucket whose bound is ≥ it. */
function bruteForce(bounds: readonly number[], observations: readonly number[]): number[] {
  const out = bounds.map((b) => observations.filter((v) => v <= b).length);
  out.push(observations.length);
  return out;
}

describe('histogram', () => {
  it('a value equal to a bound goes in that bucket; counts are cumulative; sum and count exact', () => {
    const r = createRegistry();
    const h = r.histogram({ name: 'latency_seconds', help: 'Latency.', buckets: [0.1, 0.5, 1] });
    for (const v of [0.1, 0.5, 1, 0, -2, 0.1000001, 7]) h.observe(v);
    const p = h.point();
    assert.ok(p !== undefined);
    // ≤0.1: 0.1, 0, -2 | ≤0.5: +0.5, 0.1000001 | ≤1: +1 | +Inf: +7
    assert.deepEqual(p.cumulative, [3, 5, 6, 7]);
    assert.equal(p.count, 7);
    assert.equal(p.sum, 0.1 + 0.5 + 1 + 0 + -2 + 0.1000001 + 7);
    assert.deepEqual(h.buckets, [0.1, 0.5, 1]);
  });

  it('default buckets and labelled series through objects, positions and handles', () => {
    const r = createRegistry();
    const h = r.histogram({ name: 'req_seconds', help: 'Requests.', labelNames: ['route'] });
    assert.deepEqual(h.buckets, DEFAULT_BUCKETS);
    h.observe({ route: '/a' }, 0.005);
    h.labels('/a').observe(10);
    h.labels({ route: '/a' }).observe(11);
    const p = h.point({ route: '/a' });
    assert.ok(p !== undefined);
    assert.deepEqual(p.cumulative, [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 3]);
    assert.equal(p.sum, 0.005 + 10 + 11);
    assert.equal(p.count, 3);
    assert.equal(h.point({ route: '/b' }), undefined);
    const f = family(r.gatherSync(), 'req_seconds');
    assert.equal(f.type, 'histogram');
    if (f.type === 'histogram') assert.deepEqual(f.buckets, DEFAULT_BUCKETS);
  });

  it('a trailing +Inf bucket is accepted and dropped', () => {
    const r = createRegistry();
    const h = r.histogram({
      name: 'x_seconds',
      help: 'X.',
      buckets: [1, 2, Number.POSITIVE_INFINITY],
    });
    assert.deepEqual(h.buckets, [1, 2]);
  });

  it('non-finite observations throw TT_INVALID_VALUE and leave the series unchanged', () => {
    const r = createRegistry();
    const h = r.histogram({ name: 'obs_seconds', help: 'Obs.', buckets: [1] });
    h.observe(0.5);
    for (const bad of [
      Number.NaN,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      '1' as unknown as number,
    ]) {
      throwsCode(() => h.observe(bad), 'TT_INVALID_VALUE', '"obs_seconds"');
      throwsCode(() => h.labels().observeWithExemplar(bad, { a: 'b' }), 'TT_INVALID_VALUE');
    }
    assert.deepEqual(h.point(), { ...h.point(), cumulative: [1, 1], sum: 0.5, count: 1 });
  });

  it('linear (<35 bounds) and binary (≥35 bounds) search both match a brute-force reference', () => {
    const sorted = (minLength: number, maxLength: number) =>
      fc
        .uniqueArray(fc.double({ min: -1e6, max: 1e6, noNaN: true, noDefaultInfinity: true }), {
          minLength,
          maxLength,
          comparator: (a, b) => a === b, // 0 and -0 are one bound
        })
        .map((a) => [...a].sort((x, y) => x - y));
    const bounds = fc.oneof(sorted(1, 34), sorted(35, 80));
    let linear = 0;
    let binary = 0;
    let n = 0;
    fc.assert(
      fc.property(
        bounds,
        fc.array(fc.double({ min: -2e6, max: 2e6, noNaN: true, noDefaultInfinity: true }), {
          maxLength: 60,
        }),
        fc.nat(),
        (b, obs, pick) => {
          // Also observe every bound exactly and its neighbours, where off-by-one errors live.
          const exact = b.flatMap((x) => [
            x,
            x - Number.EPSILON * Math.abs(x),
            x + Number.EPSILON * Math.abs(x),
          ]);
          const extra = b.length > 0 ? [b[pick % b.length]!] : [];
          const all = [...obs, ...exact, ...extra];
          const r = createRegistry();
          const h = r.histogram({ name: `h${n++}`, help: 'H.', buckets: b });
          for (const v of all) h.observe(v);
          if (b.length < 35) linear++;
          else binary++;
          assert.deepEqual(h.point()?.cumulative, bruteForce(b, all));
          assert.equal(h.point()?.count, all.length);
        },
      ),
      { numRuns: 300 },
    );
    assert.ok(
      linear > 20 && binary > 20,
      `both paths exercised: linear ${linear}, binary ${binary}`,
    );
  });

  it('the same observations give identical counts with 34 and 35+ bounds (around the switch)', () => {
    for (const size of [33, 34, 35, 36, 100]) {
      const b = linearBuckets(1, 1, size);
      const r = createRegistry();
      const h = r.histogram({ name: 'sw', help: 'Switch.', buckets: b });
      const obs: number[] = [];
      for (let v = -0.5; v <= size + 1; v += 0.5) obs.push(v);
      for (const v of obs) h.observe(v);
      assert.deepEqual(h.point()?.cumulative, bruteForce(b, obs), `size ${size}`);
    }
  });

  it('observeWithExemplar stores the exemplar on the bucket of the value', () => {
    const r = createRegistry({ now: () => 2000 });
    const h = r.histogram({ name: 'ex_seconds', help: 'Ex.', buckets: [1, 2] });
    h.labels().observeWithExemplar(1.5, { trace_id: 't' });
    h.labels().observeWithExemplar(2, { trace_id: 'u' }); // on the bound: bucket le=2
    const p = h.point();
    assert.ok(p !== undefined);
    assert.deepEqual(p.cumulative, [0, 2, 2]);
    assert.deepEqual(p.exemplars, [
      null,
      { labels: { trace_id: 'u' }, value: 2, timestamp: 2 },
      null,
    ]);
    throwsCode(
      () => h.labels().observeWithExemplar(3, { trace_id: 'y'.repeat(200) }),
      'TT_INVALID_EXEMPLAR',
      '"ex_seconds"',
    );
    assert.equal(h.point()?.count, 2);
    assert.equal(h.point()?.exemplars?.[2], null);
  });

  it('an exemplar through a handle whose series was removed lands on the live series', () => {
    const r = createRegistry();
    const h = r.histogram({ name: 'rev_seconds', help: 'Rev.', labelNames: ['k'], buckets: [1] });
    const old = h.labels('a');
    h.remove('a');
    h.labels('a'); // a new live series for the same labels
    old.observeWithExemplar(0.5, { trace_id: 't' });
    const p = h.point({ k: 'a' });
    assert.deepEqual(p?.cumulative, [1, 1]);
    assert.deepEqual(p?.exemplars?.[0]?.labels, { trace_id: 't' });
  });

  it('startTimer on the metric and on a handle observes once and returns the seconds', () => {
    const r = createRegistry();
    const h = r.histogram({ name: 't_seconds', help: 'T.', labelNames: ['op'] });
    const s1 = h.startTimer({ op: 'a' })();
    const s2 = h.labels('b').startTimer()();
    for (const [op, s] of [
      ['a', s1],
      ['b', s2],
    ] as const) {
      const p = h.point({ op });
      assert.ok(s >= 0 && s < 5);
      assert.equal(p?.count, 1);
      assert.equal(p?.sum, s);
    }
  });
});

describe('bucket generators', () => {
  it('linearBuckets gives exact, tidy values', () => {
    assert.deepEqual(linearBuckets(0.1, 0.1, 5), [0.1, 0.2, 0.3, 0.4, 0.5]);
    assert.deepEqual(linearBuckets(-1, 0.5, 4), [-1, -0.5, 0, 0.5]);
    assert.deepEqual(linearBuckets(0, 10, 1), [0]);
  });

  it('exponentialBuckets gives exact, tidy values', () => {
    assert.deepEqual(exponentialBuckets(0.001, 2, 4), [0.001, 0.002, 0.004, 0.008]);
    assert.deepEqual(exponentialBuckets(1, 10, 4), [1, 10, 100, 1000]);
    assert.deepEqual(exponentialBuckets(0.1, 3, 3), [0.1, 0.3, 0.9]);
  });

  it('exponentialBucketsRange spans min to max inclusive', () => {
    assert.deepEqual(exponentialBucketsRange(0.001, 1, 4), [0.001, 0.01, 0.1, 1]);
    assert.deepEqual(exponentialBucketsRange(1, 16, 5), [1, 2, 4, 8, 16]);
    assert.deepEqual(exponentialBucketsRange(1, 5, 1), [5]);
    assert.deepEqual(exponentialBucketsRange(0.005, 10, 2), [0.005, 10]);
    throwsCode(() => exponentialBucketsRange(1, Number.POSITIVE_INFINITY, 3), 'TT_INVALID_BUCKETS');
  });

  it('bad generator arguments throw TT_INVALID_BUCKETS', () => {
    throwsCode(() => linearBuckets(0, 1, 0), 'TT_INVALID_BUCKETS', 'linearBuckets');
    throwsCode(() => linearBuckets(0, 0, 3), 'TT_INVALID_BUCKETS', 'linearBuckets');
    throwsCode(() => linearBuckets(Number.NaN, 1, 3), 'TT_INVALID_BUCKETS');
    throwsCode(() => exponentialBuckets(0, 2, 3), 'TT_INVALID_BUCKETS', 'exponentialBuckets');
    throwsCode(() => exponentialBuckets(1, 1, 3), 'TT_INVALID_BUCKETS');
    throwsCode(() => exponentialBuckets(1, 2, 1.5), 'TT_INVALID_BUCKETS');
    throwsCode(
      () => exponentialBucketsRange(1, 1, 3),
      'TT_INVALID_BUCKETS',
      'exponentialBucketsRange',
    );
    throwsCode(() => sloBuckets([0]), 'TT_INVALID_BUCKETS', 'sloBuckets');
  });

  it('sloBuckets contains every threshold exactly, ascending and without duplicates', () => {
    const b = sloBuckets([0.01, 0.05, 0.1]);
    for (const t of [0.01, 0.05, 0.1]) assert.ok(b.includes(t), `${t} in ${b.join(',')}`);
    assert.equal(b[0], 0.001);
    assert.deepEqual(
      [...b].sort((x, y) => x - y),
      b,
    );
    assert.equal(new Set(b).size, b.length);
    assert.ok(b.every((x) => x <= 10 * (1 + 1e-9)));
    // A threshold on the ladder is not duplicated.
    assert.equal(sloBuckets([0.0025]).filter((x) => x === 0.0025).length, 1);
    // Usable as histogram buckets as they are.
    createRegistry().histogram({ name: 'slo_seconds', help: 'SLO.', buckets: b });
  });

  it('BucketPresets.realtimeLatency: 1 ms to 1 s with bounds exactly at 10, 50 and 100 ms', () => {
    assert.deepEqual(
      [...BucketPresets.realtimeLatency],
      [0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1],
    );
    assert.deepEqual(BucketPresets.default, DEFAULT_BUCKETS);
    assert.deepEqual(DEFAULT_BUCKETS, [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]);
    assert.deepEqual(BucketPresets.bytes.slice(0, 3), [64, 256, 1024]);
    assert.equal(BucketPresets.bytes.at(-1), 16 * 1024 * 1024);
  });
});
