// The minimal logger interface telltale reports through (metrics registry, server), and its default: errors to stderr only.

/** Structured fields of a log line. */
export type LogFields = Readonly<Record<string, unknown>>;

/**
 * One log method, in pino's argument order: fields first, then the message; or a message alone.
 * `console.info` and a pino logger's methods both fit.
 */
export interface LogMethod {
  (fields: LogFields, msg?: string): void;
  (msg: string): void;
}

/**
 * The smallest logger telltale reports through. A pino logger (telltale's own `createLogger()`
 * makes one) fits as is, and so does `console`.
 *
 * @example
 * ```ts
 * createMetricsServer({ registry, logger: createLogger({ name: 'metrics' }) });
 * createMetricsServer({ registry, logger: console });
 * ```
 */
export interface MinimalLogger {
  /** Lifecycle events: listening, disabled, closed. */
  info: LogMethod;
  /** Recoverable problems. */
  warn: LogMethod;
  /** Failures: a gather or encode error while serving a scrape, a route handler that threw. */
  error: LogMethod;
}

/** Splits a pino-style call into its message and fields. */
export function logArgs(
  a: LogFields | string,
  b?: string,
): { msg: string; fields: LogFields | undefined } {
  return typeof a === 'string' ? { msg: a, fields: undefined } : { msg: b ?? '', fields: a };
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
  error(a: LogFields | string, b?: string): void {
    const { msg, fields } = logArgs(a, b);
    let line = `telltale: ${msg}`;
    if (fields !== undefined) {
      for (const [k, v] of Object.entries(fields)) line += ` ${k}=${describe(v)}`;
    }
    process.stderr.write(`${line}\n`);
  },
});
