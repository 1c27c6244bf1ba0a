// raceTimeout: the one timeout race behind collect callbacks and shutdown hooks.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { raceTimeout, TIMED_OUT } from '../../src/internal/timeout.js';

describe('raceTimeout', () => {
  it('resolves with the value when the work settles first, and clears the timer', async () => {
    let fired = 0;
    const r = await raceTimeout(Promise.resolve(42), 50, () => fired++);
    assert.equal(r, 42);
    await new Promise((resolve) => setTimeout(resolve, 80));
    assert.equal(fired, 0, 'onTimeout never runs after the work settled');
  });

  it('resolves TIMED_OUT after onTimeout when the timer fires first', async () => {
    const order: string[] = [];
    const never = new Promise<number>(() => {});
    const r = await raceTimeout(never, 10, () => order.push('onTimeout'));
    order.push('resolved');
    assert.equal(r, TIMED_OUT);
    assert.deepEqual(order, ['onTimeout', 'resolved']);
  });

  it('a rejection before the timer rejects; one after it is handled (no unhandled rejection)', async () => {
    await assert.rejects(raceTimeout(Promise.reject(new Error('boom')), 50), /boom/);
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      let rejectLater: (e: Error) => void = () => {};
      const late = new Promise<void>((_, reject) => {
        rejectLater = reject;
      });
      assert.equal(await raceTimeout(late, 5), TIMED_OUT);
      rejectLater(new Error('too late'));
      await new Promise((resolve) => setTimeout(resolve, 20));
      assert.deepEqual(unhandled, []);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
