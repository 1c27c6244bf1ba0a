// The minimal logger interface telltale reports through (metrics registry, server), and its default: errors to stderr only.

/**
 * The smallest logger the metrics server needs: a message first, then an optional object of
 * structured fields. `console` fits; pino takes `(obj, msg)` and needs a one-line adapter.
 *
 * @example
 * ```ts
 * const logger: MinimalLogger = {
 *   info: (msg, obj) => pinoLogger.info(obj ?? {}, msg),
 *   warn: (msg, obj) => pinoLogger.warn(obj ?? {}, msg),
 *   error: (msg, obj) => pinoLogger.error(obj ?? {}, msg),
 * };
 * ```
 */
export interface MinimalLogger {
  /** Lifecycle events: listening, disabled, closed. */
  info(msg: string, obj?: Readonly<Record<string, unknown>>): void;
  /** Recoverable problems. */
  warn(msg: string, obj?: Readonly<Record<string, unknown>>): void;
  /** Failures: a gather or encode error while serving a scrape, a route handler that threw. */
  error(msg: string, obj?: Readonly<Record<string, unknown>>): void;
}

function describe(value: unknown): string {
  if (value instanceof Error) return value.stack ?? `${value.name}: ${value.message}`;
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/**
 * The default logger: `info` and `warn` write nothing, `error` writes one line to stderr
 * (`telltale: <msg> <key>=<value> …`). A library should be quiet unless something is wrong;
 * pass your own {@link MinimalLogger} to see lifecycle messages.
 */
export const defaultLogger: MinimalLogger = Object.freeze({
  info(): void {},
  warn(): void {},
  error(msg: string, obj?: Readonly<Record<string, unknown>>): void {
    let line = `telltale: ${msg}`;
    if (obj !== undefined) {
      for (const [k, v] of Object.entries(obj)) line += ` ${k}=${describe(v)}`;
    }
    process.stderr.write(`${line}\n`);
  },
});
