// A periodic task for heartbeats and registration loops: jittered interval, per-run timeout, capped backoff, never-exit, re-registration on not-found.
import {
  applyJitter,
  type BackoffPolicy,
  jitteredBackoff,
  jitterOption,
  resolveBackoffPolicy,
} from '../internal/backoff.js';
import { type Clock, clockOption, systemClock } from '../internal/clock.js';
import { fail, TelltaleError } from '../internal/errors.js';
import { defaultLogger, type MinimalLogger } from '../internal/logger.js';
import { checkOptionKeys } from '../internal/option-keys.js';
import { raceTimeout, TIMED_OUT } from '../internal/timeout.js';
import { defaultRegistry, type Registry } from '../metrics/registry.js';
import { type Cancellation, createCancellation } from './cancellation.js';
import { fn, nonEmpty, positive } from './validate.js';

/** What each run of a periodic task receives. */
export interface PeriodicTaskContext {
  /**
   * Aborts when the run passes `timeoutMs` (reason: `TT_TASK_TIMEOUT`), when the task is
   * stopped, or when the task's parent `signal` aborts. Pass it to `fetch` and friends.
   */
  signal: AbortSignal;
  /** 1 for the first try after a success (or at start); n for the n-th consecutive try. */
  attempt: number;
}

/** Exponential backoff between failed attempts: `min(maxDelayMs, initialDelayMs × factor^(n-1))` after the n-th failure in a row. */
export interface RetryOptions {
  /** Delay after the first failure, in ms. Default 1000. */
  readonly initialDelayMs?: number;
  /** The cap, in ms. Default 30000. */
  readonly maxDelayMs?: number;
  /** Growth per failure, ≥ 1. Default 2. */
  readonly factor?: number;
}

/** The registry a task records its metrics in: a telltale `Registry` (its `counter` and `gauge`). */
export type TaskMetricsRegistry = Pick<Registry, 'counter' | 'gauge'>;

/** Options shared by both retry modes of {@link createPeriodicTask}. */
export interface PeriodicTaskBaseOptions {
  /** The task's name, in logs and in the `task` label. */
  readonly name: string;
  /** One run (a heartbeat). Throw or reject to fail; honour `ctx.signal`. */
  readonly run: (ctx: PeriodicTaskContext) => Promise<void> | void;
  /** Time between successful runs, in ms (> 0). */
  readonly intervalMs: number;
  /**
   * Each delay is multiplied by a random factor in `[1 - jitter, 1 + jitter]`, so a fleet does
   * not call the same server in lockstep. In [0, 1). Default 0.1.
   */
  readonly jitter?: number;
  /** The longest a run (or an `onNotFound` call) may take, in ms. Default `intervalMs`. */
  readonly timeoutMs?: number;
  /** Backoff between failed attempts. Defaults: 1000 ms, ×2, capped at 30000 ms. */
  readonly retry?: RetryOptions;
  /** Run at once on `start()` (a registration loop wants this). `false` waits one interval. Default `true`. */
  readonly runOnStart?: boolean;
  /**
   * Called when a run fails with a not-found error (the server forgot us, e.g. after its
   * restart): the next attempt calls it (re-registration) before `run`, and keeps calling it
   * first until it succeeds. It gets the same context as `run`, with the same timeout.
   */
  readonly onNotFound?: (ctx: PeriodicTaskContext) => Promise<void> | void;
  /**
   * Whether an error means "not found". Default: `err.status === 404`, `err.statusCode === 404`,
   * or `err.code` is `'NOT_FOUND'` or `5` (gRPC NOT_FOUND).
   */
  readonly isNotFound?: (err: unknown) => boolean;
  /** Called once when the task gives up (`maxAttempts` failures in a row). */
  readonly onGiveUp?: (err: TelltaleError) => void;
  /** The task stops when this aborts (pass `lifecycle.child('heartbeat').signal`). */
  readonly signal?: AbortSignal;
  /**
   * Record `telltale_task_*` metrics here (see docs/lifecycle.md). Default: `defaultRegistry()`,
   * what `createMetricsServer()` serves without a registry (docs/telemetry.md, "An omitted
   * registry").
   */
  readonly registry?: TaskMetricsRegistry;
  /** Record the task metrics. `false` registers none. Default `true`. */
  readonly metrics?: boolean;
  /** Failures go to `warn`, giving up to `error`, re-registration to `info`. Default: errors to stderr. */
  readonly logger?: MinimalLogger;
  /**
   * The clock the task schedules with and reads `lastSuccess` and `nextRunAt` from, in ms since
   * the epoch. Default `systemClock` (`Date.now` and the global timers); inject a fake one in tests.
   */
  readonly clock?: Clock;
  /** Source of randomness for jitter, in [0, 1). Default `Math.random`. */
  readonly random?: () => number;
}

/**
 * Options of {@link createPeriodicTask}: the base options plus exactly one of `neverExit: true`
 * (retry forever: for a service that keeps serving while what it reports to is away) or
 * `maxAttempts` (give up after that many failures in a row).
 */
export type PeriodicTaskOptions = PeriodicTaskBaseOptions &
  (
    | { readonly neverExit: true; readonly maxAttempts?: never }
    | { readonly maxAttempts: number; readonly neverExit?: false }
  );

/** Every key of {@link PeriodicTaskOptions} (both retry modes): `createPeriodicTask` refuses any other. */
const PERIODIC_TASK_OPTIONS = [
  'name',
  'run',
  'intervalMs',
  'jitter',
  'timeoutMs',
  'retry',
  'runOnStart',
  'onNotFound',
  'isNotFound',
  'onGiveUp',
  'signal',
  'registry',
  'metrics',
  'logger',
  'clock',
  'random',
  'neverExit',
  'maxAttempts',
] as const;

/** Every key of {@link RetryOptions}. */
const RETRY_OPTIONS = ['initialDelayMs', 'maxDelayMs', 'factor'] as const;

/** How a task ended: stopped (by `stop()` or its signal), or gave up. */
export type PeriodicTaskResult =
  | { outcome: 'stopped' }
  | { outcome: 'gave-up'; error: TelltaleError };

/** A running periodic task. See {@link createPeriodicTask}. */
export interface PeriodicTask {
  /** The task's name. */
  readonly name: string;
  /** Starts the loop. Idempotent; a task that ended does not start again (create a new one). */
  start(): void;
  /**
   * Stops the loop: cancels the pending timer, aborts the current run's signal, and resolves
   * once that run has settled (or was abandoned through its signal). Idempotent.
   */
  stop(): Promise<void>;
  /** Resolves (never rejects) when the task ends. */
  readonly done: Promise<PeriodicTaskResult>;
  /** Clock time (ms) of the last successful run; `undefined` before the first. */
  readonly lastSuccess: number | undefined;
  /** Failed attempts since the last success. */
  readonly consecutiveFailures: number;
  /** Clock time (ms) the next attempt is due; `undefined` while a run is in progress or after the end. */
  readonly nextRunAt: number | undefined;
  /** Whether the task has started and not ended. */
  readonly active: boolean;
}

/** The defaults of {@link RetryOptions}. */
const DEFAULT_RETRY: BackoffPolicy = Object.freeze({
  initialDelayMs: 1000,
  maxDelayMs: 30_000,
  factor: 2,
});

/** The outcomes counted in `telltale_task_runs_total`. */
export const TASK_OUTCOMES = ['success', 'error', 'timeout', 'not_found'] as const;
type Outcome = (typeof TASK_OUTCOMES)[number];

/** The default {@link PeriodicTaskBaseOptions.isNotFound}. */
export function defaultIsNotFound(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as Record<string, unknown>;
  return (
    e['status'] === 404 || e['statusCode'] === 404 || e['code'] === 'NOT_FOUND' || e['code'] === 5
  );
}

function describe(err: unknown): string {
  if (err instanceof Error) return err.message;
  try {
    return typeof err === 'string' ? err : (JSON.stringify(err) ?? String(err));
  } catch {
    return String(err);
  }
}

/**
 * Creates a periodic task: runs `run` every `intervalMs` (± jitter); retries a failed run with
 * capped exponential backoff; bounds each run by `timeoutMs` through `ctx.signal`; with
 * `neverExit: true` retries forever, otherwise gives up after `maxAttempts` failures in a row;
 * after a not-found failure, calls `onNotFound` (re-registration) before the next run.
 *
 * Nothing runs until `start()`. Timers come from `clock`, so tests never sleep.
 *
 * @throws {TelltaleError} `TT_INVALID_OPTION` on a bad option, or a key it (or `retry`) does not
 *   know (non-positive interval, jitter outside [0, 1), `initialDelayMs > maxDelayMs`, both or neither of `neverExit`/`maxAttempts`, …).
 * @example
 * ```ts
 * const heartbeat = createPeriodicTask({
 *   name: 'heartbeat', intervalMs: 10_000, neverExit: true,
 *   signal: lifecycle.child('heartbeat').signal,
 *   // The payload is the caller's: gather what the heartbeat reports here, at call time.
 *   run: async ({ signal }) => post('/heartbeat', { id, ...stats() }, signal),
 *   onNotFound: async ({ signal }) => post('/register', info, signal),
 * });
 * heartbeat.start();
 * ```
 */
export function createPeriodicTask(options: PeriodicTaskOptions): PeriodicTask {
  if (typeof options !== 'object' || options === null) {
    fail('TT_INVALID_OPTION', 'createPeriodicTask: options must be an object');
  }
  checkOptionKeys('createPeriodicTask', options, PERIODIC_TASK_OPTIONS);
  const name = nonEmpty('createPeriodicTask: name', options.name);
  const what = (o: string) => `createPeriodicTask(${name}): ${o}`;
  const run = fn(what('run'), options.run);
  const intervalMs = positive(what('intervalMs'), options.intervalMs);
  const jitter = jitterOption(what('jitter'), options.jitter ?? 0.1);
  const timeoutMs = positive(what('timeoutMs'), options.timeoutMs ?? intervalMs);
  if (options.retry !== undefined) {
    if (typeof options.retry !== 'object' || options.retry === null) {
      fail(
        'TT_INVALID_OPTION',
        `${what('retry')} must be an object such as { initialDelayMs: 1000, maxDelayMs: 30000 }`,
      );
    }
    checkOptionKeys(`createPeriodicTask(${name})`, options.retry, RETRY_OPTIONS, 'retry.');
  }
  const retry = resolveBackoffPolicy((o) => what(`retry.${o}`), options.retry, DEFAULT_RETRY);
  const neverExit = options.neverExit === true;
  let maxAttempts = Number.POSITIVE_INFINITY;
  if (neverExit) {
    if (options.maxAttempts !== undefined) {
      fail(
        'TT_INVALID_OPTION',
        `${what('neverExit')} and maxAttempts exclude each other: pick one`,
      );
    }
  } else {
    const m = options.maxAttempts;
    if (typeof m !== 'number' || !Number.isInteger(m) || m < 1) {
      fail(
        'TT_INVALID_OPTION',
        `${what('maxAttempts')} must be an integer ≥ 1 (or set neverExit: true), got ${String(m)}`,
      );
    }
    maxAttempts = m;
  }
  const onNotFound =
    options.onNotFound === undefined ? undefined : fn(what('onNotFound'), options.onNotFound);
  const isNotFound =
    options.isNotFound === undefined
      ? defaultIsNotFound
      : fn(what('isNotFound'), options.isNotFound);
  const onGiveUp =
    options.onGiveUp === undefined ? undefined : fn(what('onGiveUp'), options.onGiveUp);
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) {
    fail('TT_INVALID_OPTION', `${what('signal')} must be an AbortSignal`);
  }
  const clock = clockOption(what('clock'), options.clock, systemClock);
  const random = options.random ?? Math.random;
  const logger = options.logger ?? defaultLogger;
  const runOnStart = options.runOnStart ?? true;

  // Resolve once, record many: one handle per outcome, created (at 0) up front.
  let outcomeCounters: Map<Outcome, { inc(): void }> | undefined;
  let lastSuccessGauge: { set(v: number): void } | undefined;
  let failuresGauge: { set(v: number): void } | undefined;
  if (options.metrics !== undefined && typeof options.metrics !== 'boolean') {
    fail(
      'TT_INVALID_OPTION',
      `${what('metrics')} must be true or false, got ${String(options.metrics)}`,
    );
  }
  if (options.metrics !== false) {
    const r = options.registry ?? defaultRegistry();
    const runs = r.counter({
      name: 'telltale_task_runs_total',
      help: 'Attempts of a periodic task, by outcome (success, error, timeout, not_found).',
      labelNames: ['task', 'outcome'] as const,
    });
    outcomeCounters = new Map(
      TASK_OUTCOMES.map((o) => [o, runs.labels({ task: name, outcome: o })]),
    );
    lastSuccessGauge = r
      .gauge({
        name: 'telltale_task_last_success_timestamp_seconds',
        help: 'When a periodic task last succeeded, in seconds since the epoch (0: never).',
        unit: 'seconds',
        labelNames: ['task'] as const,
      })
      .labels({ task: name });
    lastSuccessGauge.set(0);
    failuresGauge = r
      .gauge({
        name: 'telltale_task_consecutive_failures',
        help: 'Failed attempts of a periodic task since its last success.',
        labelNames: ['task'] as const,
      })
      .labels({ task: name });
    failuresGauge.set(0);
  }

  let node: Cancellation | undefined;
  let started = false;
  let ended = false;
  let timer: unknown;
  let nextRunAt: number | undefined;
  let current: Promise<void> | undefined;
  let lastSuccess: number | undefined;
  let consecutiveFailures = 0;
  let needsReregistration = false;
  let resolveDone!: (r: PeriodicTaskResult) => void;
  const done = new Promise<PeriodicTaskResult>((resolve) => {
    resolveDone = resolve;
  });

  const end = (result: PeriodicTaskResult): void => {
    if (ended) return;
    ended = true;
    if (timer !== undefined) clock.clearTimeout(timer);
    timer = undefined;
    nextRunAt = undefined;
    // A run in progress was aborted through its signal; report the end once it has settled.
    void Promise.resolve(current).then(() => resolveDone(result));
  };

  const schedule = (delay: number): void => {
    nextRunAt = clock.now() + delay;
    timer = clock.setTimeout(() => {
      timer = undefined;
      nextRunAt = undefined;
      current = attempt();
    }, delay);
  };

  // Runs `f` under a child signal that aborts at timeoutMs; settles as soon as that signal aborts
  // (timeout, stop or the parent signal), even if `f` ignores it.
  const bounded = async (
    f: (ctx: PeriodicTaskContext) => Promise<void> | void,
    label: string,
    attemptNo: number,
  ): Promise<void> => {
    const child = (node as Cancellation).child(label);
    // Rethrows why the child aborted: the timeout's TT_TASK_TIMEOUT, stop()'s AbortError, or the
    // parent signal's reason.
    const rethrowAbort = (): never => {
      const reason: unknown = child.signal.reason;
      throw reason;
    };
    try {
      if (child.signal.aborted) rethrowAbort();
      const work = new Promise<void>((resolve) => {
        resolve(f({ signal: child.signal, attempt: attemptNo }));
      });
      const result = await raceTimeout(work, timeoutMs, {
        clock,
        signal: child.signal,
        onTimeout: () =>
          child.cancel(
            new TelltaleError(
              'TT_TASK_TIMEOUT',
              `periodic task ${name}: ${label} did not settle within ${timeoutMs} ms; make it faster or raise timeoutMs`,
            ),
          ),
      });
      if (result === TIMED_OUT) rethrowAbort();
    } finally {
      child.dispose();
    }
  };

  const record = (outcome: Outcome): void => {
    outcomeCounters?.get(outcome)?.inc();
    failuresGauge?.set(consecutiveFailures);
  };

  const attempt = async (): Promise<void> => {
    const attemptNo = consecutiveFailures + 1;
    let error: unknown;
    let failed = false;
    try {
      if (needsReregistration && onNotFound !== undefined) {
        await bounded(onNotFound, 'onNotFound', attemptNo);
        needsReregistration = false;
        logger.info({ task: name }, 'Periodic task re-registered after not-found');
      }
      await bounded(run, 'run', attemptNo);
    } catch (err) {
      failed = true;
      error = err;
    }
    // Stopped meanwhile: the run was aborted on purpose, so it is neither a failure nor a success.
    if (ended || node?.cancelled === true) return;
    if (!failed) {
      consecutiveFailures = 0;
      lastSuccess = clock.now();
      lastSuccessGauge?.set(lastSuccess / 1000);
      record('success');
      schedule(applyJitter(intervalMs, jitter, random()));
      return;
    }
    consecutiveFailures += 1;
    let outcome: Outcome = 'error';
    if (error instanceof TelltaleError && error.code === 'TT_TASK_TIMEOUT') outcome = 'timeout';
    else if (safeIsNotFound(error)) {
      outcome = 'not_found';
      if (onNotFound !== undefined) needsReregistration = true;
    }
    record(outcome);
    if (consecutiveFailures >= maxAttempts) {
      const gaveUp = new TelltaleError(
        'TT_TASK_GAVE_UP',
        `periodic task ${name} failed ${consecutiveFailures} times in a row (last: ${describe(error)}); fix the dependency, raise maxAttempts, or set neverExit: true`,
        { cause: error },
      );
      logger.error(
        { task: name, failures: consecutiveFailures, err: error },
        'Periodic task gave up',
      );
      node?.dispose();
      end({ outcome: 'gave-up', error: gaveUp });
      if (onGiveUp !== undefined) {
        try {
          onGiveUp(gaveUp);
        } catch (err) {
          logger.error({ task: name, err }, 'Periodic task onGiveUp threw');
        }
      }
      return;
    }
    const delay = jitteredBackoff(consecutiveFailures, retry, jitter, random());
    logger.warn(
      {
        task: name,
        outcome,
        failures: consecutiveFailures,
        retryInMs: delay,
        err: describe(error),
      },
      'Periodic task failed; retrying',
    );
    schedule(delay);
  };

  const safeIsNotFound = (err: unknown): boolean => {
    try {
      return isNotFound(err) === true;
    } catch {
      return false;
    }
  };

  return {
    name,
    start(): void {
      if (started) return;
      started = true;
      node = createCancellation({ name, signal: options.signal });
      if (node.cancelled) {
        end({ outcome: 'stopped' });
        return;
      }
      node.signal.addEventListener('abort', () => end({ outcome: 'stopped' }), { once: true });
      if (runOnStart) {
        current = attempt();
      } else {
        schedule(applyJitter(intervalMs, jitter, random()));
      }
    },
    async stop(): Promise<void> {
      if (!started) {
        started = true;
        end({ outcome: 'stopped' });
      } else if (!ended) {
        node?.cancel(new DOMException(`periodic task ${name} stopped`, 'AbortError'));
      }
      await done;
    },
    done,
    get lastSuccess() {
      return lastSuccess;
    },
    get consecutiveFailures() {
      return consecutiveFailures;
    },
    get nextRunAt() {
      return nextRunAt;
    },
    get active() {
      return started && !ended;
    },
  };
}
