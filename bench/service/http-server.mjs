// One HTTP server variant for the service benchmark (cases 1 and 5), driven by bench/service/run.mjs.
//
// Run (from the repo root, pinned by the runner):
//   taskset -c 0 node --conditions=telltale-source --import tsx bench/service/http-server.mjs --variant=node-bare
//
// The server answers GET / (or the probe path). The runner talks to it over the IPC channel,
// never over HTTP, so control traffic is not counted as requests:
//   { cmd: 'begin' }  → snapshot process.cpuUsage(), the handler's request count and the metric totals
//   { cmd: 'end' }    → { cpuUs, served, recorded } deltas since 'begin'
// `served` is counted by the handler itself (a plain integer, identical in every variant);
// `recorded` is what the instrumentation recorded (http_requests_total read back from the
// registry, or access-log lines written), or null for variants that record nothing.
import { openSync, writeSync } from 'node:fs';
import { createServer } from 'node:http';

const variant = /--variant=([\w-]+)/.exec(process.argv.join(' '))?.[1];
if (variant === undefined) throw new Error('--variant=... is required');

const src = (p) => new URL(`../../src/${p}`, import.meta.url).href;
let served = 0;
/** Returns the instrumentation's own total (requests recorded), or null. */
let recordedTotal = async () => null;

/**
 * The log sink of every full-mode variant (telltale and pino-http alike): a minimal stream whose
 * write() is one synchronous write(2) to /dev/null, and which counts lines so the access log can
 * be read back.
 */
function devNullSink() {
  const fd = openSync('/dev/null', 'w');
  const sink = {
    lines: 0,
    write(s) {
      sink.lines++;
      writeSync(fd, s);
      return true;
    },
  };
  return sink;
}

/** Sums every sample of `name` in a text exposition. */
function sumSamples(text, name) {
  let total = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name}{`) || line.startsWith(`${name} `)) {
      total += Number(line.slice(line.lastIndexOf(' ') + 1));
    }
  }
  return total;
}

async function telltaleRegistry() {
  const { createRegistry } = await import(src('metrics/index.ts'));
  const { encodeText } = await import(src('exposition/index.ts'));
  const registry = createRegistry();
  recordedTotal = async () =>
    sumSamples(encodeText(await registry.gather()), 'http_requests_total');
  return registry;
}

/**
 * Full-mode options: metrics + request id + span + access log, the log written by telltale's
 * logger (`createLogger`, on pino) to the /dev/null sink. Read back: access-log lines must equal
 * http_requests_total.
 */
async function fullOptions(registry) {
  const { createLogger } = await import(src('log/index.ts'));
  const sink = devNullSink();
  const logger = createLogger({ level: 'info', destination: sink });
  const metricTotal = recordedTotal;
  recordedTotal = async () => {
    const m = await metricTotal();
    if (m !== sink.lines)
      throw new Error(`access log lines ${sink.lines} != http_requests_total ${m}`);
    return m;
  };
  return { registry, requestId: true, tracing: true, accessLog: { logger, level: 'info' } };
}

const OK = 'ok';
const noop = () => {};
function nodeOk(_req, res) {
  served++;
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 2 });
  res.end(OK);
}

let server; // node:http server (all variants run on node:http in the end)
let listen; // (port) => Promise<void>

async function build() {
  switch (variant) {
    // ---- node:http --------------------------------------------------------------------------
    case 'node-bare':
      server = createServer(nodeOk);
      break;
    case 'node-noop-close':
      // The cost of a 'close' listener per response (what any response-end hook needs), without telltale.
      server = createServer((req, res) => {
        res.once('close', noop);
        nodeOk(req, res);
      });
      break;
    case 'node-tt-metrics':
    case 'node-tt-reqid':
    case 'node-tt-trace':
    case 'node-tt-log':
    case 'node-tt-full': {
      const { instrumentHandler, setRoute } = await import(src('adapters/node-http.ts'));
      const registry = await telltaleRegistry();
      let opts = { registry };
      if (variant === 'node-tt-full') opts = await fullOptions(registry);
      // The full mode's parts one at a time, each on top of metrics-only.
      else if (variant === 'node-tt-reqid') opts = { registry, requestId: true };
      else if (variant === 'node-tt-trace') opts = { registry, tracing: true };
      else if (variant === 'node-tt-log') {
        const full = await fullOptions(registry);
        opts = { registry, accessLog: full.accessLog };
      }
      server = createServer(
        instrumentHandler((req, res) => {
          setRoute(req, '/');
          nodeOk(req, res);
        }, opts),
      );
      break;
    }
    case 'node-prom-client': {
      // prom-client's idiomatic per-request counter and histogram (what the notes measured).
      const client = (await import('prom-client')).default;
      const registry = new client.Registry();
      const requests = new client.Counter({
        name: 'http_requests_total',
        help: 'h',
        labelNames: ['method', 'route', 'status'],
        registers: [registry],
      });
      const duration = new client.Histogram({
        name: 'http_request_duration_seconds',
        help: 'h',
        labelNames: ['method', 'route', 'status'],
        registers: [registry],
      });
      recordedTotal = async () => sumSamples(await registry.metrics(), 'http_requests_total');
      server = createServer((req, res) => {
        const end = duration.startTimer();
        res.on('finish', () => {
          const labels = { method: req.method, route: '/', status: res.statusCode };
          requests.inc(labels);
          end(labels);
        });
        nodeOk(req, res);
      });
      break;
    }
    case 'node-pino-http': {
      // pino-http with its defaults (request id counter, req/res serializers, one line per
      // response) on a pino logger writing to the same /dev/null sink as the telltale full mode.
      const pinoHttp = (await import('pino-http')).default;
      const pino = (await import('pino')).default;
      const sink = devNullSink();
      const logger = pino({ level: 'info' }, sink);
      const log = pinoHttp({ logger });
      recordedTotal = async () => sink.lines;
      server = createServer((req, res) => {
        log(req, res);
        nodeOk(req, res);
      });
      break;
    }
    // ---- Express 5 --------------------------------------------------------------------------
    case 'express-bare':
    case 'express-noop-mw':
    case 'express-tt-metrics':
    case 'express-tt-full': {
      const express = (await import('express')).default;
      const app = express();
      app.disable('x-powered-by');
      app.set('etag', false);
      // The cost of any middleware in Express's router, without telltale: an empty one.
      if (variant === 'express-noop-mw') app.use((_req, _res, next) => next());
      else if (variant !== 'express-bare') {
        const { telltaleExpress } = await import(src('adapters/express.ts'));
        const registry = await telltaleRegistry();
        const opts = variant === 'express-tt-full' ? await fullOptions(registry) : { registry };
        app.use(telltaleExpress(opts));
      }
      app.get('/', (_req, res) => {
        served++;
        res.type('text/plain').send(OK);
      });
      server = createServer(app);
      break;
    }
    // ---- Fastify 5 --------------------------------------------------------------------------
    case 'fastify-bare':
    case 'fastify-noop-hook':
    case 'fastify-tt-metrics':
    case 'fastify-tt-full': {
      const Fastify = (await import('fastify')).default;
      let app;
      const serverFactory = (handler) => {
        server = createServer(handler);
        return server;
      };
      if (variant === 'fastify-tt-full') {
        const { fastifyGenReqId } = await import(src('adapters/fastify.ts'));
        app = Fastify({ logger: false, serverFactory, genReqId: fastifyGenReqId() });
      } else app = Fastify({ logger: false, serverFactory });
      // The cost of an onRequest hook plus a close listener on the raw response, without telltale.
      if (variant === 'fastify-noop-hook') {
        const onClose = () => {};
        app.addHook('onRequest', (_req, reply, done) => {
          reply.raw.once('close', onClose);
          done();
        });
      } else if (variant !== 'fastify-bare') {
        const { telltaleFastify } = await import(src('adapters/fastify.ts'));
        const registry = await telltaleRegistry();
        const opts = variant === 'fastify-tt-full' ? await fullOptions(registry) : { registry };
        await app.register(telltaleFastify, opts);
      }
      app.get('/', (_req, reply) => {
        served++;
        reply.type('text/plain').send(OK);
      });
      await app.ready();
      break;
    }
    // ---- Hono 4 on @hono/node-server -------------------------------------------------------
    case 'hono-bare':
    case 'hono-noop-mw':
    case 'hono-tt-metrics':
    case 'hono-tt-full': {
      const { Hono } = await import('hono');
      const { createAdaptorServer } = await import('@hono/node-server');
      const app = new Hono();
      // The cost of any async middleware in Hono, without telltale: an empty one.
      if (variant === 'hono-noop-mw') {
        app.use(async (_c, next) => {
          await next();
        });
      } else if (variant !== 'hono-bare') {
        const { telltaleHono } = await import(src('adapters/hono.ts'));
        const registry = await telltaleRegistry();
        const opts = variant === 'hono-tt-full' ? await fullOptions(registry) : { registry };
        app.use(telltaleHono(opts));
      }
      app.get('/', (c) => {
        served++;
        return c.text(OK);
      });
      server = createAdaptorServer({ fetch: app.fetch });
      break;
    }
    // ---- probes (case 5) --------------------------------------------------------------------
    case 'probe-bare': {
      const body = '{}';
      server = createServer((_req, res) => {
        served++;
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': 2 });
        res.end(body);
      });
      break;
    }
    case 'probe-health': {
      const { createHealth } = await import(src('health/index.ts'));
      let calls = 0;
      const cached = { cacheMs: 3_600_000, timeoutMs: 1000 };
      const health = createHealth({
        version: '1.0.0',
        checks: [
          {
            name: 'sync',
            check: () => {
              calls++;
              return true;
            },
            ...cached,
          },
          {
            name: 'async',
            check: async () => {
              calls++;
            },
            ...cached,
          },
          {
            name: 'optional',
            check: () => {
              calls++;
              return true;
            },
            critical: false,
            ...cached,
          },
        ],
      });
      health.setReady();
      const ready = health.handlers.ready;
      server = createServer((req, res) => {
        served++;
        ready(req, res);
      });
      // Read back: every probe answered 200 (wrk counts non-2xx) and the checks ran once each.
      recordedTotal = async () => {
        const r = await health.readiness();
        if (r.status !== 'ok') throw new Error(`readiness is ${r.status}`);
        if (calls !== 3) throw new Error(`checks ran ${calls} times, expected 3 (cached)`);
        return null;
      };
      break;
    }
    default:
      throw new Error(`unknown variant ${variant}`);
  }
  listen = (port) => new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
}

await build();
server.keepAliveTimeout = 60_000;
await listen(0);
const port = server.address().port;

let cpu0;
let served0 = 0;
let recorded0 = null;
process.on('message', async (m) => {
  try {
    if (m.cmd === 'begin') {
      recorded0 = await recordedTotal();
      served0 = served;
      cpu0 = process.cpuUsage();
      process.send({ ok: true });
    } else if (m.cmd === 'end') {
      const c = process.cpuUsage(cpu0);
      const s = served - served0;
      const r = await recordedTotal();
      process.send({
        ok: true,
        cpuUs: c.user + c.system,
        served: s,
        recorded: r === null ? null : r - (recorded0 ?? 0),
        rssMB: Math.round(process.memoryUsage().rss / 1e6),
      });
    } else if (m.cmd === 'exit') {
      process.exit(0);
    }
  } catch (err) {
    process.send({ ok: false, error: String(err?.stack ?? err) });
  }
});
process.send({ ready: true, port, variant });
