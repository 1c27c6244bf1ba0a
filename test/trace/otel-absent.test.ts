// Without @opentelemetry/api installed (resolution fails in a child process), spans, request spans and log fields still work.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { spawnNodeTs } from '../helpers/index.js';

it('spans work when the optional peer @opentelemetry/api is missing', async (t) => {
  const child = spawnNodeTs('test/trace/fixtures/otel-absent.ts');
  t.after(() => child.stop());
  const [line] = await child.waitForLine(/^\{.*\}$/, 20_000);
  assert.deepEqual(JSON.parse(line ?? ''), {
    parentOk: true,
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    status: 'ok',
    attempts: 1,
  });
  assert.deepEqual(await child.exited, { code: 0, signal: null });
});
