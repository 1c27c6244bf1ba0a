// Nothing is registered, and no timer or registry is created, by importing telltale/metrics; the default registry is lazy.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';

// Runs in a fresh process, so nothing else has touched the module state first. Counts the Maps
// constructed (a registry builds several) before and after import and around defaultRegistry().
const PROBE = `
const RealMap = globalThis.Map;
let maps = 0;
globalThis.Map = class extends RealMap { constructor(...a) { super(...a); maps++; } };
const m = await import('telltale/metrics');
const afterImport = maps;
// tsx's loader holds pipes and ports of its own; timers are what a library could leave behind.
const timers = process.getActiveResourcesInfo().filter((r) => r === 'Timeout' || r === 'Immediate');
const r1 = m.defaultRegistry();
const afterFirst = maps;
const r2 = m.defaultRegistry();
const afterSecond = maps;
const instruments = r1.instruments().length;
const families = (await r1.gather()).length;
r1.counter({ name: 'x_total', help: 'X.' });
console.log(JSON.stringify({
  timers, afterImport, afterFirst, afterSecond, same: r1 === r2,
  instruments, families, afterRegister: m.defaultRegistry().instruments().map((i) => i.name),
  fresh: m.createRegistry().instruments().length,
}));
`;

describe('default registry', () => {
  it('importing registers nothing and starts nothing; the default registry is created on first call', () => {
    const res = spawnSync(
      process.execPath,
      ['--conditions=telltale-source', '--import', 'tsx', '--input-type=module', '-e', PROBE],
      { encoding: 'utf8', timeout: 60_000 },
    );
    assert.equal(res.status, 0, res.stderr);
    const out = JSON.parse(res.stdout.trim().split('\n').at(-1)!);
    assert.deepEqual(out.timers, [], 'no timers after import');
    assert.ok(
      out.afterFirst > out.afterImport,
      'the first defaultRegistry() call builds the registry',
    );
    assert.equal(out.afterSecond, out.afterFirst, 'the second call builds nothing');
    assert.equal(out.same, true);
    assert.equal(out.instruments, 0);
    assert.equal(out.families, 0);
    assert.deepEqual(out.afterRegister, ['x']);
    assert.equal(out.fresh, 0);
  });
});
