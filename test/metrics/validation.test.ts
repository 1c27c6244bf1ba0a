// Validation: every bad name, label, value, option and naming rule is a coded error naming the metric, and bad input never changes existing series.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createRegistry, type Registry } from '../../src/metrics/index.js';
import { captureWarnings, silenceWarnings, throwsCode } from './helpers.js';

silenceWarnings();

/** A registry with one series in each of three metrics, and a check that they never change. */
function seeded(strict = false) {
  const r = createRegistry({ strict });
  const c = r.counter({ name: 'seed_total', help: 'S.', labelNames: ['k', 'j'] });
  c.inc({ k: 'a', j: 'b' }, 5);
  const g = r.gauge({ name: 'seed_g', help: 'G.', labelNames: ['k'] });
  g.set({ k: 'a' }, 3);
  const h = r.histogram({ name: 'seed_seconds', help: 'H.', labelNames: ['k'], buckets: [1] });
  h.observe({ k: 'a' }, 0.5);
  const before = JSON.stringify(r.snapshot());
  const names = () => r.instruments().map((m) => m.name);
  const namesBefore = names();
  const unchanged = () => {
    assert.equal(JSON.stringify(r.snapshot()), before, 'existing series changed');
    assert.deepEqual(names(), namesBefore, 'registered metrics changed');
  };
  return { r, c, g, h, unchanged };
}

describe('registration-time validation', () => {
  it('bad metric names throw TT_INVALID_METRIC_NAME naming the metric', () => {
    const { r, unchanged } = seeded();
    for (const name of ['', '1abc', 'a-b', 'a b', 'é', 'a.b']) {
      throwsCode(
        () => r.counter({ name, help: 'X.' }),
        'TT_INVALID_METRIC_NAME',
        JSON.stringify(name),
      );
    }
    throwsCode(
      () => r.gauge({ name: 42 as unknown as string, help: 'X.' }),
      'TT_INVALID_METRIC_NAME',
      '42',
    );
    unchanged();
  });

  it('bad label names throw TT_INVALID_LABEL_NAME; reserved ones TT_RESERVED_LABEL; duplicates TT_DUPLICATE_LABEL', () => {
    const { r, unchanged } = seeded();
    throwsCode(
      () => r.counter({ name: 'm1', help: 'X.', labelNames: ['a-b'] }),
      'TT_INVALID_LABEL_NAME',
      '"m1"',
      '"a-b"',
    );
    throwsCode(
      () => r.counter({ name: 'm2', help: 'X.', labelNames: ['1a'] }),
      'TT_INVALID_LABEL_NAME',
      '"m2"',
    );
    throwsCode(
      () => r.counter({ name: 'm3', help: 'X.', labelNames: ['a:b'] }),
      'TT_INVALID_LABEL_NAME',
      '"m3"',
    );
    throwsCode(
      () => r.counter({ name: 'm4', help: 'X.', labelNames: [''] }),
      'TT_INVALID_LABEL_NAME',
      '"m4"',
    );
    throwsCode(
      () => r.counter({ name: 'm5', help: 'X.', labelNames: 'a' as unknown as [] }),
      'TT_INVALID_LABEL_NAME',
      'm5',
    );
    throwsCode(
      () => r.counter({ name: 'm6', help: 'X.', labelNames: ['__x'] }),
      'TT_RESERVED_LABEL',
      '"m6"',
      '"__x"',
    );
    throwsCode(
      () => r.histogram({ name: 'm7', help: 'X.', labelNames: ['le'] }),
      'TT_RESERVED_LABEL',
      '"m7"',
      '"le"',
    );
    throwsCode(
      () => r.summary({ name: 'm8', help: 'X.', labelNames: ['quantile'] }),
      'TT_RESERVED_LABEL',
      '"m8"',
      '"quantile"',
    );
    throwsCode(
      () => r.counter({ name: 'm9', help: 'X.', labelNames: ['a', 'b', 'a'] }),
      'TT_DUPLICATE_LABEL',
      '"m9"',
      '"a"',
    );
    // `le` and `quantile` are fine elsewhere.
    r.counter({ name: 'ok_le', help: 'X.', labelNames: ['le', 'quantile'] });
    r.unregister('ok_le');
    unchanged();
  });

  it('empty or missing help throws TT_INVALID_HELP', () => {
    const { r, unchanged } = seeded();
    throwsCode(() => r.counter({ name: 'h1', help: '' }), 'TT_INVALID_HELP', '"h1"');
    throwsCode(() => r.counter({ name: 'h2', help: '   ' }), 'TT_INVALID_HELP', '"h2"');
    throwsCode(() => r.gauge({ name: 'h3' } as never), 'TT_INVALID_HELP', '"h3"');
    unchanged();
  });

  it('a bad unit, or a name not ending in _<unit>, throws TT_INVALID_UNIT', () => {
    const { r, unchanged } = seeded();
    throwsCode(
      () => r.gauge({ name: 'size', help: 'X.', unit: 'bytes' }),
      'TT_INVALID_UNIT',
      '"size"',
      '_bytes',
    );
    throwsCode(
      () => r.gauge({ name: 'size_Bytes', help: 'X.', unit: 'Bytes' }),
      'TT_INVALID_UNIT',
      '"size_Bytes"',
    );
    throwsCode(
      () => r.gauge({ name: 'size_bytes', help: 'X.', unit: 'by tes' }),
      'TT_INVALID_UNIT',
    );
    throwsCode(
      () => r.gauge({ name: 'size_bytes', help: 'X.', unit: 3 as unknown as string }),
      'TT_INVALID_UNIT',
      'size_bytes',
    );
    // A counter's unit goes before _total.
    r.counter({ name: 'sent_bytes_total', help: 'X.', unit: 'bytes' });
    r.unregister('sent_bytes');
    unchanged();
  });

  it('bad buckets throw TT_INVALID_BUCKETS naming the histogram', () => {
    const { r, unchanged } = seeded();
    throwsCode(
      () => r.histogram({ name: 'b1', help: 'X.', buckets: [1, 0.5] }),
      'TT_INVALID_BUCKETS',
      '"b1"',
      'ascending',
    );
    throwsCode(
      () => r.histogram({ name: 'b2', help: 'X.', buckets: [1, 1] }),
      'TT_INVALID_BUCKETS',
      '"b2"',
    );
    throwsCode(
      () => r.histogram({ name: 'b3', help: 'X.', buckets: [Number.NaN] }),
      'TT_INVALID_BUCKETS',
      '"b3"',
    );
    throwsCode(
      () => r.histogram({ name: 'b4', help: 'X.', buckets: [] }),
      'TT_INVALID_BUCKETS',
      '"b4"',
    );
    throwsCode(
      () => r.histogram({ name: 'b5', help: 'X.', buckets: [Number.POSITIVE_INFINITY] }),
      'TT_INVALID_BUCKETS',
      '"b5"',
    );
    throwsCode(
      () => r.histogram({ name: 'b6', help: 'X.', buckets: [Number.NEGATIVE_INFINITY, 1] }),
      'TT_INVALID_BUCKETS',
    );
    throwsCode(
      () => r.histogram({ name: 'b7', help: 'X.', buckets: ['1' as unknown as number] }),
      'TT_INVALID_BUCKETS',
    );
    unchanged();
  });

  it('bad quantiles and summary options are refused', () => {
    const { r, unchanged } = seeded();
    throwsCode(
      () => r.summary({ name: 'q1', help: 'X.', quantiles: [] }),
      'TT_INVALID_QUANTILES',
      '"q1"',
    );
    throwsCode(
      () => r.summary({ name: 'q2', help: 'X.', quantiles: [1.5] }),
      'TT_INVALID_QUANTILES',
      '"q2"',
    );
    throwsCode(
      () => r.summary({ name: 'q3', help: 'X.', quantiles: [-0.1] }),
      'TT_INVALID_QUANTILES',
    );
    throwsCode(
      () => r.summary({ name: 'q4', help: 'X.', quantiles: [0.9, 0.5] }),
      'TT_INVALID_QUANTILES',
    );
    throwsCode(
      () => r.summary({ name: 'q5', help: 'X.', quantiles: [0.5, 0.5] }),
      'TT_INVALID_QUANTILES',
    );
    throwsCode(
      () => r.summary({ name: 'q6', help: 'X.', quantiles: [Number.NaN] }),
      'TT_INVALID_QUANTILES',
    );
    throwsCode(
      () => r.summary({ name: 'q7', help: 'X.', maxAgeSeconds: 0 }),
      'TT_INVALID_OPTION',
      '"q7"',
      'maxAgeSeconds',
    );
    throwsCode(
      () => r.summary({ name: 'q8', help: 'X.', ageBuckets: 1.5 }),
      'TT_INVALID_OPTION',
      '"q8"',
      'ageBuckets',
    );
    unchanged();
  });

  it('bad registry and metric options throw TT_INVALID_OPTION', () => {
    throwsCode(() => createRegistry({ maxSeries: 0 }), 'TT_INVALID_OPTION', 'maxSeries');
    throwsCode(() => createRegistry({ maxSeries: 1.5 }), 'TT_INVALID_OPTION', 'maxSeries');
    throwsCode(
      () => createRegistry({ seriesTtlSeconds: -1 }),
      'TT_INVALID_OPTION',
      'seriesTtlSeconds',
    );
    throwsCode(
      () => createRegistry({ seriesTtlSeconds: Number.POSITIVE_INFINITY }),
      'TT_INVALID_OPTION',
    );
    throwsCode(() => createRegistry({ prefix: '1bad_' }), 'TT_INVALID_OPTION', 'prefix', '1bad_');
    throwsCode(() => createRegistry({ prefix: 'a-b' }), 'TT_INVALID_OPTION', 'prefix');
    throwsCode(
      () => createRegistry({ maxLabelValueLength: 0 }),
      'TT_INVALID_OPTION',
      'maxLabelValueLength',
    );
    throwsCode(
      () => createRegistry({ onLongLabelValue: 'drop' as 'throw' }),
      'TT_INVALID_OPTION',
      'onLongLabelValue',
    );
    throwsCode(
      () => createRegistry({ piiGuard: 'yes' as unknown as boolean }),
      'TT_INVALID_OPTION',
      'piiGuard',
    );
    throwsCode(
      () => createRegistry({ collectTimeoutMs: 0 }),
      'TT_INVALID_OPTION',
      'collectTimeoutMs',
    );
    throwsCode(
      () => createRegistry({ now: 5 as unknown as () => number }),
      'TT_INVALID_OPTION',
      'now',
    );
    throwsCode(
      () => createRegistry({ defaultLabels: { 'bad-name': 'x' } }),
      'TT_INVALID_LABEL_NAME',
      'bad-name',
    );
    throwsCode(
      () => createRegistry({ defaultLabels: { a: 1 as unknown as string } }),
      'TT_INVALID_OPTION',
      '"a"',
    );
    throwsCode(() => createRegistry(null as never), 'TT_INVALID_OPTION');
    const { r, unchanged } = seeded();
    throwsCode(
      () => r.counter({ name: 'o1', help: 'X.', maxSeries: 0 }),
      'TT_INVALID_OPTION',
      '"o1"',
      'maxSeries',
    );
    throwsCode(
      () => r.counter({ name: 'o2', help: 'X.', seriesTtlSeconds: -5 }),
      'TT_INVALID_OPTION',
      '"o2"',
    );
    throwsCode(
      () => r.counter({ name: 'o3', help: 'X.', collect: 5 as never }),
      'TT_INVALID_OPTION',
      'o3',
      'collect',
    );
    for (const make of [r.counter, r.gauge, r.histogram, r.summary, r.info, r.stateSet] as const) {
      throwsCode(() => (make as (o: unknown) => unknown).call(r, null), 'TT_INVALID_OPTION');
      throwsCode(() => (make as (o: unknown) => unknown).call(r, undefined), 'TT_INVALID_OPTION');
    }
    unchanged();
  });
});

describe('update-time validation', () => {
  it('counter: negative → TT_NEGATIVE_INCREMENT; NaN, ±Infinity, non-number → TT_INVALID_VALUE', () => {
    const { c, unchanged } = seeded();
    const h = c.labels({ k: 'a', j: 'b' });
    throwsCode(() => h.inc(-1), 'TT_NEGATIVE_INCREMENT', '"seed"', '-1');
    throwsCode(() => h.inc(Number.NEGATIVE_INFINITY), 'TT_NEGATIVE_INCREMENT', '"seed"');
    throwsCode(() => h.inc(Number.NaN), 'TT_INVALID_VALUE', '"seed"', 'NaN');
    throwsCode(() => h.inc(Number.POSITIVE_INFINITY), 'TT_INVALID_VALUE', '"seed"', 'Infinity');
    throwsCode(() => h.inc('1' as unknown as number), 'TT_INVALID_VALUE', '"seed"');
    throwsCode(() => h.inc(null as unknown as number), 'TT_INVALID_VALUE', '"seed"');
    throwsCode(() => c.inc({ k: 'a', j: 'b' }, -2), 'TT_NEGATIVE_INCREMENT');
    throwsCode(() => c.inc({ k: 'a', j: 'b' }, Number.NaN), 'TT_INVALID_VALUE');
    throwsCode(() => h.incWithExemplar(Number.NaN, {}), 'TT_INVALID_VALUE');
    const single = createRegistry().counter({ name: 'solo', help: 'S.' });
    throwsCode(() => single.inc(-1), 'TT_NEGATIVE_INCREMENT', '"solo"');
    throwsCode(() => single.inc(Number.NaN), 'TT_INVALID_VALUE', '"solo"');
    assert.equal(single.get(), 0);
    unchanged();
  });

  it('a rejected update does not create the series it names', () => {
    const { r, c, g, h, unchanged } = seeded();
    throwsCode(() => c.inc({ k: 'new', j: 'x' }, -1), 'TT_NEGATIVE_INCREMENT');
    throwsCode(() => c.inc({ k: 'new', j: 'x' }, Number.NaN), 'TT_INVALID_VALUE');
    throwsCode(() => g.inc({ k: 'new' }, Number.NaN), 'TT_INVALID_VALUE');
    throwsCode(() => g.set({ k: 'new' }, 'x' as unknown as number), 'TT_INVALID_VALUE');
    throwsCode(() => h.observe({ k: 'new' }, Number.POSITIVE_INFINITY), 'TT_INVALID_VALUE');
    const s = r.summary({ name: 'seed_sum', help: 'S.', labelNames: ['k'] });
    throwsCode(() => s.observe({ k: 'new' }, Number.NaN), 'TT_INVALID_VALUE');
    const st = r.stateSet({ name: 'seed_state', help: 'S.', labelNames: ['k'], states: ['a'] });
    throwsCode(() => st.set({ k: 'new' }, 'zzz' as 'a'), 'TT_INVALID_STATE');
    assert.equal(s.seriesCount, 0);
    assert.equal(st.seriesCount, 0);
    r.unregister('seed_sum');
    r.unregister('seed_state');
    assert.deepEqual([c.seriesCount, g.seriesCount, h.seriesCount], [1, 1, 1]);
    unchanged();
  });

  it('histogram and summary: non-finite observations → TT_INVALID_VALUE', () => {
    const { h, unchanged } = seeded();
    for (const v of [
      Number.NaN,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      undefined,
      '1',
    ]) {
      throwsCode(() => h.labels('a').observe(v as number), 'TT_INVALID_VALUE', '"seed_seconds"');
    }
    unchanged();
  });

  it('a missing label → TT_MISSING_LABEL; a value of a bad type → TT_INVALID_LABEL_VALUE', () => {
    const { c, g, unchanged } = seeded();
    throwsCode(() => c.inc({ k: 'a' } as never), 'TT_MISSING_LABEL', '"seed"', '"j"');
    throwsCode(() => c.inc({ k: 'a', j: undefined } as never), 'TT_MISSING_LABEL', '"j"');
    throwsCode(() => c.labels({ j: 'b' } as never), 'TT_MISSING_LABEL', '"k"');
    throwsCode(() => c.inc(5 as never), 'TT_MISSING_LABEL', '"seed"');
    throwsCode(() => (c.inc as () => void)(), 'TT_MISSING_LABEL', '"seed"');
    throwsCode(() => c.inc(null as never), 'TT_MISSING_LABEL', '"seed"');
    throwsCode(() => g.set(3 as never, 1 as never), 'TT_MISSING_LABEL', '"seed_g"');
    throwsCode(
      () => c.inc({ k: 'a', j: null } as never),
      'TT_INVALID_LABEL_VALUE',
      '"seed"',
      '"j"',
      'null',
    );
    throwsCode(() => c.inc({ k: 'a', j: true } as never), 'TT_INVALID_LABEL_VALUE', 'boolean');
    throwsCode(() => c.inc({ k: 'a', j: {} } as never), 'TT_INVALID_LABEL_VALUE', 'object');
    throwsCode(() => c.labels('a', null as never), 'TT_INVALID_LABEL_VALUE', '"seed"');
    throwsCode(() => c.get({ k: 'a' } as never), 'TT_MISSING_LABEL');
    unchanged();
  });

  it('an unknown label → TT_UNKNOWN_LABEL on the first use of a label set', () => {
    const { c, g, unchanged } = seeded();
    throwsCode(
      () => c.inc({ k: 'x', j: 'y', extra: 'z' } as never),
      'TT_UNKNOWN_LABEL',
      '"seed"',
      '"extra"',
    );
    throwsCode(
      () => c.labels({ k: 'x', j: 'y', extra: 'z' } as never),
      'TT_UNKNOWN_LABEL',
      '"extra"',
    );
    throwsCode(() => g.set({ kk: 'a' } as never, 1), 'TT_UNKNOWN_LABEL', '"seed_g"', '"kk"');
    const solo = createRegistry().counter({ name: 'solo', help: 'S.' });
    throwsCode(() => solo.inc({ a: 'b' } as never), 'TT_UNKNOWN_LABEL', '"solo"', '"a"');
    throwsCode(
      () => (solo.labels as (l: unknown) => unknown)({ a: 'b' }),
      'TT_UNKNOWN_LABEL',
      '"solo"',
    );
    assert.equal(solo.get(), 0);
    unchanged();
  });

  it('an unknown label on an existing label set: accepted by default (documented), refused in strict mode', () => {
    const loose = seeded(false);
    loose.c.inc({ k: 'a', j: 'b', extra: 'z' } as never);
    assert.equal(loose.c.get({ k: 'a', j: 'b' }), 6);

    const { c, g, unchanged } = seeded(true);
    throwsCode(
      () => c.inc({ k: 'a', j: 'b', extra: 'z' } as never),
      'TT_UNKNOWN_LABEL',
      '"seed"',
      '"extra"',
    );
    throwsCode(
      () => c.labels({ k: 'a', j: 'b', extra: 'z' } as never),
      'TT_UNKNOWN_LABEL',
      '"extra"',
    );
    throwsCode(() => g.set({ k: 'a', x: 1 } as never, 9), 'TT_UNKNOWN_LABEL', '"seed_g"');
    unchanged();
  });

  it('the wrong number of positional values → TT_LABEL_COUNT', () => {
    const { c, unchanged } = seeded();
    throwsCode(() => c.labels('a' as never), 'TT_LABEL_COUNT', '"seed"', 'got 1', 'expected 2');
    throwsCode(
      () => (c.labels as (...v: string[]) => unknown)('a', 'b', 'c'),
      'TT_LABEL_COUNT',
      'got 3',
    );
    throwsCode(() => (c.labels as () => unknown)(), 'TT_LABEL_COUNT', 'got 0');
    throwsCode(() => c.remove('a' as never), 'TT_LABEL_COUNT', '"seed"');
    const solo = createRegistry().counter({ name: 'solo', help: 'S.' });
    throwsCode(
      () => (solo.labels as (v: string) => unknown)('x'),
      'TT_LABEL_COUNT',
      '"solo"',
      'none',
    );
    unchanged();
  });
});

describe('naming rules', () => {
  function names(r: Registry) {
    return r.instruments().map((m) => m.name);
  }

  it('default mode: each finding is a warning, emitted once per process', () => {
    const r = createRegistry();
    const { warnings } = captureWarnings(() => {
      r.gauge({ name: 'requestCount', help: 'X.' });
      r.gauge({ name: 'requestCount', help: 'X.' });
      r.gauge({ name: 'open_total', help: 'X.' });
      r.histogram({ name: 'rpc_latency_ms', help: 'X.' });
      createRegistry().gauge({ name: 'requestCount', help: 'X.' });
    });
    assert.deepEqual(
      warnings.map((w) => w.code),
      ['TT_NAMING_CONVENTION', 'TT_NAMING_CONVENTION', 'TT_NAMING_CONVENTION'],
    );
    assert.ok(
      warnings[0]?.message.includes('"requestCount"') && warnings[0].message.includes('snake_case'),
    );
    assert.ok(
      warnings[1]?.message.includes('"open_total"') && warnings[1].message.includes('_total'),
    );
    assert.ok(warnings[2]?.message.includes('"rpc_latency_ms"'), warnings[2]?.message);
    assert.ok(warnings[2]?.message.includes('rpc_latency_seconds'), warnings[2]?.message);
    assert.deepEqual(names(r), ['open_total', 'requestCount', 'rpc_latency_ms']);
  });

  it('strict mode: a finding throws TT_NAMING_RULE and nothing is registered', () => {
    const r = createRegistry({ strict: true });
    const { warnings } = captureWarnings(() => {
      throwsCode(
        () => r.gauge({ name: 'requestCount', help: 'X.' }),
        'TT_NAMING_RULE',
        '"requestCount"',
        'snake_case',
      );
      throwsCode(
        () => r.gauge({ name: 'open_total', help: 'X.' }),
        'TT_NAMING_RULE',
        '"open_total"',
        '_total',
      );
      throwsCode(
        () => r.histogram({ name: 'rpc_latency_ms', help: 'X.' }),
        'TT_NAMING_RULE',
        '"rpc_latency_ms"',
        '"rpc_latency_seconds"',
      );
      throwsCode(
        () => r.gauge({ name: 'payload_kilobytes', help: 'X.' }),
        'TT_NAMING_RULE',
        'bytes',
      );
      throwsCode(() => r.counter({ name: 'a:b_total', help: 'X.' }), 'TT_NAMING_RULE', '":"');
      r.counter({ name: 'requests_total', help: 'X.' });
      r.histogram({ name: 'rpc_latency_seconds', help: 'X.' });
    });
    assert.deepEqual(warnings, []);
    assert.deepEqual(names(r), ['requests', 'rpc_latency_seconds']);
  });
});
