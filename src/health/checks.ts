// Built-in health checks: event-loop responsiveness, Redis PING (ioredis or node-redis), and heartbeat freshness.
import { performance } from 'node:perf_hooks';
import { type Clock, systemClock } from '../internal/clock.js';
import { fail, TelltaleError } from '../internal/errors.js';
import { checkOptionKeys } from '../internal/option-keys.js';
import type { HealthCheck } from './check.js';

/** Options every built-in check accepts, passed through to its {@link HealthCheck}. */
export interface BuiltinCheckOptions {
  /** The check's name. Each factory has its own default. */
  readonly name?: string | undefined;
  /** Default 1000 ms (see {@link HealthCheck.timeoutMs}). */
  readonly timeoutMs?: number | undefined;
  /** Default 0 (see {@link HealthCheck.cacheMs}). */
  readonly cacheMs?: number | undefined;
  /** Default `true` (see {@link HealthCheck.critical}). */
  readonly critical?: boolean | undefined;
}

/** The keys of {@link BuiltinCheckOptions}, which every built-in check takes. */
const BUILTIN_CHECK_OPTIONS = ['name', 'timeoutMs', 'cacheMs', 'critical'] as const;

/** Every key of {@link EventLoopCheckOptions}: `eventLoopCheck` refuses any other. */
const EVENT_LOOP_CHECK_OPTIONS = [...BUILTIN_CHECK_OPTIONS, 'maxLagMs', 'resolutionMs'] as const;

/** Every key of {@link RedisCheckOptions}: `redisCheck` refuses any other. */
const REDIS_CHECK_OPTIONS = [...BUILTIN_CHECK_OPTIONS, 'client'] as const;

/** Every key of {@link HeartbeatCheckOptions}: `heartbeatCheck` refuses any other. */
const HEARTBEAT_CHECK_OPTIONS = [
  ...BUILTIN_CHECK_OPTIONS,
  'maxAgeSeconds',
  'lastSuccess',
  'now',
] as const;

function common(o: BuiltinCheckOptions, name: string): Omit<HealthCheck, 'check'> {
  return {
    name: o.name ?? name,
    ...(o.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs } : {}),
    ...(o.cacheMs !== undefined ? { cacheMs: o.cacheMs } : {}),
    ...(o.critical !== undefined ? { critical: o.critical } : {}),
  };
}

function checkObject(where: string, options: unknown, example: string): void {
  if (typeof options !== 'object' || options === null) {
    fail('TT_INVALID_OPTION', `${where}: options must be an object, such as ${example}`);
  }
}

function positive(what: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
    fail('TT_INVALID_OPTION', `${what} must be a finite number > 0, got ${String(v)}`);
  }
  return v;
}

/** Options of {@link eventLoopCheck}. */
export interface EventLoopCheckOptions extends BuiltinCheckOptions {
  /** The longest event-loop delay that still passes, in milliseconds. Default 1000. */
  readonly maxLagMs?: number | undefined;
  /** The sampling timer's period, in milliseconds. Default 100 (10 wake-ups a second). */
  readonly resolutionMs?: number | undefined;
}

/**
 * Event-loop responsiveness. While the check belongs to a Health object, an unref'd interval
 * timer (it never keeps the process alive) measures how late each tick fires; `health.close()`
 * clears it. Each run looks at the longest delay since the previous run and fails when it is
 * over `maxLagMs`, so a probe reports a stall that happened between probes (the probe itself is
 * answered only once the loop is free again). A failing run throws `TT_EVENT_LOOP_LAG`.
 *
 * Why a timer and not `perf_hooks.monitorEventLoopDelay`: on Node 20 that histogram did not
 * record a 250 ms block of the loop (max stayed at the 10 ms resolution), while the timer's drift
 * showed 253 ms.
 *
 * Name `event_loop` by default. Use it in readiness: a process whose loop stalls for seconds
 * should get no traffic, but need not be restarted.
 *
 * @throws {TelltaleError} `TT_INVALID_OPTION` when `options` is not an object, has a key it does
 *   not know, or `maxLagMs` or `resolutionMs` is not > 0.
 * @example
 * ```ts
 * const health = createHealth({ checks: [eventLoopCheck({ maxLagMs: 500 })] });
 * ```
 */
export function eventLoopCheck(options: EventLoopCheckOptions = {}): HealthCheck {
  checkObject('eventLoopCheck', options, '{ maxLagMs: 500 }');
  checkOptionKeys('eventLoopCheck', options, EVENT_LOOP_CHECK_OPTIONS);
  const maxLagMs = positive('eventLoopCheck: maxLagMs', options.maxLagMs ?? 1000);
  const resolution = Math.max(
    1,
    Math.round(positive('eventLoopCheck: resolutionMs', options.resolutionMs ?? 100)),
  );
  let timer: NodeJS.Timeout | undefined;
  let last = 0;
  let maxLag = 0;
  const tick = (): void => {
    const t = performance.now();
    const lag = t - last - resolution;
    if (lag > maxLag) maxLag = lag;
    last = t;
  };
  return {
    ...common(options, 'event_loop'),
    start(): void {
      if (timer !== undefined) return;
      last = performance.now();
      maxLag = 0;
      timer = setInterval(tick, resolution);
      timer.unref();
    },
    stop(): void {
      clearInterval(timer);
      timer = undefined;
    },
    check(): undefined {
      if (timer === undefined) return undefined; // not started (or closed): nothing to judge
      // A stall still going on counts too (the check runs in the first free moment after it).
      tick();
      const lag = maxLag;
      maxLag = 0;
      if (lag > maxLagMs) {
        fail(
          'TT_EVENT_LOOP_LAG',
          `event loop delay reached ${lag.toFixed(1)} ms since the last run, over maxLagMs ${maxLagMs}`,
        );
      }
      return undefined;
    },
  };
}

/**
 * The part of a Redis client the check uses. Both ioredis (`new Redis()`) and node-redis v4+
 * (`createClient()`) have a `ping()` that returns a promise of `'PONG'`.
 */
export interface PingableRedisClient {
  ping(): unknown;
}

/** Options of {@link redisCheck}. */
export interface RedisCheckOptions extends BuiltinCheckOptions {
  /** The client to `PING`: ioredis (`new Redis()`) or node-redis v4+ (`createClient()`). Required. */
  readonly client: PingableRedisClient;
}

function redisStatus(client: object): string | undefined {
  const c = client as { status?: unknown; isReady?: unknown; isOpen?: unknown };
  if (typeof c.status === 'string') return c.status; // ioredis: wait, connecting, ready, reconnecting, end…
  if (typeof c.isReady === 'boolean') {
    // node-redis: isOpen is false once the client was closed or never connected.
    return c.isReady ? 'ready' : c.isOpen === false ? 'closed' : 'not ready';
  }
  return undefined;
}

/**
 * Sends `PING` through an ioredis or node-redis (v4+) client and passes on `PONG`. The client is
 * recognised by shape (`ping()` returning a promise); telltale imports neither library.
 *
 * Configure the client so a command fails fast while Redis is down instead of queueing (ioredis
 * `enableOfflineQueue: false`, node-redis `disableOfflineQueue: true`). Either way the check's
 * timeout bounds it, and a hung PING is never followed by a second one until it settles. A
 * failure's message includes the client's connection status (`[status: reconnecting]`); it is
 * `TT_REDIS_PING_FAILED` (the client's error is its `cause`) when the client reports a status.
 *
 * Name `redis` by default; give each client its own name when you check several.
 *
 * @throws {TelltaleError} `TT_INVALID_OPTION` when `options` is not an object (the client itself
 *   included), has a key it does not know, or its `client` has no `ping` method.
 * @example
 * ```ts
 * const redis = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 0 });
 * health.addCheck(redisCheck({ client: redis, name: 'redis_sessions', timeoutMs: 500 }));
 * ```
 */
export function redisCheck(options: RedisCheckOptions): HealthCheck {
  checkObject('redisCheck', options, '{ client: redis }');
  // The client itself passed as the options (the positional form of before issue 12) is told so,
  // rather than refused for its own keys.
  const positional = typeof (options as { ping?: unknown }).ping === 'function';
  if (!positional) checkOptionKeys('redisCheck', options, REDIS_CHECK_OPTIONS);
  const { client } = options;
  if (
    positional ||
    typeof client !== 'object' ||
    client === null ||
    typeof (client as { ping?: unknown }).ping !== 'function'
  ) {
    fail(
      'TT_INVALID_OPTION',
      'redisCheck: client must be an ioredis or node-redis (v4+) client with a ping() method, passed as redisCheck({ client })',
    );
  }
  return {
    ...common(options, 'redis'),
    async check(): Promise<void> {
      let reply: unknown;
      try {
        const p = client.ping();
        if (
          typeof p !== 'object' ||
          p === null ||
          typeof (p as { then?: unknown }).then !== 'function'
        ) {
          fail(
            'TT_INVALID_OPTION',
            'redisCheck: client.ping() did not return a promise: use ioredis or node-redis v4 or later',
          );
        }
        reply = await p;
      } catch (err) {
        const status = redisStatus(client);
        if (status === undefined || !(err instanceof Error) || err instanceof TelltaleError)
          throw err;
        const msg = err.message.trim() !== '' ? err.message : (err.name ?? 'Error');
        throw new TelltaleError('TT_REDIS_PING_FAILED', `${msg} [status: ${status}]`, {
          cause: err,
        });
      }
      const text =
        typeof reply === 'string' ? reply : Buffer.isBuffer(reply) ? reply.toString() : '';
      if (text !== 'PONG')
        fail('TT_REDIS_PING_FAILED', `unexpected PING reply: ${String(reply).slice(0, 50)}`);
    },
  };
}

/** Options of {@link heartbeatCheck}. */
export interface HeartbeatCheckOptions extends BuiltinCheckOptions {
  /** The check's name, such as `registration_heartbeat`. Required: there is no sensible default. */
  readonly name: string;
  /** The oldest last success that still passes, in seconds. Must be > 0. */
  readonly maxAgeSeconds: number;
  /**
   * When the heartbeat (or any periodic job) last succeeded, in milliseconds since the epoch
   * (`Date.now()` at that moment), or `undefined` if it never has.
   */
  readonly lastSuccess: () => number | undefined;
  /**
   * The time now, in milliseconds since the epoch: a `Clock`'s `now` (pass `() => clock.now()`).
   * Default `Date.now`; inject it in tests.
   */
  readonly now?: Clock['now'] | undefined;
}

/**
 * Freshness of a periodic job: passes while the last success is at most `maxAgeSeconds` old, and
 * fails when it is older or never happened. Give it a heartbeat's last-success time, so
 * readiness turns 503 while the service has lost touch with whatever it reports to. A failing
 * run throws `TT_HEARTBEAT_STALE`.
 *
 * @throws {TelltaleError} `TT_INVALID_OPTION` when `options` is not an object, has a key it does
 *   not know, `maxAgeSeconds` is not > 0 or `lastSuccess` is not a function.
 * @example
 * ```ts
 * let last: number | undefined;               // set to Date.now() after each successful heartbeat
 * health.addCheck(heartbeatCheck({ name: 'registration_heartbeat', maxAgeSeconds: 30, lastSuccess: () => last }));
 * ```
 */
export function heartbeatCheck(options: HeartbeatCheckOptions): HealthCheck {
  checkObject('heartbeatCheck', options, "{ name: 'heartbeat', maxAgeSeconds: 30, lastSuccess }");
  checkOptionKeys('heartbeatCheck', options, HEARTBEAT_CHECK_OPTIONS);
  const maxAgeMs = positive('heartbeatCheck: maxAgeSeconds', options.maxAgeSeconds) * 1000;
  const { lastSuccess } = options;
  if (typeof lastSuccess !== 'function') {
    fail(
      'TT_INVALID_OPTION',
      'heartbeatCheck: lastSuccess must be a function returning the last success time in ms (Date.now()), or undefined',
    );
  }
  const now = options.now ?? systemClock.now;
  return {
    ...common(options, options.name),
    check(): undefined {
      const last = lastSuccess();
      if (last === undefined) fail('TT_HEARTBEAT_STALE', 'no successful run yet');
      if (typeof last !== 'number' || !Number.isFinite(last)) {
        fail(
          'TT_INVALID_OPTION',
          `heartbeatCheck: lastSuccess() returned ${String(last)}, not a time in milliseconds: return Date.now() of the last success, or undefined`,
        );
      }
      const ageMs = now() - last;
      if (ageMs > maxAgeMs) {
        fail(
          'TT_HEARTBEAT_STALE',
          `last success ${(ageMs / 1000).toFixed(1)} s ago, older than maxAgeSeconds ${options.maxAgeSeconds}`,
        );
      }
      return undefined;
    },
  };
}
