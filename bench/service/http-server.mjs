// One HTTP server for the service benchmark (cases 1 and 5), driven by bench/service/run.mjs.
//
// Run (from the repo root, pinned by the runner):
//   taskset -c 0 node --conditions=telltale-source --import tsx bench/service/http-server.mjs --variant=node-bare
//   taskset -c 0 node ... bench/service/http-server.mjs --interleave=node-bare,node-tt-metrics --slice-ms=100
//   taskset -c 0 node ... bench/service/http-server.mjs --interleave=node-bare,node-tt-metrics,node-prom-client,node-tt-ref --ref=<snapshot dir>
//
// --variant serves one variant. --interleave builds every listed variant in this one process and
// switches the listener every --slice-ms milliseconds, the first variant (the baseline) in every
// other slice (A, B, A, C, A, D, A, B, …), noting the CPU time and requests of every slice:
// adjacent slices see the same machine, so their difference is the variants' cost difference
// without the drift between separate runs (see bench/service/README.md). --build-order=2,1,0,…
// builds the variants in that order (default: as listed).
//
// telltale is loaded only through its public subpaths (`telltale/node-http`, `telltale/metrics`,
// …), resolved by the `telltale-source` condition of the root package.json's export map, so the
// harness keeps working while the modules behind them move. Variants named `*-tt-ref` load the
// same subpaths from --ref=<dir>, a snapshot of another commit (src/ and package.json), in the
// same process: the reference core measured side by side with the current one. --current=<dir>
// loads every other variant's telltale from such a snapshot instead of this working tree.
//
// The server answers GET / (or the probe path). The runner talks to it over the IPC channel,
// never over HTTP, so control traffic is not counted as requests:
//   { cmd: 'begin' }  → snapshot process.cpuUsage(), the handler's request count and the metric totals
//   { cmd: 'end' }    → { cpuUs, served, recorded } deltas since 'begin'
//   { cmd: 'slices' } → (interleave) { slices: [{ variant, cpuUs, served }], served: [n…], recorded: [n…] }
// `served` is counted by the listener wrapper (a plain integer, identical in every variant);
// `recorded` is what the instrumentation recorded (http_requests_total read back from the
// registry, or access-log lines written), or null for variants that record nothing. Metric
// read-backs also check that every sample carries method="GET", route="/" and status="200".
import { openSync, readFileSync, writeSync } from 'node:fs';
import { createServer } from 'node:http';
import { pathToFileURL } from 'node:url';

const args = process.argv.join(' ');
const single = /--variant=([\w-]+)/.exec(args)?.[1];
const list = /--interleave=([\w,-]+)/.exec(args)?.[1].split(',');
const sliceMs = Number(/--slice-ms=(\d+)/.exec(args)?.[1] ?? 100);
const refDir = /--ref=(\S+)/.exec(args)?.[1];
const currentDir = /--current=(\S+)/.exec(args)?.[1];
if (single === undefined && (list === undefined || list.length < 2))
  throw new Error('--variant=... or --interleave=a,b[,c…] is required');

/**
 * A loader of telltale's public subpaths from the package at `rootUrl`: `tt('node-http')` imports
 * what `telltale/node-http` names in that package.json's export map under `telltale-source`.
 */
function publicApi(rootUrl) {
  const map = JSON.parse(readFileSync(new URL('package.json', rootUrl), 'utf8')).exports;
  return (sub) => {
    const file = map?.[`./${sub}`]?.['telltale-source'];
    if (typeof file !== 'string') throw new Error(`telltale/${sub} is not a public subpath`);
    return import(new URL(file, rootUrl).href);
  };
}
const working = publicApi(
  currentDir === undefined ? new URL('../../', import.meta.url) : pathToFileURL(`${currentDir}/`),
);
const reference = refDir === undefined ? undefined : publicApi(pathToFileURL(`${refDir}/`));

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
 * Sums the samples of the request counter `name` and checks that each names the request the
 * benchmark sends (GET of the route template "/", answered 200), whatever the label order, so a
 * variant that records an unmatched route or no status cannot pass as measured.
 */
function requestTotal(text, name) {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    for (const want of ['method="GET"', 'route="/"', /status(_code)?="200"/]) {
      const ok = typeof want === 'string' ? line.includes(want) : want.test(line);
      if (!ok) throw new Error(`${name} sample without ${want}: ${line}`);
    }
  }
  return sumSamples(text, name);
}

/**
 * Builds one variant: its request listener (the app, with or without instrumentation) and a
 * function reading the instrumentation's own total back (requests recorded, or access-log lines),
 * or null for variants that record nothing.
 */
async function buildVariant(variant) {
  let recordedTotal = async () => null;
  // `*-tt-ref` variants: the same public API, from the reference snapshot.
  const ref = variant.endsWith('-tt-ref');
  if (ref && reference === undefined) throw new Error(`${variant} needs --ref=<snapshot dir>`);
  const tt = ref ? reference : working;

  async function telltaleRegistry() {
    const { createRegistry } = await tt('metrics');
    const { encodeText } = await tt('exposition');
    const registry = createRegistry();
    recordedTotal = async () =>
      requestTotal(encodeText(await registry.gather()), 'http_requests_total');
    return registry;
  }

  /**
   * prom-client the way its users write HTTP metrics: a `Counter` http_requests_total and a
   * `Histogram` http_request_duration_seconds (default buckets), both labelled
   * {method, route, status} with the route template, in their own registry.
   */
  async function promClient() {
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
    recordedTotal = async () => requestTotal(await registry.metrics(), 'http_requests_total');
    return { requests, duration };
  }

  /**
   * Full-mode options: metrics + request id + span + access log, the log written by telltale's
   * logger (`createLogger`, on pino) to the /dev/null sink. Read back: access-log lines must equal
   * http_requests_total.
   */
  async function fullOptions(registry) {
    const { createLogger } = await tt('log');
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
    case 'node-tt-ref':
    case 'node-tt-async':
    case 'node-tt-reqid':
    case 'node-tt-trace':
    case 'node-tt-log':
    case 'node-tt-full': {
      const { instrumentHandler, setRoute } = await tt('node-http');
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
      // prom-client's idiomatic per-request counter and histogram: a timer started when the
      // request arrives, both recorded on the response's 'finish'.
      const { requests, duration } = await promClient();
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
        const { instrumentExpress } = await tt('express');
        const registry = await telltaleRegistry();
        serve = (a) => instrumentExpress(a, { registry });
      } else if (variant !== 'express-bare') {
        const { telltaleExpress } = await tt('express');
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
    case 'fastify-tt-ref':
    case 'fastify-prom-client':
    case 'fastify-tt-full': {
      const Fastify = (await import('fastify')).default;
      let app;
      // Fastify gets a server of its own that never listens; this process's one server hands each
      // request to it as a 'request' event, so every 'request' listener a plugin adds to
      // `fastify.server` runs as it would on a listening server.
      let fastifyServer;
      const serverFactory = (handler) => {
        fastifyServer = createServer(handler);
        return fastifyServer;
      };
      listener = (req, res) => fastifyServer.emit('request', req, res);
      if (variant === 'fastify-tt-full') {
        const { fastifyGenReqId } = await tt('fastify');
        app = Fastify({ logger: false, serverFactory, genReqId: fastifyGenReqId() });
      } else app = Fastify({ logger: false, serverFactory });
      // The cost of an onRequest hook plus a close listener on the raw response, without telltale.
      if (variant === 'fastify-noop-hook') {
        const onClose = () => {};
        app.addHook('onRequest', (_req, reply, done) => {
          reply.raw.once('close', onClose);
          done();
        });
      } else if (variant === 'fastify-prom-client') {
        // prom-client in Fastify's own hooks: the timer starts in onRequest (on a decorated
        // request property, so Fastify keeps the request's shape) and both metrics are recorded
        // in onResponse, with the route template Fastify matched.
        const { requests, duration } = await promClient();
        app.decorateRequest('endTimer', null);
        app.addHook('onRequest', (request, _reply, done) => {
          request.endTimer = duration.startTimer();
          done();
        });
        app.addHook('onResponse', (request, reply, done) => {
          const labels = {
            method: request.method,
            route: request.routeOptions.url,
            status: reply.statusCode,
          };
          requests.inc(labels);
          request.endTimer(labels);
          done();
        });
      } else if (variant !== 'fastify-bare') {
        const { telltaleFastify } = await tt('fastify');
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
    case 'hono-tt-ref':
    case 'hono-prom-client':
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
      } else if (variant === 'hono-prom-client') {
        // prom-client as a Hono middleware (the shape of @hono/prometheus): timer before next(),
        // both metrics after it, with the route template Hono matched (`c.req.routePath`).
        const { requests, duration } = await promClient();
        app.use(async (c, next) => {
          const end = duration.startTimer();
          await next();
          const labels = { method: c.req.method, route: c.req.routePath, status: c.res.status };
          requests.inc(labels);
          end(labels);
        });
      } else if (variant === 'hono-tt-app' || variant === 'hono-tt-ref') {
        const { instrumentHono } = await tt('hono');
        const registry = await telltaleRegistry();
        fetchOf = (a) => instrumentHono(a, { registry });
      } else if (variant !== 'hono-bare') {
        const { telltaleHono } = await tt('hono');
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
      const { createHealth } = await tt('health');
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

// Requests the listeners were handed, per variant index (0 = --variant or the first listed).
const served = (list ?? [single]).map(() => 0);
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
  const order = /--build-order=([\d,]+)/.exec(args)?.[1].split(',').map(Number) ?? list.keys();
  const built = new Array(list.length);
  for (const i of order) built[i] = await buildVariant(list[i]);
  if (built.some((b) => b === undefined)) throw new Error('--build-order must name every variant');
  const listeners = built.map((b) => b.listener);
  const recordedAll = async () => {
    const r = [];
    for (const b of built) r.push(await b.recordedTotal());
    return r;
  };
  // The baseline (variant 0) every other slice: 0, 1, 0, 2, …, 0, n-1, then again.
  const schedule = list.slice(1).flatMap((_, k) => [0, k + 1]);
  let pos = 0;
  let current = 0;
  server = createServer((req, res) => {
    served[current]++;
    listeners[current](req, res);
  });
  // Slices: the CPU time and requests of every --slice-ms window, tagged with the variant that
  // served it. A bounded ring (the runner reads and clears it after each run).
  let slices = [];
  let c0 = process.cpuUsage();
  let s0 = [...served];
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
    pos = (pos + 1) % schedule.length;
    current = schedule[pos];
  }, sliceMs);
  process.on('message', async (m) => {
    try {
      if (m.cmd === 'record') {
        recording = true;
        slices = [];
        process.send({ ok: true, recorded: await recordedAll() });
      } else if (m.cmd === 'slices') {
        recording = false;
        process.send({ ok: true, slices, served: [...served], recorded: await recordedAll() });
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
process.send({ ready: true, port, variant: single ?? list.join(',') });
