// One HTTP server for the service benchmark (cases 1 and 5), driven by bench/service/run.mjs.
//
// Run (from the repo root, pinned by the runner):
//   taskset -c 0 node --conditions=telltale-source --import tsx bench/service/http-server.mjs --variant=node-bare
//   taskset -c 0 node ... bench/service/http-server.mjs --interleave=node-bare,node-tt-metrics --slice-ms=100
//
// --variant serves one variant. --interleave builds both variants in this one process and switches
// the listener every --slice-ms milliseconds (A, B, A, B, …), noting the CPU time and requests of
// every slice: adjacent slices see the same machine, so their difference is the variants' cost
// difference without the drift between separate runs (see bench/service/README.md).
//
// The server answers GET / (or the probe path). The runner talks to it over the IPC channel,
// never over HTTP, so control traffic is not counted as requests:
//   { cmd: 'begin' }  → snapshot process.cpuUsage(), the handler's request count and the metric totals
//   { cmd: 'end' }    → { cpuUs, served, recorded } deltas since 'begin'
//   { cmd: 'slices' } → (interleave) { slices: [{ variant, cpuUs, served }], recorded: {variant: n} }
// `served` is counted by the listener wrapper (a plain integer, identical in every variant);
// `recorded` is what the instrumentation recorded (http_requests_total read back from the
// registry, or access-log lines written), or null for variants that record nothing.
import { openSync, writeSync } from 'node:fs';
import { createServer } from 'node:http';

const args = process.argv.join(' ');
const single = /--variant=([\w-]+)/.exec(args)?.[1];
const pair = /--interleave=([\w-]+),([\w-]+)/.exec(args)?.slice(1);
const sliceMs = Number(/--slice-ms=(\d+)/.exec(args)?.[1] ?? 100);
if (single === undefined && pair === undefined)
  throw new Error('--variant=... or --interleave=a,b is required');

const src = (p) => new URL(`../../src/${p}`, import.meta.url).href;

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

/**
 * Builds one variant: its request listener (the app, with or without instrumentation) and a
 * function reading the instrumentation's own total back (requests recorded, or access-log lines),
 * or null for variants that record nothing.
 */
async function buildVariant(variant) {
  let recordedTotal = async () => null;

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

  let listener;
  switch (variant) {
    // ---- node:http --------------------------------------------------------------------------
    case 'node-bare':
      listener = nodeOk;
      break;
    case 'node-noop-close':
      // The cost of a 'close' listener per response (what any response-end hook needs), without telltale.
      listener = (req, res) => {
        res.once('close', noop);
        nodeOk(req, res);
      };
      break;
    case 'node-clock2': {
      // Two performance.now() reads around the answer and nothing else: the floor of any
      // per-request duration measurement on this machine.
      let total = 0;
      listener = (req, res) => {
        const start = performance.now();
        nodeOk(req, res);
        total += performance.now() - start;
      };
      recordedTotal = async () => (total >= 0 ? null : 0);
      break;
    }
    case 'node-async-bare':
      // An async handler (answers after an await), the shape of most real handlers.
      listener = async (req, res) => {
        await undefined;
        nodeOk(req, res);
      };
      break;
    case 'node-tt-metrics':
    case 'node-tt-async':
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
      listener =
        variant === 'node-tt-async'
          ? instrumentHandler(async (req, res) => {
              setRoute(req, '/');
              await undefined;
              nodeOk(req, res);
            }, opts)
          : instrumentHandler((req, res) => {
              setRoute(req, '/');
              nodeOk(req, res);
            }, opts);
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
      listener = (req, res) => {
        const end = duration.startTimer();
        res.on('finish', () => {
          const labels = { method: req.method, route: '/', status: res.statusCode };
          requests.inc(labels);
          end(labels);
        });
        nodeOk(req, res);
      };
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
      listener = (req, res) => {
        log(req, res);
        nodeOk(req, res);
      };
      break;
    }
    // ---- Express 5 --------------------------------------------------------------------------
    case 'express-bare':
    case 'express-noop-mw':
    case 'express-tt-metrics':
    case 'express-tt-app':
    case 'express-tt-full': {
      const express = (await import('express')).default;
      const app = express();
      app.disable('x-powered-by');
      app.set('etag', false);
      // The app as the server's listener, or wrapped whole by instrumentExpress (no middleware).
      let serve = (a) => a;
      // The cost of any middleware in Express's router, without telltale: an empty one.
      if (variant === 'express-noop-mw') app.use((_req, _res, next) => next());
      else if (variant === 'express-tt-app') {
        const { instrumentExpress } = await import(src('adapters/express.ts'));
        const registry = await telltaleRegistry();
        serve = (a) => instrumentExpress(a, { registry });
      } else if (variant !== 'express-bare') {
        const { telltaleExpress } = await import(src('adapters/express.ts'));
        const registry = await telltaleRegistry();
        const opts = variant === 'express-tt-full' ? await fullOptions(registry) : { registry };
        app.use(telltaleExpress(opts));
      }
      app.get('/', (_req, res) => {
        res.type('text/plain').send(OK);
      });
      listener = serve(app);
      break;
    }
    // ---- Fastify 5 --------------------------------------------------------------------------
    case 'fastify-bare':
    case 'fastify-noop-hook':
    case 'fastify-tt-metrics':
    case 'fastify-tt-full': {
      const Fastify = (await import('fastify')).default;
      let app;
      // Fastify hands its request listener to the server factory: keep the listener, give it a
      // server it never listens on (this process's one server dispatches to it).
      const serverFactory = (handler) => {
        listener = handler;
        return createServer();
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
        reply.type('text/plain').send(OK);
      });
      await app.ready();
      break;
    }
    // ---- Hono 4 on @hono/node-server -------------------------------------------------------
    case 'hono-bare':
    case 'hono-noop-mw':
    case 'hono-tt-metrics':
    case 'hono-tt-app':
    case 'hono-tt-full': {
      const { Hono } = await import('hono');
      const { getRequestListener } = await import('@hono/node-server');
      const app = new Hono();
      // The app's own fetch, or the app wrapped whole by instrumentHono (Hono keeps its
      // no-middleware fast path).
      let fetchOf = (a) => a.fetch;
      // The cost of any async middleware in Hono, without telltale: an empty one.
      if (variant === 'hono-noop-mw') {
        app.use(async (_c, next) => {
          await next();
        });
      } else if (variant === 'hono-tt-app') {
        const { instrumentHono } = await import(src('adapters/hono.ts'));
        const registry = await telltaleRegistry();
        fetchOf = (a) => instrumentHono(a, { registry });
      } else if (variant !== 'hono-bare') {
        const { telltaleHono } = await import(src('adapters/hono.ts'));
        const registry = await telltaleRegistry();
        const opts = variant === 'hono-tt-full' ? await fullOptions(registry) : { registry };
        app.use(telltaleHono(opts));
      }
      app.get('/', (c) => c.text(OK));
      listener = getRequestListener(fetchOf(app));
      break;
    }
    // ---- probes (case 5) --------------------------------------------------------------------
    case 'probe-bare': {
      const body = '{}';
      listener = (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': 2 });
        res.end(body);
      };
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
      listener = health.handlers.ready;
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
  if (typeof listener !== 'function') throw new Error(`${variant}: no request listener`);
  return { listener, recordedTotal: () => recordedTotal() };
}

const OK = 'ok';
const noop = () => {};
function nodeOk(_req, res) {
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 2 });
  res.end(OK);
}

// Requests the listeners were handed, per variant index (0 = --variant or the first of the pair).
const served = [0, 0];
let server;
let cpu0;
let served0 = 0;
let recorded0 = null;
let recordedOf = async () => null;

if (single !== undefined) {
  const v = await buildVariant(single);
  const l = v.listener;
  server = createServer((req, res) => {
    served[0]++;
    l(req, res);
  });
  recordedOf = v.recordedTotal;
} else {
  const [a, b] = await Promise.all(pair.map(buildVariant));
  const la = a.listener;
  const lb = b.listener;
  let current = 0;
  server = createServer((req, res) => {
    served[current]++;
    if (current === 0) la(req, res);
    else lb(req, res);
  });
  // Slices: the CPU time and requests of every --slice-ms window, tagged with the variant that
  // served it. A bounded ring (the runner reads and clears it after each run).
  let slices = [];
  let c0 = process.cpuUsage();
  let s0 = [0, 0];
  let recording = false;
  setInterval(() => {
    const c = process.cpuUsage();
    if (recording && slices.length < 100_000) {
      slices.push({
        variant: current,
        cpuUs: c.user - c0.user + (c.system - c0.system),
        served: served[current] - s0[current],
      });
    }
    c0 = c;
    s0 = [...served];
    current ^= 1;
  }, sliceMs);
  process.on('message', async (m) => {
    try {
      if (m.cmd === 'record') {
        recording = true;
        slices = [];
        process.send({ ok: true, recorded: [await a.recordedTotal(), await b.recordedTotal()] });
      } else if (m.cmd === 'slices') {
        recording = false;
        process.send({
          ok: true,
          slices,
          served: [...served],
          recorded: [await a.recordedTotal(), await b.recordedTotal()],
        });
      }
    } catch (err) {
      process.send({ ok: false, error: String(err?.stack ?? err) });
    }
  });
}

server.keepAliveTimeout = 60_000;
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const port = server.address().port;

process.on('message', async (m) => {
  try {
    if (m.cmd === 'begin') {
      recorded0 = await recordedOf();
      served0 = served[0];
      cpu0 = process.cpuUsage();
      process.send({ ok: true });
    } else if (m.cmd === 'end') {
      const c = process.cpuUsage(cpu0);
      const s = served[0] - served0;
      const r = await recordedOf();
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
process.send({ ready: true, port, variant: single ?? pair.join(',') });
