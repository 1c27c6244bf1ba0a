// A million distinct label values keep a metric at 1,001 series and the heap flat (child process with --expose-gc).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';

const PROBE = `
const { createRegistry } = await import('telltale/metrics');
const r = createRegistry();
const c = r.counter({ name: 'requests_total', help: 'R.', labelNames: ['user'] });
const h = r.histogram({ name: 'latency_seconds', help: 'L.', labelNames: ['user'] });
const heap = () => { globalThis.gc(); globalThis.gc(); return process.memoryUsage().heapUsed; };
const run = (from, to) => { for (let i = from; i < to; i++) { c.inc({ user: 'u' + i }); h.observe({ user: 'u' + i }, 0.01); } };
run(0, 10_000);
r.gatherSync();
const at10k = heap();
run(10_000, 1_000_000);
r.gatherSync();
const at1m = heap();
const overflow = r.get('telltale_series_overflow').get({ metric: 'requests_total' });
console.log(JSON.stringify({ at10k, at1m, series: c.seriesCount, hseries: h.seriesCount, overflow,
  folded: c.get({ user: '__overflow__' }) }));
`;

describe('memory under unbounded label values', () => {
  it('1,000,000 distinct values: 1,001 series and flat heap', { timeout: 120_000 }, () => {
    const res = spawnSync(
      process.execPath,
      [
        '--expose-gc',
        '--conditions=telltale-source',
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        PROBE,
      ],
      { encoding: 'utf8', timeout: 110_000 },
    );
    assert.equal(res.status, 0, res.stderr);
    const out = JSON.parse(res.stdout.trim().split('\n').at(-1)!);
    const growth = out.at1m - out.at10k;
    console.log(
      `heapUsed after gc: ${(out.at10k / 2 ** 20).toFixed(2)} MiB at 10k, ${(out.at1m / 2 ** 20).toFixed(2)} MiB at 1M; growth ${(growth / 2 ** 20).toFixed(3)} MiB`,
    );
    assert.equal(out.series, 1001);
    assert.equal(out.hseries, 1001);
    assert.equal(out.overflow, 999_000);
    assert.equal(out.folded, 999_000);
    assert.ok(growth < 8 * 2 ** 20, `heap grew by ${growth} bytes`);
  });
});
