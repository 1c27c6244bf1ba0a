// Bounds: series cap with the overflow series, label-value length, well-formed values, the PII guard, TTL eviction, remove and reset.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  type Counter,
  createRegistry,
  labelsOf,
  OVERFLOW_LABEL_VALUE,
  REDACTED_LABEL_VALUE,
} from '../../src/metrics/index.js';
import { detectPii } from '../../src/metrics/labels.js';
import {
  captureWarnings,
  family,
  read,
  silenceWarnings,
  text,
  texts,
  throwsCode,
} from './helpers.js';

silenceWarnings();

describe('series cap and overflow', () => {
  it('the 1,001st label set goes to the overflow series; existing series stay updatable', () => {
    const r = createRegistry();
    const c = r.counter({ name: 'hits', help: 'H.', labelNames: ['user', 'page'] });
    for (let i = 0; i < 1000; i++) c.inc({ user: `u${i}`, page: 'p' });
    assert.equal(c.seriesCount, 1000);
    c.inc({ user: 'u1000', page: 'p' }, 2);
    assert.equal(c.seriesCount, 1001);
    c.labels('u1001', 'q').inc(3);
    c.inc({ user: 'u1000', page: 'p' }); // the same folded set again: counted again
    assert.equal(c.seriesCount, 1001);
    assert.equal(OVERFLOW_LABEL_VALUE, '__overflow__');
    assert.equal(c.get({ user: OVERFLOW_LABEL_VALUE, page: OVERFLOW_LABEL_VALUE }), 6);
    assert.equal(c.get({ user: 'u1000', page: 'p' }), undefined);
    // Existing series still take updates, through objects and handles.
    c.inc({ user: 'u0', page: 'p' }, 10);
    c.labels('u999', 'p').inc();
    assert.equal(c.get({ user: 'u0', page: 'p' }), 11);
    assert.equal(c.get({ user: 'u999', page: 'p' }), 2);
    const v = read(r, 'hits');
    assert.equal(Object.keys(v).length, 1001);
    assert.equal(v['user="__overflow__",page="__overflow__"'], 6);
    assert.deepEqual(read(r, 'telltale_series_overflow'), { 'metric="hits_total"': 3 });
  });

  it('per-metric maxSeries wins over the registry; the registry maxSeries applies otherwise', () => {
    const r = createRegistry({ maxSeries: 3 });
    const a = r.gauge({ name: 'a', help: 'A.', labelNames: ['k'] });
    const b = r.gauge({ name: 'b', help: 'B.', labelNames: ['k'], maxSeries: 5 });
    for (let i = 0; i < 10; i++) {
      a.set({ k: i }, i);
      b.set({ k: i }, i);
    }
    assert.equal(a.seriesCount, 4);
    assert.equal(b.seriesCount, 6);
    assert.equal(a.get({ k: OVERFLOW_LABEL_VALUE }), 9); // a gauge overflow series holds the last set
    assert.deepEqual(read(r, 'telltale_series_overflow'), { 'metric="a"': 7, 'metric="b"': 5 });
    assert.deepEqual(texts(family(r.gatherSync(), 'a')), [
      'k="0"',
      'k="1"',
      'k="2"',
      'k="__overflow__"',
    ]);
  });

  it('histogram and summary overflow series aggregate the folded observations', () => {
    const r = createRegistry({ maxSeries: 1 });
    const h = r.histogram({ name: 'h_seconds', help: 'H.', labelNames: ['k'], buckets: [1] });
    h.observe({ k: 'a' }, 0.5);
    h.observe({ k: 'b' }, 2);
    h.observe({ k: 'c' }, 0.1);
    assert.deepEqual(h.point({ k: OVERFLOW_LABEL_VALUE })?.cumulative, [1, 2]);
    const s = r.summary({ name: 's_seconds', help: 'S.', labelNames: ['k'] });
    s.observe({ k: 'a' }, 1);
    s.observe({ k: 'b' }, 2);
    s.observe({ k: 'c' }, 3);
    assert.equal(s.point({ k: OVERFLOW_LABEL_VALUE })?.sum, 5);
    assert.equal(s.point({ k: OVERFLOW_LABEL_VALUE })?.count, 2);
  });

  it('removing a series frees a slot under the cap', () => {
    const r = createRegistry({ maxSeries: 2 });
    const c = r.counter({ name: 'c', help: 'C.', labelNames: ['k'] });
    c.inc({ k: 'a' });
    c.inc({ k: 'b' });
    c.inc({ k: 'c' }); // overflow
    assert.equal(c.remove({ k: 'a' }), true);
    c.inc({ k: 'd' });
    assert.deepEqual(read(r, 'c'), { 'k="b"': 1, 'k="__overflow__"': 1, 'k="d"': 1 });
  });
});

describe('label values', () => {
  it('long values are truncated to 64 UTF-16 units, counted, and warned once', () => {
    const r = createRegistry();
    const c = r.counter({ name: 'paths', help: 'P.', labelNames: ['path'] });
    const long = `/${'x'.repeat(99)}`;
    const { warnings } = captureWarnings(() => {
      c.inc({ path: long });
      c.inc({ path: `${long}-other-tail` }); // same first 64 units: same series
    });
    const cut = long.slice(0, 64);
    assert.equal(cut.length, 64);
    assert.deepEqual(read(r, 'paths'), { [`path="${cut}"`]: 2 });
    assert.deepEqual(read(r, 'telltale_label_values_truncated'), { 'metric="paths_total"': 2 });
    assert.equal(warnings.length, 1);
    assert.equal(warnings[0]?.code, 'TT_LABEL_VALUE_TRUNCATED');
    assert.ok(warnings[0]?.message.includes('"paths"'));
    // A value of exactly 64 is kept whole and not counted.
    c.inc({ path: 'y'.repeat(64) });
    assert.equal(c.get({ path: 'y'.repeat(64) }), 1);
    assert.deepEqual(read(r, 'telltale_label_values_truncated'), { 'metric="paths_total"': 2 });
  });

  it('truncation never splits a surrogate pair', () => {
    const r = createRegistry({ maxLabelValueLength: 5 });
    const c = r.counter({ name: 'emoji', help: 'E.', labelNames: ['v'] });
    c.inc({ v: 'abcd😀z' }); // the pair sits at units 4-5: cutting at 5 would split it
    c.inc({ v: 'abc😀z' }); // the pair sits at units 3-4: kept whole
    const vals = c.labels('abcd😀z');
    assert.equal(vals.get(), 1);
    const f = family(r.gatherSync(), 'emoji');
    assert.deepEqual(
      f.points.map((p) => Object.values(p.labels)[0]),
      ['abcd', 'abc😀'],
    );
    for (const p of f.points) assert.ok(Object.values(p.labels)[0]!.isWellFormed());
  });

  it("onLongLabelValue: 'throw' → TT_LABEL_VALUE_TOO_LONG, per registry or per metric", () => {
    const r = createRegistry({ onLongLabelValue: 'throw', maxLabelValueLength: 8 });
    const c = r.counter({ name: 'strict_len', help: 'S.', labelNames: ['v'] });
    c.inc({ v: '12345678' });
    throwsCode(
      () => c.inc({ v: '123456789' }),
      'TT_LABEL_VALUE_TOO_LONG',
      '"strict_len"',
      '"v"',
      '9',
      '8',
    );
    throwsCode(() => c.labels('123456789'), 'TT_LABEL_VALUE_TOO_LONG');
    assert.equal(c.seriesCount, 1);
    const r2 = createRegistry();
    const d = r2.counter({
      name: 'per_metric',
      help: 'P.',
      labelNames: ['v'],
      onLongLabelValue: 'throw',
    });
    throwsCode(() => d.inc({ v: 'x'.repeat(65) }), 'TT_LABEL_VALUE_TOO_LONG', '"per_metric"');
    const e = r2.counter({ name: 'other', help: 'O.', labelNames: ['v'] });
    e.inc({ v: 'x'.repeat(65) });
    assert.equal(e.get({ v: 'x'.repeat(64) }), 1);
  });

  it('lone surrogates become U+FFFD; ill-formed inputs that normalise alike share one series', () => {
    const r = createRegistry();
    const c = r.counter({ name: 'ill', help: 'I.', labelNames: ['v'] });
    c.inc({ v: 'a\uD800' });
    c.inc({ v: 'a\uDC00' });
    c.labels('a\uDBFF').inc();
    c.inc({ v: 'a\uFFFD' });
    assert.equal(c.seriesCount, 1);
    assert.deepEqual(read(r, 'ill'), { 'v="a\uFFFD"': 4 });
    assert.equal(c.get({ v: 'a\uDFFF' }), 4);
  });
});

describe('PII guard', () => {
  const pii: [string, 'uuid' | 'email' | 'ip'][] = [
    ['123e4567-e89b-12d3-a456-426614174000', 'uuid'],
    ['/orders/123E4567-E89B-12D3-A456-426614174000', 'uuid'],
    ['jane.doe@example.com', 'email'],
    ['10.0.0.1', 'ip'],
    ['client 192.168.1.254 connected', 'ip'],
    ['2001:db8::1', 'ip'],
    ['fe80:0:0:0:202:b3ff:fe1e:8329', 'ip'],
    ['::ffff:10.0.0.1', 'ip'],
    ['2001:0db8:85a3:0000:0000:8a2e:0370:7334', 'ip'],
    ['2001:db8:85a3::8a2e:370:7334', 'ip'],
    ['fe80::1%eth0', 'ip'],
    ['[2001:db8::1]:8080', 'ip'],
    ['peer 2001:db8::7.', 'ip'],
    ['10.0.0.1:8080', 'ip'],
  ];
  const ordinary = [
    '/users/:id',
    'GET',
    '200',
    '1.2.3',
    'v1.2.3-rc.1',
    '',
    'redis',
    'ws://host/path',
    'a@b',
    '999.1.1.1',
    'cache:user',
    'std::vector',
    '12:30:45',
    '1:2:3',
    'de:ad:be:ef',
    '::1',
    'a:b:c:d:e:f:0:1:2',
    '2026-11-25T01:30:00Z',
    'node_20.11.1',
  ];

  it('detectPii recognises UUIDs, emails and IPv4/IPv6 addresses, and nothing ordinary', () => {
    for (const [v, kind] of pii) assert.equal(detectPii(v), kind, v);
    for (const v of ordinary) assert.equal(detectPii(v), undefined, v);
  });

  it('detectPii finds any IPv4 and any IPv6 with two or more groups (fast-check), alone or in text', () => {
    const around = fc.constantFrom(['', ''], ['ip=', ''], ['peer ', ' joined'], ['[', ']:443']);
    fc.assert(
      fc.property(fc.ipV4(), around, (ip, [a, b]) => detectPii(`${a}${ip}${b}`) === 'ip'),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(
        fc.ipV6().filter((ip) => ip.split(/[:.]+/).filter(Boolean).length >= 2),
        around,
        (ip, [a, b]) => detectPii(`${a}${ip}${b}`) === 'ip',
      ),
      { numRuns: 500 },
    );
  });

  it('guarded values become [redacted], counted per metric and kind; ordinary ones are untouched', () => {
    const r = createRegistry({ piiGuard: true });
    const c = r.counter({ name: 'req', help: 'R.', labelNames: ['v'] });
    const { warnings } = captureWarnings(() => {
      for (const [v] of pii) c.inc({ v });
      for (const v of ordinary) c.inc({ v });
    });
    assert.equal(REDACTED_LABEL_VALUE, '[redacted]');
    assert.equal(c.get({ v: REDACTED_LABEL_VALUE }), pii.length);
    for (const v of ordinary) assert.equal(c.get({ v }), 1, v);
    assert.equal(c.seriesCount, ordinary.length + 1);
    assert.deepEqual(read(r, 'telltale_pii_rejected'), {
      'metric="req_total",kind="uuid"': 2,
      'metric="req_total",kind="email"': 1,
      'metric="req_total",kind="ip"': 11,
    });
    assert.deepEqual(
      warnings.map((w) => w.code),
      ['TT_PII_LABEL_VALUE', 'TT_PII_LABEL_VALUE', 'TT_PII_LABEL_VALUE'],
    );
    assert.ok(warnings.every((w) => w.message.includes('"req"') && !w.message.includes('jane')));
  });

  it('PII cut in two by truncation is still found (the guard looks before the cut)', () => {
    const r = createRegistry({ piiGuard: true });
    const c = r.counter({ name: 'cut', help: 'C.', labelNames: ['v'] });
    const straddling = [
      `${'u'.repeat(55)}@example.com`,
      `/orders/${'x'.repeat(30)}/123e4567-e89b-12d3-a456-426614174000`,
      `${'p'.repeat(50)} from 192.168.100.200`,
      `${'q'.repeat(60)} 2001:db8::8a2e:370:7334`,
    ];
    for (const v of straddling) c.inc({ v });
    c.inc({ v: `${'z'.repeat(400)} a@example.com` }); // wholly past the window: cut off anyway
    assert.deepEqual(read(r, 'cut'), { 'v="[redacted]"': 4, [`v="${'z'.repeat(64)}"`]: 1 });
    assert.deepEqual(read(r, 'telltale_pii_rejected'), {
      'metric="cut_total",kind="email"': 1,
      'metric="cut_total",kind="uuid"': 1,
      'metric="cut_total",kind="ip"': 2,
    });
    assert.deepEqual(read(r, 'telltale_label_values_truncated'), { 'metric="cut_total"': 1 });
    const t = createRegistry({ piiGuard: true, onLongLabelValue: 'throw' });
    const d = t.counter({ name: 'cut2', help: 'C.', labelNames: ['v'] });
    throwsCode(() => d.inc({ v: straddling[0]! }), 'TT_LABEL_VALUE_TOO_LONG', '"cut2"');
  });

  it('reads (get, point, remove) normalise their labels but count nothing', () => {
    const r = createRegistry({ piiGuard: true });
    const c = r.counter({ name: 'reads', help: 'R.', labelNames: ['v'] });
    c.inc({ v: 'a@example.com' });
    c.inc({ v: 'x'.repeat(100) });
    const before = [read(r, 'telltale_pii_rejected'), read(r, 'telltale_label_values_truncated')];
    assert.equal(c.get({ v: 'b@example.com' }), 1); // the redacted series
    assert.equal(c.point({ v: 'x'.repeat(200) })?.value, 1); // the truncated series
    assert.equal(c.get({ v: '10.1.1.1' }), 1);
    assert.equal(c.remove({ v: 'c@example.com' }), true);
    assert.equal(c.remove({ v: 'd@example.com' }), false);
    assert.deepEqual(
      [read(r, 'telltale_pii_rejected'), read(r, 'telltale_label_values_truncated')],
      before,
    );
    assert.deepEqual(before, [
      { 'metric="reads_total",kind="email"': 1 },
      { 'metric="reads_total"': 1 },
    ]);
  });

  it('the guard is off by default and can be turned on per metric', () => {
    const r = createRegistry();
    const off = r.counter({ name: 'off', help: 'O.', labelNames: ['v'] });
    const on = r.counter({ name: 'on', help: 'O.', labelNames: ['v'], piiGuard: true });
    off.inc({ v: 'a@example.com' });
    on.inc({ v: 'a@example.com' });
    assert.deepEqual(read(r, 'off'), { 'v="a@example.com"': 1 });
    assert.deepEqual(read(r, 'on'), { 'v="[redacted]"': 1 });
  });
});

describe('TTL eviction', () => {
  it('idle series are evicted at gather after seriesTtlSeconds; touched ones are kept', async () => {
    let t = 1_000_000;
    const r = createRegistry({ now: () => t, seriesTtlSeconds: 60 });
    const c = r.counter({ name: 'c', help: 'C.', labelNames: ['k'] });
    const solo = r.gauge({ name: 'solo', help: 'S.' });
    c.inc({ k: 'idle' });
    c.inc({ k: 'busy' });
    solo.set(1);
    await r.gather(); // t0: both seen
    t += 30_000;
    c.inc({ k: 'busy' });
    await r.gather();
    t += 30_000; // idle for 60 s since it was last seen
    c.inc({ k: 'busy' });
    const f = await r.gather();
    assert.deepEqual(values(f, 'c'), { 'k="busy"': 3 });
    assert.equal(c.seriesCount, 1);
    assert.deepEqual(values(f, 'solo'), { '': 1 }); // a label-less series is never evicted
    t += 59_000;
    assert.deepEqual(values(await r.gather(), 'c'), { 'k="busy"': 3 });
    t += 1_000;
    assert.deepEqual(values(await r.gather(), 'c'), {});
  });

  it('a bound handle to an evicted series revives on its next update, from zero', async () => {
    let t = 0;
    const r = createRegistry({ now: () => t, seriesTtlSeconds: 10 });
    const g = r.gauge({ name: 'g', help: 'G.', labelNames: ['k'] });
    const c = r.counter({ name: 'c', help: 'C.', labelNames: ['k'] });
    const hg = g.labels('a');
    const hc = c.labels('a');
    hg.inc(5);
    hc.inc(5);
    r.gatherSync();
    t = 10_000;
    r.gatherSync();
    assert.equal(g.seriesCount, 0);
    assert.equal(hc.get(), 0);
    hg.inc();
    hc.inc();
    assert.equal(hg.get(), 1);
    assert.equal(hc.get(), 1);
    assert.deepEqual(read(r, 'c'), { 'k="a"': 1 });
    assert.deepEqual(read(r, 'g'), { 'k="a"': 1 });
    assert.equal(c.labels('a'), hc, 'the revived series is the same handle');
  });

  it('at the cap, new label sets sweep at most once a second: which series exist after each update', () => {
    let t = 0;
    const r = createRegistry({ now: () => t, seriesTtlSeconds: 10, maxSeries: 2 });
    const c = r.counter({ name: 'c', help: 'C.', labelNames: ['k'] });
    // The series as they are, read without sweeping (snapshot() runs no sweep).
    const series = () => {
      const f = r.snapshot()['c'];
      assert.ok(f?.type === 'counter');
      return f.points.map((s) => `${labelsOf(s)['k']}=${s.value}`).sort();
    };
    const folds = () =>
      (r.get('telltale_series_overflow') as Counter<readonly ['metric']>).get({
        metric: 'c_total',
      });
    c.inc({ k: 'a' });
    c.inc({ k: 'b' });
    c.inc({ k: 'c' }); // t=0 at the cap: the first sweep (nothing idle), then folded
    assert.deepEqual(series(), ['__overflow__=1', 'a=1', 'b=1']);
    t = 5_000;
    c.inc({ k: 'b' });
    t = 9_500;
    c.inc({ k: 'd' }); // 9.5 s since the last sweep: sweeps; a is idle 9.5 s < 10 s; folded
    assert.deepEqual(series(), ['__overflow__=2', 'a=1', 'b=2']);
    t = 10_000;
    c.inc({ k: 'e' }); // a is idle 10 s now, but the last sweep was 0.5 s ago: folded, no sweep
    assert.deepEqual(series(), ['__overflow__=3', 'a=1', 'b=2']);
    t = 10_500;
    c.inc({ k: 'f' }); // 1 s since the last sweep: sweeps, evicts a, and f takes its place
    assert.deepEqual(series(), ['__overflow__=3', 'b=2', 'f=1']);
    c.inc({ k: 'g' }); // same instant: folded without a sweep
    assert.deepEqual(series(), ['__overflow__=4', 'b=2', 'f=1']);
    assert.equal(folds(), 4);
    t = 19_500;
    // A gather always sweeps: b was last updated before the 9.5 s sweep, so it is idle 10 s.
    assert.deepEqual(texts(family(r.gatherSync(), 'c')), ['k="__overflow__"', 'k="f"']);
    c.inc({ k: 'h' }); // room again: created without a sweep
    assert.deepEqual(series(), ['__overflow__=4', 'f=1', 'h=1']);
    t = 20_000;
    c.inc({ k: 'i' }); // 0.5 s after the gather's sweep: folded
    assert.deepEqual(series(), ['__overflow__=5', 'f=1', 'h=1']);
  });

  it('a TTL under a second is also the longest wait between sweeps at the cap', () => {
    let t = 0;
    const r = createRegistry({ now: () => t, seriesTtlSeconds: 0.2, maxSeries: 1 });
    const g = r.gauge({ name: 'g', help: 'G.', labelNames: ['k'] });
    const series = () => (r.snapshot()['g']?.points ?? []).map((s) => labelsOf(s)['k']).sort();
    g.set({ k: 'a' }, 1);
    g.set({ k: 'b' }, 1); // first sweep at the cap, a was just updated: folded
    t = 150;
    g.set({ k: 'c' }, 1); // 150 ms since the sweep: folded without one
    assert.deepEqual(series(), ['__overflow__', 'a']);
    t = 200;
    g.set({ k: 'd' }, 1); // 200 ms: sweeps, a is idle 200 ms: evicted, d created
    assert.deepEqual(series(), ['__overflow__', 'd']);
  });

  it('a clock that went backwards allows a sweep at the cap', () => {
    let t = 100_000;
    const r = createRegistry({ now: () => t, seriesTtlSeconds: 1, maxSeries: 1 });
    const c = r.counter({ name: 'c', help: 'C.', labelNames: ['k'] });
    const series = () => (r.snapshot()['c']?.points ?? []).map((s) => labelsOf(s)['k']).sort();
    c.inc({ k: 'a' });
    r.gatherSync(); // sweep at 100 s: a seen
    t = 50_000;
    r.gatherSync(); // sweep at 50 s: the clock went back 50 s: a's idle time counts from here
    t = 50_500;
    c.inc({ k: 'b' }); // 0.5 s after the last sweep: folded
    assert.deepEqual(series(), ['__overflow__', 'a']);
    t = 40_000;
    c.inc({ k: 'b' }); // back again, before the last sweep: sweeps, a idle "−10 s": kept, folded
    assert.deepEqual(series(), ['__overflow__', 'a']);
    t = 41_000;
    c.inc({ k: 'b' }); // 1 s after that sweep: sweeps; a idle 1 s: evicted, b created
    assert.deepEqual(series(), ['__overflow__', 'b']);
  });

  it('per-metric TTL; without a TTL nothing is evicted', async () => {
    let t = 0;
    const r = createRegistry({ now: () => t });
    const keep = r.counter({ name: 'keep', help: 'K.', labelNames: ['k'] });
    const drop = r.counter({ name: 'drop', help: 'D.', labelNames: ['k'], seriesTtlSeconds: 1 });
    keep.inc({ k: 'a' });
    drop.inc({ k: 'a' });
    await r.gather();
    t = 3_600_000;
    await r.gather();
    assert.equal(keep.seriesCount, 1);
    assert.equal(drop.seriesCount, 0);
  });
});

describe('remove and reset', () => {
  it('remove() of an existing set returns true, of a missing one false', () => {
    const r = createRegistry();
    const c = r.counter({ name: 'c', help: 'C.', labelNames: ['a', 'b'] });
    c.inc({ a: 'x', b: 'y' });
    c.inc({ a: 'x', b: 'z' });
    assert.equal(c.remove({ a: 'x', b: 'y' }), true);
    assert.equal(c.remove({ a: 'x', b: 'y' }), false);
    assert.equal(c.remove('x', 'q'), false);
    assert.equal(c.remove('x', 'z'), true);
    assert.equal(c.seriesCount, 0);
    assert.deepEqual(read(r, 'c'), {});
    throwsCode(() => c.remove({ a: 'x' } as never), 'TT_MISSING_LABEL');
    throwsCode(() => c.remove({ a: 'x', b: 'y', c: 'z' } as never), 'TT_UNKNOWN_LABEL');
    const solo = r.counter({ name: 'solo', help: 'S.' });
    solo.inc();
    assert.equal(solo.remove(), false);
    assert.equal(solo.get(), 1);
  });

  it('a handle to a removed series revives from zero, for every type', () => {
    const r = createRegistry();
    const c = r.counter({ name: 'c', help: 'C.', labelNames: ['k'] });
    const g = r.gauge({ name: 'g', help: 'G.', labelNames: ['k'] });
    const h = r.histogram({ name: 'h', help: 'H.', labelNames: ['k'], buckets: [1] });
    const [hc, hg, hh] = [c.labels('a'), g.labels('a'), h.labels('a')];
    hc.inc(7);
    hg.set(7);
    hh.observe(7);
    c.remove('a');
    g.remove('a');
    h.remove('a');
    assert.deepEqual([hc.get(), hg.get(), hh.get().count], [0, 0, 0]);
    hc.inc();
    hg.inc();
    hh.observe(0.5);
    assert.deepEqual(
      [c.get({ k: 'a' }), g.get({ k: 'a' }), h.point({ k: 'a' })?.cumulative],
      [1, 1, [1, 1]],
    );
  });

  it('reset() removes every series; handles revive from zero; a label-less metric goes back to zero', () => {
    let t = 5000;
    const r = createRegistry({ now: () => t });
    const c = r.counter({ name: 'c', help: 'C.', labelNames: ['k'], maxSeries: 1 });
    const h = c.labels('a');
    h.inc(3);
    c.inc({ k: 'b' }); // overflow
    assert.equal(c.seriesCount, 2);
    c.reset();
    assert.equal(c.seriesCount, 0);
    assert.deepEqual(read(r, 'c'), {});
    h.inc();
    assert.deepEqual(read(r, 'c'), { 'k="a"': 1 });
    c.inc({ k: 'b' });
    assert.deepEqual(read(r, 'c'), { 'k="a"': 1, 'k="__overflow__"': 1 });

    const solo = r.histogram({ name: 'solo', help: 'S.', buckets: [1] });
    solo.observe(0.5);
    t = 9000;
    solo.reset();
    assert.deepEqual(solo.point()?.cumulative, [0, 0]);
    assert.equal(solo.point()?.sum, 0);
    assert.equal(solo.point()?.created, 9);
    assert.equal(solo.seriesCount, 1);
  });

  it('swap-removal keeps the other series intact', () => {
    const r = createRegistry();
    const h = r.histogram({ name: 'h', help: 'H.', labelNames: ['k'], buckets: [1, 2] });
    for (let i = 0; i < 20; i++) for (let j = 0; j <= i; j++) h.observe({ k: i }, j % 3);
    for (let i = 0; i < 20; i += 3) h.remove(String(i));
    for (let i = 0; i < 20; i++) {
      const p = h.point({ k: i });
      if (i % 3 === 0) {
        assert.equal(p, undefined);
        continue;
      }
      const obs = Array.from({ length: i + 1 }, (_, j) => j % 3);
      assert.deepEqual(
        p?.cumulative,
        [obs.filter((x) => x <= 1).length, obs.length, obs.length],
        `k=${i}`,
      );
      assert.equal(
        p?.sum,
        obs.reduce((a, b) => a + b, 0),
      );
    }
  });
});

function values(
  families: Awaited<ReturnType<ReturnType<typeof createRegistry>['gather']>>,
  name: string,
) {
  const f = families.find((x) => x.name === name);
  if (f === undefined) return {};
  const out: Record<string, number> = {};
  for (const p of f.points) if ('value' in p) out[text(p.labels)] = p.value;
  return out;
}
