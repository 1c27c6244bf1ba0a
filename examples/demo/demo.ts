// The demo service: every metric type, awkward label values, a steady synthetic workload, served on /metrics.

import { BucketPresets, createRegistry, type Registry } from 'telltale/metrics';
import { createMetricsServer, type RunningMetricsServer } from 'telltale/server';

/** Options of {@link startDemo}. */
export interface DemoOptions {
  /** Host to bind. Default `127.0.0.1`. */
  readonly host?: string;
  /** Port to bind; `0` picks a free one. Default 9464. */
  readonly port?: number;
  /** How often the synthetic workload ticks, in ms; `0` turns it off. Default 100. */
  readonly workloadIntervalMs?: number;
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
  readonly server: RunningMetricsServer;
  /** Stops the workload and the server. */
  stop(): Promise<void>;
}

/** One tick of synthetic work: a deterministic mix driven by a counter. */
export function workloadTick(m: DemoMetrics, tick: number): void {
  const routes = ['/hello/:name', '/echo', '/fail'] as const;
  const route = routes[tick % routes.length]!;
  const status = route === '/fail' ? '500' : '200';
  m.requests.inc({ method: route === '/echo' ? 'POST' : 'GET', route, status });
  m.duration.observe({ route }, ((tick * 7) % 100) / 400);
  m.queueDepth.set((tick * 13) % 20);
  m.payload.observe({ direction: 'in' }, 100 + ((tick * 37) % 900));
  m.showcase.inc({ text: SHOWCASE_VALUES[tick % SHOWCASE_VALUES.length]! });
}

/** Starts the demo: registers the metrics, starts the workload, and serves `/metrics`. */
export async function startDemo(options: DemoOptions = {}): Promise<Demo> {
  const metrics = createDemoMetrics();
  metrics.build.set({ version: '0.1.0', commit: 'dev' });
  metrics.phase.set('starting');
  const server = await createMetricsServer({
    registry: metrics.registry,
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 9464,
  });
  if (!server.enabled) throw new Error('unreachable: the demo always enables its server');
  metrics.phase.set('running');
  const interval = options.workloadIntervalMs ?? 100;
  let tick = 0;
  const timer =
    interval > 0 ? setInterval(() => workloadTick(metrics, tick++), interval) : undefined;
  return {
    metrics,
    server,
    async stop() {
      if (timer !== undefined) clearInterval(timer);
      metrics.phase.set('draining');
      await server.close();
    },
  };
}
