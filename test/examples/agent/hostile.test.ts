// The agent against hostile clients over real sockets: deeply nested JSON over HTTP and a peer WebSocket gets 4xx and never counts as a storage error; slowloris sockets are closed at the configured timeouts.

import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { describe, test } from 'node:test';
import { getValue } from 'telltale/testing';
import WebSocket from 'ws';
import { type Agent, startAgent } from '../../../examples/agent/agent.js';
import { loadConfig } from '../../../examples/agent/config.js';
import { DEFAULT_MAX_DEPTH } from '../../../examples/agent/handler.js';
import { makeTempDir, removeTempDir } from '../../helpers/tmp.js';

type T = { after(fn: () => unknown): void };

async function start(t: T, env: Record<string, string> = {}): Promise<Agent> {
  const dir = await makeTempDir('agent-hostile');
  t.after(() => removeTempDir(dir));
  const agent = await startAgent(
    loadConfig({
      cwd: dir,
      env: { AGENT_PORT: '0', METRICS_PORT: '0', LOG_LEVEL: 'silent', ...env },
    }),
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

/**
 * Opens a socket to `port`, writes `head` at once, then one byte of `drip` per second until the
 * server closes the socket or `giveUpMs` passes. Resolves with the time from connect to close (or
 * `undefined` if still open at `giveUpMs`) and what the server sent.
 */
function slowClient(
  port: number,
  head: string,
  drip: string,
  giveUpMs: number,
): Promise<{ closedAfterMs: number | undefined; received: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    let started = 0;
    let timer: NodeJS.Timeout | undefined;
    let sent = 0;
    const finish = (closedAfterMs: number | undefined): void => {
      clearInterval(timer);
      clearTimeout(giveUp);
      socket.destroy();
      resolve({ closedAfterMs, received });
    };
    const giveUp = setTimeout(() => finish(undefined), giveUpMs);
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => {
      received += d;
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      // A reset after the 408 counts as the close; anything before connecting is a failure.
      if (started === 0) reject(err);
    });
    socket.once('close', () => finish(started === 0 ? undefined : Date.now() - started));
    socket.once('connect', () => {
      started = Date.now();
      socket.write(head);
      timer = setInterval(() => {
        if (socket.writable) socket.write(drip[sent++ % drip.length] ?? 'x');
      }, 1000);
    });
  });
}

describe('slowloris', () => {
  test('a socket sending one header byte per second is closed with 408 within headersTimeoutMs + 1 s; one dripping its body, within requestTimeoutMs + 1 s; others are served meanwhile', async (t) => {
    const headersTimeoutMs = 2000;
    const requestTimeoutMs = 4000;
    const agent = await start(t, {
      AGENT_HEADERS_TIMEOUT_MS: String(headersTimeoutMs),
      AGENT_REQUEST_TIMEOUT_MS: String(requestTimeoutMs),
    });
    assert.equal(agent.server.headersTimeout, headersTimeoutMs);
    assert.equal(agent.server.requestTimeout, requestTimeoutMs);
    const headers = slowClient(
      agent.port,
      'GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ',
      'abcdefghijklmnopqrstuvwxyz',
      headersTimeoutMs + 3000,
    );
    const body = slowClient(
      agent.port,
      'POST /messages HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"type":"put","key":"slow","value":"',
      'x',
      requestTimeoutMs + 3000,
    );
    // Normal requests keep being answered while both drip.
    for (let i = 0; i < 3; i++) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      const res = await fetch(`${agent.apiUrl}/health/live`);
      assert.equal(res.status, 200);
    }
    const h = await headers;
    assert.ok(h.closedAfterMs !== undefined, `still open after ${headersTimeoutMs + 3000} ms`);
    assert.ok(
      h.closedAfterMs >= headersTimeoutMs - 100 && h.closedAfterMs <= headersTimeoutMs + 1000,
      `closed after ${h.closedAfterMs} ms, headersTimeoutMs ${headersTimeoutMs}`,
    );
    assert.match(h.received, /^HTTP\/1\.1 408 Request Timeout\r\n/);
    const b = await body;
    assert.ok(b.closedAfterMs !== undefined, `still open after ${requestTimeoutMs + 3000} ms`);
    assert.ok(
      b.closedAfterMs >= requestTimeoutMs - 100 && b.closedAfterMs <= requestTimeoutMs + 1000,
      `closed after ${b.closedAfterMs} ms, requestTimeoutMs ${requestTimeoutMs}`,
    );
    assert.match(b.received, /^HTTP\/1\.1 408 Request Timeout\r\n/);
    // The half-sent put never reached storage.
    assert.equal(
      getValue(agent.registry, 'storage_operations_total', { operation: 'put', backend: 'local' }),
      0,
    );
  });

  test('the defaults: headersTimeoutMs 10 s, requestTimeoutMs 30 s on the API server', async (t) => {
    const agent = await start(t);
    assert.equal(agent.server.headersTimeout, 10_000);
    assert.equal(agent.server.requestTimeout, 30_000);
  });
});
