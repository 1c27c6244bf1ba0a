// createLifecycle in-process, with an injected exit: sequence order, hooks, servers, signal handlers, metrics, options.
import assert from 'node:assert/strict';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { encodeText } from '../../src/exposition/index.js';
import { TelltaleError } from '../../src/internal/errors.js';
import { createLifecycle, type LifecycleOptions } from '../../src/lifecycle/index.js';
import { createRegistry } from '../../src/metrics/index.js';
import { getValue } from '../../src/testing/index.js';
import { assertPromtoolClean, assertTextBodyValid } from '../helpers/index.js';

function recorder(): { events: string[]; options: LifecycleOptions } {
  const events: string[] = [];
  return {
    events,
    options: {
      drainDelayMs: 0,
      exit: (code) => events.push(`exit ${code}`),
      health: {
        setDraining: () => events.push('draining'),
        setStopped: () => events.push('stopped'),
      },
      logger: {
        info: () => {},
        warn: () => {},
        error: (f: unknown, m?: string) => events.push(`error ${m ?? f}`),
      },
    },
  };
}

test('nothing touches process on construction; install() and uninstall() add and remove exactly one handler per signal', () => {
  const before = ['SIGTERM', 'SIGINT', 'SIGUSR2'].map((s) => process.listenerCount(s));
  const lifecycle = createLifecycle({ signals: ['SIGTERM', 'SIGINT', 'SIGUSR2'], exit: () => {} });
  assert.deepEqual(
    ['SIGTERM', 'SIGINT', 'SIGUSR2'].map((s) => process.listenerCount(s)),
    before,
  );
  lifecycle.install();
  lifecycle.install();
  assert.deepEqual(
    ['SIGTERM', 'SIGINT', 'SIGUSR2'].map((s) => process.listenerCount(s)),
    before.map((n) => n + 1),
  );
  lifecycle.uninstall();
  lifecycle.uninstall();
  assert.deepEqual(
    ['SIGTERM', 'SIGINT', 'SIGUSR2'].map((s) => process.listenerCount(s)),
    before,
  );
  assert.equal(lifecycle.state, 'running');
});

test('the whole sequence in order: draining, root abort, servers, hooks in reverse, stopped, exit 0', async () => {
  const { events, options } = recorder();
  const lifecycle = createLifecycle(options);
  lifecycle.signal.addEventListener('abort', () => events.push('aborted'));
  lifecycle.addServer({
    close: async () => {
      events.push('server closed');
    },
  });
  for (const name of ['one', 'two', 'three']) {
    lifecycle.onShutdown(name, ({ reason }) => {
      events.push(`hook ${name} (${reason})`);
    });
  }
  const p = lifecycle.shutdown('test');
  assert.equal(lifecycle.shutdown('again'), p); // idempotent
  assert.equal(lifecycle.state, 'draining');
  await p;
  assert.equal(lifecycle.state, 'stopped');
  assert.deepEqual(events, [
    'draining',
    'aborted',
    'server closed',
    'hook three (test)',
    'hook two (test)',
    'hook one (test)',
    'stopped',
    'exit 0',
  ]);
});

test('a hook that throws or hangs is logged and counted; the next hook runs; the hung hook sees its signal abort', async () => {
  const { events, options } = recorder();
  const registry = createRegistry();
  const lifecycle = createLifecycle({ ...options, registry, hookTimeoutMs: 40 });
  let hungSignal: AbortSignal | undefined;
  lifecycle.onShutdown('first', () => {
    events.push('hook first');
  });
  lifecycle.onShutdown('hangs', ({ signal }) => {
    hungSignal = signal;
    return new Promise<void>(() => {});
  });
  lifecycle.onShutdown('throws', () => {
    throw new Error('boom');
  });
  lifecycle.onShutdown('rejects', () => Promise.reject('not an Error'), { timeoutMs: 1000 });
  await lifecycle.shutdown('test');
  assert.deepEqual(events, [
    'draining',
    'error Shutdown hook failed; running the next one',
    'error Shutdown hook failed; running the next one',
    'error Shutdown hook timed out; running the next one',
    'hook first',
    'stopped',
    'exit 0',
  ]);
  assert.ok(hungSignal?.aborted);
  const reason: unknown = hungSignal?.reason;
  assert.ok(reason instanceof TelltaleError);
  assert.equal(reason.code, 'TT_HOOK_TIMEOUT');

  const failures = (hook: string, reason: string) =>
    getValue(registry, 'telltale_shutdown_hook_failures_total', { hook, reason });
  assert.equal(failures('hangs', 'timeout'), 1);
  assert.equal(failures('hangs', 'error'), 0);
  assert.equal(failures('throws', 'error'), 1);
  assert.equal(failures('rejects', 'error'), 1);
  assert.equal(failures('first', 'error'), 0);
  const hooks = getValue(registry, 'telltale_shutdown_phase_duration_seconds', { phase: 'hooks' });
  assert.ok(hooks >= 0.035 && hooks < 2, `hooks phase ${hooks} s`);
  const total = getValue(registry, 'telltale_shutdown_phase_duration_seconds', { phase: 'total' });
  assert.ok(total >= hooks);
  const body = encodeText(await registry.gather());
  await assertPromtoolClean(body);
  await assertTextBodyValid(body);
});

test('the deadline exits 1 while a hook hangs, and exit is called once', async () => {
  const { events, options } = recorder();
  const lifecycle = createLifecycle({ ...options, deadlineMs: 60 });
  let release: () => void = () => {};
  lifecycle.onShutdown('after', () => {
    events.push('hook after');
  });
  lifecycle.onShutdown('hangs', () => new Promise<void>((resolve) => (release = resolve)), {
    timeoutMs: 10_000,
  });
  void lifecycle.shutdown('test');
  await new Promise<void>((resolve) => {
    const check = () => (events.includes('exit 1') ? resolve() : setImmediate(check));
    check();
  });
  release();
  await lifecycle.shutdown();
  assert.deepEqual(events, [
    'draining',
    'error Shutdown deadline passed; exiting with code 1',
    'exit 1',
  ]);
});

test('a node:http server: in-flight request finishes with Connection: close, new connections are refused, idle keep-alive sockets close after keepAliveGraceMs', async (t) => {
  const { events, options } = recorder();
  let release: () => void = () => {};
  let reached: () => void = () => {};
  const slowReached = new Promise<void>((resolve) => (reached = resolve));
  const server: Server = createServer((req, res) => {
    if (req.url === '/slow') {
      release = () => res.end('slow done');
      reached();
    } else res.end('fast');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => server.closeAllConnections());
  const port = (server.address() as AddressInfo).port;
  const lifecycle = createLifecycle({ ...options, keepAliveGraceMs: 100 });
  lifecycle.addServer(server);

  // An idle keep-alive connection, and a busy one.
  const idleSocketClosed = new Promise<void>((resolve) => {
    const req = request({
      port,
      host: '127.0.0.1',
      path: '/fast',
      headers: { connection: 'keep-alive' },
    });
    req.on('response', (res) => {
      res.resume();
      res.socket.once('close', () => resolve());
    });
    req.end();
  });
  const slow = new Promise<{ body: string; connection: string | undefined }>((resolve, reject) => {
    const req = request({
      port,
      host: '127.0.0.1',
      path: '/slow',
      headers: { connection: 'keep-alive' },
    });
    req.on('response', (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ body, connection: res.headers.connection }));
    });
    req.on('error', reject);
    req.end();
  });
  await slowReached;
  const done = lifecycle.shutdown('test');
  await idleSocketClosed;
  assert.equal(server.listening, false);
  await assert.rejects(
    new Promise((resolve, reject) => {
      const req = request({ port, host: '127.0.0.1', path: '/fast' }, resolve);
      req.on('error', reject);
      req.end();
    }),
    /ECONNREFUSED/,
  );
  assert.ok(!events.includes('exit 0'), 'shutdown waits for the in-flight request');
  release();
  assert.deepEqual(await slow, { body: 'slow done', connection: 'close' });
  await done;
  assert.deepEqual(events, ['draining', 'stopped', 'exit 0']);
});

test('bad options throw TT_INVALID_OPTION at construction', () => {
  const bad: unknown[] = [
    { drainDelayMs: -1 },
    { hookTimeoutMs: 0 },
    { deadlineMs: Number.NaN },
    { webSocketCloseTimeoutMs: -5 },
    { keepAliveGraceMs: -1 },
    { keepAliveGraceMs: Number.POSITIVE_INFINITY },
    { signals: ['TERM'] },
    { signals: 'SIGTERM' },
    { health: { setDraining() {} } },
    { exit: 1 },
    { name: '' },
  ];
  const isInvalid = (err: unknown) =>
    err instanceof TelltaleError && err.code === 'TT_INVALID_OPTION';
  for (const o of bad) {
    assert.throws(() => createLifecycle(o as LifecycleOptions), isInvalid, JSON.stringify(o));
  }
  const lifecycle = createLifecycle({ exit: () => {} });
  lifecycle.onShutdown('a', () => {});
  assert.throws(() => lifecycle.onShutdown('a', () => {}), isInvalid);
  assert.throws(() => lifecycle.onShutdown('', () => {}), isInvalid);
  assert.throws(() => lifecycle.onShutdown('b', () => {}, { timeoutMs: 0 }), isInvalid);
  assert.throws(() => lifecycle.addServer({} as never), isInvalid);
  assert.throws(() => lifecycle.addWebSocketServer({} as never), isInvalid);
});
