// The agent: storage, message handler, HTTP API with probes, peer hub, metrics endpoint, runtime collectors and workload, started from an AgentConfig.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHealth, eventLoopCheck, type Health } from 'telltale/health';
import { createLogger, type Logger } from 'telltale/log';
import { createRegistry, type Registry } from 'telltale/metrics';
import { instrumentRedis } from 'telltale/redis';
import { type RuntimeMetrics, startRuntimeMetrics } from 'telltale/runtime';
import { createMetricsServer, type MetricsServer, serverTimeouts } from 'telltale/server';
import { createApiListener } from './api.js';
import type { AgentConfig } from './config.js';
import { createMessageHandler, type MessageHandler } from './handler.js';
import { type AgentMetrics, createAgentMetrics } from './metrics.js';
import { createPeerHub, type PeerHub } from './peers.js';
import { startAgentProcessMetrics } from './process-metrics.js';
import { instrumentStorage, type Storage } from './storage.js';
import { type LocalStorageOptions, openLocalStorage } from './storage-local.js';
import { openRedisStorage, type RedisStorageOptions } from './storage-redis.js';
import { startWorkload, type Workload, type WorkloadMessage } from './workload.js';

/** The agent's version, shown in the health JSON. */
export const AGENT_VERSION = '0.1.0';

/** Options of {@link startAgent} besides the config. */
export interface StartAgentOptions {
  /** Default `createLogger({ name: 'agent', level: config.log.level, format: config.log.format })`. */
  readonly logger?: Logger;
  /** Default a new `createRegistry()`. The metrics endpoint (when enabled) serves it. */
  readonly registry?: Registry;
  /** Aborting it stops the workload and the peer dials (the lifecycle's root signal fits). */
  readonly signal?: AbortSignal;
  /** Extra options of the local backend (sync policy, compaction threshold), over the config's path. */
  readonly local?: Omit<LocalStorageOptions, 'path'>;
  /** Extra options of the Redis backend (prefix, timeout, a client wrapper), over the config's URL. */
  readonly redis?: Omit<RedisStorageOptions, 'url'>;
  /** Options of the peer hub's dials (tests shorten the backoff). */
  readonly peerBackoff?: { initialDelayMs?: number; maxDelayMs?: number };
}

/** A running agent. */
export interface Agent {
  readonly config: AgentConfig;
  /** `http://host:port` of the API (and the probes, and `ws://…/peers`). */
  readonly apiUrl: string;
  /** The metrics URL, or `undefined` when `metrics.enabled` is false. */
  readonly metricsUrl: string | undefined;
  /** The API's bound port. */
  readonly port: number;
  /** The metrics endpoint's bound port, or `undefined` when disabled. */
  readonly metricsPort: number | undefined;
  /** The message handler (the API and the peers use it). */
  readonly handler: MessageHandler;
  /** The instrumented storage. */
  readonly storage: Storage;
  readonly registry: Registry;
  readonly metrics: AgentMetrics;
  readonly health: Health;
  readonly logger: Logger;
  /** The API's node:http server (the peer hub listens to its `upgrade` event). */
  readonly server: Server;
  readonly metricsServer: MetricsServer;
  readonly hub: PeerHub;
  /** The workload, when `workload.enabled`. */
  readonly workload: Workload | undefined;
  /**
   * Stops everything in order: workload, peers, API server, metrics server, collectors, probes'
   * timers, and last the storage (flushed and closed). Idempotent.
   */
  stop(): Promise<void>;
}

function hostUrl(scheme: string, host: string, port: number): string {
  return `${scheme}://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

async function openStorage(
  config: AgentConfig,
  options: StartAgentOptions,
  logger: Logger,
  registry: Registry,
): Promise<Storage> {
  if (config.storage.backend === 'redis') {
    return openRedisStorage({
      // Command latency and errors by command (`redis_command_duration_seconds{command}`,
      // `redis_command_errors_total{command,error}`), next to the storage metrics.
      wrapClient: (client) => {
        instrumentRedis(client, { registry });
        return client;
      },
      ...options.redis,
      url: config.storage.redis.url,
    });
  }
  const log = logger.named('storage');
  return openLocalStorage({
    ...options.local,
    path: config.storage.path,
    onWarning: (msg, fields) => log.warn(fields, msg),
  });
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      reject(
        new Error(
          `server.port: the API could not listen on ${host}:${port}: ${err.code ?? err.message}; stop the other process or set another port (AGENT_PORT, 0 picks a free one)`,
          { cause: err },
        ),
      );
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

/**
 * Starts an agent from a resolved config: opens the storage (local or Redis) and instruments it,
 * binds the API (`POST /messages`, `GET /kv/:key`, probes, `/peers`), starts the peer hub (it
 * dials `config.peers`), the metrics endpoint (unless disabled: then it logs exactly
 * `Metrics endpoint disabled` and nothing listens), the runtime collectors
 * (`process_cpu_usage`, `process_memory_bytes`, …) and, with `workload.enabled`, the workload.
 * Readiness turns 200 when all of that is up and the storage check passes.
 *
 * The workload sends message `i` through the agent's own API when `i` is even, and to a peer
 * over its WebSocket when `i` is odd and a peer is connected (else through the API too).
 *
 * @throws When the storage cannot be opened or a port cannot be bound; whatever was started is
 * stopped again first.
 * @example
 * ```ts
 * const agent = await startAgent(loadConfig({ argv: process.argv.slice(2) }));
 * console.log(agent.apiUrl, agent.metricsUrl);
 * ```
 */
export async function startAgent(
  config: AgentConfig,
  options: StartAgentOptions = {},
): Promise<Agent> {
  const logger =
    options.logger ??
    createLogger({ name: 'agent', level: config.log.level, format: config.log.format });
  const registry = options.registry ?? createRegistry();
  const metrics = createAgentMetrics(registry);
  const cleanups: Array<() => unknown> = [];
  const cleanup = async (): Promise<void> => {
    for (const fn of cleanups.reverse()) {
      try {
        await fn();
      } catch (err) {
        logger.warn({ err }, 'cleanup after a failed start failed');
      }
    }
  };

  try {
    const storage = instrumentStorage(
      await openStorage(config, options, logger, registry),
      metrics,
    );
    cleanups.push(() => storage.close());
    logger.info(
      config.storage.backend === 'local'
        ? { backend: 'local', path: config.storage.path }
        : { backend: 'redis', url: config.storage.redis.url },
      'Storage opened',
    );

    const runtime: RuntimeMetrics = startRuntimeMetrics({ registry });
    cleanups.push(() => runtime.stop());
    const agentProcess = startAgentProcessMetrics(registry);
    cleanups.push(() => agentProcess.stop());
    const health = createHealth({
      version: AGENT_VERSION,
      registry,
      logger: logger.named('health'),
      checks: [
        eventLoopCheck({ maxLagMs: 1000 }),
        {
          name: 'storage',
          timeoutMs: 1000,
          check: () => storage.ready?.(),
        },
      ],
    });
    cleanups.push(() => health.close());

    const handler = createMessageHandler({ storage, metrics, logger: logger.named('handler') });
    // Slow clients (slowloris): node closes a connection whose headers (or whole request) are not
    // in after the timeout, but only checks every connectionsCheckingInterval (30 s by default);
    // serverTimeouts() sets it to a quarter of the smallest timeout, at most 500 ms.
    const server = createServer(
      serverTimeouts({
        headersTimeoutMs: config.server.headersTimeoutMs,
        requestTimeoutMs: config.server.requestTimeoutMs,
      }),
      createApiListener({ handle: handler, health, registry, logger }),
    );
    await listen(server, config.server.port, config.server.host);
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        }),
    );
    const port = (server.address() as AddressInfo).port;
    const apiUrl = hostUrl('http', config.server.host, port);

    const controller = new AbortController();
    const onAbort = (): void => controller.abort(options.signal?.reason);
    if (options.signal?.aborted) controller.abort(options.signal.reason);
    else options.signal?.addEventListener('abort', onAbort, { once: true });
    cleanups.push(() => {
      options.signal?.removeEventListener('abort', onAbort);
      controller.abort();
    });

    const hub = createPeerHub({
      server,
      path: '/peers',
      handle: handler,
      peers: config.peers,
      registry,
      logger: logger.named('peers'),
      signal: controller.signal,
      maxPeers: config.peerLimits.maxPeers,
      idleTimeoutMs: config.peerLimits.idleTimeoutMs,
      maxBufferedBytes: config.peerLimits.maxBufferedBytes,
      ...(options.peerBackoff === undefined ? {} : { backoff: options.peerBackoff }),
    });
    cleanups.push(() => hub.close());

    const metricsServer = await createMetricsServer({
      enabled: config.metrics.enabled,
      host: config.metrics.host,
      port: config.metrics.port,
      path: config.metrics.path,
      registry,
      logger: logger.named('metrics'),
    });
    cleanups.push(() => metricsServer.close());

    let workload: Workload | undefined;
    if (config.workload.enabled) {
      const wlLog = logger.named('workload');
      let lastErrorLog = 0;
      const viaApi = async (msg: WorkloadMessage): Promise<void> => {
        const res = await fetch(`${apiUrl}/messages`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(msg),
          signal: AbortSignal.timeout(5000),
        });
        const body = (await res.json()) as { error?: string };
        if (!res.ok) throw new Error(`API answered ${res.status}: ${body.error ?? ''}`);
      };
      let i = 0;
      workload = startWorkload({
        rate: config.workload.rate,
        signal: controller.signal,
        send: async (msg) => {
          if (i++ % 2 === 1 && hub.connected() > 0) {
            const reply = (await hub.request(msg, 5000)) as { ok?: boolean; error?: string };
            if (reply.ok !== true) throw new Error(`peer answered: ${reply.error ?? 'not ok'}`);
            return;
          }
          await viaApi(msg);
        },
        onError: (err) => {
          // At most one line per 5 s: a storage outage must not flood the log.
          const now = Date.now();
          if (now - lastErrorLog >= 5000) {
            lastErrorLog = now;
            wlLog.warn({ err }, 'workload message failed');
          }
        },
      });
      const wl = workload;
      cleanups.push(() => wl.stop());
    }

    health.setReady();
    logger.info(
      {
        api: apiUrl,
        metrics: metricsServer.url,
        backend: config.storage.backend,
        peers: config.peers.length,
        workload: config.workload.enabled ? config.workload.rate : false,
      },
      'Agent started',
    );

    let stopping: Promise<void> | undefined;
    return {
      config,
      apiUrl,
      metricsUrl: metricsServer.url,
      port,
      metricsPort: metricsServer.port,
      handler,
      storage,
      registry,
      metrics,
      health,
      logger,
      server,
      metricsServer,
      hub,
      workload,
      stop() {
        stopping ??= (async () => {
          if (health.state === 'starting' || health.state === 'ready') health.setDraining();
          await cleanup();
          health.setStopped();
          logger.info({ backend: config.storage.backend }, 'Agent stopped, storage closed');
        })();
        return stopping;
      },
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}
