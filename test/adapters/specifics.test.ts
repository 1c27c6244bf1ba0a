// What only one adapter has: Fastify's genReqId, Hono's routing before middleware, node-http's error handling, Express's mount paths.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, IncomingMessage, type Server, ServerResponse } from 'node:http';
import { type AddressInfo, Socket } from 'node:net';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { serve } from '@hono/node-server';
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import { telltaleExpress } from '../../src/adapters/express.js';
import { fastifyGenReqId, telltaleFastify } from '../../src/adapters/fastify.js';
import { instrumentHono, telltaleHono } from '../../src/adapters/hono.js';
import { instrumentHandler, requestIdOf, setRoute } from '../../src/adapters/node-http.js';
import { currentContext } from '../../src/context/index.js';
import { createRegistry, labelsOf, type Registry } from '../../src/metrics/index.js';
import { createTelemetry } from '../../src/trace/index.js';
import { pollUntil } from '../helpers/index.js';
import { numberOf, send, series } from './conformance.js';

async function listen(server: Server): Promise<string> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function count(registry: Registry, method: string, route: string, status: number): Promise<number> {
  return pollUntil(
    () => {
      const s = series(registry, 'http_requests').find((x) => {
        const l = labelsOf(x);
        return l.method === method && l.route === route && l.status === String(status);
      });
      return numberOf(s);
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

describe('fastify: fastifyGenReqId with a telemetry', () => {
  it("honours the telemetry's request-id generator and accept rule, the same id as the plugin echoes", async () => {
    let n = 0;
    const telemetry = createTelemetry({
      registry: createRegistry(),
      requestId: { generate: () => `gen-${++n}`, accept: (id) => id.startsWith('req-') },
    });
    const app = Fastify({ logger: false, genReqId: fastifyGenReqId({ telemetry }) });
    await app.register(telltaleFastify, { telemetry, requestId: true, tracing: true });
    app.get('/id', async (req) => `${req.id} ${currentContext()?.requestId}`);
    await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
      const a = await send(url, 'GET', '/id', { headers: { 'x-request-id': 'req-7' } });
      assert.equal(a.body, 'req-7 req-7');
      assert.equal(a.headers['x-request-id'], 'req-7');
      const b = await send(url, 'GET', '/id', { headers: { 'x-request-id': 'other-7' } });
      assert.equal(b.body, 'gen-1 gen-1');
      assert.equal(b.headers['x-request-id'], 'gen-1');
      const c = await send(url, 'GET', '/id');
      assert.equal(c.body, 'gen-2 gen-2');
      assert.equal(n, 2, 'one id generated per request, by genReqId only');
    } finally {
      await app.close();
    }
  });

  it('validates its options', () => {
    assert.throws(() => fastifyGenReqId('x-request-id' as never), {
      code: 'TT_INVALID_OPTION',
      message:
        'TT_INVALID_OPTION: fastifyGenReqId: options must be an object such as { header, telemetry }, got x-request-id',
    });
    assert.throws(() => fastifyGenReqId({ header: 'bad header' }), {
      code: 'TT_INVALID_OPTION',
      message:
        'TT_INVALID_OPTION: fastifyGenReqId: header must be an HTTP header name, got bad header',
    });
    assert.throws(() => fastifyGenReqId({ telemetry: {} as never }), {
      code: 'TT_INVALID_OPTION',
      message:
        'TT_INVALID_OPTION: fastifyGenReqId: telemetry must be a telemetry from createTelemetry() (telltale/trace), or omitted for the default one',
    });
  });
});

describe('fastify: malformed percent-encoding', () => {
  /** Sends one raw request line and returns the status line and the body. */
  function raw(port: number, target: string): Promise<[string, string]> {
    return new Promise((resolve, reject) => {
      const s = new Socket();
      let data = '';
      s.on('data', (c: Buffer) => {
        data += c.toString('latin1');
      });
      s.on('error', reject);
      s.on('close', () => {
        const [head = '', body = ''] = data.split('\r\n\r\n');
        resolve([head.split('\r\n')[0] ?? '', body]);
      });
      s.connect(port, '127.0.0.1', () => {
        s.end(`GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
      });
    });
  }

  it("records what Fastify's router answers, once: its 400 as unmatched, a path it takes under its route", async () => {
    const registry = createRegistry();
    const app = Fastify({ logger: false });
    await app.register(telltaleFastify, { registry });
    app.get<{ Params: { name: string } }>(
      '/hello/:name',
      async (req) => `hello ${req.params.name}`,
    );
    await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      const port = (app.server.address() as AddressInfo).port;
      const [line, body] = await raw(port, '/hello/%ZZ');
      assert.equal(line, 'HTTP/1.1 400 Bad Request');
      assert.equal((JSON.parse(body) as { code: string }).code, 'FST_ERR_BAD_URL', "Fastify's own");
      // The plugin checks the target up to `?`; Fastify's router also stops at `#`, so it takes
      // this one: tracked early, then recorded once, under the route Fastify matched.
      assert.deepEqual(await raw(port, '/hello/ann#%ZZ'), ['HTTP/1.1 200 OK', 'hello ann']);
      assert.equal(await count(registry, 'GET', 'unmatched', 400), 1);
      assert.equal(await count(registry, 'GET', '/hello/:name', 200), 1);
      assert.equal(registry.snapshot().http_requests?.points.length, 2);
      assert.equal(numberOf(series(registry, 'http_requests_in_flight')[0]), 0);
    } finally {
      await app.close();
    }
  });

  it('reports a rejectMalformedPaths that is not a boolean', async () => {
    const app = Fastify({ logger: false });
    await assert.rejects(
      async () => {
        await app.register(telltaleFastify, { rejectMalformedPaths: 1 as unknown as boolean });
        await app.ready();
      },
      (err: unknown) => (err as { code?: string }).code === 'TT_INVALID_OPTION',
    );
    await app.close().catch(() => {});
  });
});

describe('hono: routed before middleware', () => {
  for (const form of ['middleware', 'instrumentHono'] as const) {
    it(`records a request a middleware answered under the route it was for (${form})`, async () => {
      const registry = createRegistry();
      const app = new Hono();
      if (form === 'middleware') app.use(telltaleHono({ registry }));
      app.use('/private/*', async (c, next) => {
        if (c.req.header('authorization') === undefined) return c.text('no', 401);
        await next();
      });
      app.get('/private/:id', (c) => c.text('secret'));
      const fetch = form === 'middleware' ? app.fetch : instrumentHono(app, { registry });
      const server = serve({ fetch, port: 0, hostname: '127.0.0.1' }) as Server;
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
  }
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

describe('node-http: when a request is recorded', () => {
  function counter(registry: Registry, route: string, status = 200): number {
    const s = series(registry, 'http_requests').find((x) => {
      const l = labelsOf(x);
      return l.route === route && l.status === String(status);
    });
    return numberOf(s) ?? 0;
  }

  it('records a synchronous answer when the handler returns, with no close listener; an async one on close', async () => {
    const registry = createRegistry();
    const seen: Array<{ route: string; recordedAtReturn: number; closeListeners: number }> = [];
    const handler = instrumentHandler(
      (req, res) => {
        if (req.url === '/async') {
          setRoute(req, '/async');
          return new Promise<void>((resolve) =>
            setImmediate(() => {
              res.end('later');
              resolve();
            }),
          );
        }
        setRoute(req, '/sync');
        res.end('now');
        return undefined;
      },
      { registry },
    );
    const server = createServer((req, res) => {
      const closeBefore = res.listenerCount('close');
      handler(req, res);
      // Right after the listener returned, in the same tick.
      seen.push({
        route: req.url as string,
        recordedAtReturn: counter(registry, req.url as string),
        closeListeners: res.listenerCount('close') - closeBefore,
      });
    });
    const url = await listen(server);
    try {
      await send(url, 'GET', '/sync');
      await send(url, 'GET', '/async');
      assert.deepEqual(seen, [
        { route: '/sync', recordedAtReturn: 1, closeListeners: 0 },
        { route: '/async', recordedAtReturn: 0, closeListeners: 1 },
      ]);
      assert.equal(await count(registry, 'GET', '/async', 200), 1);
      assert.equal(counter(registry, '/sync'), 1);
      assert.equal(numberOf(series(registry, 'http_requests_in_flight')[0]), 0);
    } finally {
      server.close();
    }
  });

  it('keeps nested handlers apart: a handler that serves another request synchronously', async () => {
    const registry = createRegistry();
    const inner = instrumentHandler(
      (req, res) => {
        setRoute(req, '/inner');
        res.end('inner');
      },
      { registry },
    );
    const outer = instrumentHandler(
      (req, res) => {
        // Another request, served to completion inside this handler (an in-process forward).
        const fake = new IncomingMessage(new Socket());
        fake.method = 'GET';
        fake.url = '/forwarded';
        inner(fake, new ServerResponse(fake));
        // The outer request's route is still its own after the inner one returned.
        setRoute(req, '/outer');
        res.statusCode = 201;
        res.end('outer');
      },
      { registry },
    );
    const server = createServer(outer);
    const url = await listen(server);
    try {
      const r = await send(url, 'GET', '/outer');
      assert.equal(r.status, 201);
      assert.equal(counter(registry, '/outer', 201), 1);
      assert.equal(counter(registry, '/inner'), 1);
      assert.equal(counter(registry, 'unmatched', 201), 0);
      assert.equal(counter(registry, 'unmatched'), 0);
    } finally {
      server.close();
    }
  });

  it('setRoute after the answer was recorded changes nothing; requestIdOf after an await still works', async () => {
    const registry = createRegistry();
    let idAfterAwait: string | undefined;
    const server = createServer(
      instrumentHandler(
        async (req, res) => {
          if (req.url === '/late') {
            res.end('done');
            await Promise.resolve();
            setRoute(req, '/too-late'); // the request was recorded when the handler returned
            return;
          }
          await Promise.resolve();
          idAfterAwait = requestIdOf(req);
          setRoute(req, '/awaited');
          res.end('ok');
        },
        { registry, requestId: true },
      ),
    );
    const url = await listen(server);
    try {
      await send(url, 'GET', '/late');
      await send(url, 'GET', '/awaited', { headers: { 'x-request-id': 'abc-1' } });
      assert.equal(await count(registry, 'GET', '/awaited', 200), 1);
      assert.equal(idAfterAwait, 'abc-1');
      assert.equal(await count(registry, 'GET', 'unmatched', 200), 1);
      assert.equal(counter(registry, '/too-late'), 0);
    } finally {
      server.close();
    }
  });
});
