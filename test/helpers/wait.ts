// Polling with a deadline: the one way test helpers wait for a real server, instead of fixed sleeps.
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Thrown from a {@link pollUntil} attempt to stop polling at once (an error that retrying cannot
 * fix, such as a malformed query). `pollUntil` rethrows it unchanged.
 */
export class FatalPollError extends Error {
  override name = 'FatalPollError';
}

/** Options for {@link pollUntil}. */
export interface PollOptions {
  /** What is being waited for, used in the timeout message, e.g. `Prometheus /-/ready`. */
  description: string;
  /** Give up after this many milliseconds. */
  timeoutMs: number;
  /** Pause between attempts in milliseconds. Default 100. */
  intervalMs?: number;
  /**
   * Called before every attempt. When it returns a string, polling stops at once and the promise
   * rejects with that string (use it to fail fast when the child process has already exited).
   */
  abortIf?: () => string | undefined;
  /** Extra text appended to the timeout error, evaluated lazily (e.g. a server's log tail). */
  diagnostics?: () => string;
}

/**
 * Calls `attempt` until it returns a value other than `undefined`, then resolves with that value.
 *
 * Exceptions thrown by `attempt` count as "not yet" and the last one is quoted in the timeout
 * error, so a server that is still starting (connection refused) is simply polled again. Throw a
 * {@link FatalPollError} to stop at once.
 *
 * @returns The first defined value returned by `attempt`.
 * @throws `Error` naming `description`, the elapsed time and the last attempt's error when the
 *   deadline passes, or the `abortIf` message when that returns a string.
 * @example
 * await pollUntil(async () => ((await httpRequest(url)).status === 200 ? true : undefined), {
 *   description: 'pushgateway ready',
 *   timeoutMs: 5000,
 * });
 */
export async function pollUntil<T>(
  attempt: () => Promise<T | undefined> | T | undefined,
  options: PollOptions,
): Promise<T> {
  const started = Date.now();
  const interval = options.intervalMs ?? 100;
  let lastError: unknown;
  let attempts = 0;
  for (;;) {
    const abort = options.abortIf?.();
    if (abort !== undefined) throw new Error(`${options.description}: ${abort}`);
    attempts++;
    try {
      const value = await attempt();
      if (value !== undefined) return value;
      lastError = undefined;
    } catch (err) {
      if (err instanceof FatalPollError) throw err;
      lastError = err;
    }
    const elapsed = Date.now() - started;
    if (elapsed >= options.timeoutMs) {
      const last =
        lastError === undefined
          ? ''
          : `; last error: ${lastError instanceof Error ? lastError.message : String(lastError)}`;
      const extra = options.diagnostics ? `\n${options.diagnostics()}` : '';
      throw new Error(
        `timed out after ${elapsed} ms (${attempts} attempts) waiting for ${options.description}${last}${extra}`,
      );
    }
    await sleep(Math.min(interval, Math.max(1, options.timeoutMs - elapsed)));
  }
}
