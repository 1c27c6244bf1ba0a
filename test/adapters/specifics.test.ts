// What only one adapter has: Fastify's genReqId, Hono's routing before middleware, node-http's error handling, Express's mount paths.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { serve } from '@hono/node-server';
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import { telltaleExpress } from '../../src/adapters/express.js';
import { fastifyGenReqId, telltaleFastify } from '../../src/adapters/fastify.js';
import { telltaleHono } from '../../src/adapters/hono.js';
import { instrumentHandler, requestIdOf, setRoute } from '../../src/adapters/node-http.js';
import { createRegistry, type Registry } from '../../src/metrics/index.js';
import { pollUntil } from '../helpers/index.js';
import { send } from './conformance.js';

async function listen(server: Server): Promise<string> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function count(registry: Registry, method: string, route: string, status: number): Promise<number> {
  return pollUntil(
    () => {
      const s = registry
        .snapshot()
        .http_requests?.series.find(
          (x) =>
            x.labels.method === method &&
            x.labels.route === route &&
            x.labels.status === String(status),
        );
      return s?.value;
    },
    { description: `${method} ${route} ${status} recorded`, timeoutMs: 5000, intervalMs: 10 },
  );
}

describe('fastify: fastifyGenReqId', () => {
  it("makes Fastify's request.id and reqId the telltale request id", async () => {
    const lines: Record<string, unknown>[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _e, done) {
        for (const l of chunk.toString().split('\n'))
          if (l) lines.push(JSON.parse(l) as Record<string, unknown>);
        done();
      },
    });
    const registry = createRegistry();
    const app = Fastify({ logger: { stream, level: 'info' }, genReqId: fastifyGenReqId() });
    await app.register(telltaleFastify, { registry, requestId: true });
    app.get('/id', async (req) => req.id);
    await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
      const a = await send(url, 'GET', '/id', { headers: { 'x-request-id': 'given-1' } });
      assert.equal(a.body, 'given-1');
      assert.equal(a.headers['x-request-id'], 'given-1');
      const b = await send(url, 'GET', '/id', { headers: { 'x-request-id': 'bad id' } });
      assert.equal(b.body, b.headers['x-request-id'], 'the generated id is the same in both');
      assert.ok(
        lines.some((l) => l.reqId === 'given-1'),
        "Fastify's own log lines use it",
      );
    } finally {
      await app.close();
    }
  });
});

describe('hono: routed before middleware', () => {
  it('records a request a middleware answered under the route it was for', async () => {
    const registry = createRegistry();
    const app = new Hono();
    app.use(telltaleHono({ registry }));
    app.use('/private/*', async (c, next) => {
      if (c.req.header('authorization') === undefined) return c.text('no', 401);
      await next();
    });
    app.get('/private/:id', (c) => c.text('secret'));
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }) as Server;
    await once(server, 'listening');
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      assert.equal((await send(url, 'GET', '/private/7')).status, 401);
      assert.equal(
        (await send(url, 'GET', '/private/7', { headers: { authorization: 'x' } })).status,
        200,
      );
      assert.equal(await count(registry, 'GET', '/private/:id', 401), 1);
      assert.equal(await count(registry, 'GET', '/private/:id', 200), 1);
    } finally {
      server.close();
      server.closeAllConnections();
    }
  });
});

describe('node-http: handler errors', () => {
  it('answers 500 and logs once when the handler rejects after setRoute, with the request id', async () => {
    const registry = createRegistry();
    const errors: Array<Record<string, unknown>> = [];
    const server = createServer(
      instrumentHandler(
        async (req) => {
          setRoute(req, '/boom');
          assert.equal(requestIdOf(req), 'r-1');
          throw new Error('kaput');
        },
        {
          registry,
          requestId: true,
          logger: { error: (f: object | string) => errors.push(f as Record<string, unknown>) },
        },
      ),
    );
    const url = await listen(server);
    try {
      const r = await send(url, 'GET', '/boom', { headers: { 'x-request-id': 'r-1' } });
      assert.equal(r.status, 500);
      assert.equal(r.headers['x-request-id'], 'r-1');
      assert.equal(await count(registry, 'GET', '/boom', 500), 1);
      assert.equal(errors.length, 1);
      assert.equal(errors[0]?.request_id, 'r-1');
      assert.equal((errors[0]?.err as Error | undefined)?.message, 'kaput');
    } finally {
      server.close();
    }
  });
});

describe('express: mount paths', () => {
  it('joins req.baseUrl and the route path; a "/" route under a mount is the mount path', async () => {
    const registry = createRegistry();
    const app = express();
    app.use(telltaleExpress({ registry }));
    const api = express.Router();
    api.get('/', (_req, res) => {
      res.send('root');
    });
    const v1 = express.Router();
    v1.get('/items/:id', (_req, res) => {
      res.send('item');
    });
    api.use('/v1', v1);
    app.use('/api', api);
    const server = createServer(app);
    const url = await listen(server);
    try {
      await send(url, 'GET', '/api');
      await send(url, 'GET', '/api/v1/items/3');
      assert.equal(await count(registry, 'GET', '/api', 200), 1);
      assert.equal(await count(registry, 'GET', '/api/v1/items/:id', 200), 1);
    } finally {
      server.close();
      server.closeAllConnections();
    }
  });
});
