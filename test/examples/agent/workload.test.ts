// The agent's load generator: the deterministic message mix, the rate, bounded concurrency without a queue, stop and abort.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  startWorkload,
  type WorkloadMessage,
  workloadMessage,
  workloadMix,
} from '../../../examples/agent/workload.js';

const strip = (m: WorkloadMessage) => (m.type === 'put' ? { ...m, value: { n: m.value.n } } : m);

describe('workload', { concurrency: true }, () => {
  test('the message sequence is fixed: 4 puts, 5 gets, 1 delete per 10, keys rotating over the key space', () => {
    const first = Array.from({ length: 10 }, (_, i) => strip(workloadMessage(i)));
    assert.deepEqual(first, [
      { type: 'put', key: 'wl-0', value: { n: 0 } },
      { type: 'get', key: 'wl-7' },
      { type: 'put', key: 'wl-14', value: { n: 2 } },
      { type: 'get', key: 'wl-5' },
      { type: 'get', key: 'wl-12' },
      { type: 'put', key: 'wl-3', value: { n: 5 } },
      { type: 'get', key: 'wl-10' },
      { type: 'delete', key: 'wl-1' },
      { type: 'put', key: 'wl-8', value: { n: 8 } },
      { type: 'get', key: 'wl-15' },
    ]);
    const keys = new Set(Array.from({ length: 160 }, (_, i) => workloadMessage(i).key));
    assert.equal(keys.size, 16);
    assert.deepEqual(workloadMix(100), { put: 40, get: 50, delete: 10 });
    assert.deepEqual(workloadMix(13), { put: 6, get: 6, delete: 1 });
    assert.equal(workloadMessage(5, 4).key, 'wl-3');
  });

  test('sends at the rate, in sequence order, and stop() waits for the sends in flight', async () => {
    const got: WorkloadMessage[] = [];
    const wl = startWorkload({
      rate: 100,
      send: async (m) => {
        got.push(m);
        await sleep(5);
      },
    });
    const t0 = performance.now();
    await sleep(600);
    await wl.stop();
    const elapsed = performance.now() - t0;
    const n = got.length;
    // 100/s for ~0.6 s: about 60 (the first is due at once). Loose bounds for a shared 2-core machine.
    assert.ok(n >= 40 && n <= Math.ceil(elapsed / 10) + 2, `sent ${n} in ${elapsed.toFixed(0)} ms`);
    assert.equal(wl.sent(), n, 'every send resolved before stop() did');
    assert.equal(wl.failed(), 0);
    assert.equal(wl.skipped(), 0);
    assert.deepEqual(
      got.map(strip),
      Array.from({ length: n }, (_, i) => strip(workloadMessage(i))),
    );
    await sleep(100);
    assert.equal(got.length, n, 'nothing is sent after stop()');
    assert.equal(await wl.stop(), undefined, 'stop() is idempotent');
  });

  test('at most `concurrency` sends are in flight; messages due meanwhile are skipped, not queued', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    const release: Array<() => void> = [];
    const wl = startWorkload({
      rate: 200,
      concurrency: 3,
      send: () => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        return new Promise<void>((resolve) =>
          release.push(() => {
            inFlight--;
            resolve();
          }),
        );
      },
    });
    await sleep(300);
    assert.equal(maxInFlight, 3);
    assert.equal(release.length, 3, 'no queue behind the three stuck sends');
    const skippedWhileStuck = wl.skipped();
    assert.ok(skippedWhileStuck >= 20, `skipped ${skippedWhileStuck}`);
    for (const r of release.splice(0)) r();
    await sleep(100);
    assert.ok(wl.sent() >= 3);
    const stopping = wl.stop();
    for (const r of release.splice(0)) r();
    await stopping;
    assert.equal(inFlight, 0);
    assert.equal(maxInFlight, 3);
  });

  test('a failing send is counted and reported; an aborted signal stops the workload', async () => {
    const errors: string[] = [];
    const abort = new AbortController();
    let calls = 0;
    const wl = startWorkload({
      rate: 100,
      signal: abort.signal,
      send: async () => {
        calls++;
        if (calls % 2 === 0) throw new Error(`boom ${calls}`);
      },
      onError: (err, msg) => errors.push(`${(err as Error).message} ${msg.type}`),
    });
    await sleep(200);
    abort.abort();
    await wl.stop();
    const total = calls;
    assert.ok(total >= 6, `calls ${total}`);
    assert.equal(wl.sent() + wl.failed(), total);
    assert.equal(wl.failed(), Math.floor(total / 2));
    assert.equal(errors[0], 'boom 2 get');
    await sleep(100);
    assert.equal(calls, total, 'abort stopped it');

    const pre = new AbortController();
    pre.abort();
    let never = 0;
    const idle = startWorkload({ rate: 100, signal: pre.signal, send: async () => void never++ });
    await sleep(50);
    await idle.stop();
    assert.equal(never, 0, 'an already-aborted signal sends nothing');
  });

  test('bad options throw', () => {
    const send = async () => {};
    assert.throws(() => startWorkload({ rate: 0, send }), /rate must be > 0/);
    assert.throws(() => startWorkload({ rate: Number.NaN, send }), /rate must be > 0/);
    assert.throws(() => startWorkload({ rate: 1, send, keys: 0 }), /keys/);
    assert.throws(() => startWorkload({ rate: 1, send, concurrency: 1.5 }), /concurrency/);
  });
});
