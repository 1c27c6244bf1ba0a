// One timeout race for every module: a promise against a timer, the timer always cleared.

/** What {@link raceTimeout} resolves to when the timer fired before the promise settled. */
export const TIMED_OUT: unique symbol = Symbol('telltale.timedOut');

/**
 * Races `work` against a timer of `ms` milliseconds. Resolves with `work`'s value, or with
 * {@link TIMED_OUT} when the timer fires first (after `onTimeout`, which may abort the work); a
 * rejection of `work` before the timer rejects. The timer is cleared as soon as `work` settles,
 * and `work` always has a handler, so its rejection after a timeout is never unhandled. The timer
 * is not unref'd: a race in flight must end even when nothing else holds the event loop. @internal
 */
export function raceTimeout<T>(
  work: PromiseLike<T>,
  ms: number,
  onTimeout?: () => void,
): Promise<T | typeof TIMED_OUT> {
  return new Promise<T | typeof TIMED_OUT>((resolve, reject) => {
    const timer = setTimeout(() => {
      onTimeout?.();
      resolve(TIMED_OUT);
    }, ms);
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}
