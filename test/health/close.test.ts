// health.close() leaves nothing behind: a child process with the event-loop check and a hung check exits by itself once closed.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { spawnNodeTs } from '../helpers/index.js';

it('a process whose Health was probed and closed exits by itself within 2 s', async (t) => {
  const child = spawnNodeTs('test/health/fixtures/close-child.ts', { name: 'health close child' });
  t.after(() => child.stop());
  await child.waitForLine(/^live 200$/, 20_000);
  await child.waitForLine(/^ready 503$/, 5_000);
  const [line] = await child.waitForLine(/^closed at \d+$/, 5_000);
  const closedAt = Number(line.slice('closed at '.length));
  const timeout = new Promise<'timeout'>((r) => setTimeout(r, 2_000, 'timeout').unref());
  const exit = await Promise.race([child.exited, timeout]);
  assert.notEqual(exit, 'timeout', `still running 2 s after close\n${child.tail()}`);
  assert.deepEqual(exit, { code: 0, signal: null });
  assert.ok(Date.now() - closedAt < 2_000);
});
