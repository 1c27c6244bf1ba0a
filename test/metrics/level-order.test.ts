// The nested lookup maps are keyed by label cardinality, not declaration order; every read and write stays exact.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { createRegistry } from '../../src/metrics/index.js';

/** The map level order a metric uses (null: as declared). Internal, read for the test only. */
const orderOf = (m: unknown): number[] | null => (m as { _order: number[] | null })._order;

describe('map level order', () => {
  it('a unique first label moves to the last level; every API still finds its series', () => {
    const r = createRegistry({ maxSeries: 100_000 });
    const c = r.counter({ name: 'c', help: 'C.', labelNames: ['path', 'instance'] });
    const n = 2_000;
    for (let i = 0; i < n; i++) c.inc({ path: `/p/${i}`, instance: `i${i % 10}` }, i);
    assert.deepEqual(orderOf(c), [1, 0]);
    assert.equal(c.seriesCount, n);
    // Objects, positional handles, reads and removal after the rebuild.
    c.inc({ path: '/p/7', instance: 'i7' }, 1000);
    assert.equal(c.get({ path: '/p/7', instance: 'i7' }), 1007);
    c.labels('/p/8', 'i8').inc(2);
    assert.equal(c.get({ path: '/p/8', instance: 'i8' }), 10);
    assert.equal(c.labels('/p/9', 'i9').get(), 9);
    assert.equal(c.get({ path: '/p/9', instance: 'i0' }), undefined);
    assert.equal(c.remove({ path: '/p/3', instance: 'i3' }), true);
    assert.equal(c.remove('/p/3', 'i3'), false);
    assert.equal(c.seriesCount, n - 1);
    c.inc({ path: '/new', instance: 'i1' });
    assert.equal(c.seriesCount, n);
    const f = r.gatherSync()[0]!;
    assert.equal(f.points.length, n);
    // Labels keep their declared order in the model, whatever the maps do.
    assert.deepEqual(Object.keys(f.points[0]!.labels), ['path', 'instance']);
  });

  it('labels declared low-cardinality first keep the declared order', () => {
    const r = createRegistry({ maxSeries: 100_000 });
    const g = r.gauge({ name: 'g', help: 'G.', labelNames: ['instance', 'path'] });
    for (let i = 0; i < 1_500; i++) g.set({ instance: `i${i % 10}`, path: `/p/${i}` }, i);
    assert.equal(orderOf(g), null);
    assert.equal(g.get({ instance: 'i3', path: '/p/13' }), 13);
  });

  it('random updates, reads and removals across the reorder points match a plain map (fast-check)', () => {
    const op = fc.record({
      kind: fc.constantFrom('inc', 'bound', 'remove', 'get'),
      a: fc.nat({ max: 3 }),
      b: fc.nat({ max: 20_000 }),
      c: fc.nat({ max: 1 }),
    });
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 300 }), (ops) => {
        const r = createRegistry({ maxSeries: 100_000 });
        const m = r.counter({ name: 'm', help: 'M.', labelNames: ['a', 'id', 'c'] });
        const model = new Map<string, number>();
        const key = (a: number, b: number, c: number) => `${a}|${b}|${c}`;
        // Enough distinct ids to cross the first two reorder points (128 and 1,024 series), unique middle label.
        for (let i = 0; i < 1_100; i++) {
          m.inc({ a: `${i % 4}`, id: `${i}`, c: `${i % 2}` });
          model.set(key(i % 4, i, i % 2), 1);
        }
        assert.deepEqual(orderOf(m), [2, 0, 1]);
        for (const o of ops) {
          const labels = { a: `${o.a}`, id: `${o.b}`, c: `${o.c}` };
          const k = key(o.a, o.b, o.c);
          if (o.kind === 'inc') {
            m.inc(labels, 2);
            model.set(k, (model.get(k) ?? 0) + 2);
          } else if (o.kind === 'bound') {
            m.labels(labels.a, labels.id, labels.c).inc();
            model.set(k, (model.get(k) ?? 0) + 1);
          } else if (o.kind === 'remove') {
            assert.equal(m.remove(labels), model.delete(k));
          } else assert.equal(m.get(labels), model.get(k));
        }
        assert.equal(m.seriesCount, model.size);
        for (const p of r.gatherSync()[0]!.points) {
          const l = p.labels;
          assert.equal('value' in p ? p.value : -1, model.get(`${l['a']}|${l['id']}|${l['c']}`));
        }
      }),
      { numRuns: 25 },
    );
  });
});
