// Retry delays: capped exponential backoff with jitter, and the Retry-After header read as a floor.
import {
  type BackoffPolicy,
  jitteredBackoff,
  jitterOption,
  MAX_TIMER_MS,
  resolveBackoffPolicy,
} from '../internal/backoff.js';
import { fail } from '../internal/errors.js';
import { checkOptionKeys } from '../internal/option-keys.js';

/**
 * Options of {@link createBackoff}. Every one is optional and validated at construction.
 * @example
 * ```ts
 * const options: BackoffOptions = { initialDelayMs: 250, maxDelayMs: 10_000, jitter: 0.2 };
 * ```
 */
export interface BackoffOptions {
  /** The delay after the first failure in a row, in ms (finite, ≥ 0). Default 1000. */
  readonly initialDelayMs?: number | undefined;
  /** The cap on the delay before jitter, in ms (finite, ≥ `initialDelayMs`). Default 30,000. */
  readonly maxDelayMs?: number | undefined;
  /** Growth per further failure (finite, ≥ 1). Default 2. */
  readonly factor?: number | undefined;
  /**
   * Each delay is multiplied by a uniform factor in `[1 − jitter, 1 + jitter]`, so a fleet that
   * failed together does not retry in lockstep. In [0, 1). Default 0.1.
   */
  readonly jitter?: number | undefined;
  /** The source of the jitter draws, in [0, 1). Default `Math.random`; tests pass a fixed one. */
  readonly random?: (() => number) | undefined;
}

/** Every key of {@link BackoffOptions}: `createBackoff` refuses any other. */
const BACKOFF_OPTIONS = ['initialDelayMs', 'maxDelayMs', 'factor', 'jitter', 'random'] as const;

/** A backoff policy from {@link createBackoff}: the resolved options, and the delay per failure. */
export interface Backoff {
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  readonly factor: number;
  readonly jitter: number;
  /**
   * The wait in whole milliseconds before the attempt that follows the `failures`-th failure in a
   * row: `min(maxDelayMs, initialDelayMs × factor^(failures − 1))` scaled by the jitter, so
   * `maxDelayMs × (1 + jitter)` at most. Draws one number from `random` per call. With
   * `retryAfterMs` (what the server asked for, from {@link parseRetryAfter}) the wait is at least
   * that, even beyond `maxDelayMs`: give up instead if it is longer than you can wait. Never more
   * than 2,147,483,647 ms, the longest a timer waits.
   *
   * @throws {TelltaleError} `TT_INVALID_OPTION` when `failures` is not an integer ≥ 1 or
   *   `retryAfterMs` is not a finite number ≥ 0.
   */
  delay(failures: number, retryAfterMs?: number): number;
}

const DEFAULTS: BackoffPolicy = Object.freeze({
  initialDelayMs: 1000,
  maxDelayMs: 30_000,
  factor: 2,
});

/**
 * Creates a backoff policy for a retry loop: capped exponential growth with proportional jitter,
 * and the server's Retry-After honoured as a floor. It holds no state: the loop counts its own
 * failures in a row (reset on success), so one policy serves any number of loops.
 *
 * Defaults: 1000 ms, doubling, capped at 30 s, ±10% jitter (the periodic tasks' defaults).
 *
 * @throws {TelltaleError} `TT_INVALID_OPTION` on an invalid or unknown option: a negative or non-finite
 *   delay, `initialDelayMs > maxDelayMs`, a factor below 1, a jitter outside [0, 1), a `random`
 *   that is not a function.
 * @example
 * ```ts
 * const backoff = createBackoff({ initialDelayMs: 250, maxDelayMs: 10_000, jitter: 0.2 });
 * let failures = 0;
 * for (;;) {
 *   const res = await fetch(url, { method: 'POST', body }).catch(() => undefined);
 *   if (res?.ok) break;
 *   failures++;
 *   const retryAfterMs = parseRetryAfter(res?.headers.get('retry-after'));
 *   await new Promise((r) => setTimeout(r, backoff.delay(failures, retryAfterMs)));
 * }
 * ```
 */
export function createBackoff(options: BackoffOptions = {}): Backoff {
  if (typeof options !== 'object' || options === null) {
    fail('TT_INVALID_OPTION', 'createBackoff: options must be an object');
  }
  checkOptionKeys('createBackoff', options, BACKOFF_OPTIONS);
  const policy = resolveBackoffPolicy((o) => `createBackoff: ${o}`, options, DEFAULTS);
  const jitter = jitterOption('createBackoff: jitter', options.jitter ?? 0.1);
  const random = options.random ?? Math.random;
  if (typeof random !== 'function') {
    fail('TT_INVALID_OPTION', 'createBackoff: random must be a function returning [0, 1)');
  }
  return Object.freeze({
    ...policy,
    jitter,
    delay(failures: number, retryAfterMs?: number): number {
      if (!Number.isInteger(failures) || failures < 1) {
        fail(
          'TT_INVALID_OPTION',
          `backoff.delay: failures must be an integer ≥ 1 (failures in a row so far), got ${String(failures)}`,
        );
      }
      const d = jitteredBackoff(failures, policy, jitter, random());
      if (retryAfterMs === undefined) return d;
      if (typeof retryAfterMs !== 'number' || !Number.isFinite(retryAfterMs) || retryAfterMs < 0) {
        fail(
          'TT_INVALID_OPTION',
          `backoff.delay: retryAfterMs must be a finite number ≥ 0 (or undefined), got ${String(retryAfterMs)}`,
        );
      }
      return Math.min(MAX_TIMER_MS, Math.max(d, Math.ceil(retryAfterMs)));
    },
  });
}

const DELAY_SECONDS = /^\d+$/;
// IMF-fixdate, the HTTP-date every sender must generate (RFC 9110 §5.6.7): `Sun, 06 Nov 1994 08:49:37 GMT`.
const IMF_FIXDATE =
  /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/;

/**
 * Reads an HTTP `Retry-After` header (RFC 9110 §10.2.3) as the milliseconds to wait from `nowMs`:
 * delay-seconds (`120` → 120,000) or an IMF-fixdate (`Wed, 21 Oct 2015 07:28:00 GMT`; a date in
 * the past → 0). `undefined` when the header is absent, empty or neither form (the obsolete date
 * formats included), so the caller falls back to its own backoff. Pass the result to
 * {@link Backoff.delay}.
 *
 * @param value The header: a string, or what `headers.get()` (`null`) or node:http's
 *   `res.headers['retry-after']` (`undefined`) gives.
 * @param nowMs The time now, in ms since the epoch. Default `Date.now()`.
 * @example
 * ```ts
 * parseRetryAfter('120');                                          // 120000
 * parseRetryAfter('Wed, 21 Oct 2015 07:28:00 GMT', Date.UTC(2015, 9, 21, 7, 27, 30)); // 30000
 * parseRetryAfter(null);                                           // undefined
 * ```
 */
export function parseRetryAfter(
  value: string | null | undefined,
  nowMs: number = Date.now(),
): number | undefined {
  if (typeof nowMs !== 'number' || !Number.isFinite(nowMs)) {
    fail(
      'TT_INVALID_OPTION',
      `parseRetryAfter: nowMs must be a finite number of ms since the epoch, got ${String(nowMs)}`,
    );
  }
  if (typeof value !== 'string') return undefined;
  const v = value.trim();
  if (DELAY_SECONDS.test(v)) return Math.min(MAX_TIMER_MS, Number(v) * 1000);
  if (!IMF_FIXDATE.test(v)) return undefined;
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.min(MAX_TIMER_MS, Math.max(0, at - nowMs));
}
