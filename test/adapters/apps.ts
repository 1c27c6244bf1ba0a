// The same small app in node:http, Express 5, Fastify 5 and Hono 4, each instrumented by its telltale adapter (Express and Hono also by their app wrappers), for the conformance suite.
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import {
  instrumentExpress,
  telltaleExpress,
  telltaleExpressErrors,
} from '../../src/adapters/express.js';
import { fastifyGenReqId, telltaleFastify } from '../../src/adapters/fastify.js';
import { instrumentHono, telltaleHono } from '../../src/adapters/hono.js';
import { instrumentHandler, setRoute } from '../../src/adapters/node-http.js';
import { currentContext } from '../../src/context/index.js';
import { encodeText } from '../../src/exposition/index.js';
import type { HttpInstrumentationOptions } from '../../src/instrument/index.js';
import type { Registry } from '../../src/metrics/index.js';

/** The options every app gets: the shared HTTP options with a registry. */
export type AppOptions = HttpInstrumentationOptions & { readonly registry: Registry };

/** A running app. */
export interface RunningApp {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  close(): Promise<void>;
}

/** One framework under test. */
export interface AdapterCase {
  readonly name: 'node-http' | 'express' | 'express-app' | 'fastify' | 'hono' | 'hono-app';
  start(options: AppOptions): Promise<RunningApp>;
}

/**
 * The app shape, identical in every framework:
 * - `GET /hello/:name` → 200 `hello <name>` (`name` percent-decoded, as each framework decodes
 *   parameters; the node:http router calls `decodeURIComponent`)
 * - `GET /api/users/:id` → 200 `user <id>` (a mounted sub-router)
 * - `POST /echo` → 200, the body echoed
 * - `GET /fail` → the handler throws: the framework's 500
 * - `GET /ctx` → `<request id> <trace id>` from the active request context (`- -` outside one),
 *   read after an `await`, so the context must survive the framework's async hops
 * - `GET /slow` → `late` after 300 ms (the suite's client gives up before)
 * - `GET /metrics` → the registry in the text format; `GET /health` → `ok` (both ignored by default)
 * - anything else → the framework's 404
 */
export const ROUTES = [
  '/hello/:name',
  '/api/users/:id',
  '/echo',
  '/fail',
  '/ctx',
  '/slow',
] as const;

const late = (): Promise<string> =>
  new Promise((resolve) => setTimeout(() => resolve('late'), 300));

/** The body of `GET /ctx`. */
export async function ctxBody(): Promise<string> {
  await new Promise((resolve) => setImmediate(resolve));
  const ctx = currentContext();
  return `${ctx?.requestId ?? '-'} ${ctx?.traceId ?? '-'}`;
}

function metricsBody(registry: Registry): string {
  return encodeText(registry.gatherSync());
}

function listen(server: Server): Promise<string> {
  server.listen(0, '127.0.0.1');
  return once(server, 'listening').then(() => {
    const { port } = server.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

const quiet = { error(): void {} };

function send(
  res: ServerResponse,
  status: number,
  body: string,
  type = 'text/plain; charset=utf-8',
): void {
  res.statusCode = status;
  res.setHeader('content-type', type);
  res.end(body);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** A hand-written router, the way a node:http app names its routes with setRoute(). */
const nodeHttp: AdapterCase = {
  name: 'node-http',
  async start(options) {
    const handler = instrumentHandler(
      async (req, res) => {
        const url = req.url ?? '/';
        const q = url.indexOf('?');
        const path = q < 0 ? url : url.slice(0, q);
        const get = req.method === 'GET' || req.method === 'HEAD';
        if (get && path === '/metrics') return send(res, 200, metricsBody(options.registry));
        if (get && path === '/health') return send(res, 200, 'ok');
        let m = /^\/hello\/([^/]+)$/.exec(path);
        if (get && m) {
          setRoute(req, '/hello/:name');
          return send(res, 200, `hello ${decodeURIComponent(m[1] as string)}`);
        }
        m = /^\/api\/users\/([^/]+)$/.exec(path);
        if (get && m) {
          setRoute(req, '/api/users/:id');
          return send(res, 200, `user ${decodeURIComponent(m[1] as string)}`);
        }
        if (req.method === 'POST' && path === '/echo') {
          setRoute(req, '/echo');
          return send(res, 200, await readBody(req));
        }
        if (get && path === '/fail') {
          setRoute(req, '/fail');
          throw new Error('boom');
        }
        if (get && path === '/slow') {
          setRoute(req, '/slow');
          return send(res, 200, await late());
        }
        if (get && path === '/ctx') {
          setRoute(req, '/ctx');
          return send(res, 200, await ctxBody());
        }
        send(res, 404, 'Not Found');
      },
      { ...options, logger: quiet },
    );
    const server = createServer(handler);
    const url = await listen(server);
    return { url, close: () => closeServer(server) };
  },
};

/** The Express app; `middleware` mounts telltaleExpress first, else the caller wraps the app. */
function expressApp(options: AppOptions, middleware: boolean): express.Express {
  const app = express();
  app.set('env', 'test'); // finalhandler: no stack traces on stderr for /fail
  if (middleware) app.use(telltaleExpress(options));
  app.get('/metrics', (_req, res) => {
    res.type('text/plain').send(metricsBody(options.registry));
  });
  app.get('/health', (_req, res) => {
    res.type('text/plain').send('ok');
  });
  app.get('/hello/:name', (req, res) => {
    res.type('text/plain').send(`hello ${req.params.name}`);
  });
  const api = express.Router();
  api.get('/users/:id', (req, res) => {
    res.type('text/plain').send(`user ${req.params.id}`);
  });
  app.use('/api', api);
  app.post('/echo', express.text({ type: '*/*' }), (req, res) => {
    res.type('text/plain').send(typeof req.body === 'string' ? req.body : '');
  });
  app.get('/fail', () => {
    throw new Error('boom');
  });
  app.get('/ctx', async (_req, res) => {
    res.type('text/plain').send(await ctxBody());
  });
  app.get('/slow', async (_req, res) => {
    res.type('text/plain').send(await late());
  });
  app.use(telltaleExpressErrors());
  return app;
}

async function serveListener(
  listener: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<RunningApp> {
  const server = createServer(listener);
  const url = await listen(server);
  return { url, close: () => closeServer(server) };
}

const expressCase: AdapterCase = {
  name: 'express',
  start: (options) => serveListener(expressApp(options, true)),
};

/** The whole Express app wrapped by instrumentExpress, no middleware. */
const expressAppCase: AdapterCase = {
  name: 'express-app',
  start: (options) => serveListener(instrumentExpress(expressApp(options, false), options)),
};

const fastifyCase: AdapterCase = {
  name: 'fastify',
  async start(options) {
    const rid = options.requestId;
    const header = typeof rid === 'object' ? rid.header : undefined;
    const app = Fastify(
      rid
        ? {
            logger: false,
            genReqId: fastifyGenReqId({ header, telemetry: options.telemetry }),
          }
        : { logger: false },
    );
    await app.register(telltaleFastify, options);
    app.get('/metrics', async (_req, reply) =>
      reply.type('text/plain').send(metricsBody(options.registry)),
    );
    app.get('/health', async (_req, reply) => reply.type('text/plain').send('ok'));
    app.get<{ Params: { name: string } }>('/hello/:name', async (req, reply) =>
      reply.type('text/plain').send(`hello ${req.params.name}`),
    );
    await app.register(
      async (api) => {
        api.get<{ Params: { id: string } }>('/users/:id', async (req, reply) =>
          reply.type('text/plain').send(`user ${req.params.id}`),
        );
      },
      { prefix: '/api' },
    );
    app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));
    app.post('/echo', async (req, reply) =>
      reply.type('text/plain').send(typeof req.body === 'string' ? req.body : ''),
    );
    app.get('/fail', async () => {
      throw new Error('boom');
    });
    app.get('/ctx', async (_req, reply) => reply.type('text/plain').send(await ctxBody()));
    app.get('/slow', async (_req, reply) => reply.type('text/plain').send(await late()));
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as AddressInfo;
    return { url: `http://127.0.0.1:${port}`, close: () => app.close() };
  },
};

/** The Hono app; `middleware` registers telltaleHono first, else the caller wraps the app. */
function honoApp(options: AppOptions, middleware: boolean): Hono {
  const app = new Hono();
  if (middleware) app.use(telltaleHono(options));
  app.get('/metrics', (c) => c.text(metricsBody(options.registry)));
  app.get('/health', (c) => c.text('ok'));
  app.get('/hello/:name', (c) => c.text(`hello ${c.req.param('name')}`));
  const api = new Hono();
  api.get('/users/:id', (c) => c.text(`user ${c.req.param('id')}`));
  app.route('/api', api);
  app.post('/echo', async (c) => c.text(await c.req.text()));
  app.get('/fail', () => {
    throw new Error('boom');
  });
  app.get('/ctx', async (c) => c.text(await ctxBody()));
  app.get('/slow', async (c) => c.text(await late()));
  app.onError((_err, c) => c.text('Internal Server Error', 500)); // the default logs to stderr
  return app;
}

async function serveFetch(
  fetch: (request: Request, env?: unknown) => unknown,
): Promise<RunningApp> {
  const server = serve({ fetch, port: 0, hostname: '127.0.0.1' }) as Server;
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => closeServer(server) };
}

const honoCase: AdapterCase = {
  name: 'hono',
  start: (options) => serveFetch(honoApp(options, true).fetch),
};

/** The whole Hono app wrapped by instrumentHono, no middleware. */
const honoAppCase: AdapterCase = {
  name: 'hono-app',
  start: (options) => serveFetch(instrumentHono(honoApp(options, false), options)),
};

/** The adapters (and the two app wrappers), by name. */
export const ADAPTERS: Readonly<Record<AdapterCase['name'], AdapterCase>> = {
  'node-http': nodeHttp,
  express: expressCase,
  'express-app': expressAppCase,
  fastify: fastifyCase,
  hono: honoCase,
  'hono-app': honoAppCase,
};
