// The agent's peer hub over real WebSockets: request/reply, garbage peers cut off alone, dialling with backoff, 1001 on close, the gauge.

import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import { createRegistry, type Registry } from 'telltale/metrics';
import WebSocket from 'ws';
import {
  CLOSE_GOING_AWAY,
  CLOSE_TOO_BIG,
  CLOSE_UNSUPPORTED_DATA,
  createPeerHub,
  type PeerHub,
  type PeerHubOptions,
} from '../../../examples/agent/peers.js';
import { pollUntil } from '../../helpers/wait.js';

interface Line {
  level: 'info' | 'warn' | 'error';
  fields: Record<string, unknown>;
  msg: string;
}

function captureLogger(): { lines: Line[]; info: never; warn: never; error: never } {
  const lines: Line[] = [];
  const at =
    (level: Line['level']) =>
    (a: Record<string, unknown> | string, b?: string): void => {
      lines.push(
        typeof a === 'string' ? { level, fields: {}, msg: a } : { level, fields: a, msg: b ?? '' },
      );
    };
  return {
    lines,
    info: at('info') as never,
    warn: at('warn') as never,
    error: at('error') as never,
  };
}

/** A stand-in for the agent's handler: an in-memory map with the agent's result shapes. */
function memoryHandler(): { seen: unknown[]; handle: (raw: unknown) => Promise<unknown> } {
  const data = new Map<string, unknown>();
  const seen: unknown[] = [];
  return {
    seen,
    handle: async (raw) => {
      seen.push(raw);
      const m = raw as { type?: string; key?: string; value?: unknown };
      if (typeof m?.key !== 'string') return { ok: false, status: 400, error: 'key is required' };
      if (m.type === 'put') {
        data.set(m.key, m.value);
        return { ok: true };
      }
      if (m.type === 'get') {
        return data.has(m.key)
          ? { ok: true, found: true, value: data.get(m.key) }
          : { ok: true, found: false };
      }
      if (m.type === 'delete') return { ok: true, found: data.delete(m.key) };
      if (m.type === 'throw') throw new Error('handler blew up');
      return { ok: false, status: 400, error: 'unknown type' };
    },
  };
}

interface Agent {
  server: Server;
  port: number;
  url: string;
  hub: PeerHub;
  registry: Registry;
  log: ReturnType<typeof captureLogger>;
  handler: ReturnType<typeof memoryHandler>;
  abort: AbortController;
  stop(): Promise<void>;
}

async function startHubServer(
  opts: {
    peers?: string[];
    port?: number;
    maxMessageBytes?: number;
    limits?: Pick<
      PeerHubOptions,
      'maxInFlight' | 'maxPeers' | 'idleTimeoutMs' | 'maxBufferedBytes'
    >;
    handle?: (raw: unknown) => Promise<unknown>;
  } = {},
): Promise<Agent> {
  const server = createServer((_req, res) => res.end('api'));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const registry = createRegistry();
  const log = captureLogger();
  const handler = memoryHandler();
  const abort = new AbortController();
  const hub = createPeerHub({
    server,
    handle: opts.handle ?? handler.handle,
    peers: opts.peers ?? [],
    ...opts.limits,
    registry,
    logger: log,
    signal: abort.signal,
    backoff: { initialDelayMs: 20, maxDelayMs: 100, jitter: 0.1 },
    ...(opts.maxMessageBytes === undefined ? {} : { maxMessageBytes: opts.maxMessageBytes }),
    closeTimeoutMs: 1000,
  });
  let stopped: Promise<void> | undefined;
  return {
    server,
    port,
    url: `ws://127.0.0.1:${port}/peers`,
    hub,
    registry,
    log,
    handler,
    abort,
    stop: () => {
      stopped ??= (async () => {
        abort.abort();
        await hub.close();
        server.closeAllConnections();
        await new Promise<void>((r) => server.close(() => r()));
      })();
      return stopped;
    },
  };
}

function gaugeValue(registry: Registry, name: string): number {
  const m = registry.get(name) as { get(labels?: Record<string, string>): number } | undefined;
  assert.ok(m, `${name} is registered`);
  return m.get();
}

function counterValue(registry: Registry, name: string, labels: Record<string, string>): number {
  const m = registry.get(name) as { get(labels: Record<string, string>): number } | undefined;
  assert.ok(m, `${name} is registered`);
  return m.get(labels);
}

/** A raw ws client with a queue of frames and a close promise. */
async function client(url: string): Promise<{
  ws: WebSocket;
  next(): Promise<unknown>;
  closed: Promise<{ code: number; reason: string }>;
}> {
  const ws = new WebSocket(url);
  const frames: unknown[] = [];
  const waiters: Array<(v: unknown) => void> = [];
  ws.on('message', (data) => {
    const v = JSON.parse(data.toString()) as unknown;
    const w = waiters.shift();
    if (w) w(v);
    else frames.push(v);
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return {
    ws,
    closed,
    next: () =>
      frames.length > 0
        ? Promise.resolve(frames.shift())
        : new Promise((resolve) => waiters.push(resolve)),
  };
}

describe('peer hub', { concurrency: true }, () => {
  test('an inbound peer: replies carry the id, the handler gets the message without it, the gauge counts the connection', async (t) => {
    const a = await startHubServer();
    t.after(() => a.stop());
    assert.equal(gaugeValue(a.registry, 'agent_peers_connected'), 0);
    const c = await client(a.url);
    t.after(() => c.ws.terminate());
    await pollUntil(() => (a.hub.connected() === 1 ? true : undefined), {
      description: 'hub sees the peer',
      timeoutMs: 2000,
      intervalMs: 5,
    });
    assert.equal(gaugeValue(a.registry, 'agent_peers_connected'), 1);

    c.ws.send(JSON.stringify({ id: 1, type: 'put', key: 'k', value: { x: 1 } }));
    assert.deepEqual(await c.next(), { id: 1, ok: true });
    c.ws.send(JSON.stringify({ id: 'two', type: 'get', key: 'k' }));
    assert.deepEqual(await c.next(), { id: 'two', ok: true, found: true, value: { x: 1 } });
    // Without an id the reply is the handler's result as is; a 4xx result does not disconnect.
    c.ws.send(JSON.stringify({ type: 'nope', key: 'k' }));
    assert.deepEqual(await c.next(), { ok: false, status: 400, error: 'unknown type' });
    // A handler that throws answers 500 and the connection stays.
    c.ws.send(JSON.stringify({ id: 3, type: 'throw', key: 'k' }));
    assert.deepEqual(await c.next(), { id: 3, ok: false, status: 500, error: 'internal error' });
    c.ws.send(JSON.stringify({ id: 4, type: 'delete', key: 'k' }));
    assert.deepEqual(await c.next(), { id: 4, ok: true, found: true });

    assert.deepEqual(a.handler.seen, [
      { type: 'put', key: 'k', value: { x: 1 } },
      { type: 'get', key: 'k' },
      { type: 'nope', key: 'k' },
      { type: 'throw', key: 'k' },
      { type: 'delete', key: 'k' },
    ]);
    assert.equal(counterValue(a.registry, 'agent_peer_messages_total', { direction: 'in' }), 5);
    assert.ok(
      a.log.lines.some((l) => l.level === 'error' && l.msg === 'Peer message handler failed'),
    );

    c.ws.close(1000);
    await c.closed;
    await pollUntil(() => (a.hub.connected() === 0 ? true : undefined), {
      description: 'hub sees the peer leave',
      timeoutMs: 2000,
      intervalMs: 5,
    });
    assert.equal(gaugeValue(a.registry, 'agent_peers_connected'), 0);
  });

  test('a peer sending garbage is disconnected (1003/1009) and logged; the other peer keeps working', async (t) => {
    const a = await startHubServer({ maxMessageBytes: 1024 });
    t.after(() => a.stop());
    const good = await client(a.url);
    t.after(() => good.ws.terminate());

    const cases = [
      {
        reason: 'not_json',
        code: CLOSE_UNSUPPORTED_DATA,
        send: (ws: WebSocket) => ws.send('{not json'),
      },
      {
        reason: 'binary',
        code: CLOSE_UNSUPPORTED_DATA,
        send: (ws: WebSocket) => ws.send(Buffer.from([1, 2, 3]), { binary: true }),
      },
      {
        reason: 'oversized',
        code: CLOSE_TOO_BIG,
        send: (ws: WebSocket) =>
          ws.send(JSON.stringify({ type: 'put', key: 'big', value: 'x'.repeat(2000) })),
      },
    ] as const;
    for (const [i, c] of cases.entries()) {
      const bad = await client(a.url);
      t.after(() => bad.ws.terminate());
      c.send(bad.ws);
      const closed = await bad.closed;
      assert.equal(closed.code, c.code, `${c.reason}: close code`);
      assert.equal(
        counterValue(a.registry, 'agent_peer_protocol_errors_total', { reason: c.reason }),
        1,
      );
      const warn = a.log.lines.filter(
        (l) => l.level === 'warn' && l.msg === 'Peer disconnected: it sent garbage',
      );
      assert.equal(warn.length, i + 1);
      assert.equal(warn.at(-1)?.fields.reason, c.reason);
      assert.equal(warn.at(-1)?.fields.direction, 'in');

      // The good peer is unaffected.
      good.ws.send(JSON.stringify({ id: i, type: 'put', key: `g${i}`, value: i }));
      assert.deepEqual(await good.next(), { id: i, ok: true });
    }
    await pollUntil(() => (a.hub.connected() === 1 ? true : undefined), {
      description: 'only the good peer is left',
      timeoutMs: 2000,
      intervalMs: 5,
    });
    assert.equal(gaugeValue(a.registry, 'agent_peers_connected'), 1);
    // Garbage never reached the handler.
    assert.deepEqual(
      a.handler.seen.map((m) => (m as { key: string }).key),
      ['g0', 'g1', 'g2'],
    );
  });

  test('an agent dials its peers, reconnects with backoff, and both sides can send', async (t) => {
    // B dials a port where nothing listens yet: it keeps retrying until A comes up there.
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));

    const b = await startHubServer({ peers: [`ws://127.0.0.1:${port}/peers`] });
    t.after(() => b.stop());
    await pollUntil(
      () =>
        b.log.lines.filter((l) => l.msg === 'Peer dial failed').length >= 2 ? true : undefined,
      { description: 'B retries the dial', timeoutMs: 3000, intervalMs: 5 },
    );
    assert.equal(b.hub.connected(), 0);

    let a = await startHubServer({ port });
    t.after(() => a.stop());
    await pollUntil(() => (a.hub.connected() === 1 && b.hub.connected() === 1 ? true : undefined), {
      description: 'B connects to A',
      timeoutMs: 3000,
      intervalMs: 5,
    });
    assert.equal(gaugeValue(a.registry, 'agent_peers_connected'), 1);
    assert.equal(gaugeValue(b.registry, 'agent_peers_connected'), 1);

    assert.deepEqual(await b.hub.request({ type: 'put', key: 'from-b', value: 'v' }), { ok: true });
    assert.deepEqual(await b.hub.request({ type: 'get', key: 'from-b' }), {
      ok: true,
      found: true,
      value: 'v',
    });
    assert.deepEqual(a.handler.seen, [
      { type: 'put', key: 'from-b', value: 'v' },
      { type: 'get', key: 'from-b' },
    ]);
    // The connection is symmetric: A can send over the connection B dialled.
    assert.deepEqual(await a.hub.request({ type: 'get', key: 'nothing' }), {
      ok: true,
      found: false,
    });
    assert.equal(counterValue(b.registry, 'agent_peer_messages_total', { direction: 'out' }), 2);
    assert.equal(counterValue(b.registry, 'agent_peer_messages_total', { direction: 'in' }), 1);

    // A goes away with 1001; B reconnects when A is back on the same port.
    await a.stop();
    await pollUntil(() => (b.hub.connected() === 0 ? true : undefined), {
      description: 'B sees A leave',
      timeoutMs: 3000,
      intervalMs: 5,
    });
    assert.ok(
      b.log.lines.some((l) => l.msg === 'Peer disconnected' && l.fields.code === CLOSE_GOING_AWAY),
    );
    a = await startHubServer({ port });
    t.after(() => a.stop());
    await pollUntil(() => (b.hub.connected() === 1 ? true : undefined), {
      description: 'B reconnects',
      timeoutMs: 3000,
      intervalMs: 5,
    });
    assert.deepEqual(await b.hub.request({ type: 'get', key: 'from-b' }), {
      ok: true,
      found: false,
    });

    // Aborting B's signal closes its dialled connection and stops the dialler.
    b.abort.abort();
    await pollUntil(() => (a.hub.connected() === 0 && b.hub.connected() === 0 ? true : undefined), {
      description: 'abort closes the outbound connection',
      timeoutMs: 3000,
      intervalMs: 5,
    });
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(a.hub.connected(), 0, 'no reconnection after abort');
  });

  test('maxInFlight is a hard limit per connection: a burst of 300 requests in one write runs at most 4 handlers at once, every one answered', async (t) => {
    let running = 0;
    let most = 0;
    const a = await startHubServer({
      limits: { maxInFlight: 4 },
      handle: async (raw) => {
        running++;
        most = Math.max(most, running);
        await new Promise((resolve) => setTimeout(resolve, 1));
        running--;
        return { ok: true, echo: (raw as { key: string }).key };
      },
    });
    t.after(() => a.stop());
    const c = await client(a.url);
    t.after(() => c.ws.terminate());
    // One TCP write: ws parses every frame of it before the hub can pause the socket.
    const socket = (c.ws as unknown as { _socket: import('node:net').Socket })._socket;
    socket.cork();
    for (let i = 0; i < 300; i++) c.ws.send(JSON.stringify({ id: i, type: 'get', key: `k${i}` }));
    socket.uncork();
    const ids = new Set<number>();
    for (let i = 0; i < 300; i++) {
      const r = (await c.next()) as { id: number; ok: boolean; echo: string };
      assert.equal(r.echo, `k${r.id}`);
      ids.add(r.id);
    }
    assert.equal(ids.size, 300);
    assert.equal(most, 4);
    assert.equal(counterValue(a.registry, 'agent_peer_messages_total', { direction: 'in' }), 300);
  });

  test('a peer that does not read is terminated once more than maxBufferedBytes is queued for it (slow_reader), alone', async (t) => {
    const a = await startHubServer({ limits: { maxBufferedBytes: 65_536 } });
    t.after(() => a.stop());
    const slow = await client(a.url);
    t.after(() => slow.ws.terminate());
    slow.ws.on('error', () => undefined);
    const other = await client(a.url);
    t.after(() => other.ws.terminate());
    const big = 'x'.repeat(16_000);
    other.ws.send(JSON.stringify({ id: 'p', type: 'put', key: 'big', value: big }));
    assert.deepEqual(await other.next(), { id: 'p', ok: true });
    (slow.ws as unknown as { _socket: import('node:net').Socket })._socket.pause();
    for (let i = 0; i < 2000; i++) slow.ws.send(JSON.stringify({ id: i, type: 'get', key: 'big' }));
    await pollUntil(() => (a.hub.connected() === 1 ? true : undefined), {
      description: 'the slow reader is cut off',
      timeoutMs: 10_000,
      intervalMs: 10,
    });
    assert.equal(
      counterValue(a.registry, 'agent_peer_disconnects_total', { reason: 'slow_reader' }),
      1,
    );
    assert.equal(
      counterValue(a.registry, 'agent_peer_disconnects_total', { reason: 'idle_timeout' }),
      0,
    );
    const warn = a.log.lines.find(
      (l) => l.msg === 'Peer disconnected: it does not read its replies',
    );
    assert.equal(warn?.level, 'warn');
    assert.equal(warn?.fields['reason'], 'slow_reader');
    assert.equal(warn?.fields['limit'], 65_536);
    assert.ok((warn?.fields['buffered_bytes'] as number) > 65_536);
    // Far fewer requests were carried out than sent: the rest was never handled.
    const handled = counterValue(a.registry, 'agent_peer_messages_total', { direction: 'in' });
    assert.ok(handled < 2000, `handled ${handled}`);
    // The other peer is not affected.
    other.ws.send(JSON.stringify({ id: 'g', type: 'get', key: 'big' }));
    assert.deepEqual(await other.next(), { id: 'g', ok: true, found: true, value: big });
  });

  test('maxPeers counts accepted peers only; idleTimeoutMs 0 turns the idle timeout off; bad limits throw', async (t) => {
    const a = await startHubServer({ limits: { maxPeers: 1, idleTimeoutMs: 0 } });
    t.after(() => a.stop());
    // b dials a: that is a's one accepted peer, and a dialled connection of b's.
    const b = await startHubServer({ limits: { maxPeers: 1 }, peers: [a.url] });
    t.after(() => b.stop());
    await pollUntil(() => (a.hub.connected() === 1 && b.hub.connected() === 1 ? true : undefined), {
      description: 'b dialled a',
      timeoutMs: 5000,
      intervalMs: 5,
    });
    // b's dialled connection does not take b's accepted slot.
    const toB = await client(b.url);
    t.after(() => toB.ws.terminate());
    assert.equal(b.hub.connected(), 2);
    // a is full.
    const refused = new WebSocket(a.url);
    refused.on('error', () => undefined);
    const status = await new Promise<number>((resolve) => {
      refused.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      refused.once('open', () => resolve(101));
    });
    refused.terminate();
    assert.equal(status, 503);
    assert.equal(counterValue(a.registry, 'agent_peer_refused_total', { reason: 'max_peers' }), 1);
    assert.equal(counterValue(b.registry, 'agent_peer_refused_total', { reason: 'max_peers' }), 0);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(a.hub.connected(), 1, 'no idle timeout on a');
    for (const [name, value] of [
      ['maxPeers', 0],
      ['idleTimeoutMs', -1],
      ['maxBufferedBytes', 1.5],
    ] as const) {
      assert.throws(
        () =>
          createPeerHub({
            server: a.server,
            handle: async () => ({ ok: true }),
            registry: createRegistry(),
            logger: captureLogger(),
            signal: AbortSignal.abort(),
            [name]: value,
          }),
        { name: 'RangeError', message: new RegExp(`^createPeerHub: ${name} must be an integer`) },
      );
    }
  });

  test('close() sends 1001 to every peer and is idempotent; other upgrade paths get 404', async (t) => {
    const a = await startHubServer();
    t.after(() => a.stop());
    const other = new WebSocket(`ws://127.0.0.1:${a.port}/elsewhere`);
    other.on('error', () => {}); // "Unexpected server response: 404", and terminate() below
    const status = await new Promise<number>((resolve) =>
      other.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)),
    );
    other.terminate();
    assert.equal(status, 404);

    const c1 = await client(a.url);
    const c2 = await client(a.url);
    await pollUntil(() => (a.hub.connected() === 2 ? true : undefined), {
      description: 'two peers',
      timeoutMs: 2000,
      intervalMs: 5,
    });
    const closing = a.hub.close();
    assert.equal(a.hub.close(), closing);
    const [r1, r2] = await Promise.all([c1.closed, c2.closed]);
    assert.deepEqual(r1, { code: CLOSE_GOING_AWAY, reason: 'server shutting down' });
    assert.deepEqual(r2, { code: CLOSE_GOING_AWAY, reason: 'server shutting down' });
    await closing;
    assert.equal(a.hub.connected(), 0);
    assert.equal(gaugeValue(a.registry, 'agent_peers_connected'), 0);
    await assert.rejects(a.hub.request({ type: 'get', key: 'x' }), /no peer connected/);
  });
});
