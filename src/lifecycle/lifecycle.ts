// Graceful shutdown: readiness 503 at once, drain delay, servers drained, WebSockets closed with 1001, hooks in reverse order, a hard deadline.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Server as NetServer } from 'node:net';
import { performance } from 'node:perf_hooks';
import { type CompletableResponse, trackUntilClose } from '../instrument/completion.js';
import { createRequestTracking, type RequestTracking } from '../instrument/request.js';
import { fail, TelltaleError } from '../internal/errors.js';
import { defaultLogger, type MinimalLogger } from '../internal/logger.js';
import { checkOptionKeys, checkOptionsObject } from '../internal/option-keys.js';
import { raceTimeout, TIMED_OUT } from '../internal/timeout.js';
import { defaultRegistry, type Registry } from '../metrics/registry.js';
import { type Cancellation, createCancellation } from './cancellation.js';
import { finiteAtLeast, fn, nonEmpty } from './validate.js';

/** Exit code after a complete shutdown. */
export const EXIT_OK = 0;
/** Exit code when the hard deadline cut the shutdown short. */
export const EXIT_DEADLINE = 1;
/** Exit code when a second signal arrived during shutdown (128 + SIGINT, as a shell reports Ctrl-C). */
export const EXIT_FORCED = 130;

/**
 * What the lifecycle tells about readiness: telltale's `Health` fits, and so does any object with
 * these two methods. `setDraining()` must flip readiness to 503 synchronously.
 */
export interface HealthTarget {
  /** Readiness answers 503 from now on (called first thing in the signal handler). */
  setDraining(): void;
  /** Shutdown finished (called after the last hook, just before exit). */
  setStopped(): void;
}

/** A server with a promise-returning `close()`: telltale's metrics server, a Fastify app, … */
export interface ClosableServer {
  /** Stops accepting and resolves when the server is closed. */
  close(): Promise<void>;
}

/** The part of a `node:http` (or `node:https`) server the lifecycle uses. */
export interface HttpServerLike {
  close(callback?: (err?: Error) => void): unknown;
  closeIdleConnections(): void;
  on(event: 'request', listener: (req: IncomingMessage, res: ServerResponse) => void): unknown;
  /** Used when present (every node:http server has it), so the lifecycle's listener runs before the app's. */
  prependListener?(
    event: 'request',
    listener: (req: IncomingMessage, res: ServerResponse) => void,
  ): unknown;
  readonly listening: boolean;
}

/** One WebSocket connection as the `ws` library's server-side `WebSocket` has it. */
export interface WebSocketLike {
  /** 0 connecting, 1 open, 2 closing, 3 closed. */
  readonly readyState: number;
  close(code?: number, reason?: string): void;
  terminate(): void;
  once(event: 'close', listener: () => void): unknown;
}

/** The part of a `ws` `WebSocketServer` the lifecycle uses: its `clients` and (optionally) `close()`. */
export interface WebSocketServerLike {
  readonly clients: Iterable<WebSocketLike>;
  close?(callback?: (err?: Error) => void): void;
}

/** Options of {@link Lifecycle.onShutdown}. */
export interface ShutdownHookOptions {
  /** The most this hook may take, in ms. Default: the lifecycle's `hookTimeoutMs`. */
  readonly timeoutMs?: number;
}

/** What a shutdown hook receives. */
export interface ShutdownHookContext {
  /** Aborts when the hook's timeout passes (reason `TT_HOOK_TIMEOUT`). */
  signal: AbortSignal;
  /** Why the service is shutting down: the signal name or the reason given to `shutdown()`. */
  reason: string;
}

/** The registry shutdown metrics go to: a telltale `Registry` (its `counter` and `gauge`). */
export type LifecycleMetricsRegistry = Pick<Registry, 'counter' | 'gauge'>;

/** Options of {@link createLifecycle}. Every field is optional. */
export interface LifecycleOptions {
  /** Readiness to flip: `setDraining()` at the signal, `setStopped()` at the end. */
  readonly health?: HealthTarget;
  /** Wait after readiness turns 503, so load balancers stop sending, in ms. Default 5000 (use 0 in tests). */
  readonly drainDelayMs?: number;
  /** Default timeout of each shutdown hook, in ms (> 0). Default 5000. */
  readonly hookTimeoutMs?: number;
  /** Hard deadline from the signal to exit, in ms (> 0). When it passes the process exits with 1. Default 30000. */
  readonly deadlineMs?: number;
  /**
   * Once the servers stop accepting, how long a keep-alive connection that is idle may stay open
   * for one last request (answered with `Connection: close`), in ms (≥ 0). The server's own
   * `keepAliveTimeout` closes it sooner when that passes first. Then idle connections are closed.
   * Default 5000, node's default `keepAliveTimeout`. See docs/lifecycle.md, "Keep-alive during the drain".
   */
  readonly keepAliveGraceMs?: number;
  /** How long WebSocket clients get to answer the 1001 close before they are terminated, in ms. Default 5000. */
  readonly webSocketCloseTimeoutMs?: number;
  /** Signals that start the shutdown once `install()` is called. Default `['SIGTERM', 'SIGINT']`. */
  readonly signals?: readonly NodeJS.Signals[];
  /** Where shutdown progress goes (`info`), and failures (`warn`, `error`). Default: errors to stderr. */
  readonly logger?: MinimalLogger;
  /** Ends the process. Default `process.exit`. Inject one in tests. */
  readonly exit?: (code: number) => void;
  /**
   * Records `telltale_shutdown_*` metrics (see docs/lifecycle.md). Default: `defaultRegistry()`,
   * what `createMetricsServer()` serves without a registry (docs/telemetry.md, "An omitted
   * registry").
   */
  readonly registry?: LifecycleMetricsRegistry;
  /** Record the shutdown metrics. `false` registers none. Default `true`. */
  readonly metrics?: boolean;
  /** Name of the root cancellation node. Default `'service'`. */
  readonly name?: string;
}

/** Every key of {@link LifecycleOptions}: `createLifecycle` refuses any other. */
const LIFECYCLE_OPTIONS = [
  'health',
  'drainDelayMs',
  'hookTimeoutMs',
  'deadlineMs',
  'keepAliveGraceMs',
  'webSocketCloseTimeoutMs',
  'signals',
  'logger',
  'exit',
  'registry',
  'metrics',
  'name',
] as const;

/** Every key of {@link ShutdownHookOptions}: `onShutdown` refuses any other. */
const SHUTDOWN_HOOK_OPTIONS = ['timeoutMs'] as const;

/** A fetch handler (Bun, Deno, workers, Hono's `app.fetch`): a `Request` in, a `Response` out. */
export type FetchHandler<A extends unknown[] = unknown[]> = (
  request: Request,
  ...rest: A
) => Response | Promise<Response>;

/** Where the lifecycle is: running, draining (shutdown in progress), or stopped. */
export type LifecycleState = 'running' | 'draining' | 'stopped';

/** A service's lifecycle. See {@link createLifecycle}. */
export interface Lifecycle {
  /** The root signal: aborts (reason `TT_SHUTTING_DOWN`) at the start of shutdown, right after readiness turns 503. */
  readonly signal: AbortSignal;
  /** `running`, `draining` or `stopped`. */
  readonly state: LifecycleState;
  /**
   * Requests in flight now on the tracked node:http servers and fetch handlers: the count the
   * drain waits for (step 4 of the shutdown ends when it reaches 0).
   */
  readonly inFlight: number;
  /**
   * A child of the root cancellation node (a child token): it aborts when shutdown
   * starts, and can be cancelled on its own, with its own children.
   */
  child(name: string): Cancellation;
  /**
   * Tracks a server. A `node:http`/`https` server gets one `request` listener (run before the
   * app's) that remembers the responses in flight. From the start of the shutdown every response
   * whose headers are not sent yet carries `Connection: close`; after the drain delay the server
   * stops accepting, in-flight requests finish, and an idle keep-alive connection stays open for
   * one last request until its `keepAliveTimeout` or `keepAliveGraceMs`, then is closed. Any
   * other `{ close(): Promise<void> }` is closed by its own `close()`. A server added after
   * shutdown started is closed at once.
   */
  addServer(server: HttpServerLike | ClosableServer): void;
  /**
   * Tracks a fetch handler, for runtimes without node:http (Bun, Deno, workers) or an app served
   * through its `fetch`: returns a handler that serves each request with `fetch` and counts it in
   * flight until its `Response` is returned (or the handler threw). The shutdown's drain (step 4)
   * waits for them, as for a node:http server's requests. The server that calls it is yours to
   * close: pass it to {@link addServer} as `{ close() }` (for example `{ close: () => server.stop() }`
   * on Bun). A body still streaming after the `Response` was returned is not waited for, and no
   * `Connection: close` is set (the runtime owns the connection).
   *
   * @throws {TelltaleError} `TT_INVALID_OPTION` when `fetch` is not a function.
   * @example
   * ```ts
   * export default { fetch: lifecycle.trackFetch(instrumentHono(app, { registry })) };
   * ```
   */
  trackFetch<A extends unknown[]>(fetch: FetchHandler<A>): FetchHandler<A>;
  /**
   * Tracks a `ws` WebSocketServer: at shutdown it stops accepting, each client gets a close
   * frame with code 1001 ("going away"), and clients that have not closed after
   * `webSocketCloseTimeoutMs` are terminated.
   */
  addWebSocketServer(wss: WebSocketServerLike): void;
  /**
   * Registers a shutdown hook. Hooks run one at a time in reverse order of registration, each
   * bounded by its timeout: a hook that throws or hangs is logged and the next one runs.
   *
   * @throws {TelltaleError} `TT_INVALID_OPTION` on an empty or duplicate name, a non-function, a
   *   bad timeout, options that are not an object or a key other than `timeoutMs`.
   */
  onShutdown(
    name: string,
    hook: (ctx: ShutdownHookContext) => Promise<void> | void,
    options?: ShutdownHookOptions,
  ): void;
  /** Adds the signal handlers (`process.on`). Idempotent. Nothing touches `process` before this. */
  install(): void;
  /** Removes the signal handlers. Idempotent. */
  uninstall(): void;
  /**
   * Starts the shutdown sequence (as a signal would) and resolves when it is complete, after
   * `exit` was called. Calling it again returns the same promise.
   */
  shutdown(reason?: string): Promise<void>;
}

interface Hook {
  name: string;
  fn: (ctx: ShutdownHookContext) => Promise<void> | void;
  timeoutMs: number;
}

interface TrackedHttp {
  server: HttpServerLike;
  /**
   * The server's requests in flight, on the request core (one completion listener per response,
   * shared with the HTTP adapters). Draining from the signal on: every response gets
   * `Connection: close`.
   */
  requests: RequestTracking<CompletableResponse>;
  /** After the keep-alive grace: idle connections are closed as soon as they are idle. */
  reaping: boolean;
}

const SHUTDOWN_PHASES = [
  'drain_delay',
  'http_drain',
  'websockets',
  'server_close',
  'hooks',
  'total',
] as const;
type Phase = (typeof SHUTDOWN_PHASES)[number];

function isHttpServer(s: unknown): s is HttpServerLike {
  if (typeof s !== 'object' || s === null) return false;
  const r = s as Record<string, unknown>;
  return (
    typeof r['closeIdleConnections'] === 'function' &&
    typeof r['on'] === 'function' &&
    typeof r['close'] === 'function'
  );
}

/** Tells the client not to reuse the connection; Node then ends it after this response. */
function closeAfter(res: CompletableResponse): void {
  const r = res as ServerResponse;
  if (!r.headersSent) r.setHeader('Connection', 'close');
}

/**
 * Stops accepting connections without touching the open ones. `http.Server#close()` (Node ≥ 19)
 * also destroys every connection that has no request in flight, and that includes a connection
 * whose next request the client has already written but the server has not parsed yet: the
 * client gets ECONNRESET on a request it sent. `net.Server#close()` only closes the listener.
 * It also leaves node's `connectionsCheckingInterval` timer running, so `headersTimeout` and
 * `requestTimeout` still fire on the connections left open (a slow client cannot hold the
 * shutdown to its deadline); that timer is unref'd and finds nothing once they are closed.
 */
function stopAccepting(server: HttpServerLike, done: () => void): void {
  // ERR_SERVER_NOT_RUNNING (never listened, or already closed) means there is nothing to close.
  if (server instanceof NetServer) NetServer.prototype.close.call(server, () => done());
  else server.close(() => done());
}

const sleep = (ms: number): Promise<void> =>
  ms <= 0 ? Promise.resolve() : new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Creates a lifecycle: a root cancellation signal for background work, and a graceful shutdown
 * that runs on SIGTERM/SIGINT once {@link Lifecycle.install} is called (or on
 * {@link Lifecycle.shutdown}). Nothing happens on construction.
 *
 * The sequence: `health.setDraining()` synchronously in the signal handler (readiness 503) →
 * the root signal aborts → drain delay → tracked servers stop accepting, in-flight HTTP requests
 * finish, idle keep-alive connections close → WebSocket clients get 1001 and are awaited
 * (bounded) → server closes complete → hooks in reverse order, each with a timeout →
 * `health.setStopped()` → `exit(0)`. If `deadlineMs` passes first: `exit(1)`. A second signal
 * during shutdown: `exit(130)` at once.
 *
 * @throws {TelltaleError} `TT_INVALID_OPTION` on a bad or unknown option (negative delay, zero deadline,
 *   an unknown signal, a `health` without both methods, …).
 * @example
 * ```ts
 * const lifecycle = createLifecycle({ health });
 * lifecycle.addServer(app.listen(8080));
 * lifecycle.onShutdown('db', () => pool.end());
 * lifecycle.install();
 * ```
 */
export function createLifecycle(options: LifecycleOptions = {}): Lifecycle {
  if (typeof options !== 'object' || options === null) {
    fail('TT_INVALID_OPTION', 'createLifecycle: options must be an object');
  }
  checkOptionKeys('createLifecycle', options, LIFECYCLE_OPTIONS);
  const health = options.health;
  if (
    health !== undefined &&
    (typeof health?.setDraining !== 'function' || typeof health?.setStopped !== 'function')
  ) {
    fail('TT_INVALID_OPTION', 'createLifecycle: health must have setDraining() and setStopped()');
  }
  const drainDelayMs = finiteAtLeast('createLifecycle: drainDelayMs', options.drainDelayMs ?? 5000);
  const hookTimeoutMs = finiteAtLeast(
    'createLifecycle: hookTimeoutMs',
    options.hookTimeoutMs ?? 5000,
    1,
  );
  const deadlineMs = finiteAtLeast('createLifecycle: deadlineMs', options.deadlineMs ?? 30_000, 1);
  const keepAliveGraceMs = finiteAtLeast(
    'createLifecycle: keepAliveGraceMs',
    options.keepAliveGraceMs ?? 5000,
  );
  const wsTimeoutMs = finiteAtLeast(
    'createLifecycle: webSocketCloseTimeoutMs',
    options.webSocketCloseTimeoutMs ?? 5000,
  );
  const signals = options.signals ?? (['SIGTERM', 'SIGINT'] as const);
  if (
    !Array.isArray(signals) ||
    signals.some((s) => typeof s !== 'string' || !s.startsWith('SIG'))
  ) {
    fail(
      'TT_INVALID_OPTION',
      'createLifecycle: signals must be an array of signal names such as SIGTERM',
    );
  }
  const logger = options.logger ?? defaultLogger;
  const exit =
    options.exit === undefined
      ? (code: number) => process.exit(code)
      : fn('createLifecycle: exit', options.exit);
  const root = createCancellation({
    name: nonEmpty('createLifecycle: name', options.name ?? 'service'),
  });

  let phaseGauge: { labels(l: { phase: string }): { set(v: number): void } } | undefined;
  let hookFailures: { labels(l: { hook: string; reason: string }): { inc(): void } } | undefined;
  if (options.metrics !== undefined && typeof options.metrics !== 'boolean') {
    fail(
      'TT_INVALID_OPTION',
      `createLifecycle: metrics must be true or false, got ${String(options.metrics)}`,
    );
  }
  if (options.metrics !== false) {
    const registry = options.registry ?? defaultRegistry();
    phaseGauge = registry.gauge({
      name: 'telltale_shutdown_phase_duration_seconds',
      help: 'How long each phase of the last graceful shutdown took, in seconds (total: signal to exit).',
      unit: 'seconds',
      labelNames: ['phase'] as const,
    });
    for (const p of SHUTDOWN_PHASES) phaseGauge.labels({ phase: p }).set(0);
    hookFailures = registry.counter({
      name: 'telltale_shutdown_hook_failures_total',
      help: 'Shutdown hooks that threw (reason=error) or were cut at their timeout (reason=timeout).',
      labelNames: ['hook', 'reason'] as const,
    });
  }

  const hooks: Hook[] = [];
  const httpServers: TrackedHttp[] = [];
  // Fetch handlers' requests: one entry per call, from the call to its Response.
  const fetchRequests = createRequestTracking<object>();
  const closables: ClosableServer[] = [];
  const wsServers: WebSocketServerLike[] = [];
  const closing: Promise<void>[] = [];
  let state: LifecycleState = 'running';
  let serversClosed = false;
  let installed = false;
  let exited = false;
  let deadline: ReturnType<typeof setTimeout> | undefined;
  let sweep: ReturnType<typeof setInterval> | undefined;
  let grace: ReturnType<typeof setTimeout> | undefined;
  let graceOver = false;
  let shutdownPromise: Promise<void> | undefined;

  const finish = (code: number): void => {
    if (exited) return;
    exited = true;
    if (deadline !== undefined) clearTimeout(deadline);
    stopReaping();
    exit(code);
  };

  // One handler per signal name, kept so uninstall() removes exactly what install() added.
  const onSignal = (sig: NodeJS.Signals): void => {
    if (state !== 'running') {
      logger.error({ signal: sig }, 'Second signal during shutdown; exiting now');
      finish(EXIT_FORCED);
      return;
    }
    void begin(sig);
  };
  const handlers = new Map<NodeJS.Signals, () => void>(
    signals.map((s) => [s, () => onSignal(s)] as const),
  );

  const setPhase = (phase: Phase, since: number): void => {
    phaseGauge?.labels({ phase }).set((performance.now() - since) / 1000);
  };

  // From the signal on, no response lets its client keep the connection: during the drain delay
  // the clients move off their kept-alive sockets, one response at a time.
  const markDraining = (t: TrackedHttp): void => {
    t.requests.drain();
  };

  const reap = (t: TrackedHttp): void => {
    t.reaping = true;
    t.server.closeIdleConnections();
  };

  const closeHttp = (t: TrackedHttp): Promise<void> => {
    markDraining(t);
    const closed = new Promise<void>((resolve) => stopAccepting(t.server, resolve));
    // An idle connection stays open until the grace ends: a request already on its way is served.
    if (graceOver) reap(t);
    return closed;
  };

  const stopReaping = (): void => {
    if (grace !== undefined) clearTimeout(grace);
    if (sweep !== undefined) clearInterval(sweep);
  };

  const httpDrained = (t: TrackedHttp): Promise<void> => t.requests.idle();

  const endGrace = (): void => {
    graceOver = true;
    for (const t of httpServers) reap(t);
    // A connection that was busy becomes idle after its response; the sweep closes it then.
    sweep = setInterval(() => {
      for (const t of httpServers) t.server.closeIdleConnections();
    }, 50);
    sweep.unref();
  };

  const closeServers = (): void => {
    serversClosed = true;
    for (const t of httpServers) closing.push(closeHttp(t));
    for (const c of closables) closing.push(closeClosable(c));
    if (httpServers.length > 0) {
      if (keepAliveGraceMs === 0) endGrace();
      else {
        grace = setTimeout(endGrace, keepAliveGraceMs);
        grace.unref();
      }
    }
  };

  const closeClosable = async (c: ClosableServer): Promise<void> => {
    try {
      await c.close();
    } catch (err) {
      logger.warn({ err }, 'A server failed to close');
    }
  };

  const closeWebSockets = async (): Promise<void> => {
    const waits: Promise<void>[] = [];
    const open: WebSocketLike[] = [];
    for (const wss of wsServers) {
      try {
        wss.close?.(() => {});
      } catch (err) {
        logger.warn({ err }, 'A WebSocket server failed to close');
      }
      for (const ws of wss.clients) {
        if (ws.readyState === 3) continue;
        open.push(ws);
        waits.push(new Promise<void>((resolve) => ws.once('close', () => resolve())));
        try {
          ws.close(1001, 'server shutting down');
        } catch {
          ws.terminate();
        }
      }
    }
    if (open.length === 0) return;
    if ((await raceTimeout(Promise.all(waits), wsTimeoutMs)) === TIMED_OUT) {
      let n = 0;
      for (const ws of open) {
        if (ws.readyState !== 3) {
          n += 1;
          ws.terminate();
        }
      }
      logger.warn(
        { clients: n, timeoutMs: wsTimeoutMs },
        'WebSocket clients terminated after the close timeout',
      );
      await Promise.all(waits);
    }
  };

  const runHook = async (hook: Hook, reason: string): Promise<void> => {
    const ac = new AbortController();
    const started = performance.now();
    try {
      const result = await raceTimeout(
        Promise.resolve().then(() => hook.fn({ signal: ac.signal, reason })),
        hook.timeoutMs,
        {
          onTimeout: () =>
            ac.abort(
              new TelltaleError(
                'TT_HOOK_TIMEOUT',
                `shutdown hook ${hook.name} did not settle within ${hook.timeoutMs} ms`,
              ),
            ),
        },
      );
      if (result === TIMED_OUT) {
        hookFailures?.labels({ hook: hook.name, reason: 'timeout' }).inc();
        logger.error(
          { hook: hook.name, timeoutMs: hook.timeoutMs, code: 'TT_HOOK_TIMEOUT' },
          'Shutdown hook timed out; running the next one',
        );
      } else {
        logger.info(
          { hook: hook.name, durationMs: Math.round(performance.now() - started) },
          'Shutdown hook done',
        );
      }
    } catch (err) {
      hookFailures?.labels({ hook: hook.name, reason: 'error' }).inc();
      logger.error({ hook: hook.name, err }, 'Shutdown hook failed; running the next one');
    }
  };

  const sequence = async (reason: string, t0: number): Promise<void> => {
    let t = performance.now();
    await sleep(drainDelayMs);
    setPhase('drain_delay', t);

    t = performance.now();
    closeServers();
    await Promise.all([...httpServers.map(httpDrained), fetchRequests.idle()]);
    setPhase('http_drain', t);

    t = performance.now();
    await closeWebSockets();
    setPhase('websockets', t);

    t = performance.now();
    await Promise.all(closing);
    stopReaping();
    setPhase('server_close', t);

    t = performance.now();
    for (let i = hooks.length - 1; i >= 0; i--) {
      if (exited) return;
      await runHook(hooks[i] as Hook, reason);
    }
    setPhase('hooks', t);

    if (exited) return;
    try {
      health?.setStopped();
    } catch (err) {
      logger.error({ err }, 'health.setStopped() threw');
    }
    state = 'stopped';
    setPhase('total', t0);
    logger.info({ reason, durationMs: Math.round(performance.now() - t0) }, 'Shutdown complete');
    finish(EXIT_OK);
  };

  const begin = (reason: string): Promise<void> => {
    if (shutdownPromise !== undefined) return shutdownPromise;
    const t0 = performance.now();
    state = 'draining';
    // First, synchronously: readiness answers 503 before anything else happens.
    try {
      health?.setDraining();
    } catch (err) {
      logger.error({ err }, 'health.setDraining() threw');
    }
    for (const t of httpServers) markDraining(t);
    fetchRequests.drain();
    deadline = setTimeout(() => {
      logger.error({ reason, deadlineMs }, 'Shutdown deadline passed; exiting with code 1');
      finish(EXIT_DEADLINE);
    }, deadlineMs);
    logger.info({ reason, drainDelayMs, deadlineMs }, 'Shutdown started');
    // Background loops stop now: they must not start new work against dependencies while we drain.
    root.cancel(new TelltaleError('TT_SHUTTING_DOWN', `the service is shutting down (${reason})`));
    shutdownPromise = sequence(reason, t0).catch((err: unknown) => {
      logger.error({ err }, 'Shutdown sequence failed');
      finish(EXIT_DEADLINE);
    });
    return shutdownPromise;
  };

  return {
    get signal() {
      return root.signal;
    },
    get state() {
      return state;
    },
    get inFlight() {
      let n = fetchRequests.size;
      for (const t of httpServers) n += t.requests.size;
      return n;
    },
    child(name: string): Cancellation {
      return root.child(name);
    },
    addServer(server: HttpServerLike | ClosableServer): void {
      if (isHttpServer(server)) {
        const t: TrackedHttp = {
          server,
          requests: createRequestTracking<CompletableResponse>({
            closeAfter,
            // Once reaping, a connection that just became idle is closed at once.
            onLeave: () => {
              if (t.reaping) server.closeIdleConnections();
            },
          }),
          reaping: false,
        };
        if (state !== 'running') t.requests.drain();
        // One completion listener per response, shared with the HTTP adapters' (no closure per
        // request); while draining the response gets `Connection: close`.
        const onRequest = (_req: IncomingMessage, res: ServerResponse): void => {
          trackUntilClose(t.requests, res);
        };
        // First in line: an app that answers synchronously has sent its headers by the time a
        // listener added after it runs, too late for `Connection: close`.
        if (typeof server.prependListener === 'function')
          server.prependListener('request', onRequest);
        else server.on('request', onRequest);
        httpServers.push(t);
        if (serversClosed) void closeHttp(t);
        return;
      }
      if (typeof (server as ClosableServer | undefined)?.close !== 'function') {
        fail(
          'TT_INVALID_OPTION',
          'addServer: expected a node:http server or an object with close(): Promise<void>',
        );
      }
      closables.push(server);
      if (serversClosed) void closeClosable(server);
    },
    trackFetch<A extends unknown[]>(fetch: FetchHandler<A>): FetchHandler<A> {
      fn('trackFetch: fetch', fetch);
      return (request: Request, ...rest: A): Response | Promise<Response> => {
        const entry = {};
        fetchRequests.enter(entry);
        let res: Response | Promise<Response>;
        try {
          res = fetch(request, ...rest);
        } catch (err) {
          fetchRequests.leave(entry);
          throw err;
        }
        if (!(res instanceof Promise)) {
          fetchRequests.leave(entry);
          return res;
        }
        return res.finally(() => fetchRequests.leave(entry));
      };
    },
    addWebSocketServer(wss: WebSocketServerLike): void {
      const clients = (wss as WebSocketServerLike | undefined)?.clients;
      if (clients === undefined || typeof clients[Symbol.iterator] !== 'function') {
        fail(
          'TT_INVALID_OPTION',
          'addWebSocketServer: expected a ws WebSocketServer (with .clients)',
        );
      }
      wsServers.push(wss);
    },
    onShutdown(name, hook, hookOptions = {}): void {
      nonEmpty('onShutdown: name', name);
      fn(`onShutdown(${name}): hook`, hook);
      if (hooks.some((h) => h.name === name)) {
        fail('TT_INVALID_OPTION', `onShutdown: a hook named ${name} is already registered`);
      }
      checkOptionsObject(`onShutdown(${name})`, hookOptions, '{ timeoutMs: 2000 }');
      checkOptionKeys(`onShutdown(${name})`, hookOptions, SHUTDOWN_HOOK_OPTIONS);
      const timeoutMs = finiteAtLeast(
        `onShutdown(${name}): timeoutMs`,
        hookOptions.timeoutMs ?? hookTimeoutMs,
        1,
      );
      hooks.push({ name, fn: hook, timeoutMs });
      if (hookFailures !== undefined) {
        // Create both series at 0, so a failure shows as an increase rather than a new series.
        hookFailures.labels({ hook: name, reason: 'error' });
        hookFailures.labels({ hook: name, reason: 'timeout' });
      }
    },
    install(): void {
      if (installed) return;
      installed = true;
      for (const [sig, h] of handlers) process.on(sig, h);
    },
    uninstall(): void {
      if (!installed) return;
      installed = false;
      for (const [sig, h] of handlers) process.off(sig, h);
    },
    shutdown(reason = 'shutdown()'): Promise<void> {
      return begin(reason);
    },
  };
}
