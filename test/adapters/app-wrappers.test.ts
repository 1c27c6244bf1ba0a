// What only the app wrappers have: instrumentExpress records at the listener's return, instrumentHono sees the router's match and the error handler, with and without node:http.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import express from 'express';
import { Hono } from 'hono';
import { instrumentExpress } from '../../src/adapters/express.js';
import { instrumentHono } from '../../src/adapters/hono.js';
import { TelltaleError } from '../../src/internal/errors.js';
import { createRegistry, labelsOf, type Registry } from '../../src/metrics/index.js';
import { pollUntil } from '../helpers/index.js';
import { numberOf, send, series } from './conformance.js';

function requests(registry: Registry): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of series(registry, 'http_requests')) {
    const l = labelsOf(s);
    out[`${l.method} ${l.route} ${l.status}`] = numberOf(s) as number;
  }
  return out;
}

async function listen(server: Server): Promise<string> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** An access logger that keeps each line's fields. */
function lines(): { fields: Record<string, unknown>[]; logger: { info(o: unknown): void } } {
  const fields: Record<string, unknown>[] = [];
  return { fields, logger: { info: (o: unknown) => fields.push(o as Record<string, unknown>) } };
}

describe('instrumentExpress', () => {
  it('records a synchronous answer when the listener returns (no close listener), a later one on close, with mount paths', async () => {
    const registry = createRegistry();
    const app = express();
    const v1 = express.Router();
    v1.get('/items/:id', (_req, res) => {
      res.send('item');
    });
    app.use('/api/v1', v1);
    app.get('/later', (_req, res) => {
      setImmediate(() => res.send('later'));
    });
    const listener = instrumentExpress(app, { registry });
    const seen: Array<[string, string, number]> = [];
    const server = createServer((req, res) => {
      const url = req.url as string; // Express rewrites req.url under a mount
      const before = res.listenerCount('close');
      listener(req, res);
      seen.push([url, JSON.stringify(requests(registry)), res.listenerCount('close') - before]);
    });
    const url = await listen(server);
    try {
      assert.equal((await send(url, 'GET', '/api/v1/items/3')).body, 'item');
      assert.equal((await send(url, 'GET', '/later')).body, 'later');
      assert.equal((await send(url, 'GET', '/nope')).status, 404);
      assert.deepEqual(seen, [
        ['/api/v1/items/3', '{"GET /api/v1/items/:id 200":1}', 0],
        ['/later', '{"GET /api/v1/items/:id 200":1}', 1],
        // Express's finalhandler answers a 404 once the request body was read: later.
        ['/nope', '{"GET /api/v1/items/:id 200":1,"GET /later 200":1}', 1],
      ]);
      await pollUntil(() => requests(registry)['GET unmatched 404'], {
        description: 'the 404 recorded',
        timeoutMs: 5000,
        intervalMs: 10,
      });
      assert.equal(numberOf(series(registry, 'http_requests_in_flight')[0]), 0);
    } finally {
      server.close();
      server.closeAllConnections();
    }
  });

  it('rejects something that is not an app with TT_INVALID_OPTION', () => {
    assert.throws(
      () => instrumentExpress({} as never),
      (e: unknown) =>
        e instanceof TelltaleError &&
        e.code === 'TT_INVALID_OPTION' &&
        /needs the Express app/.test(e.message),
    );
  });
});

describe('instrumentHono', () => {
  function app(): Hono {
    const a = new Hono();
    a.get('/hello/:name', (c) => c.text(`hello ${c.req.param('name')}`));
    a.get('/slow/:id', async (c) => {
      await new Promise((r) => setImmediate(r));
      return c.text('slow');
    });
    a.get('/fail', () => {
      throw new Error('boom');
    });
    a.get('/metrics', (c) => c.text('x'));
    return a;
  }

  it('without node:http: route, status, size and request id from the Response, sync or async', async () => {
    const registry = createRegistry();
    const fetch = instrumentHono(app(), { registry, requestId: true });
    const a = (await fetch(
      new Request('http://x/hello/ann?q=1', { headers: { 'x-request-id': 'abc' } }),
    )) as Response;
    assert.equal(await a.text(), 'hello ann');
    assert.equal(a.headers.get('x-request-id'), 'abc');
    const b = await fetch(new Request('http://x/slow/1'));
    assert.equal(await b.text(), 'slow');
    assert.match(b.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
    assert.equal((await fetch(new Request('http://x/hello/bo', { method: 'HEAD' }))).status, 200);
    assert.equal((await fetch(new Request('http://x/nope', { method: 'PURGE' }))).status, 404);
    assert.equal((await fetch(new Request('http://x/metrics'))).status, 200);
    assert.deepEqual(requests(registry), {
      'GET /hello/:name 200': 1,
      'GET /slow/:id 200': 1,
      'HEAD /hello/:name 200': 1,
      'OTHER unmatched 404': 1,
    });
    const m = fetch.instrumentation.metrics;
    assert.equal(m?.inFlight.get(), 0);
  });

  it("records a handler's error for the access log, also with an onError set after wrapping", async () => {
    const registry = createRegistry();
    const log = lines();
    const a = app();
    const fetch = instrumentHono(a, { registry, accessLog: { logger: log.logger } });
    a.onError((err, c) => c.text(`custom ${(err as Error).message}`, 503));
    const r = await fetch(new Request('http://x/fail'));
    assert.equal(r.status, 503);
    assert.equal(await r.text(), 'custom boom');
    assert.equal(log.fields.length, 1);
    assert.equal(log.fields[0]?.error, 'boom');
    assert.equal(log.fields[0]?.route, '/fail');
    assert.equal(log.fields[0]?.status, 503);
    assert.deepEqual(requests(registry), { 'GET /fail 503': 1 });
  });

  it('keeps nested dispatches apart: a handler that serves another request through the app synchronously', async () => {
    const registry = createRegistry();
    const a = new Hono();
    a.get('/inner', (c) => c.text('inner'));
    a.get('/plain', (c) => c.text('plain'));
    const fetch = instrumentHono(a, { registry });
    a.get('/outer', (c) => {
      fetch(new Request('http://x/inner')); // instrumented: recorded as /inner
      a.fetch(new Request('http://x/plain')); // not instrumented: recorded nowhere
      return c.text('outer', 201);
    });
    const r = await fetch(new Request('http://x/outer'));
    assert.equal(r.status, 201);
    assert.deepEqual(requests(registry), { 'GET /inner 200': 1, 'GET /outer 201': 1 });
  });

  it('on @hono/node-server: two instrumentations of one app both record', async () => {
    const { serve } = await import('@hono/node-server');
    const r1 = createRegistry();
    const r2 = createRegistry();
    const a = app();
    const f1 = instrumentHono(a, { registry: r1 });
    const f2 = instrumentHono(a, { registry: r2 });
    const s1 = serve({ fetch: f1, port: 0, hostname: '127.0.0.1' }) as Server;
    const s2 = serve({ fetch: f2, port: 0, hostname: '127.0.0.1' }) as Server;
    await Promise.all([once(s1, 'listening'), once(s2, 'listening')]);
    try {
      const u = (s: Server) => `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
      assert.equal((await send(u(s1), 'GET', '/hello/a')).body, 'hello a');
      assert.equal((await send(u(s2), 'GET', '/slow/2')).body, 'slow');
      await pollUntil(() => requests(r2)['GET /slow/:id 200'], {
        description: 'the async answer recorded',
        timeoutMs: 5000,
        intervalMs: 10,
      });
      assert.deepEqual(requests(r1), { 'GET /hello/:name 200': 1 });
      assert.deepEqual(requests(r2), { 'GET /slow/:id 200': 1 });
    } finally {
      for (const s of [s1, s2]) {
        s.close();
        s.closeAllConnections();
      }
    }
  });

  it('rejects something that is not a Hono app with TT_INVALID_OPTION', () => {
    for (const bad of [null, {}, { fetch() {} }, express()]) {
      assert.throws(
        () => instrumentHono(bad as never),
        (e: unknown) =>
          e instanceof TelltaleError &&
          e.code === 'TT_INVALID_OPTION' &&
          /needs a Hono app/.test(e.message),
      );
    }
  });
});
