// The lifecycle on the request core: one in-flight count and one completion listener per request shared with the HTTP adapters, and fetch handlers drained like node:http servers (Hono app.fetch, no node:http).
import assert from 'node:assert/strict';
import { once } from 'node:events';
import {
  createServer,
  type IncomingMessage,
  request,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { Hono } from 'hono';
import { instrumentHono } from '../../src/adapters/hono.js';
import { instrumentHandler, setRoute } from '../../src/adapters/node-http.js';
import { createHealth } from '../../src/health/index.js';
import { TelltaleError } from '../../src/internal/errors.js';
import { createLifecycle, type LifecycleOptions } from '../../src/lifecycle/index.js';
import { createRegistry, labelsOf, type Registry } from '../../src/metrics/index.js';
import { FakeClock } from '../internal/fake-clock.js';

function recorder(): { events: string[]; options: LifecycleOptions } {
  const events: string[] = [];
  return {
    events,
    options: {
      drainDelayMs: 0,
      keepAliveGraceMs: 0,
      exit: (code) => events.push(`exit ${code}`),
      logger: {
        info: () => {},
        warn: () => {},
        error: (f: unknown, m?: string) => events.push(`error ${m ?? f}`),
      },
    },
  };
}

/** Lets pending timers, I/O and promise callbacks run a few times. */
async function turns(n = 5): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

function requests(registry: Registry, route: string, status: number): number {
  const fam = registry.snapshot().http_requests;
  if (fam?.type !== 'counter') return 0;
  return fam.points
    .filter((p) => {
      const l = labelsOf(p);
      return l.route === route && l.status === String(status);
    })
    .reduce((a, p) => a + p.value, 0);
}

test('a fetch handler is drained like a server: probes answer 503 from the signal, the shutdown waits for the Response in flight (Hono app.fetch, no node:http)', async () => {
  const { events, options } = recorder();
  const registry = createRegistry();
  const health = createHealth({ version: 'v', clock: new FakeClock(0) });
  health.setReady();
  const app = new Hono();
  for (const p of Object.values(health.paths)) if (p) app.all(p, (c) => health.fetch(c.req.raw));
  let release: () => void = () => {};
  app.get('/slow', async (c) => {
    await new Promise<void>((resolve) => {
      release = resolve;
    });
    return c.text('slow done');
  });
  app.get('/sync', (c) => c.text('sync'));
  const lifecycle = createLifecycle({
    ...options,
    health: {
      setDraining: () => {
        events.push('draining');
        health.setDraining();
      },
      setStopped: () => events.push('stopped'),
    },
  });
  lifecycle.onShutdown('check', () => {
    events.push(`hook: /slow recorded ${requests(registry, '/slow', 200)}`);
  });
  const fetch = lifecycle.trackFetch(instrumentHono(app, { registry }));
  const get = (path: string) => Promise.resolve(fetch(new Request(`http://localhost${path}`)));

  assert.equal((await get('/health/ready')).status, 200);
  assert.equal(await (await get('/sync')).text(), 'sync');
  assert.equal(lifecycle.inFlight, 0);
  const slow = get('/slow');
  assert.equal(lifecycle.inFlight, 1);

  const done = lifecycle.shutdown('test');
  assert.equal((await get('/health/ready')).status, 503, 'readiness 503 from the signal on');
  assert.equal((await get('/health/live')).status, 200);
  await turns();
  assert.deepEqual(events, ['draining'], 'the shutdown waits for the request in flight');
  assert.equal(lifecycle.inFlight, 1);

  release();
  const res = await slow;
  assert.equal(await res.text(), 'slow done');
  await done;
  assert.equal(lifecycle.inFlight, 0);
  assert.deepEqual(events, ['draining', 'hook: /slow recorded 1', 'stopped', 'exit 0']);
});

test('trackFetch counts a handler that throws or rejects out again, and validates its argument', async () => {
  const lifecycle = createLifecycle({ exit: () => {} });
  const throws = lifecycle.trackFetch(() => {
    throw new Error('sync');
  });
  const rejects = lifecycle.trackFetch(() => Promise.reject(new Error('async')));
  const answers = lifecycle.trackFetch((req: Request, env: { n: number }) => {
    return new Response(`${req.method} ${env.n}`);
  });
  assert.throws(() => throws(new Request('http://localhost/')), /sync/);
  assert.equal(lifecycle.inFlight, 0);
  const p = rejects(new Request('http://localhost/'));
  assert.equal(lifecycle.inFlight, 1);
  await assert.rejects(Promise.resolve(p), /async/);
  assert.equal(lifecycle.inFlight, 0);
  const r = await answers(new Request('http://localhost/', { method: 'PUT' }), { n: 3 });
  assert.equal(await r.text(), 'PUT 3');
  assert.throws(
    () => lifecycle.trackFetch('app' as never),
    (err: unknown) => err instanceof TelltaleError && err.code === 'TT_INVALID_OPTION',
  );
});

/**
 * Serves `/slow` (answered when the test releases it) and `/fast`, with the lifecycle and the
 * node:http adapter as asked, and reports the `close` listeners of the slow response once its
 * handler has returned.
 */
async function slowServer(
  withLifecycle: boolean,
  withAdapter: boolean,
  registry: Registry,
  events: string[],
  options: LifecycleOptions,
) {
  let slowRes: ServerResponse | undefined;
  let reached: () => void = () => {};
  const atSlow = new Promise<void>((resolve) => {
    reached = resolve;
  });
  const app = (req: IncomingMessage, res: ServerResponse): void => {
    if (req.url === '/slow') {
      setRoute(req, '/slow');
      slowRes = res;
      reached();
    } else {
      setRoute(req, '/fast');
      res.end('fast');
    }
  };
  const server: Server = createServer(withAdapter ? instrumentHandler(app, { registry }) : app);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  const lifecycle = createLifecycle(options);
  if (withLifecycle) lifecycle.addServer(server);
  lifecycle.onShutdown('check', () => {
    events.push(`hook: /slow recorded ${requests(registry, '/slow', 200)}`);
  });
  const send = (path: string) =>
    new Promise<string>((resolve, reject) => {
      const req = request({ port, host: '127.0.0.1', path, agent: false }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve(body));
      });
      req.on('error', reject);
      req.end();
    });
  return {
    server,
    lifecycle,
    send,
    async slowListeners(): Promise<number> {
      await atSlow;
      await turns(2); // the handler has returned, every listener is on
      return slowRes?.listenerCount('close') ?? -1;
    },
    release: () => slowRes?.end('slow done'),
  };
}

test('a request tracked by both the lifecycle and the node:http adapter has one completion listener, and the drain ends after it was recorded', async (t) => {
  const counts: Record<string, number> = {};
  for (const [name, withLifecycle, withAdapter] of [
    ['neither', false, false],
    ['lifecycle', true, false],
    ['adapter', false, true],
    ['both', true, true],
  ] as const) {
    const { events, options } = recorder();
    const registry = createRegistry();
    const s = await slowServer(withLifecycle, withAdapter, registry, events, options);
    t.after(() => s.server.closeAllConnections());
    assert.equal(await s.send('/fast'), 'fast');
    const slow = s.send('/slow');
    counts[name] = await s.slowListeners();
    assert.equal(s.lifecycle.inFlight, withLifecycle ? 1 : 0, name);
    if (withLifecycle) {
      const done = s.lifecycle.shutdown('test');
      await turns();
      assert.deepEqual(events, [], `${name}: the drain waits for /slow`);
      s.release();
      assert.equal(await slow, 'slow done');
      await done;
      assert.deepEqual(
        events,
        [`hook: /slow recorded ${withAdapter ? 1 : 0}`, 'exit 0'],
        `${name}: recorded before the drain ended`,
      );
    } else {
      s.release();
      assert.equal(await slow, 'slow done');
      s.server.close();
    }
    if (withAdapter) assert.equal(requests(registry, '/fast', 200), 1, name);
  }
  const base = counts['neither'] ?? 0;
  assert.deepEqual(counts, {
    neither: base,
    lifecycle: base + 1,
    adapter: base + 1,
    both: base + 1,
  });
});
