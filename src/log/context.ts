// The log context provider: the function a logger is given, through which request context (request_id, trace_id, span_id) joins every log line.
import { fail, warnOnce } from '../internal/errors.js';

/** Fields a context provider adds to a log line. */
export type LogContextFields = Readonly<Record<string, unknown>>;

/**
 * Returns the fields of the current context (the request, the span), or `undefined` outside one.
 * Given to `createLogger({ context })`; see `LoggerOptions.context` for the contract.
 */
export type LogContextProvider = () => LogContextFields | undefined;

/** A user mixin: pino's `mixin`, minus the logger argument. Its fields win over the provider's. */
export type LogMixin = (mergeObject: object, level: number) => Record<string, unknown>;

/**
 * @internal Checks the `context` option of `createLogger` (see `LoggerOptions.context`): a
 * provider function, `false` (no context fields) or `undefined` (telltale's request context).
 */
export function checkContextProvider(value: unknown): LogContextProvider | false | undefined {
  if (value === undefined || value === false || typeof value === 'function') {
    return value as LogContextProvider | false | undefined;
  }
  return fail(
    'TT_INVALID_OPTION',
    `createLogger: context must be a function returning the context fields, or false for none, got ${value === null ? 'null' : typeof value}`,
  );
}

// The marker for "nothing to add": the merge strategy returns the caller's object untouched.
const NONE: LogContextFields = Object.freeze({});

/** Calls `p`, with its failure contained: a throwing provider costs its fields, never the line. */
function fieldsOf(p: LogContextProvider): LogContextFields {
  try {
    return p() ?? NONE;
  } catch (err) {
    warnOnce(
      'TT_LOG_CONTEXT_FAILED',
      'provider',
      `the log context provider threw (${err instanceof Error ? err.message : String(err)}); lines are written without context fields until it is fixed`,
    );
    return NONE;
  }
}

/**
 * The `mixin` and `mixinMergeStrategy` pino options that add the provider's fields (and an
 * optional user mixin's) to each line, or `{}` when there is neither. Without a user mixin, a line
 * outside any context is written from the caller's own object, with no copy.
 */
export function contextMixin(
  provider: LogContextProvider | undefined,
  user: LogMixin | undefined,
): {
  mixin?: (mergeObject: object, level: number) => object;
  mixinMergeStrategy?: (mergeObject: object, mixinObject: object) => object;
} {
  if (provider === undefined && user === undefined) return {};
  const context = provider === undefined ? (): LogContextFields => NONE : () => fieldsOf(provider);
  const mixin =
    user === undefined
      ? context
      : (mergeObject: object, level: number): object => {
          const ctx = context();
          const own = user(mergeObject, level);
          return ctx === NONE ? own : { ...ctx, ...own };
        };
  return {
    mixin,
    // pino's default strategy assigns into the mixin object; ours copies, so the provider may
    // hand back a cached object.
    mixinMergeStrategy: (mergeObject, mixinObject) =>
      mixinObject === NONE ? mergeObject : { ...mixinObject, ...mergeObject },
  };
}
