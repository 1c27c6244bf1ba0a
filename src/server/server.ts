// The standalone metrics HTTP server: validated options, bind-before-ready, fail-fast listen errors, graceful close.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fail, TelltaleError } from '../internal/errors.js';
import { defaultLogger, type MinimalLogger } from '../internal/logger.js';
import { checkOptionKeys } from '../internal/option-keys.js';
import { METRICS_HANDLER_OPTIONS, type MetricsHandlerOptions, metricsHandler } from './handler.js';
import { isSelfMetricsRegistry } from './self-metrics.js';
import { serverTimeouts } from './timeouts.js';
import { booleanOption, numberOption, pathOption, stringOption } from './validate.js';

/**
 * A handler for an extra route on the metrics server (a health probe, say). It owns the response.
 * A returned promise that rejects, or a throw, becomes a 500 (and an `error` log line).
 */
export type RouteHandler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

/** Options for {@link createMetricsServer}: the handler's options plus where and how to listen. */
export interface MetricsServerOptions extends MetricsHandlerOptions {
  /** `false` starts nothing and logs `Metrics endpoint disabled`. Default `true`. */
  readonly enabled?: boolean | undefined;
  /**
   * The interface to bind. Default `'127.0.0.1'` (loopback only: exposing metrics on every
   * interface is a decision, so `'0.0.0.0'` or `'::'` must be asked for).
   */
  readonly host?: string | undefined;
  /** The TCP port, 0–65535; `0` lets the OS pick a free one (read it from `server.port`). Default 9464. */
  readonly port?: number | undefined;
  /**
   * Time allowed to receive a request's headers, in ms (node:http `headersTimeout`). Default
   * 10,000. `0` disables it. Must not exceed `requestTimeoutMs` unless that is `0`. It fires at
   * most 500 ms late (see {@link serverTimeouts}).
   */
  readonly headersTimeoutMs?: number | undefined;
  /** Time allowed to receive a whole request, in ms (node:http `requestTimeout`). Default 30,000. `0` disables it. Fires at most 500 ms late. */
  readonly requestTimeoutMs?: number | undefined;
  /** How long an idle keep-alive connection stays open, in ms (node:http `keepAliveTimeout`). Default 5,000. */
  readonly keepAliveTimeoutMs?: number | undefined;
  /** Lifecycle messages (`info`) and failures (`error`). Default: errors to stderr, nothing else. */
  readonly logger?: MinimalLogger | undefined;
  /**
   * Extra routes on the same server, by exact path (no query): `{ '/healthz': handler }`. They are
   * matched before the metrics path, any method, and without the metrics `auth`.
   */
  readonly routes?: Readonly<Record<string, RouteHandler>> | undefined;
}

/** Every key of {@link MetricsServerOptions}: `createMetricsServer` refuses any other. */
const METRICS_SERVER_OPTIONS = [
  ...METRICS_HANDLER_OPTIONS,
  'enabled',
  'host',
  'port',
  'headersTimeoutMs',
  'requestTimeoutMs',
  'keepAliveTimeoutMs',
  'routes',
] as const;

/** A metrics server that is listening. */
export interface RunningMetricsServer {
  /** Always `true` here: narrow a {@link MetricsServer} on it. */
  readonly enabled: true;
  /** The metrics URL, such as `http://127.0.0.1:9464/metrics` (IPv6 hosts are bracketed). */
  readonly url: string;
  /** The host that was bound. */
  readonly host: string;
  /** The bound port (the real one when `port: 0` was given). */
  readonly port: number;
  /** The underlying node:http server, for inspection. Do not call `listen` on it. */
  readonly server: Server;
  /**
   * Stops accepting connections, closes idle keep-alive connections, and resolves once in-flight
   * requests have finished. Idempotent: later calls return the same promise.
   */
  close(): Promise<void>;
}

/** The result of `createMetricsServer({ enabled: false })`: nothing listens. */
export interface DisabledMetricsServer {
  /** Always `false` here. */
  readonly enabled: false;
  /** No URL: nothing listens. */
  readonly url: undefined;
  /** Nothing was bound. */
  readonly host: undefined;
  /** Nothing was bound. */
  readonly port: undefined;
  /** No node:http server was created. */
  readonly server: undefined;
  /** Does nothing. */
  close(): Promise<void>;
}

/** What {@link createMetricsServer} resolves with. Narrow on `enabled`. */
export type MetricsServer = RunningMetricsServer | DisabledMetricsServer;

/** The exact line logged (at `info`) when the server is disabled. */
export const DISABLED_MESSAGE = 'Metrics endpoint disabled';

function hostForUrl(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

function resolveRoutes(
  routes: unknown,
  metricsPath: string,
): ReadonlyMap<string, RouteHandler> | undefined {
  if (routes === undefined) return undefined;
  if (typeof routes !== 'object' || routes === null || Array.isArray(routes)) {
    fail(
      'TT_INVALID_OPTION',
      'routes must be an object mapping paths to handlers, such as { "/healthz": fn }',
    );
  }
  const out = new Map<string, RouteHandler>();
  for (const [p, h] of Object.entries(routes)) {
    pathOption(`routes[${JSON.stringify(p)}]`, p, '/');
    if (typeof h !== 'function') {
      fail(
        'TT_INVALID_OPTION',
        `routes[${JSON.stringify(p)}] must be a function (req, res) => void`,
      );
    }
    if (p === metricsPath) {
      fail(
        'TT_INVALID_OPTION',
        `routes[${JSON.stringify(p)}] clashes with the metrics path; pick another path`,
      );
    }
    out.set(p, h as RouteHandler);
  }
  return out.size === 0 ? undefined : out;
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      server.off('listening', onListening);
      const cause = err.code === undefined ? err.message : `${err.code} (${err.message})`;
      const hint =
        err.code === 'EADDRINUSE'
          ? '; another process is using the port: stop it, or set another port (0 picks a free one)'
          : err.code === 'EACCES'
            ? '; ports below 1024 need privileges: use a higher port'
            : err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND'
              ? '; the host is not an address of this machine: check the host option'
              : '';
      reject(
        new TelltaleError(
          'TT_LISTEN_FAILED',
          `metrics server could not listen on ${hostForUrl(host)}:${port}: ${cause}${hint}`,
          { cause: err },
        ),
      );
    };
    const onListening = (): void => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen({ host, port, exclusive: true });
  });
}

/**
 * Starts a standalone HTTP server for `/metrics` (and any extra `routes`). Resolves only after the
 * port is bound, so "started" in your logs means scrapeable.
 *
 * Defaults: `enabled: true`, `host: '127.0.0.1'`, `port: 9464`, `path: '/metrics'`,
 * `maxInFlight: 10`, `scrapeTimeoutMs: 10000`, `headersTimeoutMs: 10000`,
 * `requestTimeoutMs: 30000`, `keepAliveTimeoutMs: 5000`, no auth, and `registry:
 * defaultRegistry()`: the registry every factory records into when its own `registry` is omitted
 * (docs/telemetry.md, "An omitted registry"). Every option is validated here, including when
 * `enabled` is `false`.
 *
 * @throws {TelltaleError} (as a rejected promise) `TT_INVALID_OPTION` for a bad or unknown option (`auth.basic` included);
 *   `TT_LISTEN_FAILED` when binding fails, naming host, port and cause (`EADDRINUSE`, …).
 * @example
 * ```ts
 * const server = await createMetricsServer({ registry, port: 9464 });
 * logger.info(`metrics at ${server.url}`);
 * process.on('SIGTERM', () => void server.close());
 * ```
 */
export async function createMetricsServer(
  options: MetricsServerOptions = {},
): Promise<MetricsServer> {
  if (typeof options !== 'object' || options === null) {
    fail('TT_INVALID_OPTION', 'createMetricsServer options must be an object');
  }
  checkOptionKeys('createMetricsServer', options, METRICS_SERVER_OPTIONS);
  const enabled = booleanOption('enabled', options.enabled, true);
  const host = stringOption('host', options.host, '127.0.0.1');
  const port = numberOption('port', options.port, 9464, { min: 0, max: 65_535, integer: true });
  const path = pathOption('path', options.path, '/metrics');
  const timeouts = serverTimeouts({
    headersTimeoutMs: options.headersTimeoutMs,
    requestTimeoutMs: options.requestTimeoutMs,
    keepAliveTimeoutMs: options.keepAliveTimeoutMs,
  });
  const logger = options.logger ?? defaultLogger;
  const routes = resolveRoutes(options.routes, path);
  if (!enabled) {
    // Validate the handler's options too, but register no self-metrics: a disabled endpoint
    // leaves the registry untouched.
    if (options.selfMetrics !== undefined && options.selfMetrics !== false) {
      if (!isSelfMetricsRegistry(options.selfMetrics)) {
        fail(
          'TT_INVALID_OPTION',
          'selfMetrics must be a registry (from createRegistry()) or false',
        );
      }
    }
    metricsHandler('createMetricsServer', { ...options, path, logger, selfMetrics: false });
    logger.info(DISABLED_MESSAGE);
    return disabledServer;
  }
  // Validates the handler's own options too (registry, maxInFlight, auth, …).
  const metrics = metricsHandler('createMetricsServer', { ...options, path, logger });

  let closing = false;
  const server = createServer(timeouts, (req, res) => {
    if (closing) {
      // Finish this request, but do not keep its connection for another.
      res.shouldKeepAlive = false;
    }
    const route = routes?.get(splitPath(req.url));
    if (route === undefined) {
      metrics(req, res);
      return;
    }
    runRoute(route, req, res, logger);
  });

  await listen(server, host, port);
  // After listen, a server 'error' (an accept failure such as EMFILE) must not crash the process.
  server.on('error', (err) => logger.error({ err }, 'Metrics server error'));
  const bound = (server.address() as AddressInfo).port;
  const url = `http://${hostForUrl(host)}:${bound}${path}`;
  logger.info({ url }, 'Metrics endpoint listening');

  let closed: Promise<void> | undefined;
  return {
    enabled: true,
    url,
    host,
    port: bound,
    server,
    close(): Promise<void> {
      closed ??= new Promise<void>((resolve, reject) => {
        closing = true;
        server.close((err) => {
          if (err !== undefined) reject(err);
          else {
            logger.info({ url }, 'Metrics endpoint closed');
            resolve();
          }
        });
        // node >= 19 does this inside close(); explicit for clarity. A keep-alive connection
        // that is busy now becomes idle after its response: the sweep closes it then, so close()
        // waits for in-flight scrapes but not for keepAliveTimeoutMs.
        server.closeIdleConnections();
        const sweep = setInterval(() => server.closeIdleConnections(), 100);
        sweep.unref();
        server.once('close', () => clearInterval(sweep));
      });
      return closed;
    },
  };
}

const disabledServer: DisabledMetricsServer = Object.freeze({
  enabled: false,
  url: undefined,
  host: undefined,
  port: undefined,
  server: undefined,
  close: () => Promise.resolve(),
});

function splitPath(url: string | undefined): string {
  if (url === undefined) return '/';
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

function runRoute(
  route: RouteHandler,
  req: IncomingMessage,
  res: ServerResponse,
  logger: MinimalLogger,
): void {
  const onError = (err: unknown): void => {
    logger.error({ err, path: splitPath(req.url) }, 'Route handler failed');
    if (!res.headersSent) {
      res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('Internal Server Error\n');
    } else {
      res.destroy();
    }
  };
  try {
    const result = route(req, res);
    if (result !== undefined) result.catch(onError);
  } catch (err) {
    onError(err);
  }
}
