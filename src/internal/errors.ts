// The catalogue of telltale's coded errors and warnings: one stable code each, a message that names the problem and the fix.

/**
 * Every error code telltale throws (or rejects with, or aborts a signal with), with the text that
 * explains it. Codes are stable across releases; messages may improve. A retired code is never
 * reused. Documented in `docs/errors.md`; warnings have their own codes, in {@link WarningCodes}.
 */
export const ErrorCodes = {
  TT_INVALID_METRIC_NAME: 'invalid metric name',
  TT_INVALID_LABEL_NAME: 'invalid label name',
  TT_RESERVED_LABEL: 'reserved label name',
  TT_DUPLICATE_LABEL: 'duplicate label name',
  TT_INVALID_HELP: 'invalid help text',
  TT_INVALID_UNIT: 'invalid unit',
  TT_CONFLICTING_REGISTRATION: 'conflicting registration',
  TT_NAMING_RULE: 'metric name breaks a naming rule (strict mode)',
  TT_INVALID_VALUE: 'invalid value',
  TT_NEGATIVE_INCREMENT: 'negative counter increment',
  TT_MISSING_LABEL: 'missing label',
  TT_UNKNOWN_LABEL: 'unknown label',
  TT_LABEL_COUNT: 'wrong number of label values',
  TT_INVALID_LABEL_VALUE: 'invalid label value',
  TT_LABEL_VALUE_TOO_LONG: "label value too long (onLongLabelValue: 'throw')",
  TT_INVALID_BUCKETS: 'invalid histogram buckets',
  TT_INVALID_QUANTILES: 'invalid summary quantiles',
  TT_INVALID_STATE: 'invalid state',
  TT_INVALID_OPTION: 'invalid option',
  TT_COLLECT_TIMEOUT: 'collect callback timed out',
  TT_LISTEN_FAILED: 'server could not listen',
  TT_INVALID_EXEMPLAR: 'invalid exemplar',
  TT_INVALID_TRANSITION: 'invalid state transition',
  TT_SHUTTING_DOWN: 'the service is shutting down',
  TT_HOOK_TIMEOUT: 'shutdown hook timed out',
  TT_TASK_TIMEOUT: 'periodic task run timed out',
  TT_TASK_GAVE_UP: 'periodic task gave up',
  TT_MISSING_DEPENDENCY: 'optional peer dependency not installed',
  TT_EVENT_LOOP_LAG: 'event loop delay over the health check limit',
  TT_REDIS_PING_FAILED: 'Redis PING failed',
  TT_HEARTBEAT_STALE: 'heartbeat too old or never succeeded',
  TT_ASSERTION_FAILED: 'a telltale/testing expectation failed',
  TT_INVALID_EXPOSITION: 'exposition text breaks its format',
  TT_INVALID_CATALOG: 'invalid metric catalog entry',
  TT_LABEL_VALUE_NOT_ALLOWED: "label value outside a bounded label's allowed values",
} as const;

/**
 * Every warning code telltale emits (through {@link setWarningSink}'s sink, or as a log line), with the text that explains it. A warning means telltale carried on (truncated, dropped,
 * fell back); none of these is ever thrown, and none shares a name with an error code. Stable like
 * {@link ErrorCodes}, documented in `docs/errors.md`.
 */
export const WarningCodes = {
  TT_NAMING_CONVENTION: 'metric name breaks a naming convention; registered anyway',
  TT_LABEL_VALUE_TRUNCATED: 'label value over the length limit was truncated',
  TT_PII_LABEL_VALUE: 'label value looked like personal data and was replaced',
  TT_COLLECT_FAILED: 'collect callback failed; its family was left out',
  TT_DUPLICATE_SERIES: 'duplicate series across registries; the later one was dropped',
  TT_HTTP_RECORD_FAILED: 'HTTP instrumentation could not record a request',
  TT_INVALID_LOG_LEVEL: 'invalid LOG_LEVEL directive ignored',
  TT_INVALID_LOG_FORMAT: 'invalid LOG_FORMAT ignored; JSON written',
  TT_DEPENDENCY_FALLBACK: 'optional peer dependency not installed; fell back',
  TT_LOG_CONTEXT_FAILED: 'log context provider failed',
} as const;

/** A stable telltale warning code, such as `TT_LABEL_VALUE_TRUNCATED`. */
export type WarningCode = keyof typeof WarningCodes;

/** A stable telltale error code, such as `TT_INVALID_METRIC_NAME`. */
export type ErrorCode = keyof typeof ErrorCodes;

/**
 * The one error class telltale throws. `code` is stable and documented in `docs/errors.md`;
 * the message names the metric or option at fault, the problem, and the fix.
 *
 * @example
 * ```ts
 * try { registry.counter({ name: 'bad name', help: 'x' }); }
 * catch (err) { if (err instanceof TelltaleError && err.code === 'TT_INVALID_METRIC_NAME') … }
 * ```
 */
export class TelltaleError extends Error {
  /** The stable error code. */
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(`${code}: ${message}`, options);
    this.name = 'TelltaleError';
    this.code = code;
  }
}

/** Throws a {@link TelltaleError}. A function so hot paths keep the throw out of line. */
export function fail(code: ErrorCode, message: string): never {
  throw new TelltaleError(code, message);
}

/**
 * The warnings emitted so far (code + subject), process-wide on purpose: a warning is emitted once
 * per process (house style; docs/errors.md, "Warnings"), whichever registry or telemetry hits it.
 * Bounded at 10,000 keys.
 */
const warned = new Set<string>();

/** Where telltale writes warnings. Replace with {@link setWarningSink}. Defaults to `process.emitWarning`. */
export type WarningSink = (code: WarningCode, message: string) => void;

/**
 * The documented process-wide default: Node's own warning channel, which any number of listeners
 * (`process.on('warning')`, filtered on `warning.name === 'TelltaleWarning'`) observe without
 * replacing each other. {@link setWarningSink} replaces it for the whole process.
 */
let sink: WarningSink = (code, message) => {
  process.emitWarning(message, { type: 'TelltaleWarning', code });
};

/**
 * Routes telltale warnings somewhere else (a logger, or a test's array), for the whole process,
 * and returns the previous sink. For the application (or a test) only: a library that wants to see
 * telltale's warnings listens to `process.on('warning')` instead, which does not take them away
 * from anyone else.
 *
 * @example
 * ```ts
 * const previous = setWarningSink((code, message) => logger.warn({ code }, message));
 * ```
 */
export function setWarningSink(next: WarningSink): WarningSink {
  const prev = sink;
  sink = next;
  return prev;
}

/**
 * Emits a warning once per process per `key` (code + subject), so a hot path that keeps hitting
 * the same problem does not flood the log.
 */
export function warnOnce(code: WarningCode, key: string, message: string): void {
  const k = `${code}\u0000${key}`;
  if (warned.has(k)) return;
  // Bounded: after 10,000 distinct warnings, stop remembering (and stop warning) rather than grow.
  if (warned.size >= 10_000) return;
  warned.add(k);
  sink(code, `${code}: ${message}`);
}

/** Forgets which warnings were emitted. For tests. */
export function resetWarnings(): void {
  warned.clear();
}
