// One timeout race for every module: a promise against a timer (and an optional abort signal), the timer always cleared.
import { type Clock, systemClock } from './clock.js';

/** What {@link raceTimeout} resolves to when the timer fired before the promise settled. */
export const TIMED_OUT: unique symbol = Symbol('telltale.timedOut');

/** Options of {@link raceTimeout}. @internal */
export interface RaceTimeoutOptions {
  /** Called when the timer fires, before the race resolves {@link TIMED_OUT}; may abort the work. */
  readonly onTimeout?: (() => void) | undefined;
  /**
   * Ends the race early: when it aborts (or has already aborted) before the work settles, the
   * race rejects with `signal.reason`. Its listener is removed as soon as the race ends.
   */
  readonly signal?: AbortSignal | undefined;
  /** The timers. Default {@link systemClock}; tests pass a fake one. */
  readonly clock?: Clock | undefined;
}

/**
 * Races `work` against a timer of `ms` milliseconds. Resolves with `work`'s value, or with
 * {@link TIMED_OUT} when the timer fires first (after `onTimeout`, which may abort the work); a
 * rejection of `work` before the timer rejects, and so does `signal` aborting first (with its
 * reason). Whatever ends the race clears the timer and the signal listener, and `work` always has
 * a handler, so its rejection after the race is never unhandled. The timer is not unref'd: a race
 * in flight must end even when nothing else holds the event loop. @internal
 *
 * @example
 * ```ts
 * if ((await raceTimeout(collect(), 500)) === TIMED_OUT) fail('TT_COLLECT_TIMEOUT', '…');
 * ```
 */
export function raceTimeout<T>(
  work: PromiseLike<T>,
  ms: number,
  options: RaceTimeoutOptions = {},
): Promise<T | typeof TIMED_OUT> {
  const { onTimeout, signal } = options;
  const clock = options.clock ?? systemClock;
  return new Promise<T | typeof TIMED_OUT>((resolve, reject) => {
    let settled = false;
    // Runs once, whoever ends the race: work, timer or signal.
    const end = (): boolean => {
      if (settled) return false;
      settled = true;
      clock.clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      return true;
    };
    const onAbort = (): void => {
      if (end()) reject(signal?.reason);
    };
    const timer = clock.setTimeout(() => {
      if (!end()) return;
      onTimeout?.();
      resolve(TIMED_OUT);
    }, ms);
    if (signal !== undefined) {
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    }
    work.then(
      (value) => {
        if (end()) resolve(value);
      },
      (err: unknown) => {
        if (end()) reject(err);
      },
    );
  });
}
