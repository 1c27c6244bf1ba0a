// Summary (quantiles roughly right, sum and count exact), info and stateset instruments.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createRegistry, labelsOf } from '../../src/metrics/index.js';
import { family, silenceWarnings, text, throwsCode } from './helpers.js';

silenceWarnings();

describe('summary', () => {
  it('quantiles are roughly right; sum and count are exact', () => {
    const r = createRegistry({ now: () => 1_000_000 });
    const s = r.summary({ name: 'rpc_seconds', help: 'RPC.', quantiles: [0.5, 0.9, 0.99] });
    assert.deepEqual(s.quantiles, [0.5, 0.9, 0.99]);
    // 1..10,000 in a scrambled order.
    let sum = 0;
    for (let i = 0; i < 10_000; i++) {
      const v = ((i * 7919) % 10_000) + 1;
      s.observe(v);
      sum += v;
    }
    const p = s.point();
    assert.ok(p !== undefined);
    assert.equal(p.count, 10_000);
    assert.equal(p.sum, sum);
    assert.equal(sum, 50_005_000);
    const [q50, q90, q99] = p.values;
    // Within the documented default rank errors: ±5 % at p50, ±1 % at p90, ±0.1 % at p99.
    assert.ok(Math.abs(q50! - 5000) <= 501, `p50 ${q50}`);
    assert.ok(Math.abs(q90! - 9000) <= 101, `p90 ${q90}`);
    assert.ok(Math.abs(q99! - 9900) <= 11, `p99 ${q99}`);
  });

  it('an empty summary reports NaN quantiles and zero sum and count', () => {
    const r = createRegistry();
    const s = r.summary({ name: 'empty_seconds', help: 'Empty.', quantiles: [0.5] });
    const p = s.point();
    assert.ok(p !== undefined);
    assert.equal(p.count, 0);
    assert.equal(p.sum, 0);
    assert.equal(p.values.length, 1);
    assert.ok(Number.isNaN(p.values[0]));
  });

  it('observations leave the window after maxAgeSeconds, but sum and count are lifetime', () => {
    let t = 0;
    const r = createRegistry({ now: () => t });
    const s = r.summary({
      name: 'win_seconds',
      help: 'Window.',
      quantiles: [0.5],
      maxAgeSeconds: 60,
      ageBuckets: 3,
    });
    s.observe(100);
    t = 5 * 60_000;
    s.observe(1);
    const p = s.point();
    assert.equal(p?.values[0], 1);
    assert.equal(p?.count, 2);
    assert.equal(p?.sum, 101);
  });

  it('labelled series, handles, startTimer, non-finite observations', () => {
    const r = createRegistry();
    const s = r.summary({ name: 'op_seconds', help: 'Op.', labelNames: ['op'] });
    s.observe({ op: 'a' }, 2);
    s.labels('a').observe(4);
    const secs = s.startTimer({ op: 'b' })();
    assert.equal(s.point({ op: 'a' })?.sum, 6);
    assert.equal(s.point({ op: 'a' })?.count, 2);
    assert.equal(s.point({ op: 'b' })?.count, 1);
    assert.equal(s.point({ op: 'b' })?.sum, secs);
    assert.ok(secs >= 0);
    throwsCode(() => s.labels('a').observe(Number.NaN), 'TT_INVALID_VALUE', '"op_seconds"');
    throwsCode(() => s.observe({ op: 'a' }, Number.POSITIVE_INFINITY), 'TT_INVALID_VALUE');
    assert.equal(s.point({ op: 'a' })?.count, 2);
    assert.equal(s.point({ op: 'a' })?.sum, 6);
    const f = family(r.gatherSync(), 'op_seconds');
    assert.equal(f.type, 'summary');
    if (f.type === 'summary') assert.deepEqual(f.quantiles, [0.5, 0.9, 0.99]);
  });

  it('remove and reset zero the window, sum and count; a handle revives from zero', () => {
    const r = createRegistry();
    const s = r.summary({ name: 'rr_seconds', help: 'RR.', labelNames: ['k'] });
    const h = s.labels('a');
    h.observe(5);
    assert.equal(s.remove('a'), true);
    assert.equal(s.point({ k: 'a' }), undefined);
    h.observe(1);
    assert.equal(s.point({ k: 'a' })?.sum, 1);
    assert.equal(s.point({ k: 'a' })?.count, 1);
    assert.equal(s.point({ k: 'a' })?.values[0], 1);
    s.reset();
    assert.equal(s.seriesCount, 0);
    h.observe(3);
    assert.equal(s.point({ k: 'a' })?.sum, 3);
    assert.equal(s.point({ k: 'a' })?.count, 1);

    const single = r.summary({ name: 'one_seconds', help: 'One.' });
    single.observe(7);
    single.reset();
    assert.equal(single.point()?.count, 0);
    assert.ok(Number.isNaN(single.point()?.values[0]));
  });
});

describe('info', () => {
  it('set() adds a series whose labels carry the information; `_info` is optional in the name', () => {
    const r = createRegistry();
    const i = r.info({ name: 'build_info', help: 'Build.', labelNames: ['version', 'commit'] });
    assert.equal(i.name, 'build');
    assert.equal(i.type, 'info');
    i.set({ version: '1.2.0', commit: 'abc' });
    i.set({ version: '1.2.0', commit: 'abc' });
    i.set('1.3.0', 'def');
    assert.equal(i.seriesCount, 2);
    const f = family(r.gatherSync(), 'build');
    assert.equal(f.type, 'info');
    assert.deepEqual(
      f.points.map((p) => text(p.labels)),
      ['version="1.2.0",commit="abc"', 'version="1.3.0",commit="def"'],
    );
    assert.equal(r.info({ name: 'build', help: 'Build.', labelNames: ['version', 'commit'] }), i);
    const build = r.snapshot()['build'];
    assert.equal(build?.type, 'info');
    const first = build?.points[0];
    assert.ok(first !== undefined);
    assert.deepEqual(Object.keys(first), ['labels']); // an info's value is always 1: not stored
    assert.deepEqual(labelsOf(first), { version: '1.2.0', commit: 'abc' });
  });

  it('a label-less info has one series; remove of a set returns true then false', () => {
    const r = createRegistry();
    const i = r.info({ name: 'plain', help: 'Plain.' });
    i.set();
    assert.equal(i.seriesCount, 1);
    const j = r.info({ name: 'ver', help: 'Ver.', labelNames: ['v'] });
    j.set({ v: '1' });
    assert.equal(j.remove({ v: '1' }), true);
    assert.equal(j.remove({ v: '1' }), false);
    assert.equal(j.seriesCount, 0);
    throwsCode(() => j.set({ v: '1', w: '2' } as never), 'TT_UNKNOWN_LABEL', '"ver"');
  });
});

describe('stateset', () => {
  it('set enables exactly one state; setState toggles one; get lists enabled states', () => {
    const r = createRegistry();
    const s = r.stateSet({
      name: 'conn_state',
      help: 'Connection.',
      labelNames: ['peer'],
      states: ['idle', 'busy', 'closed'],
    });
    assert.deepEqual(s.states, ['idle', 'busy', 'closed']);
    const h = s.labels('p1');
    assert.deepEqual(h.get(), []);
    h.set('busy');
    assert.deepEqual(h.get(), ['busy']);
    h.setState('closed', true);
    assert.deepEqual(h.get(), ['busy', 'closed']);
    h.set('idle');
    assert.deepEqual(h.get(), ['idle']);
    h.setState('idle', false);
    assert.deepEqual(h.get(), []);
    s.set({ peer: 'p2' }, 'closed');
    const f = family(r.gatherSync(), 'conn_state');
    assert.equal(f.type, 'stateset');
    if (f.type === 'stateset') {
      assert.deepEqual(f.states, ['idle', 'busy', 'closed']);
      assert.deepEqual(
        f.points.map((p) => [text(p.labels), p.enabled]),
        [
          ['peer="p1"', [false, false, false]],
          ['peer="p2"', [false, false, true]],
        ],
      );
    }
    const conn = r.snapshot()['conn_state'];
    assert.ok(conn?.type === 'stateset');
    const p2 = conn.points[1];
    assert.ok(p2 !== undefined);
    assert.deepEqual(Object.keys(p2), ['labels', 'enabled']);
    assert.deepEqual(labelsOf(p2), { peer: 'p2' });
    assert.deepEqual(Object.fromEntries(conn.states.map((state, i) => [state, p2.enabled[i]])), {
      idle: false,
      busy: false,
      closed: true,
    });
  });

  it('an unknown state throws TT_INVALID_STATE and changes nothing', () => {
    const r = createRegistry();
    const s = r.stateSet({ name: 'mode', help: 'Mode.', states: ['a', 'b'] });
    s.set('a');
    throwsCode(() => s.set('c' as 'a'), 'TT_INVALID_STATE', '"mode"', '"c"');
    throwsCode(() => s.labels().setState('c' as 'a', true), 'TT_INVALID_STATE', '"mode"');
    throwsCode(
      () => s.labels().setState('b', 1 as unknown as boolean),
      'TT_INVALID_VALUE',
      '"mode"',
    );
    assert.deepEqual(s.labels().get(), ['a']);
  });

  it('bad state declarations throw TT_INVALID_STATE; the name must be a label name', () => {
    const r = createRegistry();
    throwsCode(
      () => r.stateSet({ name: 's1', help: 'S.', states: [] }),
      'TT_INVALID_STATE',
      '"s1"',
    );
    throwsCode(
      () => r.stateSet({ name: 's2', help: 'S.', states: ['a', 'a'] }),
      'TT_INVALID_STATE',
      '"s2"',
    );
    throwsCode(() => r.stateSet({ name: 's3', help: 'S.', states: [''] }), 'TT_INVALID_STATE');
    throwsCode(
      () => r.stateSet({ name: 'a:b', help: 'S.', states: ['x'] }),
      'TT_INVALID_METRIC_NAME',
      'a:b',
    );
    throwsCode(
      () => r.stateSet({ name: 'phase', help: 'S.', labelNames: ['phase'], states: ['x'] }),
      'TT_RESERVED_LABEL',
      '"phase"',
    );
    assert.equal(r.instruments().length, 0);
  });

  it('a stateset handle revives after remove with every state off', () => {
    const r = createRegistry();
    const s = r.stateSet({ name: 'st', help: 'S.', labelNames: ['k'], states: ['on', 'off'] });
    const h = s.labels('x');
    h.set('on');
    assert.equal(s.remove('x'), true);
    assert.deepEqual(h.get(), []);
    h.setState('off', true);
    assert.deepEqual(h.get(), ['off']);
    assert.equal(s.seriesCount, 1);
  });
});
