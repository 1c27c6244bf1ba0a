// The agent against hostile clients over real sockets: deeply nested JSON over HTTP and a peer WebSocket gets 4xx and never counts as a storage error.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { getValue } from 'telltale/testing';
import WebSocket from 'ws';
import { type Agent, startAgent } from '../../../examples/agent/agent.js';
import { loadConfig } from '../../../examples/agent/config.js';
import { DEFAULT_MAX_DEPTH } from '../../../examples/agent/handler.js';
import { makeTempDir, removeTempDir } from '../../helpers/tmp.js';

type T = { after(fn: () => unknown): void };

async function start(t: T): Promise<Agent> {
  const dir = await makeTempDir('agent-hostile');
  t.after(() => removeTempDir(dir));
  const agent = await startAgent(
    loadConfig({ cwd: dir, env: { AGENT_PORT: '0', METRICS_PORT: '0', LOG_LEVEL: 'silent' } }),
  );
  t.after(() => agent.stop());
  return agent;
}

/** Every series of the storage counters, as `name{operation}` → value. */
function storageCounters(agent: Agent): Record<string, number> {
  const out: Record<string, number> = {};
  for (const name of ['storage_operations_total', 'storage_operation_errors_total']) {
    for (const operation of ['get', 'put', 'delete']) {
      out[`${name}{${operation}}`] = getValue(agent.registry, name, {
        operation,
        backend: 'local',
      });
    }
  }
  return out;
}

/** A put whose value is `depth` levels of arrays (`[[…]]`) or objects (`{"a":{…}}`); the message adds one level. */
function nestedPut(depth: number, kind: 'array' | 'object'): string {
  const value =
    kind === 'array'
      ? `${'['.repeat(depth)}${']'.repeat(depth)}`
      : `${'{"a":'.repeat(depth - 1)}{"a":1}${'}'.repeat(depth - 1)}`;
  return `{"type":"put","key":"deep","value":${value}}`;
}

// Before the fix, around 4,100 levels JSON.stringify overflowed in the handler (500, and a peer
// got "internal error"), and in a narrow window (4,113 here) inside storage instead (503 and a
// storage error). Every depth from 4,100 to 4,130 is sent, so the window is covered.
const DEPTHS = [
  1_000,
  2_000,
  4_000,
  ...Array.from({ length: 31 }, (_, i) => 4_100 + i),
  4_200,
  5_000,
  10_000,
  30_000,
  100_000,
];
const TOO_DEEP = `message is nested deeper than the limit of ${DEFAULT_MAX_DEPTH} levels of arrays and objects`;

describe('deeply nested JSON', () => {
  test('over HTTP: every depth from 1,000 to 100,000 gets 4xx with a clear error; storage counters exactly unchanged', async (t) => {
    const agent = await start(t);
    const before = storageCounters(agent);
    let tooDeep = 0;
    for (const depth of DEPTHS) {
      for (const kind of ['array', 'object'] as const) {
        const body = nestedPut(depth, kind);
        const res = await fetch(`${agent.apiUrl}/messages`, { method: 'POST', body });
        const answer = (await res.json()) as { ok: boolean; error: string };
        const label = `${kind} depth ${depth} (${body.length} bytes)`;
        if (body.length > 65_536) {
          assert.equal(res.status, 413, label);
          assert.equal(answer.error, 'request body is larger than the limit of 65536 bytes', label);
        } else {
          assert.equal(res.status, 422, label);
          assert.equal(answer.error, TOO_DEEP, label);
          tooDeep++;
        }
        assert.equal(answer.ok, false, label);
      }
    }
    // Over 64 KiB (the body limit, 413): arrays 100,000 deep, objects 30,000 and 100,000 deep.
    const fit = 2 * DEPTHS.length - 3;
    assert.equal(tooDeep, fit, 'the bodies that fit in 64 KiB');
    assert.deepEqual(storageCounters(agent), before, 'no storage operation, no storage error');
    assert.equal(getValue(agent.registry, 'messages_rejected_total', { reason: 'too_deep' }), fit);
    assert.equal(
      getValue(agent.registry, 'messages_rejected_total', { reason: 'storage_error' }),
      0,
    );
    // The limit itself: the message is level 1, so a value DEFAULT_MAX_DEPTH - 1 deep is accepted.
    const atLimit = await fetch(`${agent.apiUrl}/messages`, {
      method: 'POST',
      body: nestedPut(DEFAULT_MAX_DEPTH - 1, 'array'),
    });
    assert.equal(atLimit.status, 200);
    const over = await fetch(`${agent.apiUrl}/messages`, {
      method: 'POST',
      body: nestedPut(DEFAULT_MAX_DEPTH, 'array'),
    });
    assert.equal(over.status, 422);
    const kv = (await (await fetch(`${agent.apiUrl}/kv/deep`)).json()) as { value: unknown };
    const n = DEFAULT_MAX_DEPTH - 1;
    assert.equal(JSON.stringify(kv.value), `${'['.repeat(n)}${']'.repeat(n)}`);
  });

  test('over a peer WebSocket: every depth from 1,000 to 100,000 gets a 422 reply, the connection stays open, storage counters exactly unchanged', async (t) => {
    const agent = await start(t);
    const before = storageCounters(agent);
    const ws = new WebSocket(`${agent.apiUrl.replace('http', 'ws')}/peers`);
    t.after(() => ws.terminate());
    await new Promise<void>((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    const replies = new Map<number, { id: number; ok: boolean; status: number; error: string }>();
    let waiting: (() => void) | undefined;
    ws.on('message', (data) => {
      const r = JSON.parse(data.toString()) as {
        id: number;
        ok: boolean;
        status: number;
        error: string;
      };
      replies.set(r.id, r);
      waiting?.();
    });
    let id = 0;
    for (const depth of DEPTHS) {
      for (const kind of ['array', 'object'] as const) {
        const frame = `{"id":${++id},${nestedPut(depth, kind).slice(1)}`;
        ws.send(frame);
      }
    }
    const deadline = Date.now() + 10_000;
    while (replies.size < id && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        waiting = resolve;
        setTimeout(resolve, 100);
      });
    }
    assert.equal(replies.size, id, 'every frame is answered');
    for (let i = 1; i <= id; i++) {
      assert.deepEqual(replies.get(i), { id: i, ok: false, status: 422, error: TOO_DEEP });
    }
    assert.equal(ws.readyState, WebSocket.OPEN, 'bad input is answered, not disconnected');
    assert.deepEqual(storageCounters(agent), before, 'no storage operation, no storage error');
    assert.equal(getValue(agent.registry, 'messages_rejected_total', { reason: 'too_deep' }), id);
  });
});
