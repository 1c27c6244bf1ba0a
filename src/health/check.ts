// A health check's definition, and the runner that calls it under a timeout, caches its result and shares one run between concurrent probes.
import type { Clock } from '../internal/clock.js';
import { raceTimeout, TIMED_OUT } from '../internal/timeout.js';

/** What a check function may return: nothing or `true` passes, `false` fails; so may a promise of either. */
// biome-ignore lint/suspicious/noConfusingVoidType: `async () => {}` returns Promise<void>, which must fit.
export type CheckFunctionResult = void | boolean | Promise<void | boolean>;

/**
 * A health check: a named function that passes when it returns (or resolves), and fails when it
 * throws, rejects, returns `false` or takes longer than `timeoutMs`.
 *
 * @example
 * ```ts
 * const db: HealthCheck = { name: 'postgres', check: () => pool.query('SELECT 1').then(() => {}), timeoutMs: 500 };
 * ```
 */
export interface HealthCheck {
  /** Unique within a Health object: the key in the JSON `checks` object and the `check` label. 1–64 characters. */
  readonly name: string;
  /**
   * The check itself. Sync or async. It is never called again while an earlier call is still
   * pending (a call that timed out included), so a hung dependency does not pile up calls.
   */
  readonly check: () => CheckFunctionResult;
  /** How long a run may take before its status is `timeout`, in milliseconds. Default 1000; must be > 0. */
  readonly timeoutMs?: number | undefined;
  /** Reuse the last result for this many milliseconds (pass, fail or timeout). Default 0: run on every probe. */
  readonly cacheMs?: number | undefined;
  /** Whether a failure turns readiness to 503. Default `true`; a failing non-critical check gives 200 `degraded`. */
  readonly critical?: boolean | undefined;
  /**
   * Called when the check is added to a Health object, for checks that sample in the background
   * (the event-loop check starts its monitor here). Must not throw.
   */
  readonly start?: (() => void) | undefined;
  /** Called by `health.close()` (and `removeCheck`): stops whatever `start` started. Must not throw. */
  readonly stop?: (() => void) | undefined;
}

/** A check's outcome: `pass`, `fail` (threw, rejected or returned `false`) or `timeout`. */
export type CheckStatus = 'pass' | 'fail' | 'timeout';

/** One check's latest result, as shown in the JSON `checks` object. */
export interface CheckResult {
  readonly status: CheckStatus;
  readonly critical: boolean;
  /** How long the run took, in milliseconds (3 decimals). */
  readonly duration_ms: number;
  /** The failure's message only (never a stack), at most 200 characters. Absent on `pass`. */
  readonly error?: string;
}

/** The longest error message shown in the JSON, in characters: 200 (R4). */
export const MAX_ERROR_LENGTH = 200;

/**
 * A readable, single-message description of anything a check threw or rejected with: an Error's
 * message (or its code or nested errors' messages when the message is empty, as with the
 * `AggregateError` of a refused connection), a string as is, anything else as
 * `non-Error value: <JSON>`. Trimmed of surrounding whitespace and to {@link MAX_ERROR_LENGTH}
 * characters (ending in `…`), never splitting a surrogate pair. Never includes a stack.
 *
 * @example
 * ```ts
 * errorMessage(new Error('connect ECONNREFUSED')); // 'connect ECONNREFUSED'
 * errorMessage({});                                // 'non-Error value: {}'
 * ```
 */
export function errorMessage(err: unknown): string {
  return trimMessage(rawMessage(err));
}

function rawMessage(err: unknown): string {
  if (err instanceof Error) {
    if (err.message.trim() !== '') return err.message;
    const nested = (err as { errors?: unknown }).errors;
    if (Array.isArray(nested) && nested.length > 0) {
      return nested.map((e) => rawMessage(e)).join('; ');
    }
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && code !== '') return code;
    return err.name;
  }
  if (typeof err === 'string') return err.trim() === '' ? 'empty string thrown' : err;
  if (typeof err === 'object' && err !== null) {
    const m = (err as { message?: unknown }).message;
    if (typeof m === 'string' && m.trim() !== '') return m;
  }
  let json: string | undefined;
  try {
    json = typeof err === 'bigint' ? `${err}n` : JSON.stringify(err);
  } catch {
    json = undefined;
  }
  return `non-Error value: ${json ?? String(err)}`;
}

function trimMessage(s: string): string {
  const t = s.trim();
  if (t.length <= MAX_ERROR_LENGTH) return t;
  let end = MAX_ERROR_LENGTH - 1;
  // Do not leave a lone high surrogate before the ellipsis.
  const c = t.charCodeAt(end - 1);
  if (c >= 0xd800 && c <= 0xdbff) end--;
  return `${t.slice(0, end)}…`;
}

/** What a settled call of the check function came to. */
interface Outcome {
  readonly status: 'pass' | 'fail';
  readonly error: string | undefined;
}

const CLOSED: Outcome = Object.freeze({ status: 'fail', error: 'health.close() ended the run' });
const PASSED: Outcome = Object.freeze({ status: 'pass', error: undefined });
const RETURNED_FALSE: Outcome = Object.freeze({ status: 'fail', error: 'check returned false' });

function outcomeOf(value: unknown): Outcome {
  return value === false ? RETURNED_FALSE : PASSED;
}

function failed(err: unknown): Outcome {
  return { status: 'fail', error: errorMessage(err) };
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return (
    typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function'
  );
}

/** Receives each finished run: for metrics and logging. */
export type RunListener = (runner: CheckRunner, previous: CheckStatus | undefined) => void;

/**
 * Runs one check. Internal to telltale/health: the Health object owns one per check.
 *
 * The cached path (`ensureFresh` when the result is fresh) does one clock read and one compare,
 * and allocates nothing; the JSON fragment of the result is built once per run, not per probe.
 */
export class CheckRunner {
  readonly name: string;
  readonly critical: boolean;
  readonly timeoutMs: number;
  readonly cacheMs: number;
  readonly definition: HealthCheck;
  /** `"name":` with the name JSON-escaped, computed once. */
  readonly #key: string;
  readonly #clock: Clock;
  readonly #onRun: RunListener;
  /** What a run that timed out records, made once. */
  readonly #timedOut: { readonly status: CheckStatus; readonly error: string };
  /** Aborted by {@link close}: ends a run in flight. */
  readonly #closing = new AbortController();

  /** The latest result's status, `undefined` before the first run finished. */
  status: CheckStatus | undefined = undefined;
  /** The latest run's duration in milliseconds. */
  durationMs = 0;
  /** The latest error, if the latest run did not pass. */
  error: string | undefined = undefined;
  /** The latest result as a JSON member (`"name":{…}`), or `''` before the first run. */
  fragment = '';
  #finishedAt = Number.NEGATIVE_INFINITY;
  #run: Promise<void> | undefined = undefined;
  #call: Promise<Outcome> | undefined = undefined;

  constructor(
    definition: HealthCheck,
    resolved: { timeoutMs: number; cacheMs: number; critical: boolean },
    clock: Clock,
    onRun: RunListener,
  ) {
    this.definition = definition;
    this.name = definition.name;
    this.timeoutMs = resolved.timeoutMs;
    this.cacheMs = resolved.cacheMs;
    this.critical = resolved.critical;
    this.#key = `${JSON.stringify(definition.name)}:`;
    this.#clock = clock;
    this.#onRun = onRun;
    this.#timedOut = { status: 'timeout', error: `timed out after ${resolved.timeoutMs} ms` };
  }

  /** The latest result as a plain object, or `undefined` before the first run. */
  result(): CheckResult | undefined {
    if (this.status === undefined) return undefined;
    const r: { -readonly [K in keyof CheckResult]: CheckResult[K] } = {
      status: this.status,
      critical: this.critical,
      duration_ms: this.durationMs,
    };
    if (this.error !== undefined) r.error = this.error;
    return r;
  }

  /**
   * Makes sure the result is fresh: returns `undefined` when it already is (cached, or the check
   * is synchronous and just ran), else the promise of the run in flight (shared by every caller).
   */
  ensureFresh(): Promise<void> | undefined {
    if (this.#run !== undefined) return this.#run;
    const t0 = this.#clock.now();
    if (this.cacheMs > 0 && t0 - this.#finishedAt < this.cacheMs) return undefined;
    const closing = this.#closing.signal;
    if (closing.aborted) return undefined;
    let call = this.#call;
    if (call === undefined) {
      let out: unknown;
      try {
        out = this.definition.check();
      } catch (err) {
        this.#record(failed(err), t0);
        return undefined;
      }
      if (!isThenable(out)) {
        this.#record(outcomeOf(out), t0);
        return undefined;
      }
      const pending: Promise<Outcome> = Promise.resolve(out).then(outcomeOf, failed);
      call = pending;
      this.#call = pending;
      // Forget the call once it settles, even if no run is waiting for it any more (it timed out).
      void pending.then(() => {
        if (this.#call === pending) this.#call = undefined;
      });
    }
    // The call never rejects (failures are outcomes), so a rejection is close() ending the run.
    // Not unref'd: `await health.readiness()` in a script must get its answer; the timer lives at
    // most timeoutMs, and close() clears it.
    const run: Promise<void> = raceTimeout(call, this.timeoutMs, {
      clock: this.#clock,
      signal: closing,
    }).then(
      (outcome) => this.#finish(outcome === TIMED_OUT ? this.#timedOut : outcome, t0),
      () => this.#finish(CLOSED, t0),
    );
    this.#run = run;
    return run;
  }

  /** Stops the runner: ends a run in flight as `fail` ("health.close() ended the run"), and clears its timer. Idempotent. */
  close(): void {
    this.#closing.abort();
  }

  #finish(outcome: { status: CheckStatus; error: string | undefined }, t0: number): void {
    this.#run = undefined;
    this.#record(outcome, t0);
  }

  #record(outcome: { status: CheckStatus; error: string | undefined }, t0: number): void {
    const t1 = this.#clock.now();
    const previous = this.status;
    this.status = outcome.status;
    this.error = outcome.error;
    this.durationMs = Math.round((t1 - t0) * 1000) / 1000;
    this.#finishedAt = t1;
    this.fragment =
      outcome.error === undefined
        ? `${this.#key}{"status":"${outcome.status}","critical":${this.critical},"duration_ms":${this.durationMs}}`
        : `${this.#key}{"status":"${outcome.status}","critical":${this.critical},"duration_ms":${this.durationMs},"error":${JSON.stringify(outcome.error)}}`;
    this.#onRun(this, previous);
  }
}
