// The no-op registry (same API, records nothing) and merging registries (one family per name, no duplicate series).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resetWarnings } from '../../src/internal/errors.js';
import {
  createNoopRegistry,
  createRegistry,
  DEFAULT_BUCKETS,
  instrumentMethods,
  type MetricFamily,
  mergeFamilies,
  mergeRegistries,
  type Registry,
  setWarningSink,
  time,
} from '../../src/metrics/index.js';
import { silenceWarnings, texts } from './helpers.js';

silenceWarnings();

/** Exercises every instrument method a service would call. */
async function workload(r: Registry): Promise<void> {
  const c = r.counter({ name: 'req_total', help: 'R.', labelNames: ['m'] });
  c.inc({ m: 'GET' });
  c.inc({ m: 'GET' }, 2);
  c.labels('GET').inc();
  c.labels({ m: 'x' }).incWithExemplar(1, { trace_id: 't' });
  c.get({ m: 'GET' });
  c.point({ m: 'GET' });
  c.remove({ m: 'GET' });
  c.reset();
  const g = r.gauge({ name: 'g', help: 'G.' });
  g.set(1);
  g.inc();
  g.dec(2);
  g.labels().setToCurrentTime();
  g.labels().startTimer()();
  const h = r.histogram({ name: 'h_seconds', help: 'H.', labelNames: ['k'] });
  h.observe({ k: 'a' }, 1);
  h.labels('a').observeWithExemplar(1, { trace_id: 't' });
  h.startTimer({ k: 'a' })();
  h.point({ k: 'a' });
  const s = r.summary({ name: 's_seconds', help: 'S.' });
  s.observe(1);
  s.startTimer()();
  s.labels().get();
  r.info({ name: 'build_info', help: 'B.', labelNames: ['v'] }).set({ v: '1' });
  const st = r.stateSet({ name: 'st', help: 'S.', states: ['a', 'b'] });
  st.set('a');
  st.labels().setState('b', true);
  time(h, { k: 'b' }, () => 1);
  await time(s, undefined, async () => 1);
  const target = {
    async get() {
      return 1;
    },
  };
  const wrapped = instrumentMethods(target, { methods: ['get'], duration: s });
  assert.equal(await wrapped.get(), 1);
}

describe('createNoopRegistry', () => {
  it('has the same API, records nothing and gathers nothing', async () => {
    const r = createNoopRegistry();
    await workload(r);
    assert.deepEqual(await r.gather(), []);
    assert.deepEqual(r.gatherSync(), []);
    assert.deepEqual(r.snapshot(), {});
    assert.ok(Object.isFrozen(r.snapshot()));
    assert.deepEqual(r.instruments(), []);
    assert.equal(r.get('req'), undefined);
    assert.equal(r.unregister('req'), false);
    r.clear();
    const c = r.counter({ name: 'c_total', help: 'C.', labelNames: ['a'] });
    assert.equal(c.name, 'c'); // the family name, as a real counter's
    assert.equal(c.help, 'C.');
    assert.deepEqual(c.labelNames, ['a']);
    assert.equal(c.seriesCount, 0);
    assert.equal(c.get({ a: 'x' }), undefined);
    assert.equal(c.labels('x').get(), 0);
    assert.equal(c.remove('x'), false);
    assert.equal(r.histogram({ name: 'h', help: 'H.' }).startTimer()(), 0);
  });

  it("each no-op handle's get() has its type's shape (empty point, empty state list, 0)", () => {
    const r = createNoopRegistry();
    const hp = r.histogram({ name: 'h', help: 'H.' }).labels().get();
    assert.equal(hp.count, 0);
    assert.equal(hp.sum, 0);
    assert.deepEqual(hp.cumulative, [...DEFAULT_BUCKETS.map(() => 0), 0]);
    const sp = r.summary({ name: 's', help: 'S.' }).labels().get();
    assert.equal(sp.count, 0);
    assert.deepEqual(sp.values, [Number.NaN, Number.NaN, Number.NaN]);
    assert.deepEqual(
      r
        .stateSet({ name: 'st', help: 'S.', states: ['a'] })
        .labels()
        .get(),
      [],
    );
    assert.equal(r.counter({ name: 'c', help: 'C.' }).labels().get(), 0);
    assert.equal(r.gauge({ name: 'g', help: 'G.' }).labels().get(), 0);
  });

  it('the real registry runs the same workload (the workload is valid)', async () => {
    const r = createRegistry();
    await workload(r);
    assert.deepEqual(
      (await r.gather()).map((f) => f.name),
      ['build', 'g', 'h_seconds', 'req', 's_seconds', 'st'],
    );
  });
});

describe('mergeRegistries', () => {
  it('registries with distinct default labels merge into one family per name', async () => {
    const a = createRegistry({ defaultLabels: { service: 'a' } });
    const b = createRegistry({ defaultLabels: { service: 'b' } });
    a.counter({ name: 'req_total', help: 'R.', labelNames: ['code'] }).inc({ code: 200 });
    b.counter({ name: 'req_total', help: 'R.', labelNames: ['code'] }).inc({ code: 200 }, 2);
    a.gauge({ name: 'only_a', help: 'A.' }).set(1);
    b.gauge({ name: 'only_b', help: 'B.' }).set(2);
    b.gauge({ name: 'aaa', help: 'First.' }).set(3);
    const merged = await mergeRegistries(a, b).gather();
    assert.deepEqual(
      merged.map((f) => f.name),
      ['aaa', 'only_a', 'only_b', 'req'],
    );
    const req = merged.find((f) => f.name === 'req')!;
    assert.deepEqual(texts(req), ['service="a",code="200"', 'service="b",code="200"']);
    assert.deepEqual(
      req.points.map((p) => ('value' in p ? p.value : null)),
      [1, 2],
    );
    // A names filter passes through to every registry.
    assert.deepEqual(
      (await mergeRegistries(a, b).gather({ names: new Set(['req_total']) })).map((f) => f.name),
      ['req'],
    );
  });

  it('a duplicate series is dropped (first wins), warned once; the output has no duplicates', async () => {
    const warnings: string[] = [];
    resetWarnings();
    const prev = setWarningSink((code) => warnings.push(code));
    try {
      const a = createRegistry();
      const b = createRegistry();
      a.counter({ name: 'c', help: 'C.', labelNames: ['k'] }).inc({ k: 'x' });
      const cb = b.counter({ name: 'c', help: 'C.', labelNames: ['k'] });
      cb.inc({ k: 'x' }, 10);
      cb.inc({ k: 'y' }, 5);
      const m = mergeRegistries(a, b);
      const f1 = (await m.gather())[0]!;
      const f2 = (await m.gather())[0]!;
      for (const f of [f1, f2]) {
        assert.deepEqual(texts(f), ['k="x"', 'k="y"']);
        assert.deepEqual(
          f.points.map((p) => ('value' in p ? p.value : null)),
          [1, 5],
        );
      }
      assert.deepEqual(warnings, ['TT_DUPLICATE_SERIES']);
    } finally {
      setWarningSink(prev);
    }
  });

  it('a series is identified by its label names and values, whatever their order', async () => {
    const warnings: string[] = [];
    resetWarnings();
    const prev = setWarningSink((code) => warnings.push(code));
    try {
      // {region, zone} in one registry and {zone, region} in the other: one series to Prometheus.
      const a = createRegistry({ defaultLabels: { region: 'eu' } });
      const b = createRegistry({ defaultLabels: { zone: 'z1' } });
      a.counter({ name: 'c', help: 'C.', labelNames: ['zone'] }).inc({ zone: 'z1' }, 1);
      const cb = b.counter({ name: 'c', help: 'C.', labelNames: ['region'] });
      cb.inc({ region: 'eu' }, 10);
      cb.inc({ region: 'us' }, 5);
      const f = (await mergeRegistries(a, b).gather())[0]!;
      assert.deepEqual(
        f.points.map((p) => [p.labels, 'value' in p ? p.value : null]),
        [
          [{ region: 'eu', zone: 'z1' }, 1],
          [{ zone: 'z1', region: 'us' }, 5],
        ],
      );
      assert.deepEqual(warnings, ['TT_DUPLICATE_SERIES']);
      // Values that only collide when joined naively are different series.
      const c = createRegistry();
      const d = createRegistry();
      c.counter({ name: 'j', help: 'J.', labelNames: ['a', 'b'] }).inc({ a: 'x,b=y', b: '' });
      d.counter({ name: 'j', help: 'J.', labelNames: ['a', 'b'] }).inc({ a: 'x', b: 'y,b=' });
      assert.equal((await mergeRegistries(c, d).gather())[0]!.points.length, 2);
    } finally {
      setWarningSink(prev);
    }
  });

  it('a type clash keeps the first family', async () => {
    const a = createRegistry();
    const b = createRegistry();
    a.gauge({ name: 'x', help: 'Gauge.' }).set(1);
    b.counter({ name: 'x', help: 'Counter.' }).inc(9);
    const [f] = await mergeRegistries(a, b).gather();
    assert.equal(f?.type, 'gauge');
    assert.equal(f?.help, 'Gauge.');
    assert.equal(f?.points.length, 1);
    const [g] = await mergeRegistries(b, a).gather();
    assert.equal(g?.type, 'counter');
  });

  it('mergeFamilies of one list returns a copy; inputs are not modified', () => {
    const a = createRegistry();
    a.counter({ name: 'c', help: 'C.', labelNames: ['k'] }).inc({ k: 'x' });
    const b = createRegistry();
    b.counter({ name: 'c', help: 'C.', labelNames: ['k'] }).inc({ k: 'y' });
    const la = a.gatherSync();
    const lb = b.gatherSync();
    const one = mergeFamilies([la]);
    assert.notEqual(one, la);
    assert.deepEqual(one, la);
    const both: MetricFamily[] = mergeFamilies([la, lb]);
    assert.equal(both[0]?.points.length, 2);
    assert.equal(la[0]?.points.length, 1);
    assert.equal(lb[0]?.points.length, 1);
  });
});
