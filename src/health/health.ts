// createHealth: the readiness state machine, the probes (live, ready, health, startup) answered once for every transport (node:http handlers and a fetch entry), and the health metrics.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { pathOf } from '../instrument/ignore.js';
import { targetOf } from '../instrument/request.js';
import { type Clock, clockOption, monotonicClock } from '../internal/clock.js';
import { fail } from '../internal/errors.js';
import { defaultLogger, type MinimalLogger } from '../internal/logger.js';
import { checkOptionKeys } from '../internal/option-keys.js';
import type { Gauge, GaugeHandle, Registry, StateSet } from '../metrics/index.js';
import { defaultRegistry } from '../metrics/registry.js';
import { type CheckResult, CheckRunner, type CheckStatus, type HealthCheck } from './check.js';

/** The readiness state machine's states, in the only order they can be visited. */
export type HealthState = 'starting' | 'ready' | 'draining' | 'stopped';

/**
 * Every state, in order: `['starting', 'ready', 'draining', 'stopped']`. Also the states of the
 * `telltale_health_state` stateset.
 * @example
 * ```ts
 * HEALTH_STATES.indexOf(health.state) >= HEALTH_STATES.indexOf('draining'); // shutting down?
 * ```
 */
export const HEALTH_STATES: readonly HealthState[] = Object.freeze([
  'starting',
  'ready',
  'draining',
  'stopped',
]);

const ORDER: Readonly<Record<HealthState, number>> = {
  starting: 0,
  ready: 1,
  draining: 2,
  stopped: 3,
};

/**
 * The four probes: `live` (liveness), `ready` (readiness), `health` (the combined legacy form,
 * answered like readiness) and `startup`.
 */
export type ProbeKind = 'live' | 'ready' | 'health' | 'startup';

/** A probe's path, or `false` to leave that probe out of `routes()` and `handle()`. */
export type ProbePath = string | false;

/**
 * Paths of the probes. Each must start with `/` and contain no `?`, `#` or whitespace, and no two
 * probes may share one. An entry left out keeps its default; `false` leaves that probe out.
 * @example
 * ```ts
 * // Liveness on /health, readiness on /ready, no combined form (startup keeps /health/startup).
 * const paths: HealthPaths = { live: '/health', ready: '/ready', health: false };
 * ```
 */
export interface HealthPaths {
  /** Liveness. Default `/health/live`. */
  readonly live?: ProbePath | undefined;
  /** Readiness. Default `/health/ready`. */
  readonly ready?: ProbePath | undefined;
  /** The combined legacy form. Default `/health`. */
  readonly health?: ProbePath | undefined;
  /** Startup. Default `/health/startup`. */
  readonly startup?: ProbePath | undefined;
}

/** A node:http request handler; fits `createMetricsServer({ routes })`. */
export type HealthHandler = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * Where health metrics go: a telltale registry (anything with its `gauge` and `stateSet`
 * methods).
 */
export type HealthMetricsRegistry = Pick<Registry, 'gauge' | 'stateSet'>;

/**
 * Options of {@link createHealth}. Every one is optional and validated at construction.
 * @example
 * ```ts
 * const options: HealthOptions = { version: '1.4.0', paths: { ready: '/readyz' }, registry };
 * ```
 */
export interface HealthOptions {
  /** Shown as `version` in every JSON answer. Default `'unknown'`. */
  readonly version?: string | undefined;
  /** Checks to start with; more can be added with `health.addCheck()`. Default none. */
  readonly checks?: readonly HealthCheck[] | undefined;
  /**
   * Path per probe (see {@link HealthPaths}); `false` leaves a probe out. Defaults:
   * `/health/live`, `/health/ready`, `/health` (combined) and `/health/startup`; an entry given
   * here replaces only that probe's default.
   */
  readonly paths?: HealthPaths | undefined;
  /**
   * Registers `telltale_health_check_up`, `telltale_health_check_duration_seconds` and
   * `telltale_health_state` here. Default: `defaultRegistry()`, what `createMetricsServer()`
   * serves without a registry (docs/telemetry.md, "An omitted registry").
   */
  readonly registry?: HealthMetricsRegistry | undefined;
  /** Record the health metrics. `false` registers none. Default `true`. */
  readonly metrics?: boolean | undefined;
  /**
   * The clock for check timeouts, cache intervals, durations and uptime: a `Clock` (`now()` in
   * milliseconds since the epoch, `setTimeout`, `clearTimeout`). Default: monotonic
   * (`performance.timeOrigin + performance.now()`) with the global timers. Inject one in tests.
   */
  readonly clock?: Clock | undefined;
  /** State changes (`info`), checks that start failing (`warn`) or recover (`info`), listener errors (`error`). Default: errors to stderr only. */
  readonly logger?: MinimalLogger | undefined;
}

/** The JSON of readiness and `/health`. `status` is `fail` exactly when the HTTP status is 503. */
export interface ReadinessReport {
  /**
   * `ok`: the state is `ready` and every check passed. `degraded`: ready, every critical check
   * passed, a non-critical one did not (still 200). `fail`: a critical check did not pass, or the
   * state is not `ready` (503).
   */
  readonly status: 'ok' | 'degraded' | 'fail';
  readonly version: string;
  /** Seconds since the process started (since `createHealth` when `clock` is injected), 3 decimals. */
  readonly uptime_seconds: number;
  readonly state: HealthState;
  /** The latest result of each check, by name. */
  readonly checks: Readonly<Record<string, CheckResult>>;
}

/** The JSON of liveness and startup. */
export interface ProbeReport {
  /** Liveness: always `ok`. Startup: `ok` once `setReady()` was called, else `fail`. */
  readonly status: 'ok' | 'fail';
  readonly version: string;
  readonly uptime_seconds: number;
  readonly state: HealthState;
}

/** Called synchronously after each state change. */
export type StateChangeListener = (to: HealthState, from: HealthState) => void;

/**
 * Probes, checks and the readiness state machine. Created by {@link createHealth}.
 * @example
 * ```ts
 * health.onStateChange((to, from) => log.info({ to, from }, 'health state'));
 * process.once('SIGTERM', () => { health.setDraining(); … health.setStopped(); health.close(); });
 * ```
 */
export interface Health {
  /** The current state. Starts as `starting`. */
  readonly state: HealthState;
  /** The `version` shown in the JSON. */
  readonly version: string;
  /** The resolved path of each probe (`undefined` when left out). */
  readonly paths: Readonly<Record<ProbeKind, string | undefined>>;
  /** One node:http handler per probe, whatever its path. GET and HEAD; other methods get 405. */
  readonly handlers: Readonly<Record<ProbeKind, HealthHandler>>;
  /**
   * `starting → ready`: the application milestone (for example "caches warmed" or "registered
   * with the coordinator"). Also turns the startup probe to 200 for good. No-op when already
   * ready.
   * @throws {TelltaleError} `TT_INVALID_TRANSITION` from `draining` or `stopped`.
   */
  setReady(): void;
  /**
   * `starting | ready → draining`: readiness answers 503 from this call on (synchronously,
   * probes already waiting on checks included). Call it first on SIGTERM. No-op when draining.
   * @throws {TelltaleError} `TT_INVALID_TRANSITION` from `stopped`.
   */
  setDraining(): void;
  /** `any → stopped`: the end of shutdown. No-op when stopped. Never throws. */
  setStopped(): void;
  /** Subscribes to state changes; returns the unsubscribe function. A listener that throws is logged, not rethrown. */
  onStateChange(listener: StateChangeListener): () => void;
  /**
   * Adds a check (validated as at construction) and starts its background sampling, if any.
   * @throws {TelltaleError} `TT_INVALID_OPTION` on a bad or duplicate check.
   */
  addCheck(check: HealthCheck): void;
  /** Removes a check (and its metric series). Returns whether it existed. */
  removeCheck(name: string): boolean;
  /** Runs the checks (cache and sharing apply) and returns the readiness report. */
  readiness(): Promise<ReadinessReport>;
  /** The liveness report. */
  liveness(): ProbeReport;
  /** The startup report. */
  startup(): ProbeReport;
  /** The probe routes, `{ path: handler }`, for `createMetricsServer({ routes: health.routes() })`. */
  routes(): Record<string, HealthHandler>;
  /**
   * Answers the request if its path (query ignored) is a probe's, and returns `true`; returns
   * `false` and leaves the response alone otherwise. For mounting into any node:http app.
   */
  handle(req: IncomingMessage, res: ServerResponse): boolean;
  /**
   * The probes for fetch runtimes (Bun, Deno, workers, Hono's `app.fetch`): answers a fetch
   * `Request` whose path (query ignored) is a probe's with the same status, headers and JSON as
   * the node:http handlers (GET and HEAD; other methods 405), and any other path with 404
   * `{"error":"not found"}`. Never rejects.
   *
   * @example
   * ```ts
   * // Hono, on any runtime: every probe path to the probes.
   * for (const p of Object.values(health.paths)) if (p) app.all(p, (c) => health.fetch(c.req.raw));
   * ```
   */
  fetch(request: Request): Promise<Response>;
  /**
   * Stops background sampling (the event-loop monitor) and ends runs in flight, so no timer is
   * left. Probes still answer afterwards; the checks are no longer run. Idempotent.
   */
  close(): void;
}

const DEFAULT_PATHS: Readonly<Record<ProbeKind, ProbePath>> = {
  live: '/health/live',
  ready: '/health/ready',
  health: '/health',
  startup: '/health/startup',
};

const KINDS = ['live', 'ready', 'health', 'startup'] as const satisfies readonly ProbeKind[];

/** Every key of {@link HealthOptions}: `createHealth` refuses any other. */
const HEALTH_OPTIONS = [
  'version',
  'checks',
  'paths',
  'registry',
  'metrics',
  'clock',
  'logger',
] as const;
const MAX_NAME_LENGTH = 64;
const DEFAULT_TIMEOUT_MS = 1000;

function resolvePaths(paths: HealthPaths | undefined): Record<ProbeKind, string | undefined> {
  if (paths !== undefined && (typeof paths !== 'object' || paths === null)) {
    fail('TT_INVALID_OPTION', 'createHealth: paths must be an object such as { ready: "/readyz" }');
  }
  if (paths !== undefined) checkOptionKeys('createHealth', paths, KINDS, 'paths.');
  const out = {} as Record<ProbeKind, string | undefined>;
  const seen = new Map<string, ProbeKind>();
  for (const kind of KINDS) {
    const p = paths?.[kind] ?? DEFAULT_PATHS[kind];
    if (p === false) {
      out[kind] = undefined;
      continue;
    }
    if (typeof p !== 'string' || !p.startsWith('/') || /[?#\s]/.test(p)) {
      fail(
        'TT_INVALID_OPTION',
        `createHealth: paths.${kind} must be a path starting with "/" without "?", "#" or whitespace (or false to leave the probe out), got ${JSON.stringify(p)}`,
      );
    }
    const other = seen.get(p);
    if (other !== undefined) {
      fail(
        'TT_INVALID_OPTION',
        `createHealth: paths.${kind} and paths.${other} are both ${JSON.stringify(p)}; give each probe its own path or set one to false`,
      );
    }
    seen.set(p, kind);
    out[kind] = p;
  }
  return out;
}

function resolveCheck(
  where: string,
  c: unknown,
  existing: ReadonlyMap<string, unknown>,
): { timeoutMs: number; cacheMs: number; critical: boolean } {
  if (typeof c !== 'object' || c === null) {
    fail(
      'TT_INVALID_OPTION',
      `${where} must be an object { name, check, timeoutMs?, cacheMs?, critical? }`,
    );
  }
  const o = c as Record<string, unknown>;
  const name = o['name'];
  if (typeof name !== 'string' || name === '' || name.length > MAX_NAME_LENGTH) {
    fail(
      'TT_INVALID_OPTION',
      `${where}.name must be a non-empty string of at most ${MAX_NAME_LENGTH} characters, got ${JSON.stringify(name)}`,
    );
  }
  if (existing.has(name)) {
    fail(
      'TT_INVALID_OPTION',
      `${where}.name: duplicate check name ${JSON.stringify(name)}; give each check a unique name`,
    );
  }
  if (typeof o['check'] !== 'function') {
    fail(
      'TT_INVALID_OPTION',
      `${where}.check (${JSON.stringify(name)}) must be a function returning void, a boolean or a promise of one; got ${typeof o['check']}`,
    );
  }
  const timeoutMs = o['timeoutMs'] ?? DEFAULT_TIMEOUT_MS;
  if (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    fail(
      'TT_INVALID_OPTION',
      `${where}.timeoutMs (${JSON.stringify(name)}) must be a finite number of milliseconds > 0, got ${String(timeoutMs)}`,
    );
  }
  const cacheMs = o['cacheMs'] ?? 0;
  if (typeof cacheMs !== 'number' || !Number.isFinite(cacheMs) || cacheMs < 0) {
    fail(
      'TT_INVALID_OPTION',
      `${where}.cacheMs (${JSON.stringify(name)}) must be a finite number of milliseconds >= 0, got ${String(cacheMs)}`,
    );
  }
  const critical = o['critical'] ?? true;
  if (typeof critical !== 'boolean') {
    fail(
      'TT_INVALID_OPTION',
      `${where}.critical (${JSON.stringify(name)}) must be a boolean, got ${String(critical)}`,
    );
  }
  for (const hook of ['start', 'stop'] as const) {
    if (o[hook] !== undefined && typeof o[hook] !== 'function') {
      fail(
        'TT_INVALID_OPTION',
        `${where}.${hook} (${JSON.stringify(name)}) must be a function or undefined`,
      );
    }
  }
  return { timeoutMs, cacheMs, critical };
}

function isRegistry(v: unknown): v is HealthMetricsRegistry {
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof (v as Record<string, unknown>)['gauge'] === 'function' &&
    typeof (v as Record<string, unknown>)['stateSet'] === 'function'
  );
}

/** The metrics of one Health object's registry. */
interface HealthMetrics {
  readonly up: Gauge<readonly ['check']>;
  readonly duration: Gauge<readonly ['check']>;
  readonly state: StateSet<readonly [], HealthState>;
}

function createHealthMetrics(registry: HealthMetricsRegistry): HealthMetrics {
  return {
    up: registry.gauge({
      name: 'telltale_health_check_up',
      help: 'Whether the health check passed on its latest run (1) or failed or timed out (0).',
      labelNames: ['check'],
    }),
    // A gauge, not a histogram: probes run a check a few times a minute, so a distribution adds
    // a dozen series per check for little; the latest duration sits next to check_up on a dashboard.
    duration: registry.gauge({
      name: 'telltale_health_check_duration_seconds',
      help: 'How long the health check took on its latest run, in seconds.',
      labelNames: ['check'],
    }),
    state: registry.stateSet({
      name: 'telltale_health_state',
      help: 'The readiness state machine: starting, ready, draining or stopped.',
      states: HEALTH_STATES,
    }),
  };
}

const JSON_TYPE = 'application/json; charset=utf-8';
const METHOD_NOT_ALLOWED = '{"error":"method not allowed: use GET or HEAD"}';
const NOT_FOUND = '{"error":"not found"}';

/** A probe's answer, before a transport writes it: the same for node:http and fetch. */
interface ProbeAnswer {
  readonly status: number;
  readonly body: string;
  /** 405: the answer carries `Allow: GET, HEAD`. */
  readonly notAllowed?: true;
}

const NOT_ALLOWED: ProbeAnswer = Object.freeze({
  status: 405,
  body: METHOD_NOT_ALLOWED,
  notAllowed: true,
});

/** Writes a probe's answer on a node:http response (no body for HEAD). */
function writeAnswer(req: IncomingMessage, res: ServerResponse, a: ProbeAnswer): void {
  if (a.notAllowed === true) {
    res.writeHead(a.status, {
      'Content-Type': JSON_TYPE,
      'Cache-Control': 'no-store',
      Allow: 'GET, HEAD',
      'Content-Length': Buffer.byteLength(a.body),
    });
    res.end(a.body);
    return;
  }
  res.writeHead(a.status, {
    'Content-Type': JSON_TYPE,
    'Cache-Control': 'no-store',
    'Content-Length': Buffer.byteLength(a.body),
  });
  if (req.method === 'HEAD') res.end();
  else res.end(a.body);
}

/** A probe's answer as a fetch `Response` (no body for HEAD). */
function answerResponse(method: string, a: ProbeAnswer): Response {
  const headers: Record<string, string> = {
    'content-type': JSON_TYPE,
    'cache-control': 'no-store',
    'content-length': String(Buffer.byteLength(a.body)),
  };
  if (a.notAllowed === true) headers['allow'] = 'GET, HEAD';
  return new Response(method === 'HEAD' ? null : a.body, { status: a.status, headers });
}

/**
 * Creates the probes, checks and readiness state machine of a service. Nothing runs until a probe
 * is requested, except background samplers of built-in checks (the event-loop monitor), which
 * `close()` stops.
 *
 * Readiness (and `/health`) run the checks and answer 200 when the state is `ready` and every
 * critical check passed, else 503. Liveness answers 200 whenever it can answer at all: it never
 * depends on a dependency. Startup answers 503 until `setReady()` was first called, then 200.
 *
 * @throws {TelltaleError} `TT_INVALID_OPTION` when an option is invalid or unknown (in `paths`
 *   too): a path without a leading
 *   `/`, two probes on one path, a check that is not a function, a timeout <= 0, a negative cache
 *   interval, a duplicate check name, or a registry without `gauge`/`stateSet`. Also whatever the
 *   registry throws when a health metric name is already registered with another spec.
 * @example
 * ```ts
 * const health = createHealth({ version: '1.4.0', checks: [redisCheck({ client: redis })] });
 * await createMetricsServer({ registry, routes: health.routes() });
 * health.setReady();
 * ```
 */
export function createHealth(options: HealthOptions = {}): Health {
  if (typeof options !== 'object' || options === null) {
    fail(
      'TT_INVALID_OPTION',
      "createHealth: options must be an object, such as { version: '1.4.0' }",
    );
  }
  checkOptionKeys('createHealth', options, HEALTH_OPTIONS);
  const version = options.version ?? 'unknown';
  if (typeof version !== 'string') {
    fail('TT_INVALID_OPTION', `createHealth: version must be a string, got ${String(version)}`);
  }
  const paths = resolvePaths(options.paths);
  const clock = clockOption('createHealth: clock', options.clock, monotonicClock);
  const startMs = options.clock === undefined ? performance.timeOrigin : clock.now();
  const logger = options.logger ?? defaultLogger;
  if (options.registry !== undefined && !isRegistry(options.registry)) {
    fail(
      'TT_INVALID_OPTION',
      'createHealth: registry must be a telltale registry (from createRegistry()); omit it for defaultRegistry(), or pass metrics: false for none',
    );
  }
  if (options.metrics !== undefined && typeof options.metrics !== 'boolean') {
    fail(
      'TT_INVALID_OPTION',
      `createHealth: metrics must be true or false, got ${String(options.metrics)}`,
    );
  }
  const checksOption = options.checks ?? [];
  if (!Array.isArray(checksOption)) {
    fail('TT_INVALID_OPTION', 'createHealth: checks must be an array of { name, check } objects');
  }
  // Validate every check before anything has an effect: no metric is registered and no sampler
  // is started when the options are invalid.
  const names = new Map<string, true>();
  checksOption.forEach((c: HealthCheck, i: number) => {
    resolveCheck(`createHealth: checks[${i}]`, c, names);
    names.set(c.name, true);
  });
  const metrics =
    options.metrics === false
      ? undefined
      : createHealthMetrics(options.registry ?? defaultRegistry());

  const versionJson = JSON.stringify(version);
  let state: HealthState = 'starting';
  let started = false;
  let closed = false;
  const listeners = new Set<StateChangeListener>();
  let runners: CheckRunner[] = [];
  const byName = new Map<string, CheckRunner>();
  const handles = new Map<string, { up: GaugeHandle; duration: GaugeHandle }>();

  const onRun = (runner: CheckRunner, previous: CheckStatus | undefined): void => {
    let h = handles.get(runner.name);
    if (h === undefined && metrics !== undefined && byName.get(runner.name) === runner) {
      // Series appear with a check's first result: a 0 before any run would read as "down".
      h = {
        up: metrics.up.labels({ check: runner.name }),
        duration: metrics.duration.labels({ check: runner.name }),
      };
      handles.set(runner.name, h);
    }
    if (h !== undefined) {
      h.up.set(runner.status === 'pass' ? 1 : 0);
      h.duration.set(runner.durationMs / 1000);
    }
    if (runner.status === previous) return;
    // Log transitions only, so a check that stays down does not write a line per probe.
    if (runner.status === 'pass') {
      if (previous !== undefined) logger.info({ check: runner.name }, 'Health check recovered');
    } else {
      logger.warn(
        {
          check: runner.name,
          status: runner.status,
          error: runner.error,
          critical: runner.critical,
        },
        'Health check failing',
      );
    }
  };

  const add = (where: string, c: HealthCheck): void => {
    const resolved = resolveCheck(where, c, byName);
    const runner = new CheckRunner(c, resolved, clock, onRun);
    byName.set(c.name, runner);
    runners = [...runners, runner];
    if (!closed) c.start?.();
  };

  checksOption.forEach((c: HealthCheck, i: number) => {
    add(`createHealth: checks[${i}]`, c);
  });
  metrics?.state.set('starting');

  const uptime = (): number => Math.round(clock.now() - startMs) / 1000;

  const transition = (to: HealthState): void => {
    const from = state;
    if (from === to) return;
    if (ORDER[to] < ORDER[from]) {
      fail(
        'TT_INVALID_TRANSITION',
        `health state cannot go from ${from} to ${to}: states only move forward (starting → ready → draining → stopped); create a new Health object for a new process life`,
      );
    }
    state = to;
    if (to === 'ready') started = true;
    metrics?.state.set(to);
    logger.info({ from, to }, 'Health state changed');
    for (const l of listeners) {
      try {
        l(to, from);
      } catch (err) {
        logger.error({ err, from, to }, 'Health state listener failed');
      }
    }
  };

  /** Runs every check that is not fresh; `undefined` when all results are already fresh. */
  const runChecks = (): Promise<unknown> | undefined => {
    let first: Promise<void> | undefined;
    let more: Promise<void>[] | undefined;
    for (const r of runners) {
      const p = r.ensureFresh();
      if (p === undefined) continue;
      if (first === undefined) first = p;
      else if (more === undefined) more = [first, p];
      else more.push(p);
    }
    return more !== undefined ? Promise.all(more) : first;
  };

  const readinessStatus = (): 'ok' | 'degraded' | 'fail' => {
    let degraded = false;
    for (const r of runners) {
      if (r.status === 'pass') continue;
      if (r.critical) return 'fail';
      degraded = true;
    }
    if (state !== 'ready') return 'fail';
    return degraded ? 'degraded' : 'ok';
  };

  const readinessBody = (status: string): string => {
    let checks = '';
    for (const r of runners) {
      if (r.fragment === '') continue;
      checks = checks === '' ? r.fragment : `${checks},${r.fragment}`;
    }
    return `{"status":"${status}","version":${versionJson},"uptime_seconds":${uptime()},"state":"${state}","checks":{${checks}}}`;
  };

  const probeBody = (status: 'ok' | 'fail'): string =>
    `{"status":"${status}","version":${versionJson},"uptime_seconds":${uptime()},"state":"${state}"}`;

  const readinessAnswer = (): ProbeAnswer => {
    const status = readinessStatus();
    return { status: status === 'fail' ? 503 : 200, body: readinessBody(status) };
  };

  // Checks run only while starting or ready: once draining the answer is 503 whatever they say,
  // and dependencies may already be closing. The body then shows the last results.
  const checksWanted = (): boolean => !closed && (state === 'starting' || state === 'ready');

  // Each probe's answer, whatever the transport: synchronous unless checks have to run.
  const answers: Readonly<Record<ProbeKind, () => ProbeAnswer | Promise<ProbeAnswer>>> = {
    live: () => ({ status: 200, body: probeBody('ok') }),
    ready: () => {
      const pending = checksWanted() ? runChecks() : undefined;
      return pending === undefined ? readinessAnswer() : pending.then(readinessAnswer);
    },
    health: () => answers.ready(),
    startup: () => ({ status: started ? 200 : 503, body: probeBody(started ? 'ok' : 'fail') }),
  };
  const answer = (kind: ProbeKind, method: string | undefined) =>
    method === 'GET' || method === 'HEAD' ? answers[kind]() : NOT_ALLOWED;

  const nodeHandler =
    (kind: ProbeKind): HealthHandler =>
    (req, res) => {
      const a = answer(kind, req.method);
      if (a instanceof Promise) void a.then((x) => writeAnswer(req, res, x));
      else writeAnswer(req, res, a);
    };
  const readyHandler = nodeHandler('ready');
  const handlers: Readonly<Record<ProbeKind, HealthHandler>> = Object.freeze({
    live: nodeHandler('live'),
    ready: readyHandler,
    health: readyHandler,
    startup: nodeHandler('startup'),
  });
  const routeMap = new Map<string, HealthHandler>();
  const kindByPath = new Map<string, ProbeKind>();
  for (const kind of KINDS) {
    const p = paths[kind];
    if (p === undefined) continue;
    routeMap.set(p, handlers[kind]);
    kindByPath.set(p, kind);
  }

  const health: Health = {
    get state() {
      return state;
    },
    version,
    paths: Object.freeze(paths),
    handlers,
    setReady: () => transition('ready'),
    setDraining: () => transition('draining'),
    setStopped: () => transition('stopped'),
    onStateChange(listener) {
      if (typeof listener !== 'function') {
        fail('TT_INVALID_OPTION', 'onStateChange: listener must be a function (to, from) => void');
      }
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    addCheck(check) {
      add('addCheck: check', check);
    },
    removeCheck(name) {
      const r = byName.get(name);
      if (r === undefined) return false;
      byName.delete(name);
      runners = runners.filter((x) => x !== r);
      r.close();
      r.definition.stop?.();
      if (metrics !== undefined) {
        handles.delete(name);
        metrics.up.remove({ check: name });
        metrics.duration.remove({ check: name });
      }
      return true;
    },
    async readiness() {
      if (checksWanted()) await runChecks();
      const status = readinessStatus();
      const checks: Record<string, CheckResult> = {};
      for (const r of runners) {
        const res = r.result();
        if (res !== undefined) checks[r.name] = res;
      }
      return { status, version, uptime_seconds: uptime(), state, checks };
    },
    liveness: () => ({ status: 'ok', version, uptime_seconds: uptime(), state }),
    startup: () => ({ status: started ? 'ok' : 'fail', version, uptime_seconds: uptime(), state }),
    routes: () => Object.fromEntries(routeMap),
    handle(req, res) {
      const h = routeMap.get(pathOf(req.url ?? '/'));
      if (h === undefined) return false;
      h(req, res);
      return true;
    },
    fetch(request) {
      const kind = kindByPath.get(pathOf(targetOf(request.url)));
      if (kind === undefined) {
        return Promise.resolve(
          new Response(NOT_FOUND, {
            status: 404,
            headers: { 'content-type': JSON_TYPE, 'cache-control': 'no-store' },
          }),
        );
      }
      const method = request.method;
      const a = answer(kind, method);
      return a instanceof Promise
        ? a.then((x) => answerResponse(method, x))
        : Promise.resolve(answerResponse(method, a));
    },
    close() {
      if (closed) return;
      closed = true;
      for (const r of runners) {
        r.close();
        r.definition.stop?.();
      }
    },
  };
  return health;
}
