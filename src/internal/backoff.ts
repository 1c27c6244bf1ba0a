// Capped exponential backoff with proportional jitter: the delay arithmetic and its option checks, for periodic tasks and telltale/retry.
import { fail } from './errors.js';
import { finiteAtLeast } from './validate.js';

/** A resolved backoff policy, in milliseconds. */
export interface BackoffPolicy {
  /** Delay after the first failure in a row. */
  readonly initialDelayMs: number;
  /** The cap on the delay before jitter. */
  readonly maxDelayMs: number;
  /** Growth per further failure, ≥ 1. */
  readonly factor: number;
}

/** The longest delay a timer takes: Node fires a longer `setTimeout` after 1 ms (2^31 − 1 ms, ~24.8 days). */
export const MAX_TIMER_MS = 2_147_483_647;

/**
 * The delay before the attempt after the `failures`-th failure in a row, before jitter:
 * `min(maxDelayMs, initialDelayMs × factor^(failures − 1))`; `failures` below 1 counts as 1.
 */
export function backoffDelay(failures: number, policy: BackoffPolicy): number {
  const d = policy.initialDelayMs * policy.factor ** Math.max(0, failures - 1);
  return Math.min(policy.maxDelayMs, d);
}

/**
 * `delay` scaled by a factor in `[1 − jitter, 1 + jitter]` drawn from `u` ∈ [0, 1) (`u = 0.5`
 * leaves it as is), rounded to whole milliseconds.
 */
export function applyJitter(delay: number, jitter: number, u: number): number {
  return Math.round(delay * (1 + jitter * (2 * u - 1)));
}

/**
 * The delay before the attempt after the `failures`-th failure in a row: {@link backoffDelay}
 * scaled by {@link applyJitter} with the draw `u` ∈ [0, 1), at most {@link MAX_TIMER_MS}.
 */
export function jitteredBackoff(
  failures: number,
  policy: BackoffPolicy,
  jitter: number,
  u: number,
): number {
  return Math.min(MAX_TIMER_MS, applyJitter(backoffDelay(failures, policy), jitter, u));
}

/**
 * Resolves and checks a backoff policy: each of `initialDelayMs`, `maxDelayMs` (finite, ≥ 0,
 * initial ≤ max) and `factor` (finite, ≥ 1) from `options`, or from `defaults` when omitted.
 * `name` turns an option into the name a message shows (`retry.factor` of `createPeriodicTask(x)`).
 *
 * @throws {TelltaleError} `TT_INVALID_OPTION` naming the option and what it accepts.
 */
export function resolveBackoffPolicy(
  name: (option: keyof BackoffPolicy) => string,
  options: { readonly [K in keyof BackoffPolicy]?: number | undefined } | undefined,
  defaults: BackoffPolicy,
): BackoffPolicy {
  const pick = (k: keyof BackoffPolicy, min: number): number =>
    finiteAtLeast(name(k), options?.[k] ?? defaults[k], min);
  const policy: BackoffPolicy = {
    initialDelayMs: pick('initialDelayMs', 0),
    maxDelayMs: pick('maxDelayMs', 0),
    factor: pick('factor', 1),
  };
  if (policy.initialDelayMs > policy.maxDelayMs) {
    fail(
      'TT_INVALID_OPTION',
      `${name('initialDelayMs')} (${policy.initialDelayMs}) must not exceed maxDelayMs (${policy.maxDelayMs})`,
    );
  }
  return policy;
}

/** Returns `v` when it is a jitter in [0, 1), else throws `TT_INVALID_OPTION` naming `what`. */
export function jitterOption(what: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v >= 1) {
    fail('TT_INVALID_OPTION', `${what} must be a number in [0, 1), got ${String(v)}`);
  }
  return v;
}
