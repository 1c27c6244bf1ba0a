// Regression tests for issues found in review: instrumentMethods' `this`, reserved default labels, removed handles' reads.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createRegistry, instrumentMethods, TelltaleError } from '../../src/metrics/index.js';

test('instrumentMethods: unwrapped methods and #private fields see the target itself', async () => {
  class Store {
    #secret = 41;
    client: string | undefined;
    connect(): void {
      this.client = 'connected';
    }
    bump(): number {
      this.#secret++;
      return this.#secret;
    }
    async get(key: string): Promise<string> {
      return `${this.client ?? 'none'}:${key}:${this.#secret}`;
    }
  }
  const registry = createRegistry();
  const total = registry.counter({ name: 'ops_total', help: 'Ops.', labelNames: ['method'] });
  const target = new Store();
  const store = instrumentMethods(target, { methods: ['get'], total });
  store.connect(); // unwrapped: runs on the target
  assert.equal(target.client, 'connected');
  assert.equal(store.bump(), 42); // #private works through the wrapper
  assert.equal(await store.get('k'), 'connected:k:42');
  assert.equal(total.get({ method: 'get' }), 1);
  store.client = 'set-through-wrapper';
  assert.equal(target.client, 'set-through-wrapper');
  assert.equal(Object.hasOwn(target, 'get'), false, 'the target is not modified');
});

test('default labels may not use the label names of telltale self-metrics', () => {
  for (const name of [
    'metric',
    'kind',
    'format',
    'reason',
    'check',
    'task',
    'outcome',
    'phase',
    'hook',
  ]) {
    assert.throws(
      () => createRegistry({ defaultLabels: { [name]: 'x' } }),
      (err: unknown) =>
        err instanceof TelltaleError &&
        err.code === 'TT_RESERVED_LABEL' &&
        err.message.includes(name),
    );
  }
});

test('a removed handle reads the live series that took over its labels', () => {
  const registry = createRegistry();
  const c = registry.counter({ name: 'c_total', help: 'C.', labelNames: ['a'] });
  const g = registry.gauge({ name: 'g', help: 'G.', labelNames: ['a'] });
  const oldC = c.labels({ a: 'x' });
  const oldG = g.labels({ a: 'x' });
  oldC.inc(5);
  oldG.set(5);
  c.remove({ a: 'x' });
  g.remove({ a: 'x' });
  assert.equal(oldC.get(), 0);
  c.inc({ a: 'x' }, 2); // a new series with the same labels
  g.set({ a: 'x' }, 3);
  assert.equal(oldC.get(), 2);
  assert.equal(oldG.get(), 3);
  oldC.inc(); // goes to the live series
  assert.equal(c.get({ a: 'x' }), 3);
});

test('a live exemplar source attaches exemplars to counters and histogram buckets of its registry only', async (t) => {
  const { exemplarSlotOf } = await import('../../src/metrics/registry.js');
  const registry = createRegistry({ now: () => 1_700_000_000_000 });
  const elsewhere = createRegistry().counter({ name: 'elsewhere_total', help: 'E.' });
  const c = registry.counter({ name: 'ex_total', help: 'C.' });
  const h = registry.histogram({ name: 'ex_seconds', help: 'H.', buckets: [0.1, 1] });
  c.inc();
  h.observe(0.5);
  assert.equal(c.point()?.exemplar, undefined);
  assert.equal(h.point()?.exemplars, undefined);
  let active: Readonly<Record<string, string>> | undefined = { trace_id: 'abc' };
  const slot = exemplarSlotOf(registry);
  assert.ok(slot);
  assert.equal(
    slot.enable(() => active),
    true,
  );
  assert.equal(slot.live, null, 'enabled, but live only while a span is counted in');
  slot.opened();
  t.after(() => slot.closed());
  c.inc(2);
  elsewhere.inc();
  assert.equal(elsewhere.point()?.exemplar, undefined);
  h.observe(0.05);
  active = undefined; // outside a span: nothing new is attached
  h.observe(0.7);
  assert.deepEqual(c.point()?.exemplar, {
    labels: { trace_id: 'abc' },
    value: 2,
    timestamp: 1_700_000_000,
  });
  assert.deepEqual(h.point()?.exemplars, [
    { labels: { trace_id: 'abc' }, value: 0.05, timestamp: 1_700_000_000 },
    null,
    null,
  ]);
});

test('help text is trimmed at registration (the text format cannot carry leading blanks)', () => {
  const registry = createRegistry();
  const g = registry.gauge({ name: 'trimmed', help: '  Spaced out.\t' });
  assert.equal(g.help, 'Spaced out.');
  assert.equal(registry.gauge({ name: 'trimmed', help: 'Spaced out.' }), g);
});
