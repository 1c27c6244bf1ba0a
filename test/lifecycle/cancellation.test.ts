// The cancellation tree: parents cancel descendants with the same reason, children never cancel parents, no listener leaks.
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { test } from 'node:test';
import { TelltaleError } from '../../src/internal/errors.js';
import { createCancellation, createLifecycle } from '../../src/lifecycle/index.js';

test('cancelling a parent cancels children and grandchildren, with the same reason', () => {
  const root = createCancellation({ name: 'service' });
  const a = root.child('gc');
  const a1 = a.child('fast');
  const a2 = a.child('comprehensive');
  const b = root.child('other');
  assert.equal(a1.path, 'service/gc/fast');
  const seen: string[] = [];
  for (const n of [root, a, a1, a2, b]) n.signal.addEventListener('abort', () => seen.push(n.path));
  const reason = new Error('shutting down');
  root.cancel(reason);
  for (const n of [root, a, a1, a2, b]) {
    assert.equal(n.cancelled, true, n.path);
    assert.equal(n.signal.reason, reason, n.path);
  }
  // Every listener ran before cancel() returned (a child's own listener on its parent was added
  // when the child was made, so descendants that existed earlier see the abort first).
  assert.deepEqual(seen.sort(), [
    'service',
    'service/gc',
    'service/gc/comprehensive',
    'service/gc/fast',
    'service/other',
  ]);
});

test('cancelling a child leaves its parent and siblings running', () => {
  const root = createCancellation({ name: 'service' });
  const a = root.child('a');
  const a1 = a.child('a1');
  const b = root.child('b');
  a.cancel('a done');
  assert.equal(a.signal.reason, 'a done');
  assert.equal(a1.signal.reason, 'a done');
  assert.equal(root.cancelled, false);
  assert.equal(b.cancelled, false);
  // A later root cancel still reaches the sibling; the first reason of `a` is kept.
  root.cancel('bye');
  assert.equal(b.signal.reason, 'bye');
  assert.equal(a.signal.reason, 'a done');
});

test('default reason is an AbortError; a child of a cancelled node starts cancelled', () => {
  const root = createCancellation({ name: 'service' });
  root.cancel();
  assert.equal((root.signal.reason as Error).name, 'AbortError');
  const late = root.child('late');
  assert.equal(late.cancelled, true);
  assert.equal(late.signal.reason, root.signal.reason);
});

test('an external AbortSignal can be the root parent', () => {
  const ac = new AbortController();
  const root = createCancellation({ name: 'service', signal: ac.signal });
  const c = root.child('c');
  ac.abort('external');
  assert.equal(c.signal.reason, 'external');
});

test('no listener leaks: 10,000 disposed or cancelled children leave the parent with no listeners', () => {
  const root = createCancellation({ name: 'service' });
  for (let i = 0; i < 5000; i++) root.child(`run-${i}`).dispose();
  for (let i = 0; i < 5000; i++) root.child(`run-${i}`).cancel();
  assert.equal(getEventListeners(root.signal, 'abort').length, 0);
  const kept = root.child('kept');
  assert.equal(getEventListeners(root.signal, 'abort').length, 1);
  kept.dispose();
  kept.dispose();
  assert.equal(getEventListeners(root.signal, 'abort').length, 0);
  // A disposed child no longer follows its parent, and its own children still follow it.
  const d = root.child('d');
  const d1 = d.child('d1');
  d.dispose();
  root.cancel();
  assert.equal(d.cancelled, false);
  d.cancel('own');
  assert.equal(d1.signal.reason, 'own');
});

test('lifecycle.child(): aborts at shutdown with TT_SHUTTING_DOWN, after readiness turned 503', async () => {
  const order: string[] = [];
  const lifecycle = createLifecycle({
    drainDelayMs: 0,
    exit: (code) => order.push(`exit ${code}`),
    health: { setDraining: () => order.push('draining'), setStopped: () => order.push('stopped') },
  });
  const hb = lifecycle.child('heartbeat');
  const fast = hb.child('fast');
  fast.signal.addEventListener('abort', () => order.push('fast aborted'));
  const p = lifecycle.shutdown('SIGTERM');
  assert.deepEqual(order, ['draining', 'fast aborted']); // both synchronous
  assert.ok(lifecycle.signal.aborted);
  const reason = fast.signal.reason as TelltaleError;
  assert.ok(reason instanceof TelltaleError);
  assert.equal(reason.code, 'TT_SHUTTING_DOWN');
  assert.match(reason.message, /SIGTERM/);
  await p;
  assert.deepEqual(order, ['draining', 'fast aborted', 'stopped', 'exit 0']);
});

test('bad names throw TT_INVALID_OPTION', () => {
  const isInvalid = (err: unknown) =>
    err instanceof TelltaleError && err.code === 'TT_INVALID_OPTION';
  assert.throws(() => createCancellation({ name: '' }), isInvalid);
  assert.throws(() => createCancellation({ name: 'x' }).child(''), isInvalid);
  assert.throws(() => createCancellation({ name: 'x', signal: {} as AbortSignal }), isInvalid);
  // The positional form of before issue 12 is refused, not read as an empty name.
  assert.throws(() => createCancellation('service' as never), isInvalid);
  assert.throws(() => createCancellation(undefined as never), isInvalid);
});
