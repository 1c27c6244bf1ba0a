// Real child processes: GC pauses counted by kind (--expose-gc), and a process whose collectors were stopped exits by itself.
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { describe, it } from 'node:test';
import { spawnNodeTs } from '../helpers/index.js';

describe('runtime collectors in a child process', { timeout: 60_000 }, () => {
  it('GC: forced collections are counted as major, with a positive duration', async (t) => {
    const child = spawnNodeTs('test/runtime/fixtures/gc-child.ts', { nodeFlags: ['--expose-gc'] });
    t.after(() => child.stop());
    const [, json] = await child.waitForLine(/^GC (.*)$/, 20_000);
    const { counts } = JSON.parse(json as string) as {
      counts: Record<string, { count: number; sum: number }>;
    };
    assert.deepEqual(Object.keys(counts).sort(), ['incremental', 'major', 'minor', 'weakcb']);
    assert.ok((counts['major']?.count ?? 0) >= 1, `major GCs: ${JSON.stringify(counts)}`);
    assert.ok((counts['major']?.sum ?? 0) > 0);
    t.diagnostic(`GC counts ${JSON.stringify(counts)}`);
    assert.deepEqual(await child.exited, { code: 0, signal: null });
  });

  it('stop leaves nothing behind: the process exits by itself within 2 s, resources as before', async (t) => {
    const child = spawnNodeTs('test/runtime/fixtures/stop-child.ts', {
      nodeFlags: ['--expose-gc'],
    });
    t.after(() => child.stop());
    const [, json] = await child.waitForLine(/^STOPPED (.*)$/, 20_000);
    const stoppedAt = performance.now();
    const result = JSON.parse(json as string) as {
      before: string[];
      after: string[];
      families: number;
      bytes: number;
      running: number | null;
      stopped: number | null;
    };
    assert.ok(result.bytes > 1000, 'the collectors produced a body before stop');
    assert.equal(result.families, 0, 'stop() unregistered every family');
    assert.deepEqual(result.after.sort(), result.before.sort());
    // The delay histogram's timer is unref'd, so the resource list cannot show it: count the
    // main thread's wake-ups over 500 ms instead (Linux). Running: about 50 (one per 10 ms tick).
    // Stopped: only the 500 ms sleep's own.
    if (result.running !== null && result.stopped !== null) {
      assert.ok(result.running >= 20, `wake-ups while running: ${result.running}`);
      assert.ok(result.stopped <= 8, `wake-ups after stop: ${result.stopped}`);
      t.diagnostic(
        `main-thread wake-ups in 500 ms: ${result.running} running, ${result.stopped} stopped`,
      );
    }
    const exit = await Promise.race([
      child.exited,
      new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 2000).unref()),
    ]);
    assert.deepEqual(exit, { code: 0, signal: null }, 'exited by itself within 2 s');
    t.diagnostic(`exited ${(performance.now() - stoppedAt).toFixed(0)} ms after stop`);
  });
});
