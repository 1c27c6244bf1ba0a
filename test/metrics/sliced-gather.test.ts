// gather() reads series in slices and yields to the event loop between them; the result stays exact.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createRegistry, type MetricFamily } from '../../src/metrics/index.js';
import { text, throwsCode } from './helpers.js';

/** Runs `gather` while counting event-loop turns and calling `onTurn` on each. */
async function gatherCountingTurns(
  gather: () => Promise<MetricFamily[]>,
  onTurn: (turn: number) => void = () => {},
): Promise<{ families: MetricFamily[]; turns: number }> {
  let turns = 0;
  let done = false;
  const tick = (): void => {
    if (done) return;
    turns++;
    onTurn(turns);
    setImmediate(tick);
  };
  setImmediate(tick);
  const families = await gather();
  done = true;
  return { families, turns };
}

/** Label texts of a family's points, sorted. */
function keys(f: MetricFamily | undefined): string[] {
  return (f?.points ?? []).map((p) => text(p.labels)).sort();
}

describe('sliced gather', () => {
  it('gives exactly what a one-pass gather gives, and yields between slices', async () => {
    const r = createRegistry({ gatherSliceMs: 0, maxSeries: 100_000, now: () => 1_000 });
    const c = r.counter({ name: 'c', help: 'C.', labelNames: ['k'] });
    const h = r.histogram({ name: 'h', help: 'H.', labelNames: ['k'], buckets: [1, 2] });
    const s = r.summary({ name: 's', help: 'S.', labelNames: ['k'], quantiles: [0.5] });
    for (let i = 0; i < 2_000; i++) {
      c.inc({ k: `v${i}` }, i);
      h.observe({ k: `v${i}` }, i % 3);
      if (i < 300) s.observe({ k: `v${i}` }, i);
    }
    const { families, turns } = await gatherCountingTurns(() => r.gather());
    assert.deepEqual(families, r.gatherSync());
    // 2,000 counter series are 8 slices of 256 and 2,000 histogram series another 8: at least one
    // turn after each slice but the last of each family.
    assert.ok(turns >= 14, `turns: ${turns}`);
    assert.equal(families.find((f) => f.name === 'c')?.points.length, 2_000);
  });

  it('a small registry gathers without yielding at the default budget', async () => {
    const r = createRegistry();
    r.counter({ name: 'c', help: 'C.', labelNames: ['k'] }).inc({ k: 'a' });
    const { families, turns } = await gatherCountingTurns(() => r.gather());
    assert.equal(families.length, 1);
    assert.equal(turns, 0);
  });

  it('a series that a removal moves behind the read position is read once, not lost', async () => {
    const r = createRegistry({ gatherSliceMs: 0, maxSeries: 100_000 });
    const c = r.counter({ name: 'c', help: 'C.', labelNames: ['k'] });
    for (let i = 0; i < 1_000; i++) c.inc({ k: `v${i}` }, i + 1);
    const { families } = await gatherCountingTurns(
      () => r.gather(),
      (turn) => {
        // After the first slice (slots 0..255): removing slot 0 moves the last series (v999,
        // not read yet) into slot 0, behind the reader.
        if (turn === 1) assert.equal(c.remove({ k: 'v0' }), true);
      },
    );
    const f = families[0]!;
    const seen = keys(f);
    assert.equal(seen.length, 1_000, 'every series exactly once');
    assert.equal(new Set(seen).size, 1_000);
    const v999 = f.points.find((p) => p.labels['k'] === 'v999');
    assert.equal(v999 && 'value' in v999 ? v999.value : undefined, 1_000);
    // v0 was read before it was removed; the next gather no longer has it.
    assert.ok(seen.includes('k="v0"'));
    assert.equal(r.gatherSync()[0]!.points.length, 999);
    assert.equal((c as unknown as { _readers: unknown })._readers, null, 'reader detached');
  });

  it('series updated, created and removed while it runs: every body stays consistent', async () => {
    const r = createRegistry({ gatherSliceMs: 0, maxSeries: 100_000 });
    const h = r.histogram({ name: 'h', help: 'H.', labelNames: ['k'], buckets: [0.5, 1, 5] });
    const c = r.counter({ name: 'c', help: 'C.', labelNames: ['k'] });
    const total = 3_000;
    for (let i = 0; i < total; i++) {
      h.observe({ k: `v${i}` }, i % 7);
      c.inc({ k: `v${i}` });
    }
    const removed = new Set<string>();
    let next = total;
    const { families, turns } = await gatherCountingTurns(
      () => r.gather(),
      (turn) => {
        for (let j = 0; j < 50; j++) {
          const k = `v${(turn * 97 + j * 31) % total}`;
          h.observe({ k }, j % 9);
          c.inc({ k }, 2);
        }
        const gone = `v${(turn * 13) % total}`;
        if (h.remove({ k: gone })) removed.add(gone);
        c.remove({ k: gone });
        h.observe({ k: `v${next}` }, 1);
        next++;
      },
    );
    assert.ok(turns > 5, `turns: ${turns}`);
    for (const f of families) {
      const seen = keys(f);
      assert.equal(new Set(seen).size, seen.length, `${f.name}: no series twice`);
      if (f.type === 'histogram') {
        for (const p of f.points) {
          assert.equal(p.cumulative[p.cumulative.length - 1], p.count, 'count equals +Inf');
          for (let b = 1; b < p.cumulative.length; b++) {
            assert.ok(p.cumulative[b]! >= p.cumulative[b - 1]!, 'cumulative');
          }
        }
      }
      // Every series that lived through the whole gather is there.
      for (let i = 0; i < total; i++) {
        const k = `v${i}`;
        if (!removed.has(k)) assert.ok(seen.includes(`k="${k}"`), `${f.name}: ${k} missing`);
      }
    }
  });

  it('gatherSliceMs must be a finite number >= 0', () => {
    for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY, '4']) {
      throwsCode(
        () => createRegistry({ gatherSliceMs: bad as number }),
        'TT_INVALID_OPTION',
        'gatherSliceMs',
      );
    }
    assert.ok(createRegistry({ gatherSliceMs: 0 }));
  });
});
