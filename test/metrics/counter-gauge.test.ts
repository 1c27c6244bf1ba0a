// Counter and gauge: updates by labels object, positional and bound handle, reads, exemplars, exact values.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createRegistry } from '../../src/metrics/index.js';
import { family, read, silenceWarnings, text, throwsCode } from './helpers.js';

silenceWarnings();

describe('counter', () => {
  it('inc() adds 1 by default and inc(v) adds v; get() and point() read the value', () => {
    let t = 1_700_000_000_000;
    const r = createRegistry({ now: () => t });
    const c = r.counter({ name: 'jobs_total', help: 'Jobs.' });
    assert.equal(c.name, 'jobs');
    assert.equal(c.type, 'counter');
    assert.equal(c.get(), 0);
    c.inc();
    c.inc(2.5);
    c.inc(0);
    assert.equal(c.get(), 3.5);
    t += 5000;
    const p = c.point();
    assert.ok(p !== undefined);
    assert.equal(p.value, 3.5);
    assert.equal(p.created, 1_700_000_000); // stamped at creation, in seconds
    assert.equal(text(p.labels), '');
    assert.equal(p.exemplar, undefined);
    assert.deepEqual(read(r, 'jobs'), { '': 3.5 });
  });

  it('labels object, positional labels and bound handles all reach the same series', () => {
    const r = createRegistry();
    const c = r.counter({
      name: 'http_requests',
      help: 'Requests.',
      labelNames: ['method', 'code'],
    });
    c.inc({ method: 'GET', code: '200' });
    c.inc({ code: '200', method: 'GET' }, 2); // key order does not matter
    c.labels('GET', '200').inc(4);
    const h = c.labels({ method: 'GET', code: '200' });
    h.inc(8);
    assert.equal(h.get(), 15);
    assert.equal(c.get({ method: 'GET', code: '200' }), 15);
    assert.equal(c.get({ method: 'GET', code: '500' }), undefined);
    assert.equal(c.point({ method: 'GET', code: '500' }), undefined);
    assert.equal(c.seriesCount, 1);
    assert.deepEqual(read(r, 'http_requests'), { 'method="GET",code="200"': 15 });
  });

  it('bound handles are cached: labels() returns the same object for the same label set', () => {
    const r = createRegistry();
    const c = r.counter({ name: 'a_total', help: 'A.', labelNames: ['x'] });
    const h1 = c.labels({ x: 'one' });
    assert.equal(c.labels({ x: 'one' }), h1);
    assert.equal(c.labels('one'), h1);
    assert.notEqual(c.labels('two'), h1);
  });

  it('numbers as label values are the same series as their string form', () => {
    const r = createRegistry();
    const c = r.counter({ name: 'responses', help: 'Responses.', labelNames: ['code'] });
    c.inc({ code: 200 });
    c.inc({ code: '200' });
    c.labels(200).inc();
    c.labels('200').inc();
    c.inc({ code: 1.5 });
    c.inc({ code: '1.5' });
    assert.equal(c.get({ code: 200 }), 4);
    assert.equal(c.seriesCount, 2);
    assert.deepEqual(read(r, 'responses'), { 'code="200"': 4, 'code="1.5"': 2 });
  });

  it('label values are escaped in the preformatted text and decoded in values', () => {
    const r = createRegistry();
    const c = r.counter({ name: 'esc', help: 'Escapes.', labelNames: ['v'] });
    c.inc({ v: 'a"b\\c\nd' });
    const p = c.point({ v: 'a"b\\c\nd' });
    assert.ok(p !== undefined);
    assert.equal(text(p.labels), 'v="a\\"b\\\\c\\nd"');
    assert.deepEqual(p.labels, { v: 'a"b\\c\nd' });
  });

  it('incWithExemplar adds the value and records the exemplar with the clock time', () => {
    const r = createRegistry({ now: () => 1_000_500 });
    const c = r.counter({ name: 'ex', help: 'Exemplars.', labelNames: ['k'] });
    c.labels('a').incWithExemplar(2, { trace_id: 'abc' });
    const p = c.point({ k: 'a' });
    assert.ok(p !== undefined);
    assert.equal(p.value, 2);
    assert.deepEqual(p.exemplar, { labels: { trace_id: 'abc' }, value: 2, timestamp: 1000.5 });
  });

  it('an exemplar over 128 characters throws TT_INVALID_EXEMPLAR and changes nothing', () => {
    const r = createRegistry();
    const c = r.counter({ name: 'ex2', help: 'Exemplars.' });
    const h = c.labels();
    h.incWithExemplar(1, { trace_id: 'x'.repeat(120) }); // 8 + 120 = 128: allowed
    throwsCode(
      () => h.incWithExemplar(5, { trace_id: 'x'.repeat(121) }),
      'TT_INVALID_EXEMPLAR',
      '"ex2"',
      '129',
    );
    throwsCode(() => h.incWithExemplar(5, { 'bad-name': 'x' }), 'TT_INVALID_EXEMPLAR', '"ex2"');
    throwsCode(() => h.incWithExemplar(5, { a: 1 as unknown as string }), 'TT_INVALID_EXEMPLAR');
    throwsCode(() => h.incWithExemplar(-1, { a: 'b' }), 'TT_NEGATIVE_INCREMENT');
    assert.equal(c.get(), 1);
    assert.deepEqual(c.point()?.exemplar?.labels, { trace_id: 'x'.repeat(120) });
  });

  it('exemplar length counts code points, not UTF-16 units', () => {
    const r = createRegistry();
    const c = r.counter({ name: 'ex3', help: 'Exemplars.' });
    // 'k' + 127 astral characters = 128 code points (255 UTF-16 units): allowed.
    c.labels().incWithExemplar(1, { k: '😀'.repeat(127) });
    throwsCode(() => c.labels().incWithExemplar(1, { k: '😀'.repeat(128) }), 'TT_INVALID_EXEMPLAR');
    assert.equal(c.get(), 1);
  });

  it('an exemplar through a handle whose series was removed lands on the live series', () => {
    const r = createRegistry();
    const c = r.counter({ name: 'ex4', help: 'Exemplars.', labelNames: ['k'] });
    const old = c.labels('a');
    old.inc();
    assert.equal(c.remove('a'), true);
    const fresh = c.labels('a'); // a new series for the same labels
    assert.notEqual(fresh, old);
    old.incWithExemplar(3, { trace_id: 't1' });
    assert.equal(c.get({ k: 'a' }), 3);
    assert.deepEqual(c.point({ k: 'a' })?.exemplar?.labels, { trace_id: 't1' });
  });
});

describe('gauge', () => {
  it('set, inc, dec with defaults and values', () => {
    const r = createRegistry();
    const g = r.gauge({ name: 'queue_depth', help: 'Depth.' });
    assert.equal(g.get(), 0);
    g.set(10);
    g.inc();
    g.inc(5);
    g.dec();
    g.dec(2.5);
    assert.equal(g.get(), 12.5);
    g.set(-3);
    assert.equal(g.get(), -3);
    assert.deepEqual(read(r, 'queue_depth'), { '': -3 });
  });

  it('labelled set/inc/dec through objects, positional handles and bound handles', () => {
    const r = createRegistry();
    const g = r.gauge({ name: 'peers', help: 'Peers.', labelNames: ['room'] });
    g.set({ room: 'a' }, 3);
    g.inc({ room: 'a' });
    g.dec({ room: 'a' }, 2);
    g.labels('b').set(7);
    g.labels({ room: 'b' }).inc(0.5);
    assert.equal(g.get({ room: 'a' }), 2);
    assert.equal(g.get({ room: 'b' }), 7.5);
    assert.deepEqual(g.point({ room: 'b' })?.value, 7.5);
    assert.equal(g.get({ room: 'c' }), undefined);
    assert.deepEqual(read(r, 'peers'), { 'room="a"': 2, 'room="b"': 7.5 });
  });

  it('setToCurrentTime uses the injected clock, in seconds', () => {
    const r = createRegistry({ now: () => 1_234_567 });
    const g = r.gauge({
      name: 'last_run_timestamp_seconds',
      help: 'Last run.',
      labelNames: ['job'],
    });
    g.labels('x').setToCurrentTime();
    assert.equal(g.get({ job: 'x' }), 1234.567);
  });

  it('set accepts NaN and ±Infinity; inc/dec reject them with TT_INVALID_VALUE', () => {
    const r = createRegistry();
    const g = r.gauge({ name: 'ratio', help: 'Ratio.' });
    g.set(Number.NaN);
    assert.ok(Number.isNaN(g.get()));
    g.set(Number.POSITIVE_INFINITY);
    assert.equal(g.get(), Number.POSITIVE_INFINITY);
    g.set(Number.NEGATIVE_INFINITY);
    assert.equal(g.get(), Number.NEGATIVE_INFINITY);
    g.set(4);
    throwsCode(() => g.inc(Number.NaN), 'TT_INVALID_VALUE', '"ratio"');
    throwsCode(() => g.inc(Number.POSITIVE_INFINITY), 'TT_INVALID_VALUE', '"ratio"');
    throwsCode(() => g.dec(Number.NEGATIVE_INFINITY), 'TT_INVALID_VALUE', '"ratio"');
    throwsCode(() => g.set('5' as unknown as number), 'TT_INVALID_VALUE', '"ratio"');
    throwsCode(() => g.inc('5' as unknown as number), 'TT_INVALID_VALUE', '"ratio"');
    assert.equal(g.get(), 4);
  });

  it('the gauge timer sets the elapsed seconds and returns them', () => {
    const r = createRegistry();
    const g = r.gauge({ name: 'step_seconds', help: 'Step.' });
    g.set(99);
    const stop = g.labels().startTimer();
    const s = stop();
    assert.ok(s >= 0 && s < 5, String(s));
    assert.equal(g.get(), s);
    assert.equal(family(r.gatherSync(), 'step_seconds').points.length, 1);
  });
});
