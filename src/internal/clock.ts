// The one injectable clock: time in milliseconds since the Unix epoch, and timers on the same scale.
import { fail } from './errors.js';

/**
 * The clock every telltale module reads time from and schedules with, so a test drives them all
 * with one fake clock instead of sleeping.
 *
 * **Unit: milliseconds.** `now()` is milliseconds since the Unix epoch (fractions allowed); the
 * difference of two reads is elapsed milliseconds, and `setTimeout` delays are milliseconds too.
 * A factory that schedules takes the whole clock (`clock` option: periodic tasks, health checks);
 * one that only reads time takes its `now` (`now` option: registries, the heartbeat check).
 *
 * @example
 * ```ts
 * // Real timers, a fixed time: a clock for a test that checks a timestamp.
 * const fixed: Clock = { ...systemClock, now: () => 1_700_000_000_000 };
 * ```
 */
export interface Clock {
  /** The current time in milliseconds since the Unix epoch. */
  now(): number;
  /** Calls `fn` once after `ms` milliseconds; returns a handle for {@link Clock.clearTimeout}. */
  setTimeout(fn: () => void, ms: number): unknown;
  /** Cancels a pending timer. Must accept a handle that already fired. */
  clearTimeout(handle: unknown): void;
}

const setTimer = (f: () => void, ms: number): unknown => setTimeout(f, ms);
const clearTimer = (h: unknown): void => clearTimeout(h as ReturnType<typeof setTimeout>);

/**
 * Wall-clock time (`Date.now`, whole milliseconds) and the global timers. The default where a
 * time is reported as a timestamp (created timestamps, a task's last success). Its members work
 * unbound: `systemClock.now` can be passed as a `now` option.
 */
export const systemClock: Clock = Object.freeze({
  // Date.now itself, not a wrapper: a registry's default clock is read on hot paths (TTL, exemplars).
  now: Date.now,
  setTimeout: setTimer,
  clearTimeout: clearTimer,
});

// Read once: the process's time origin never changes, and its getter costs about what
// performance.now() does (Node 20), so reading it per call doubled the cost of a span's clock reads.
const TIME_ORIGIN = performance.timeOrigin;

/**
 * Monotonic time on the epoch scale (`performance.timeOrigin + performance.now()`: sub-millisecond,
 * never steps back when the system clock is set) and the global timers. The default where
 * durations and cache ages are measured (health checks, summary windows). Its members work unbound.
 */
export const monotonicClock: Clock = Object.freeze({
  now: () => TIME_ORIGIN + performance.now(),
  setTimeout: setTimer,
  clearTimeout: clearTimer,
});

/**
 * Returns `clock` when it is a {@link Clock} (`now`, `setTimeout` and `clearTimeout` are
 * functions), `fallback` when it is `undefined`; otherwise throws `TT_INVALID_OPTION` naming `what`.
 */
export function clockOption(what: string, clock: unknown, fallback: Clock): Clock {
  if (clock === undefined) return fallback;
  const c = clock as Record<string, unknown> | null;
  if (
    typeof c !== 'object' ||
    c === null ||
    !CLOCK_METHODS.every((m) => typeof c[m] === 'function')
  ) {
    fail(
      'TT_INVALID_OPTION',
      `${what} must be a Clock: an object with now(), setTimeout(fn, ms) and clearTimeout(handle)`,
    );
  }
  return clock as Clock;
}

const CLOCK_METHODS: readonly (keyof Clock)[] = ['now', 'setTimeout', 'clearTimeout'];
