// raceTimeout: the one timeout race behind collect callbacks, shutdown hooks, periodic runs and health checks; driven by a fake clock.
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { describe, it } from 'node:test';
import { raceTimeout, TIMED_OUT } from '../../src/internal/timeout.js';
import { FakeClock } from './fake-clock.js';

/** A promise and the functions that settle it. */
function deferred<T>(): {
  promise: Promise<T>;
  resolve: (v: T) => void;
  reject: (e: unknown) => void;
} {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('raceTimeout', () => {
  it('resolves with the value when the work settles first, and clears the timer', async () => {
    const clock = new FakeClock();
    let fired = 0;
    const race = raceTimeout(Promise.resolve(42), 50, { clock, onTimeout: () => fired++ });
    assert.deepEqual(clock.pending(), [50]);
    assert.equal(await race, 42);
    assert.deepEqual(clock.pending(), [], 'the timer is cleared once the work settled');
    assert.equal(clock.advance(1000), 0);
    assert.equal(fired, 0);
  });

  it('resolves TIMED_OUT after onTimeout when the timer fires first, at exactly ms', async () => {
    const clock = new FakeClock(0);
    const order: string[] = [];
    const work = deferred<number>();
    const race = raceTimeout(work.promise, 10, {
      clock,
      onTimeout: () => order.push(`onTimeout at ${clock.now()}`),
    });
    assert.equal(clock.advance(9), 0, 'nothing fires at 9 ms');
    assert.equal(clock.advance(1), 1);
    const r = await race;
    order.push('resolved');
    assert.equal(r, TIMED_OUT);
    assert.deepEqual(order, ['onTimeout at 10', 'resolved']);
    work.resolve(7); // too late: changes nothing
    assert.equal(await race, TIMED_OUT);
  });

  it('a rejection before the timer rejects; one after it is handled (no unhandled rejection)', async () => {
    const clock = new FakeClock();
    const early = deferred<void>();
    const first = raceTimeout(early.promise, 50, { clock });
    early.reject(new Error('boom'));
    await assert.rejects(first, /^Error: boom$/);
    assert.deepEqual(clock.pending(), []);

    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const late = deferred<void>();
      const race = raceTimeout(late.promise, 5, { clock });
      clock.advance(5);
      assert.equal(await race, TIMED_OUT);
      late.reject(new Error('too late'));
      // Two turns of the event loop: an unhandled rejection is reported after the microtasks.
      await new Promise((resolve) => setImmediate(resolve));
      await new Promise((resolve) => setImmediate(resolve));
      assert.deepEqual(unhandled, []);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('rejects with the reason when the signal aborts first; the timer and the listener go', async () => {
    const clock = new FakeClock();
    const ac = new AbortController();
    let fired = 0;
    const race = raceTimeout(new Promise<never>(() => {}), 100, {
      clock,
      signal: ac.signal,
      onTimeout: () => fired++,
    });
    const reason = new Error('stopped');
    ac.abort(reason);
    await assert.rejects(race, (err) => err === reason);
    assert.deepEqual(clock.pending(), []);
    assert.equal(clock.advance(1000), 0);
    assert.equal(fired, 0, 'onTimeout does not run after the signal ended the race');
  });

  it('an already aborted signal rejects at once, without waiting for the work', async () => {
    const clock = new FakeClock();
    const reason = new Error('already');
    const race = raceTimeout(new Promise<never>(() => {}), 100, {
      clock,
      signal: AbortSignal.abort(reason),
    });
    await assert.rejects(race, (err) => err === reason);
    assert.deepEqual(clock.pending(), []);
  });

  it('removes its abort listener when the work or the timer ends the race (no leak on a long-lived signal)', async () => {
    const clock = new FakeClock();
    const { signal } = new AbortController();
    const race = raceTimeout(Promise.resolve(1), 10, { clock, signal });
    assert.equal(getEventListeners(signal, 'abort').length, 1);
    assert.equal(await race, 1);
    assert.equal(getEventListeners(signal, 'abort').length, 0);
    for (let i = 0; i < 3; i++) {
      assert.equal(await raceTimeout(Promise.resolve(i), 10, { clock, signal }), i);
    }
    const timedOut = raceTimeout(new Promise<never>(() => {}), 10, { clock, signal });
    clock.advance(10);
    assert.equal(await timedOut, TIMED_OUT);
    assert.equal(getEventListeners(signal, 'abort').length, 0);
  });

  it('an abort inside onTimeout does not turn the timeout into a rejection', async () => {
    const clock = new FakeClock();
    const ac = new AbortController();
    const race = raceTimeout(new Promise<never>(() => {}), 20, {
      clock,
      signal: ac.signal,
      onTimeout: () => ac.abort(new Error('timed out')),
    });
    clock.advance(20);
    assert.equal(await race, TIMED_OUT);
    assert.equal(ac.signal.aborted, true);
  });

  it('uses the global timers without a clock (a 0 ms timer against a never-settling promise)', async () => {
    assert.equal(await raceTimeout(new Promise<never>(() => {}), 0), TIMED_OUT);
    assert.equal(await raceTimeout(Promise.resolve('v'), 0), 'v');
  });
});
