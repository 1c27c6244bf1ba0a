// Tests of the user-facing test kit: getValue, findSeries, countSeries, expectExposition.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createRegistry } from '../../src/metrics/index.js';
import { countSeries, expectExposition, findSeries, getValue } from '../../src/testing/index.js';

function setup() {
  const registry = createRegistry({ defaultLabels: { service: 'kit' } });
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
  assert.throws(() => getValue(r, 'kit_requests_total'), /found 2/);
  assert.throws(() => getValue(r, 'kit_requests_total', { method: 'PUT' }), /found 0/);
});

test('findSeries returns snapshot data and countSeries counts', () => {
  const r = setup();
  const [h] = findSeries(r, 'kit_latency_seconds');
  assert.deepEqual(h, {
    labels: { service: 'kit' },
    buckets: { '0.1': 1, '1': 2, '+Inf': 2 },
    sum: 0.55,
    count: 2,
  });
  assert.equal(countSeries(r, 'kit_requests_total'), 2);
  assert.equal(countSeries(r), 4);
  assert.equal(countSeries(r, 'nope'), 0);
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
  await assert.rejects(
    expectExposition(r, 'kit_depth{service="kit"} 5', ['kit_depth']),
    /exposition differs[\s\S]*kit_depth\{service="kit"\} 4/,
  );
});
