// The demo service: every metric type, awkward label values, runtime metrics, probes and an instrumented API on one port.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHealth, eventLoopCheck, type Health, heartbeatCheck } from 'telltale/health';
import { createPeriodicTask } from 'telltale/lifecycle';
import { createLogger, type Logger } from 'telltale/log';
import { BucketPresets, createRegistry, type Registry } from 'telltale/metrics';
import { instrumentHandler, requestIdOf, setRoute } from 'telltale/node-http';
import { type RuntimeMetrics, startRuntimeMetrics } from 'telltale/runtime';
import { createMetricsHandler, type ServerTimeoutOptions, serverTimeouts } from 'telltale/server';
import { createTelemetry, span } from 'telltale/trace';
import { startAgentProcessMetrics } from '../agent/process-metrics.js';
import { createSystemSampler } from './system.js';

/** Options of {@link startDemo}. */
export interface DemoOptions {
  /** The logger. Default `createLogger({ name: 'demo' })` (JSON on stdout, `LOG_LEVEL` applies). */
  readonly logger?: Logger;
  /** Host to bind. Default `127.0.0.1`. */
  readonly host?: string;
  /** Port to bind; `0` picks a free one. Default 9464. */
  readonly port?: number;
  /** How often the synthetic workload ticks, in ms; `0` turns it off. Default 100. */
  readonly workloadIntervalMs?: number;
  /** The server's header, request and keep-alive timeouts (telltale/server's `serverTimeouts`). Default: 10 s, 30 s and 5 s. */
  readonly timeouts?: ServerTimeoutOptions;
}

/** Label values that stress escaping: quotes, backslashes, a newline and non-ASCII text. */
export const SHOWCASE_VALUES = [
  'say "hi"',
  'C:\\path\\to\\file',
  'line one\nline two',
  'naïve café ☕ 日本語',
] as const;

/** Builds the demo's registry and instruments (no I/O, no timers). */
export function createDemoMetrics(
  registry: Registry = createRegistry({ defaultLabels: { service: 'demo' } }),
) {
  let temperature = 21.5;
  return {
    registry,
    requests: registry.counter({
      name: 'demo_requests_total',
      help: 'Requests handled by the demo, by method, route and status.',
      labelNames: ['method', 'route', 'status'],
    }),
    duration: registry.histogram({
      name: 'demo_request_duration_seconds',
      help: 'Time spent handling a demo request.',
      unit: 'seconds',
      labelNames: ['route'],
      buckets: BucketPresets.httpLatency,
    }),
    // A native (sparse exponential) histogram: Prometheus with native histograms enabled scrapes
    // it as protobuf and stores its buckets; text and OpenMetrics carry its count and sum.
    work: registry.histogram({
      name: 'demo_work_duration_seconds',
      help: 'Time spent on a unit of synthetic work (a native histogram).',
      unit: 'seconds',
      labelNames: ['kind'],
      native: { schema: 3 },
    }),
    queueDepth: registry.gauge({
      name: 'demo_queue_depth',
      help: 'Jobs waiting in the demo queue.',
    }),
    payload: registry.summary({
      name: 'demo_payload_bytes',
      help: 'Size of demo payloads, with quantiles over the last 10 minutes.',
      unit: 'bytes',
      labelNames: ['direction'],
    }),
    build: registry.info({
      name: 'demo_build_info',
      help: 'Build information of the demo.',
      labelNames: ['version', 'commit'],
    }),
    phase: registry.stateSet({
      name: 'demo_phase',
      help: 'Lifecycle phase of the demo.',
      states: ['starting', 'running', 'draining'],
    }),
    temperature: registry.gauge({
      name: 'demo_room_temperature_celsius',
      help: 'A reading taken at scrape time by an async callback.',
      unit: 'celsius',
      labelNames: ['room'],
      collect: async (g) => {
        await new Promise((resolve) => setImmediate(resolve));
        temperature += 0.1;
        g.set({ room: 'lab' }, Math.round(temperature * 10) / 10);
      },
    }),
    systemLoad: registry.gauge({
      name: 'demo_system_usage_ratio',
      help: 'System CPU and memory use (0 to 1), sampled by the heartbeat at call time.',
      labelNames: ['resource'],
    }),
    showcase: registry.counter({
      name: 'demo_label_showcase_total',
      help: 'Label values with "quotes", \\backslashes\\, newlines and non-ASCII text.',
      labelNames: ['text'],
    }),
  };
}

/** The demo's instruments. */
export type DemoMetrics = ReturnType<typeof createDemoMetrics>;

/** A running demo. */
export interface Demo {
  readonly metrics: DemoMetrics;
  readonly health: Health;
  readonly logger: Logger;
  /** The one HTTP server: the API, `/metrics` and the health probes. */
  readonly server: Server;
  /** Its bound port. */
  readonly port: number;
  /** `http://host:port`. */
  readonly url: string;
  /** The metrics URL. */
  readonly metricsUrl: string;
  /** Stops the workload, the collectors, the probes' timers and the server. */
  stop(): Promise<void>;
}

/** One tick of synthetic work: a deterministic mix driven by a counter. */
export function workloadTick(m: DemoMetrics, tick: number): void {
  const routes = ['/hello/:name', '/echo', '/fail'] as const;
  const route = routes[tick % routes.length]!;
  m.duration.observe({ route }, ((tick * 7) % 100) / 400);
  m.work.observe({ kind: tick % 2 === 0 ? 'fast' : 'slow' }, (1 + ((tick * 11) % 50)) / 1000);
  m.queueDepth.set((tick * 13) % 20);
  m.payload.observe({ direction: 'in' }, 100 + ((tick * 37) % 900));
  m.showcase.inc({ text: SHOWCASE_VALUES[tick % SHOWCASE_VALUES.length]! });
}

/** One request against the demo's own API, cycling through its routes. Failures are ignored. */
async function trafficTick(url: string, n: number): Promise<void> {
  try {
    const kind = n % 4;
    const res =
      kind === 0
        ? await fetch(`${url}/hello/visitor-${n % 7}`)
        : kind === 1
          ? await fetch(`${url}/echo`, { method: 'POST', body: `ping ${n}` })
          : kind === 2
            ? await fetch(`${url}/fail`)
            : await fetch(`${url}/no/such/route`);
    await res.arrayBuffer();
  } catch {
    // The server may be stopping; the next tick tries again.
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

/** Reads a request body, at most 64 KiB. */
async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > 65_536) throw Object.assign(new Error('body too large'), { status: 413 });
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * The demo API: `GET /hello/:name`, `POST /echo`, and `GET /fail` (a 500). It names the matched
 * route with `setRoute`, so the `route` label is the template, never the raw path.
 */
function api(m: DemoMetrics, logger: Logger) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const hello = /^\/hello\/([^/]+)$/.exec(path);
    if (hello !== null && (req.method === 'GET' || req.method === 'HEAD')) {
      setRoute(req, '/hello/:name');
      const name = decodeURIComponent(hello[1]!);
      const greeting = await span(
        'greet',
        { name_length: name.length },
        async () => `hello, ${name}`,
      );
      m.requests.inc({ method: 'GET', route: '/hello/:name', status: '200' });
      json(res, 200, { greeting, request_id: requestIdOf(req) });
      return;
    }
    if (path === '/echo' && req.method === 'POST') {
      setRoute(req, '/echo');
      const body = await readBody(req);
      m.payload.observe({ direction: 'echo' }, Buffer.byteLength(body));
      m.requests.inc({ method: 'POST', route: '/echo', status: '200' });
      res.writeHead(200, {
        'content-type': req.headers['content-type'] ?? 'application/octet-stream',
        'content-length': Buffer.byteLength(body),
      });
      res.end(body);
      return;
    }
    if (path === '/fail') {
      setRoute(req, '/fail');
      m.requests.inc({ method: 'GET', route: '/fail', status: '500' });
      logger.warn({ request_id: requestIdOf(req) }, 'the /fail route always fails');
      json(res, 500, { error: 'this route always fails', request_id: requestIdOf(req) });
      return;
    }
    json(res, 404, { error: 'not found', request_id: requestIdOf(req) });
  };
}

/**
 * Starts the demo: metrics of every type, runtime collectors, health probes, and a small HTTP API
 * (instrumented through the node:http adapter, with request ids, spans and access logs), all on
 * one port with `/metrics`.
 */
export async function startDemo(options: DemoOptions = {}): Promise<Demo> {
  const logger = options.logger ?? createLogger({ name: 'demo' });
  const metrics = createDemoMetrics();
  const registry = metrics.registry;
  metrics.build.set({ version: '0.1.0', commit: 'dev' });
  metrics.phase.set('starting');

  const runtime: RuntimeMetrics = startRuntimeMetrics({ registry });
  // The agent plan's process_cpu_usage (percent) and process_memory_bytes, shown here too.
  const agentProcess = startAgentProcessMetrics(registry);
  // Span-close events to the trace logger and trace_id exemplars on this registry, for the
  // requests the API below serves (and the spans inside them).
  const telemetry = createTelemetry({
    registry,
    logger: logger.named('trace'),
    tracing: { exemplars: true },
  });
  const health = createHealth({
    version: '0.1.0',
    registry,
    logger: logger.named('health'),
    checks: [eventLoopCheck({ maxLagMs: 500 })],
  });
  const metricsHandler = createMetricsHandler({ registry, logger: logger.named('metrics') });
  const app = instrumentHandler(api(metrics, logger), {
    telemetry,
    requestId: true,
    tracing: true,
    accessLog: { logger: logger.named('http') },
    logger: logger.named('http'),
  });
  // Hardened timeouts that fire on time (telltale/server's serverTimeouts; docs/server.md).
  const server = createServer(serverTimeouts(options.timeouts), (req, res) => {
    if (health.handle(req, res)) return;
    if ((req.url ?? '').split('?')[0] === '/metrics') {
      metricsHandler(req, res);
      return;
    }
    app(req, res);
  });

  // Bind before reporting started; a taken port fails here, loudly.
  const host = options.host ?? '127.0.0.1';
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 9464, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    agentProcess.stop();
    runtime.stop();
    health.close();
    throw err;
  }
  const port = (server.address() as AddressInfo).port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

  const interval = options.workloadIntervalMs ?? 100;
  let tick = 0;
  const timer =
    interval > 0
      ? setInterval(() => {
          workloadTick(metrics, tick);
          // Every tenth tick, real traffic through the instrumented API (request ids, spans, logs).
          if (tick % 10 === 0) void trafficTick(url, tick / 10);
          tick++;
        }, interval)
      : undefined;
  // A heartbeat, as a service would send to its controller: here it reads the demo's own
  // readiness with the system CPU and memory gathered at call time. It never gives up, and the
  // health check below fails when it has not succeeded for 10 s.
  const sampleSystem = createSystemSampler();
  const heartbeat = createPeriodicTask({
    name: 'heartbeat',
    intervalMs: 1000,
    timeoutMs: 500,
    neverExit: true,
    retry: { initialDelayMs: 250, maxDelayMs: 2000 },
    registry,
    logger: logger.named('heartbeat'),
    run: async ({ signal }) => {
      const res = await fetch(`${url}/health/live`, { signal });
      await res.arrayBuffer();
      if (!res.ok)
        throw Object.assign(new Error(`live probe answered ${res.status}`), { status: res.status });
      const { cpuPercent, memoryPercent } = sampleSystem();
      metrics.systemLoad.set({ resource: 'cpu' }, cpuPercent / 100);
      metrics.systemLoad.set({ resource: 'memory' }, memoryPercent / 100);
    },
  });
  health.addCheck(
    heartbeatCheck({
      name: 'heartbeat',
      maxAgeSeconds: 10,
      lastSuccess: () => heartbeat.lastSuccess,
    }),
  );
  heartbeat.start();
  metrics.phase.set('running');
  health.setReady();
  let stopped: Promise<void> | undefined;
  return {
    metrics,
    health,
    logger,
    server,
    port,
    url,
    metricsUrl: `${url}/metrics`,
    stop() {
      stopped ??= (async () => {
        if (timer !== undefined) clearInterval(timer);
        await heartbeat.stop();
        metrics.phase.set('draining');
        if (health.state !== 'stopped') health.setDraining();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeIdleConnections();
        });
        agentProcess.stop();
        runtime.stop();
        health.close();
        if (health.state !== 'stopped') health.setStopped();
      })();
      return stopped;
    },
  };
}
