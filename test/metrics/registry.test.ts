// Registry: idempotent and conflicting registration, sample-name clashes, prefix, default labels, unregister, gather order and filters, snapshot.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createNoopRegistry, createRegistry } from '../../src/metrics/index.js';
import { family, read, silenceWarnings, texts, throwsCode } from './helpers.js';

silenceWarnings();

describe('registration', () => {
  it('registering an identical spec returns the same object, for every type', () => {
    const r = createRegistry();
    const specs = [
      () => r.counter({ name: 'c_total', help: 'C.', labelNames: ['a'] }),
      () => r.gauge({ name: 'g', help: 'G.', unit: 'bytes' as string, labelNames: [] }),
      () => r.gauge({ name: 'g2_bytes', help: 'G.', unit: 'bytes' }),
      () => r.histogram({ name: 'h_seconds', help: 'H.', buckets: [1, 2] }),
      () => r.summary({ name: 's_seconds', help: 'S.', quantiles: [0.5] }),
      () => r.info({ name: 'i_info', help: 'I.', labelNames: ['v'] }),
      () => r.stateSet({ name: 'st', help: 'St.', states: ['a', 'b'] }),
    ];
    // 'g' with unit 'bytes' is invalid (name must end with _bytes); check it separately.
    throwsCode(specs[1]!, 'TT_INVALID_UNIT', '"g"');
    for (const [i, make] of specs.entries()) {
      if (i === 1) continue;
      assert.equal(make(), make(), `spec ${i}`);
    }
    assert.equal(r.instruments().length, 6);
  });

  it('counter "x_total" and "x" are the same family; info "y_info" and "y" too', () => {
    const r = createRegistry();
    const a = r.counter({ name: 'x_total', help: 'X.' });
    const b = r.counter({ name: 'x', help: 'X.' });
    assert.equal(a, b);
    assert.equal(a.name, 'x');
    assert.equal(r.info({ name: 'y_info', help: 'Y.' }), r.info({ name: 'y', help: 'Y.' }));
  });

  it('a conflicting spec throws TT_CONFLICTING_REGISTRATION naming each difference', () => {
    const r = createRegistry();
    r.counter({ name: 'req_total', help: 'Requests.', labelNames: ['method'] });
    throwsCode(
      () => r.gauge({ name: 'req', help: 'Requests.', labelNames: ['method'] }),
      'TT_CONFLICTING_REGISTRATION',
      '"req"',
      'type counter vs gauge',
    );
    throwsCode(
      () => r.counter({ name: 'req', help: 'Other.', labelNames: ['method'] }),
      'TT_CONFLICTING_REGISTRATION',
      'help "Requests." vs "Other."',
    );
    throwsCode(
      () => r.counter({ name: 'req', help: 'Requests.', labelNames: ['route'] }),
      'TT_CONFLICTING_REGISTRATION',
      'labels [method] vs [route]',
    );
    throwsCode(
      () => r.counter({ name: 'req', help: 'Requests.' }),
      'TT_CONFLICTING_REGISTRATION',
      'labels [method] vs []',
    );
    const e = throwsCode(
      () => r.gauge({ name: 'req', help: 'Other.' }),
      'TT_CONFLICTING_REGISTRATION',
    );
    for (const part of ['type counter vs gauge', 'help', 'labels'])
      assert.ok(e.message.includes(part), e.message);

    r.histogram({ name: 'lat_seconds', help: 'L.', unit: 'seconds', buckets: [1, 2] });
    throwsCode(
      () => r.histogram({ name: 'lat_seconds', help: 'L.', unit: 'seconds', buckets: [1, 3] }),
      'TT_CONFLICTING_REGISTRATION',
      'buckets',
    );
    throwsCode(
      () => r.histogram({ name: 'lat_seconds', help: 'L.', buckets: [1, 2] }),
      'TT_CONFLICTING_REGISTRATION',
      'unit "seconds" vs ""',
    );

    r.summary({ name: 'sum_seconds', help: 'S.', quantiles: [0.5, 0.9] });
    throwsCode(
      () => r.summary({ name: 'sum_seconds', help: 'S.', quantiles: [0.5, 0.99] }),
      'TT_CONFLICTING_REGISTRATION',
      'quantiles',
    );
    throwsCode(
      () =>
        r.summary({ name: 'sum_seconds', help: 'S.', quantiles: [0.5, 0.9], maxAgeSeconds: 60 }),
      'TT_CONFLICTING_REGISTRATION',
    );

    r.stateSet({ name: 'phase', help: 'P.', states: ['a', 'b'] });
    throwsCode(
      () => r.stateSet({ name: 'phase', help: 'P.', states: ['a', 'c'] }),
      'TT_CONFLICTING_REGISTRATION',
      'states',
    );
    // The originals are still there and unchanged.
    assert.deepEqual(
      r.instruments().map((m) => `${m.type}:${m.name}`),
      ['histogram:lat_seconds', 'stateset:phase', 'counter:req', 'summary:sum_seconds'],
    );
  });

  it('sample-name clashes throw TT_CONFLICTING_REGISTRATION, in either order', () => {
    const r = createRegistry();
    r.counter({ name: 'foo', help: 'Foo.' });
    throwsCode(
      () => r.gauge({ name: 'foo_total', help: 'Foo.' }),
      'TT_CONFLICTING_REGISTRATION',
      '"foo_total"',
      '"foo"',
    );
    throwsCode(() => r.gauge({ name: 'foo_created', help: 'Foo.' }), 'TT_CONFLICTING_REGISTRATION');
    r.histogram({ name: 'x', help: 'X.' });
    throwsCode(
      () => r.gauge({ name: 'x_bucket', help: 'X.' }),
      'TT_CONFLICTING_REGISTRATION',
      '"x_bucket"',
    );
    throwsCode(() => r.gauge({ name: 'x_sum', help: 'X.' }), 'TT_CONFLICTING_REGISTRATION');
    throwsCode(() => r.counter({ name: 'x_count', help: 'X.' }), 'TT_CONFLICTING_REGISTRATION');

    const r2 = createRegistry();
    r2.gauge({ name: 'y_bucket', help: 'Y.' });
    throwsCode(
      () => r2.histogram({ name: 'y', help: 'Y.' }),
      'TT_CONFLICTING_REGISTRATION',
      '"y_bucket"',
    );
    r2.gauge({ name: 'z_info', help: 'Z.' });
    throwsCode(() => r2.info({ name: 'z', help: 'Z.' }), 'TT_CONFLICTING_REGISTRATION');
    r2.gauge({ name: 'w_count', help: 'W.' });
    throwsCode(() => r2.summary({ name: 'w', help: 'W.' }), 'TT_CONFLICTING_REGISTRATION');
    assert.deepEqual(
      r2.instruments().map((m) => m.name),
      ['w_count', 'y_bucket', 'z_info'],
    );
  });

  it('a prefix is prepended to every name; get() finds by full or declared name', () => {
    const r = createRegistry({ prefix: 'canvas_' });
    const c = r.counter({ name: 'requests_total', help: 'R.' });
    assert.equal(c.name, 'canvas_requests');
    assert.equal(r.get('canvas_requests'), c);
    assert.equal(r.get('requests'), c);
    assert.equal(r.get('canvas_requests_total'), c);
    assert.equal(r.get('nope'), undefined);
    c.inc();
    assert.deepEqual(read(r, 'canvas_requests'), { '': 1 });
    throwsCode(
      () => r.counter({ name: 'bad name', help: 'B.' }),
      'TT_INVALID_METRIC_NAME',
      'bad name',
    );
  });

  it('default labels come first in every series, including the overflow series', () => {
    const r = createRegistry({
      defaultLabels: { service: 'agent', instance: 'a"1' },
      maxSeries: 1,
    });
    const c = r.counter({ name: 'ops', help: 'Ops.', labelNames: ['op'] });
    const g = r.gauge({ name: 'up', help: 'Up.' });
    c.inc({ op: 'get' });
    c.inc({ op: 'put' }); // over the cap of 1
    g.set(1);
    assert.deepEqual(read(r, 'ops'), {
      'service="agent",instance="a\\"1",op="get"': 1,
      'service="agent",instance="a\\"1",op="__overflow__"': 1,
    });
    assert.deepEqual(read(r, 'up'), { 'service="agent",instance="a\\"1"': 1 });
    const p = c.point({ op: 'get' });
    assert.deepEqual(p?.labels, { service: 'agent', instance: 'a"1', op: 'get' });
    assert.deepEqual(Object.keys(p?.labels ?? {}), ['service', 'instance', 'op']);
    // The self-metric carries them too.
    assert.deepEqual(read(r, 'telltale_series_overflow'), {
      'service="agent",instance="a\\"1",metric="ops_total"': 1,
    });
  });

  it('a metric label named like a default label throws TT_RESERVED_LABEL', () => {
    const r = createRegistry({ defaultLabels: { service: 'agent' } });
    throwsCode(
      () => r.counter({ name: 'c', help: 'C.', labelNames: ['service'] }),
      'TT_RESERVED_LABEL',
      '"c"',
      '"service"',
    );
    assert.equal(r.instruments().length, 0);
  });

  it('a default label that a type reserves (le, quantile, the state label) is refused for that type', () => {
    const r = createRegistry({ defaultLabels: { le: 'x', quantile: 'y', mode: 'z' } });
    throwsCode(() => r.histogram({ name: 'h', help: 'H.' }), 'TT_RESERVED_LABEL', '"h"', '"le"');
    throwsCode(
      () => r.summary({ name: 's', help: 'S.' }),
      'TT_RESERVED_LABEL',
      '"s"',
      '"quantile"',
    );
    throwsCode(
      () => r.stateSet({ name: 'mode', help: 'M.', states: ['a'] }),
      'TT_RESERVED_LABEL',
      '"mode"',
    );
    r.counter({ name: 'ok', help: 'OK.' });
    assert.deepEqual(
      r.instruments().map((m) => m.name),
      ['ok'],
    );
  });

  it('unregister and clear remove metrics; a name can then be registered with another spec', () => {
    const r = createRegistry();
    r.counter({ name: 'a_total', help: 'A.' });
    r.histogram({ name: 'b', help: 'B.' });
    assert.equal(r.unregister('a_total'), true);
    assert.equal(r.unregister('a'), false);
    assert.equal(r.get('a'), undefined);
    r.gauge({ name: 'a', help: 'Now a gauge.' });
    r.gauge({ name: 'a_total', help: 'No longer clashes.' });
    assert.equal(r.unregister('b_bucket'), true); // by any sample name
    r.gauge({ name: 'b_bucket', help: 'B.' });
    assert.deepEqual(
      r.instruments().map((m) => m.name),
      ['a', 'a_total', 'b_bucket'],
    );
    r.clear();
    assert.deepEqual(r.instruments(), []);
    assert.deepEqual(r.gatherSync(), []);
    r.counter({ name: 'a', help: 'Fresh.' });
    assert.equal(r.instruments().length, 1);
  });

  it('an unregistered self-metric is re-created on the next event', () => {
    const r = createRegistry({ maxSeries: 1 });
    const c = r.counter({ name: 'c', help: 'C.', labelNames: ['k'] });
    c.inc({ k: 'a' });
    c.inc({ k: 'b' });
    assert.equal(r.unregister('telltale_series_overflow'), true);
    c.inc({ k: 'c' });
    assert.deepEqual(read(r, 'telltale_series_overflow'), { 'metric="c_total"': 1 });
  });

  it('instruments() and gather() are sorted by name', async () => {
    const r = createRegistry();
    for (const n of ['m_b', 'm_a', 'z', 'a', 'm_c']) r.gauge({ name: n, help: 'X.' });
    r.counter({ name: 'b_total', help: 'X.' });
    const expected = ['a', 'b', 'm_a', 'm_b', 'm_c', 'z'];
    assert.deepEqual(
      r.instruments().map((m) => m.name),
      expected,
    );
    assert.deepEqual(
      (await r.gather()).map((f) => f.name),
      expected,
    );
    assert.deepEqual(
      r.gatherSync().map((f) => f.name),
      expected,
    );
    r.gauge({ name: 'c', help: 'X.' });
    assert.deepEqual(
      (await r.gather()).map((f) => f.name),
      ['a', 'b', 'c', 'm_a', 'm_b', 'm_c', 'z'],
    );
  });

  it('gather names filter matches any sample name a family exposes', async () => {
    const r = createRegistry();
    r.counter({ name: 'foo', help: 'F.' }).inc();
    r.histogram({ name: 'lat', help: 'L.' });
    r.info({ name: 'build', help: 'B.' }).set();
    r.gauge({ name: 'bar', help: 'B.' });
    const names = async (...n: string[]) =>
      (await r.gather({ names: new Set(n) })).map((f) => f.name);
    assert.deepEqual(await names('foo_total'), ['foo']);
    assert.deepEqual(await names('foo'), ['foo']);
    assert.deepEqual(await names('foo_created'), ['foo']);
    assert.deepEqual(await names('lat_bucket', 'bar'), ['bar', 'lat']);
    assert.deepEqual(await names('lat_count'), ['lat']);
    assert.deepEqual(await names('build_info'), ['build']);
    assert.deepEqual(await names('nothing'), []);
    assert.deepEqual(await names(), ['bar', 'build', 'foo', 'lat']);
    assert.deepEqual(
      r.gatherSync({ names: new Set(['foo_total']) }).map((f) => f.name),
      ['foo'],
    );
  });

  it('snapshot() is the gathered model keyed by family name: exact, plain, frozen, a copy', () => {
    const T = 1_700_000_000_000;
    const r = createRegistry({ defaultLabels: { svc: 'a' }, now: () => T });
    const c = r.counter({ name: 'jobs_total', help: 'Jobs.', labelNames: ['kind'] });
    c.inc({ kind: 'x' }, 3);
    const g = r.gauge({ name: 'temp_celsius', help: 'Temp.', unit: 'celsius' });
    g.set(-1.5);
    const h = r.histogram({ name: 'd_seconds', help: 'D.', buckets: [0.5, 1] });
    h.observe(0.5);
    h.observe(2);
    const s = r.summary({ name: 'q_seconds', help: 'Q.', quantiles: [0.5] });
    s.observe(4);
    const info = r.info({ name: 'build_info', help: 'Build.', labelNames: ['v'] });
    info.set({ v: '1' });
    const st = r.stateSet({ name: 'st', help: 'St.', states: ['on', 'off'] });
    st.set('on');
    const snap = r.snapshot();
    const svc = { svc: 'a' };
    const expected = {
      build: {
        type: 'info',
        name: 'build',
        help: 'Build.',
        unit: '',
        points: [{ labels: { svc: 'a', v: '1' } }],
      },
      d_seconds: {
        type: 'histogram',
        name: 'd_seconds',
        help: 'D.',
        unit: '',
        buckets: [0.5, 1],
        points: [{ labels: svc, cumulative: [1, 1, 2], sum: 2.5, count: 2, created: T / 1000 }],
      },
      jobs: {
        type: 'counter',
        name: 'jobs',
        help: 'Jobs.',
        unit: '',
        points: [{ labels: { svc: 'a', kind: 'x' }, value: 3, created: T / 1000 }],
      },
      q_seconds: {
        type: 'summary',
        name: 'q_seconds',
        help: 'Q.',
        unit: '',
        quantiles: [0.5],
        points: [{ labels: svc, values: [4], sum: 4, count: 1, created: T / 1000 }],
      },
      st: {
        type: 'stateset',
        name: 'st',
        help: 'St.',
        unit: '',
        states: ['on', 'off'],
        points: [{ labels: svc, enabled: [true, false] }],
      },
      temp_celsius: {
        type: 'gauge',
        name: 'temp_celsius',
        help: 'Temp.',
        unit: 'celsius',
        points: [{ labels: svc, value: -1.5 }],
      },
    };
    // The data without the symbol-keyed label shape hint of families (not data; see LABEL_SHAPE).
    const data = (x: unknown): unknown => {
      if (typeof x !== 'object' || x === null) return x;
      if (Array.isArray(x)) return x.map(data);
      return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, data(v)]));
    };
    assert.deepEqual(data(snap), expected);
    // The same families gather() gives, keyed by name, in name order.
    assert.deepEqual(Object.keys(snap), Object.keys(expected));
    assert.deepEqual(data(Object.values(snap)), data(r.gatherSync()));
    assert.deepEqual(structuredClone(snap), data(snap));
    assert.deepEqual(JSON.parse(JSON.stringify(snap)), expected);
    // Frozen record and families; plain data all the way down: no class instances, no getters,
    // no functions.
    assert.ok(Object.isFrozen(snap), 'the record is frozen');
    for (const f of Object.values(snap)) {
      assert.ok(Object.isFrozen(f), `${f.name} is frozen`);
      assert.ok(Object.isFrozen(f.points), `${f.name}'s points are frozen`);
    }
    const walk = (x: unknown, path: string): void => {
      assert.ok(typeof x !== 'function', `${path} is not a function`);
      if (typeof x !== 'object' || x === null) return;
      const proto = Object.getPrototypeOf(x);
      assert.ok(proto === Object.prototype || proto === Array.prototype, `${path} is plain`);
      for (const [k, d] of Object.entries(Object.getOwnPropertyDescriptors(x))) {
        assert.ok('value' in d, `${path}.${k} is a data property`);
        walk(d.value, `${path}.${k}`);
      }
    };
    walk(snap, 'snapshot');
    // A snapshot is a copy: later updates, new series and new families do not change it.
    c.inc({ kind: 'x' });
    c.inc({ kind: 'y' });
    g.set(7);
    h.observe(0.1);
    s.observe(1);
    info.set({ v: '2' });
    st.set('off');
    r.counter({ name: 'later_total', help: 'Later.' }).inc();
    assert.deepEqual(data(snap), expected);
    assert.equal(r.snapshot()['jobs']?.points.length, 2);
  });

  it('snapshot() of an empty registry and of the no-op registry is a frozen {}', () => {
    for (const snap of [createRegistry().snapshot(), createNoopRegistry().snapshot()]) {
      assert.deepEqual(snap, {});
      assert.ok(Object.isFrozen(snap));
    }
  });

  it('gathered families can be JSON-serialised (the model is plain data)', async () => {
    const r = createRegistry();
    r.counter({ name: 'c', help: 'C.', labelNames: ['k'] }).inc({ k: 'v' });
    const json = JSON.parse(JSON.stringify(await r.gather()));
    assert.equal(json[0].points[0].value, 1);
    assert.deepEqual(json[0].points[0].labels, { k: 'v' });
  });

  it('a family keeps help and unit as given', () => {
    const r = createRegistry();
    r.gauge({ name: 'mem_bytes', help: 'Memory "used".\nSecond line.', unit: 'bytes' });
    const f = family(r.gatherSync(), 'mem_bytes');
    assert.equal(f.help, 'Memory "used".\nSecond line.');
    assert.equal(f.unit, 'bytes');
    assert.deepEqual(texts(f), ['']);
  });
});
