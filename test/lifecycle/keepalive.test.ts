// Keep-alive during the drain, on raw sockets: Connection: close from the signal on, a request already written on an idle connection is answered when the server closes, idle connections close after the grace.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { test } from 'node:test';
import { createLifecycle, type LifecycleOptions } from '../../src/lifecycle/index.js';

interface Response {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** A raw keep-alive client: one socket, requests written by hand, responses parsed by length. */
class RawClient {
  readonly socket: Socket;
  readonly closed: Promise<string>;
  #buffer = '';
  #waiter: (() => void) | undefined;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      this.#buffer += chunk;
      this.#waiter?.();
    });
    this.closed = new Promise((resolve) => {
      let error = '';
      socket.on('error', (err: NodeJS.ErrnoException) => {
        error = err.code ?? err.message;
      });
      socket.on('close', () => {
        resolve(error === '' ? 'closed' : error);
        this.#waiter?.();
      });
    });
  }

  static async open(port: number): Promise<RawClient> {
    const socket = connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return new RawClient(socket);
  }

  send(path: string): void {
    this.socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n`);
  }

  /** The next complete response, or the socket's fate (`closed`, `ECONNRESET`) if it ends first. */
  async response(): Promise<Response | string> {
    for (let i = 0; i < 1000; i++) {
      const end = this.#buffer.indexOf('\r\n\r\n');
      if (end >= 0) {
        const [statusLine = '', ...lines] = this.#buffer.slice(0, end).split('\r\n');
        const headers: Record<string, string> = {};
        for (const l of lines) {
          const colon = l.indexOf(':');
          headers[l.slice(0, colon).toLowerCase()] = l.slice(colon + 1).trim();
        }
        const length = Number(headers['content-length']);
        if (this.#buffer.length >= end + 4 + length) {
          const body = this.#buffer.slice(end + 4, end + 4 + length);
          this.#buffer = this.#buffer.slice(end + 4 + length);
          delete headers['date'];
          return { status: Number(statusLine.split(' ')[1]), headers, body };
        }
      }
      if (this.socket.destroyed) return await this.closed;
      await new Promise<void>((resolve) => {
        this.#waiter = resolve;
      });
      this.#waiter = undefined;
    }
    throw new Error('no response after 1000 reads');
  }
}

const quiet: NonNullable<LifecycleOptions['logger']> = {
  info: () => {},
  warn: () => {},
  error: () => {},
};

/** A server that answers every request synchronously with its path, and a lifecycle tracking it. */
async function setup(
  t: { after(fn: () => unknown): void },
  options: LifecycleOptions,
  keepAliveTimeoutMs = 5000,
): Promise<{
  server: Server;
  port: number;
  events: string[];
  lifecycle: ReturnType<typeof createLifecycle>;
}> {
  const server = createServer((req, res) => {
    res.setHeader('content-length', Buffer.byteLength(`ok ${req.url}`));
    res.end(`ok ${req.url}`);
  });
  server.keepAliveTimeout = keepAliveTimeoutMs;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => server.closeAllConnections());
  const events: string[] = [];
  const lifecycle = createLifecycle({
    logger: quiet,
    exit: (code) => events.push(`exit ${code}`),
    ...options,
  });
  lifecycle.addServer(server);
  return { server, port: (server.address() as AddressInfo).port, events, lifecycle };
}

const keepAlive = (path: string): Response => ({
  status: 200,
  headers: {
    connection: 'keep-alive',
    'keep-alive': 'timeout=5',
    'content-length': String(`ok ${path}`.length),
  },
  body: `ok ${path}`,
});
const close = (path: string): Response => ({
  status: 200,
  headers: { connection: 'close', 'content-length': String(`ok ${path}`.length) },
  body: `ok ${path}`,
});

test('from the signal on, every response carries Connection: close (also from a handler that answers synchronously), and the client closes', async (t) => {
  const { server, port, lifecycle, events } = await setup(t, { drainDelayMs: 300 });
  const client = await RawClient.open(port);
  client.send('/before');
  assert.deepEqual(await client.response(), keepAlive('/before'));

  const done = lifecycle.shutdown('test');
  // During the drain delay: the server still accepts and answers, but keeps no connection.
  assert.equal(server.listening, true);
  client.send('/during');
  assert.deepEqual(await client.response(), close('/during'));
  assert.equal(await client.closed, 'closed', 'Node ends the connection after that response');
  const fresh = await RawClient.open(port);
  fresh.send('/fresh');
  assert.deepEqual(await fresh.response(), close('/fresh'));
  assert.equal(await fresh.closed, 'closed');
  await done;
  assert.deepEqual(events, ['exit 0']);
});

test('a request already written on an idle keep-alive connection when the server stops accepting is answered with Connection: close, not reset', async (t) => {
  const { server, port, lifecycle, events } = await setup(t, { drainDelayMs: 0 });
  const clients = await Promise.all(Array.from({ length: 4 }, () => RawClient.open(port)));
  for (const [i, c] of clients.entries()) {
    c.send(`/first-${i}`);
    assert.deepEqual(await c.response(), keepAlive(`/first-${i}`));
  }
  // The next requests are in the server's socket buffers, not parsed yet, when the servers
  // close (drainDelayMs 0: after one microtask): to node each connection is idle.
  for (const [i, c] of clients.entries()) c.send(`/second-${i}`);
  const done = lifecycle.shutdown('test');
  await Promise.resolve();
  await Promise.resolve();
  assert.equal(server.listening, false, 'the listener closed before the requests were read');
  for (const [i, c] of clients.entries()) {
    assert.deepEqual(await c.response(), close(`/second-${i}`));
    assert.equal(await c.closed, 'closed');
  }
  await done;
  assert.deepEqual(events, ['exit 0']);
});

test('an idle keep-alive connection that carries no last request is closed when keepAliveGraceMs passes, not at keepAliveTimeout', async (t) => {
  const { server, port, lifecycle, events } = await setup(
    t,
    { drainDelayMs: 0, keepAliveGraceMs: 300 },
    60_000,
  );
  const client = await RawClient.open(port);
  client.send('/only');
  assert.equal(((await client.response()) as Response).status, 200);
  const t0 = performance.now();
  const done = lifecycle.shutdown('test');
  assert.equal(await client.closed, 'closed');
  const elapsed = performance.now() - t0;
  t.diagnostic(`idle connection closed ${elapsed.toFixed(0)} ms after shutdown()`);
  assert.ok(elapsed >= 290 && elapsed < 1300, `closed after ${elapsed.toFixed(0)} ms`);
  await done;
  assert.equal(server.listening, false);
  assert.deepEqual(events, ['exit 0']);
});

test('keepAliveGraceMs: 0 closes idle connections at once', async (t) => {
  const { port, lifecycle, events } = await setup(
    t,
    { drainDelayMs: 0, keepAliveGraceMs: 0 },
    60_000,
  );
  const client = await RawClient.open(port);
  client.send('/only');
  assert.equal(((await client.response()) as Response).status, 200);
  const t0 = performance.now();
  await lifecycle.shutdown('test');
  assert.equal(await client.closed, 'closed');
  assert.ok(performance.now() - t0 < 1000);
  assert.deepEqual(events, ['exit 0']);
});
