// Tests of the user-facing test kit: getValue, findSeries, countSeries, labelsOf, expectExposition.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TelltaleError } from '../../src/internal/errors.js';
import { createRegistry, labelsOf as metricsLabelsOf } from '../../src/metrics/index.js';
import {
  type CounterPoint,
  countSeries,
  expectExposition,
  findSeries,
  getValue,
  type HistogramPoint,
  labelsOf,
  type StateSetPoint,
  type SummaryPoint,
} from '../../src/testing/index.js';

const T = 1_700_000_000_000;

function setup() {
  const registry = createRegistry({ defaultLabels: { service: 'kit' }, now: () => T });
  const c = registry.counter({
    name: 'kit_requests_total',
    help: 'Requests.',
    labelNames: ['method'],
  });
  c.inc({ method: 'GET' }, 3);
  c.inc({ method: 'POST' });
  const h = registry.histogram({
    name: 'kit_latency_seconds',
    help: 'Latency.',
    buckets: [0.1, 1],
  });
  h.observe(0.05);
  h.observe(0.5);
  const g = registry.gauge({ name: 'kit_depth', help: 'Depth.' });
  g.set(4);
  return registry;
}

test('getValue reads one series by a subset of its labels, with or without _total', () => {
  const r = setup();
  assert.equal(getValue(r, 'kit_requests_total', { method: 'GET' }), 3);
  assert.equal(getValue(r, 'kit_requests', { method: 'POST', service: 'kit' }), 1);
  assert.equal(getValue(r, 'kit_depth'), 4);
  assert.equal(getValue(r, 'kit_latency_seconds'), 2);
  assert.throws(() => getValue(r, 'kit_requests_total'), {
    name: 'TelltaleError',
    code: 'TT_ASSERTION_FAILED',
    message:
      'TT_ASSERTION_FAILED: getValue: expected one series of "kit_requests_total" matching {}, found 2',
  });
  assert.throws(() => getValue(r, 'kit_requests_total', { method: 'PUT' }), {
    code: 'TT_ASSERTION_FAILED',
    message:
      'TT_ASSERTION_FAILED: getValue: expected one series of "kit_requests_total" matching {"method":"PUT"}, found 0',
  });
});

test('findSeries returns the snapshot points and countSeries counts', () => {
  const r = setup();
  const found = findSeries<HistogramPoint>(r, 'kit_latency_seconds');
  assert.equal(found.length, 1);
  const h = found[0]!;
  // structuredClone drops the family's symbol-keyed label shape hint, which is not data.
  assert.deepEqual(structuredClone(h), {
    labels: { service: 'kit' },
    cumulative: [1, 2, 2],
    sum: 0.55,
    count: 2,
    created: T / 1000,
  });
  assert.deepEqual(labelsOf(h), { service: 'kit' });
  const get = findSeries<CounterPoint>(r, 'kit_requests_total', { method: 'GET' });
  assert.deepEqual(
    get.map((p) => [labelsOf(p), p.value, p.created]),
    [[{ service: 'kit', method: 'GET' }, 3, T / 1000]],
  );
  assert.deepEqual(
    findSeries<CounterPoint>(r, 'kit_requests', { service: 'kit' }).map((p) => p.value),
    [3, 1],
  );
  assert.deepEqual(findSeries(r, 'kit_requests_total', { method: 'PUT' }), []);
  // A label the series does not have never matches, whatever Object.prototype holds.
  assert.deepEqual(findSeries(r, 'kit_requests_total', { constructor: 'x' }), []);
  assert.deepEqual(findSeries(r, 'nope'), []);
  assert.equal(countSeries(r, 'kit_requests_total'), 2);
  assert.equal(countSeries(r, 'kit_requests'), 2);
  assert.equal(countSeries(r), 4);
  assert.equal(countSeries(r, 'nope'), 0);
});

test('getValue reads an info as 1 and a summary as its count; a stateset has no single value', () => {
  const r = setup();
  r.info({ name: 'kit_build_info', help: 'Build.', labelNames: ['version'] }).set({
    version: '1.0',
  });
  const q = r.summary({ name: 'kit_size_bytes', help: 'Size.', quantiles: [0.5, 0.9] });
  q.observe(10);
  q.observe(20);
  q.observe(30);
  r.stateSet({ name: 'kit_mode', help: 'Mode.', states: ['on', 'off'] }).set('off');
  assert.equal(getValue(r, 'kit_build_info', { version: '1.0' }), 1);
  assert.equal(getValue(r, 'kit_build'), 1);
  assert.equal(countSeries(r, 'kit_build_info'), 1);
  assert.equal(getValue(r, 'kit_size_bytes'), 3);
  const [s] = findSeries<SummaryPoint>(r, 'kit_size_bytes');
  assert.deepEqual([s?.sum, s?.count, s?.values.length], [60, 3, 2]);
  assert.throws(() => getValue(r, 'kit_mode'), {
    code: 'TT_INVALID_OPTION',
    message:
      'TT_INVALID_OPTION: getValue: "kit_mode" is a stateset, which has no single value; read its enabled flags with findSeries',
  });
  const [mode] = findSeries<StateSetPoint>(r, 'kit_mode');
  assert.deepEqual(mode?.enabled, [false, true]);
  assert.throws(() => getValue(r, 'kit_nope'), {
    code: 'TT_ASSERTION_FAILED',
    message:
      'TT_ASSERTION_FAILED: getValue: expected one series of "kit_nope" matching {}, found 0',
  });
});

test('labelsOf gives the labels of a point or a label set as a plain record, in order, from both entry points', () => {
  assert.equal(labelsOf, metricsLabelsOf);
  const r = setup();
  const [p] = findSeries(r, 'kit_requests', { method: 'POST' });
  assert.ok(p !== undefined);
  const rec = labelsOf(p);
  assert.deepEqual(rec, { service: 'kit', method: 'POST' });
  assert.deepEqual(Object.keys(rec), ['service', 'method']);
  assert.equal(Object.getPrototypeOf(rec), Object.prototype);
  assert.deepEqual(labelsOf(p.labels), rec);
  assert.notEqual(labelsOf(p), rec, 'a fresh record each call');
  assert.deepEqual(labelsOf({}), {});
  // A hand-built label set (say, parsed from JSON) may hold a name plain assignment would drop.
  const odd = labelsOf(JSON.parse('{"__proto__":"x","a":"y"}'));
  assert.deepEqual(Object.keys(odd), ['__proto__', 'a']);
  assert.equal(Object.getOwnPropertyDescriptor(odd, '__proto__')?.value, 'x');
  assert.equal(Object.getPrototypeOf(odd), Object.prototype);
  // A label named `labels` is a label, not a point's label set.
  assert.deepEqual(labelsOf({ labels: 'x' }), { labels: 'x' });
  for (const bad of [
    undefined,
    null,
    42,
    'a="b"',
    [],
    { labels: null },
    { a: 1 },
    { names: ['a'], values: [] },
    { labels: { a: 1 } },
  ]) {
    assert.throws(
      () => labelsOf(bad as never),
      (e: unknown) => e instanceof TelltaleError && e.code === 'TT_INVALID_OPTION',
      JSON.stringify(bad),
    );
  }
});

test('the helpers refuse malformed arguments with TT_INVALID_OPTION', () => {
  const r = setup();
  const invalid = (e: unknown) => e instanceof TelltaleError && e.code === 'TT_INVALID_OPTION';
  assert.throws(() => findSeries({} as never, 'kit_depth'), invalid);
  assert.throws(() => getValue(null as never, 'kit_depth'), invalid);
  assert.throws(() => countSeries(r, 42 as never), invalid);
  assert.throws(() => findSeries(r, 42 as never), invalid);
  assert.throws(() => getValue(r, 'kit_depth', 'x' as never), invalid);
});

test('expectExposition compares indented text and reports differences', async () => {
  const r = setup();
  await expectExposition(
    r,
    `
    # HELP kit_depth Depth.
    # TYPE kit_depth gauge
    kit_depth{service="kit"} 4
    `,
    ['kit_depth'],
  );
  await assert.rejects(expectExposition(r, 'kit_depth{service="kit"} 5', ['kit_depth']), {
    name: 'TelltaleError',
    code: 'TT_ASSERTION_FAILED',
    message:
      'TT_ASSERTION_FAILED: expectExposition: exposition differs\n--- expected\nkit_depth{service="kit"} 5\n--- actual\n# HELP kit_depth Depth.\n# TYPE kit_depth gauge\nkit_depth{service="kit"} 4',
  });
});
