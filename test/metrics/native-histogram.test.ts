// Native histograms through the registry: native-only and side by side with classic buckets, exact points, bad input, resets on the registry clock, series removal, and text/OpenMetrics bodies checked by promtool and Python.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeOpenMetrics } from '../../src/exposition/openmetrics.js';
import { encodeText } from '../../src/exposition/text.js';
import {
  createRegistry,
  type HistogramPoint,
  type NativeBuckets,
  type NativeHistogramOptions,
} from '../../src/metrics/index.js';
import {
  assertOpenMetricsBodyValid,
  assertPromtoolClean,
  assertTextBodyValid,
} from '../helpers/index.js';
import { silenceWarnings, throwsCode } from './helpers.js';

silenceWarnings();

const T0 = 1_700_000_000_000;

/** Native buckets of a point, failing when absent. */
function nativeOf(p: HistogramPoint | undefined): NativeBuckets {
  assert.ok(p?.native !== undefined, 'the point has native buckets');
  return p.native;
}

function total(n: NativeBuckets): number {
  let t = n.zeroCount;
  for (const c of n.positiveCounts) t += c;
  for (const c of n.negativeCounts) t += c;
  return t;
}

describe('native histograms in the registry', () => {
  it('native alone is native-only: no classic buckets, cumulative is [count], exact native buckets', () => {
    const r = createRegistry({ now: () => T0 });
    const h = r.histogram({ name: 'rpc_seconds', help: 'RPC latency.', native: { schema: 0 } });
    assert.deepEqual(h.buckets, []);
    for (const v of [1, 3, 3, 0, -0.5]) h.observe(v);
    assert.deepEqual(h.point(), {
      labels: h.point()!.labels,
      cumulative: [5],
      sum: 6.5,
      count: 5,
      created: T0 / 1000,
      native: {
        schema: 0,
        zeroThreshold: 2 ** -128,
        zeroCount: 1,
        positiveSpans: [{ offset: 0, length: 3 }],
        positiveCounts: [1, 0, 2], // 1 → 0, 3 → 2 (2 < 3 ≤ 4)
        negativeSpans: [{ offset: -1, length: 1 }], // 0.5 → -1
        negativeCounts: [1],
      },
    });
  });

  it('buckets and native together: classic buckets as before, native buckets alongside', () => {
    const r = createRegistry({ now: () => T0 });
    const h = r.histogram({
      name: 'rpc_seconds',
      help: 'RPC latency.',
      labelNames: ['method'],
      buckets: [0.1, 1],
      native: { schema: 1 },
    });
    assert.deepEqual(h.buckets, [0.1, 1]);
    for (const v of [0.05, 0.5, 0.5, 2]) h.observe({ method: 'get' }, v);
    const p = h.point({ method: 'get' });
    assert.deepEqual(p?.cumulative, [1, 3, 4]);
    assert.equal(p?.count, 4);
    assert.equal(p?.sum, 3.05);
    // schema 1 (base √2): 0.05 → -8 (2^-4.5 < 0.05 ≤ 2^-4), 0.5 → -2, 2 → 2
    assert.deepEqual(nativeOf(p), {
      schema: 1,
      zeroThreshold: 2 ** -128,
      zeroCount: 0,
      positiveSpans: [
        { offset: -8, length: 1 },
        { offset: 5, length: 1 },
        { offset: 3, length: 1 },
      ],
      positiveCounts: [1, 2, 1],
      negativeSpans: [],
      negativeCounts: [],
    });
    // A classic-only histogram's points carry no native buckets.
    const c = r.histogram({ name: 'classic_seconds', help: 'Classic.', buckets: [1] });
    c.observe(0.5);
    assert.equal('native' in c.point()!, false);
  });

  it('bound handles, positional labels and gather all see the same native buckets', async () => {
    const r = createRegistry();
    const h = r.histogram({
      name: 'job_seconds',
      help: 'Job time.',
      labelNames: ['queue'],
      native: { schema: 2 },
    });
    const handle = h.labels('fast');
    handle.observe(1);
    h.labels({ queue: 'fast' }).observe(1);
    h.observe({ queue: 'fast' }, 2);
    const fam = (await r.gather()).find((f) => f.name === 'job_seconds');
    assert.ok(fam?.type === 'histogram');
    assert.deepEqual(fam.buckets, []);
    assert.equal(fam.points.length, 1);
    const expected = {
      schema: 2,
      zeroThreshold: 2 ** -128,
      zeroCount: 0,
      positiveSpans: [
        { offset: 0, length: 1 },
        { offset: 3, length: 1 },
      ],
      positiveCounts: [2, 1],
      negativeSpans: [],
      negativeCounts: [],
    };
    assert.deepEqual(fam.points[0]!.native, expected);
    assert.deepEqual(handle.get().native, expected);
  });

  it('NaN and ±Infinity are TT_INVALID_VALUE, with the data untouched and no series created', () => {
    const r = createRegistry();
    const h = r.histogram({
      name: 'rpc_seconds',
      help: 'RPC latency.',
      labelNames: ['m'],
      native: {},
    });
    h.observe({ m: 'a' }, 0.25);
    const before = h.point({ m: 'a' });
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      throwsCode(() => h.observe({ m: 'a' }, bad), 'TT_INVALID_VALUE', 'rpc_seconds');
      throwsCode(() => h.labels('a').observe(bad), 'TT_INVALID_VALUE', 'rpc_seconds');
      throwsCode(() => h.observe({ m: 'new' }, bad), 'TT_INVALID_VALUE', 'rpc_seconds');
    }
    assert.deepEqual(h.point({ m: 'a' }), before);
    assert.equal(h.seriesCount, 1);
    assert.equal(total(nativeOf(h.point({ m: 'a' }))), 1);
  });

  it('a bad native option is TT_INVALID_OPTION at registration, naming the histogram; nothing is registered', () => {
    const r = createRegistry({ prefix: 'app_' });
    const bad: [unknown, string][] = [
      [{ schema: 9 }, 'native.schema'],
      [{ schema: -5 }, 'native.schema'],
      [{ zeroThreshold: -1 }, 'native.zeroThreshold'],
      [{ maxBucketCount: 0 }, 'native.maxBucketCount'],
      [{ minResetDurationSeconds: -5 }, 'native.minResetDurationSeconds'],
      [null, 'native must be an object'],
    ];
    for (const [native, what] of bad) {
      throwsCode(
        () =>
          r.histogram({ name: 'rpc_seconds', help: 'h', native: native as NativeHistogramOptions }),
        'TT_INVALID_OPTION',
        'histogram "app_rpc_seconds"',
        what,
      );
    }
    // Still free: a valid registration under the same name works.
    assert.equal(
      r.histogram({ name: 'rpc_seconds', help: 'h', native: {} }).name,
      'app_rpc_seconds',
    );
    // Bad classic buckets next to native options are still refused.
    throwsCode(
      () => r.histogram({ name: 'other_seconds', help: 'h', buckets: [], native: {} }),
      'TT_INVALID_BUCKETS',
    );
  });

  it('the same spec returns the same histogram; different native options conflict', () => {
    const r = createRegistry();
    const a = r.histogram({ name: 'rpc_seconds', help: 'h', native: { schema: 2 } });
    assert.equal(r.histogram({ name: 'rpc_seconds', help: 'h', native: { schema: 2 } }), a);
    for (const other of [
      { native: { schema: 3 } },
      { native: { schema: 2, maxBucketCount: 10 } },
      { native: { schema: 2 }, buckets: [1] },
      {},
    ]) {
      throwsCode(
        () => r.histogram({ name: 'rpc_seconds', help: 'h', ...other }),
        'TT_CONFLICTING_REGISTRATION',
        'rpc_seconds',
        'native options',
      );
    }
  });

  it('minResetDurationSeconds on the registry clock: over the limit after it, the series resets (count, sum, classic buckets, created)', () => {
    let now = T0;
    const r = createRegistry({ now: () => now });
    const h = r.histogram({
      name: 'rpc_seconds',
      help: 'h',
      buckets: [1],
      native: { schema: 0, maxBucketCount: 2, minResetDurationSeconds: 60 },
    });
    h.observe(1);
    h.observe(2);
    now = T0 + 60_000;
    h.observe(4); // a third bucket, 60 s after creation: reset, then 4 is recorded
    const p = h.point();
    assert.deepEqual(p?.cumulative, [0, 1]);
    assert.equal(p?.count, 1);
    assert.equal(p?.sum, 4);
    assert.equal(p?.created, (T0 + 60_000) / 1000);
    assert.deepEqual(nativeOf(p).positiveSpans, [{ offset: 2, length: 1 }]);
  });

  it('minResetDurationSeconds: a reduced series resets when the duration is up, applied by the next read as of that time', async () => {
    let now = T0;
    const r = createRegistry({ now: () => now });
    const h = r.histogram({
      name: 'rpc_seconds',
      help: 'h',
      labelNames: ['m'],
      native: { schema: 0, maxBucketCount: 2, minResetDurationSeconds: 60 },
    });
    h.observe({ m: 'a' }, 1.5); // 1
    h.observe({ m: 'a' }, 3); // 2
    now = T0 + 10_000;
    h.observe({ m: 'a' }, 6); // 3: too soon to reset, so schema -1 (1 → 1, 2 → 1, 3 → 2)
    assert.equal(nativeOf(h.point({ m: 'a' })).schema, -1);
    assert.equal(h.point({ m: 'a' })?.count, 3);
    now = T0 + 60_000;
    const fam = (await r.gather()).find((f) => f.name === 'rpc_seconds');
    assert.ok(fam?.type === 'histogram');
    const p = fam.points[0]!;
    assert.equal(p.count, 0);
    assert.equal(p.sum, 0);
    assert.deepEqual(p.cumulative, [0]);
    assert.equal(p.created, (T0 + 60_000) / 1000);
    assert.deepEqual(p.native, {
      schema: 0,
      zeroThreshold: 2 ** -128,
      zeroCount: 0,
      positiveSpans: [],
      positiveCounts: [],
      negativeSpans: [],
      negativeCounts: [],
    });
    // And the series goes on at the initial schema.
    h.observe({ m: 'a' }, 3);
    assert.deepEqual(nativeOf(h.point({ m: 'a' })).positiveSpans, [{ offset: 2, length: 1 }]);
  });

  it('removing a series moves another into its slot with its own native buckets; a removed handle reads empty', () => {
    const r = createRegistry();
    const h = r.histogram({
      name: 'rpc_seconds',
      help: 'h',
      labelNames: ['m'],
      native: { schema: 0 },
    });
    h.observe({ m: 'a' }, 1); // 0
    h.observe({ m: 'b' }, 2); // 1
    h.observe({ m: 'c' }, 4); // 2
    const a = h.labels('a');
    assert.equal(h.remove({ m: 'a' }), true); // c moves into a's slot
    assert.deepEqual(nativeOf(h.point({ m: 'c' })).positiveSpans, [{ offset: 2, length: 1 }]);
    assert.deepEqual(nativeOf(h.point({ m: 'b' })).positiveSpans, [{ offset: 1, length: 1 }]);
    assert.deepEqual(a.get().native, {
      schema: 0,
      zeroThreshold: 2 ** -128,
      zeroCount: 0,
      positiveSpans: [],
      positiveCounts: [],
      negativeSpans: [],
      negativeCounts: [],
    });
    // The removed series comes back from zero (in a reused slot, with no old buckets).
    a.observe(8);
    assert.deepEqual(nativeOf(h.point({ m: 'a' })).positiveSpans, [{ offset: 3, length: 1 }]);
    assert.equal(nativeOf(h.point({ m: 'a' })).positiveCounts.length, 1);
    h.reset();
    assert.equal(h.seriesCount, 0);
    h.observe({ m: 'b' }, 1);
    assert.deepEqual(nativeOf(h.point({ m: 'b' })).positiveCounts, [1]);
  });

  it('a label-less native histogram resets to empty buckets', () => {
    const r = createRegistry();
    const h = r.histogram({
      name: 'rpc_seconds',
      help: 'h',
      native: { schema: 0, maxBucketCount: 1 },
    });
    h.observe(1.5);
    h.observe(3); // schema -1
    h.reset();
    assert.equal(h.point()?.count, 0);
    assert.equal(nativeOf(h.point()).schema, 0);
    assert.equal(total(nativeOf(h.point())), 0);
  });

  it('text and OpenMetrics bodies carry count, sum and a +Inf bucket for a native-only histogram (promtool and Python accept them)', async () => {
    const r = createRegistry({ now: () => T0 });
    const h = r.histogram({
      name: 'rpc_seconds',
      help: 'RPC latency.',
      unit: 'seconds',
      labelNames: ['method'],
      native: {},
    });
    h.observe({ method: 'get' }, 0.25);
    h.observe({ method: 'get' }, 0.5);
    const both = r.histogram({
      name: 'job_seconds',
      help: 'Job time.',
      buckets: [1],
      native: {},
    });
    both.observe(2);
    const fams = await r.gather();
    const text = encodeText(fams);
    assert.equal(
      text,
      [
        '# HELP job_seconds Job time.',
        '# TYPE job_seconds histogram',
        'job_seconds_bucket{le="1"} 0',
        'job_seconds_bucket{le="+Inf"} 1',
        'job_seconds_sum 2',
        'job_seconds_count 1',
        '# HELP rpc_seconds RPC latency.',
        '# TYPE rpc_seconds histogram',
        'rpc_seconds_bucket{method="get",le="+Inf"} 2',
        'rpc_seconds_sum{method="get"} 0.75',
        'rpc_seconds_count{method="get"} 2',
        '',
      ].join('\n'),
    );
    await assertPromtoolClean(text);
    await assertTextBodyValid(text);
    const om = encodeOpenMetrics(fams);
    assert.equal(
      om,
      [
        '# TYPE job_seconds histogram',
        '# HELP job_seconds Job time.',
        'job_seconds_bucket{le="1"} 0',
        'job_seconds_bucket{le="+Inf"} 1',
        'job_seconds_count 1',
        'job_seconds_sum 2',
        '# TYPE rpc_seconds histogram',
        '# UNIT rpc_seconds seconds',
        '# HELP rpc_seconds RPC latency.',
        'rpc_seconds_bucket{method="get",le="+Inf"} 2',
        'rpc_seconds_count{method="get"} 2',
        'rpc_seconds_sum{method="get"} 0.75',
        '# EOF',
        '',
      ].join('\n'),
    );
    await assertOpenMetricsBodyValid(om);
  });
});
