// BoundedQueue: FIFO order across the ring's wrap, both overflow policies with exact drop counts and onDrop, drain, clear, and option checks.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TelltaleError } from '../../src/internal/errors.js';
import { BoundedQueue, type OverflowPolicy } from '../../src/internal/queue.js';

/** A queue of numbers whose onDrop records what it dropped. */
function recording(
  capacity: number,
  overflow: OverflowPolicy,
): { q: BoundedQueue<number>; dropped: number[] } {
  const dropped: number[] = [];
  return { q: new BoundedQueue({ capacity, overflow, onDrop: (n) => dropped.push(n) }), dropped };
}

describe('BoundedQueue', () => {
  it('is first in, first out, across many wraps of the ring', () => {
    const q = new BoundedQueue<number>({ capacity: 3, overflow: 'reject-new' });
    const out: number[] = [];
    for (let i = 0; i < 10; i++) {
      assert.equal(q.push(i), true);
      if (i % 2 === 1) out.push(q.shift() as number, q.shift() as number);
    }
    assert.deepEqual(out, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.equal(q.length, 0);
    assert.equal(q.shift(), undefined);
    assert.equal(q.peek(), undefined);
    assert.equal(q.dropped, 0);
  });

  it('drop-oldest: a push into a full queue evicts the head, counts it and passes it to onDrop', () => {
    const dropped: string[] = [];
    const q = new BoundedQueue<string>({
      capacity: 3,
      overflow: 'drop-oldest',
      onDrop: (item) => dropped.push(`${item}@${q.dropped}`),
    });
    for (const s of ['a', 'b', 'c', 'd', 'e']) assert.equal(q.push(s), true);
    assert.equal(q.length, 3);
    assert.equal(q.dropped, 2);
    assert.deepEqual(dropped, ['a@1', 'b@2'], 'onDrop runs after the drop was counted');
    assert.equal(q.peek(), 'c');
    assert.deepEqual(q.drain(), ['c', 'd', 'e']);
  });

  it('reject-new: a push into a full queue refuses the item, counts it and keeps what it holds', () => {
    const { q, dropped } = recording(2, 'reject-new');
    assert.deepEqual(
      [1, 2, 3, 4].map((n) => q.push(n)),
      [true, true, false, false],
    );
    assert.equal(q.dropped, 2);
    assert.deepEqual(dropped, [3, 4]);
    assert.equal(q.shift(), 1);
    assert.equal(q.push(5), true);
    assert.deepEqual(q.drain(), [2, 5]);
    assert.equal(q.dropped, 2);
  });

  it('drain(max) takes the oldest max items; clear() empties without counting drops', () => {
    const { q, dropped } = recording(4, 'drop-oldest');
    for (let i = 1; i <= 6; i++) q.push(i); // holds 3, 4, 5, 6 (head wrapped to slot 2)
    assert.deepEqual(q.drain(3), [3, 4, 5]);
    assert.deepEqual(q.drain(0), []);
    assert.deepEqual(q.drain(10), [6]);
    for (let i = 7; i <= 9; i++) q.push(i);
    assert.equal(q.clear(), 3);
    assert.equal(q.length, 0);
    assert.deepEqual(dropped, [1, 2]);
    assert.equal(q.dropped, 2);
    q.push(10);
    assert.deepEqual(q.drain(), [10], 'usable after clear');
  });

  it('throws TT_INVALID_OPTION on an invalid capacity, policy, onDrop or drain max', () => {
    const bad: [unknown, string][] = [
      [
        { capacity: 0, overflow: 'drop-oldest' },
        'queue capacity must be an integer from 1 to 1048576, got 0',
      ],
      [
        { capacity: 1.5, overflow: 'drop-oldest' },
        'queue capacity must be an integer from 1 to 1048576, got 1.5',
      ],
      [
        { capacity: 2 ** 20 + 1, overflow: 'drop-oldest' },
        'queue capacity must be an integer from 1 to 1048576, got 1048577',
      ],
      [
        { capacity: 2, overflow: 'block' },
        "queue overflow must be 'drop-oldest' or 'reject-new', got block",
      ],
      [{ capacity: 2, overflow: 'reject-new', onDrop: 5 }, 'queue onDrop must be a function'],
    ];
    for (const [options, message] of bad) {
      assert.throws(
        () => new BoundedQueue(options as never),
        (err: unknown) =>
          err instanceof TelltaleError &&
          err.code === 'TT_INVALID_OPTION' &&
          err.message === `TT_INVALID_OPTION: ${message}`,
        message,
      );
    }
    const q = new BoundedQueue<number>({ capacity: 1, overflow: 'reject-new' });
    for (const max of [-1, 0.5, Number.NaN]) {
      assert.throws(() => q.drain(max), /^TelltaleError: TT_INVALID_OPTION: queue drain\(max\)/);
    }
    assert.equal(new BoundedQueue({ capacity: 2 ** 20, overflow: 'reject-new' }).capacity, 2 ** 20);
  });
});
