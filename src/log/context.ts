// The log context provider: the hook through which request context (request_id, trace_id, span_id) joins every log line.
import { fail, warnOnce } from '../internal/errors.js';

/** Fields a context provider adds to a log line. */
export type LogContextFields = Readonly<Record<string, unknown>>;

/**
 * Returns the fields of the current context (the request, the span), or `undefined` outside one.
 * See {@link setLogContextProvider} for the contract.
 */
export type LogContextProvider = () => LogContextFields | undefined;

/** A user mixin: pino's `mixin`, minus the logger argument. Its fields win over the provider's. */
export type LogMixin = (mergeObject: object, level: number) => Record<string, unknown>;

let provider: LogContextProvider | undefined;

/**
 * Installs the function that adds the current context's fields to every log line written by any
 * logger from `createLogger()`, and returns the previous one (`undefined` if none), so a test or a
 * shutdown can put it back. Pass `undefined` to remove it. Loggers created before the call pick it
 * up too: they read the provider at each log call, not at creation.
 *
 * The contract, for the module that owns the context (telltale's tracing installs one that
 * returns `{ request_id, trace_id, span_id }` from its AsyncLocalStorage):
 * - **When it runs.** Synchronously, once per log call at an *enabled* level, in the caller's
 *   async context, so `AsyncLocalStorage#getStore()` sees the caller's store. Calls at a disabled
 *   level never reach it.
 * - **What it returns.** A plain object of fields, or `undefined` (outside a request). Return the
 *   same object for as long as the context is unchanged (cache it on the span or request): telltale
 *   never mutates, freezes or keeps it, and copies its fields into the line. The fields are
 *   serialised like any other: serializers and redaction apply, a key named like one of
 *   `LOGGER_FIELDS` is renamed (`fields.level`), and key order is kept.
 * - **Precedence.** Fields the caller passes (`log.info({ trace_id }, …)`) and a `mixin` option
 *   win over the provider's on a conflict. Bindings from `.child()` are written before the line's
 *   fields and are not de-duplicated, so don't also bind `request_id` with `.child()`.
 * - **Cost.** With no provider installed, a log call pays one module-variable compare. With one,
 *   the provider call and one object copy per enabled call. Keep it to a store lookup.
 * - **Errors.** It must not throw and must not log (that would recurse). If it throws, the line is
 *   written without context fields and a `TT_LOG_CONTEXT_FAILED` warning is emitted once.
 *
 * @throws {TelltaleError} `TT_INVALID_OPTION` when `next` is neither a function nor `undefined`.
 * @example
 * ```ts
 * const als = new AsyncLocalStorage<{ fields: { request_id: string; trace_id: string; span_id: string } }>();
 * setLogContextProvider(() => als.getStore()?.fields);
 * ```
 */
export function setLogContextProvider(
  next: LogContextProvider | undefined,
): LogContextProvider | undefined {
  if (next !== undefined && typeof next !== 'function') {
    fail(
      'TT_INVALID_OPTION',
      `setLogContextProvider: the provider must be a function or undefined, got ${next === null ? 'null' : typeof next}; pass a function returning the context fields, or undefined to remove the provider`,
    );
  }
  const prev = provider;
  provider = next;
  return prev;
}

/** The provider installed with {@link setLogContextProvider}, or `undefined`. */
export function getLogContextProvider(): LogContextProvider | undefined {
  return provider;
}

// The marker for "nothing to add": the merge strategy returns the caller's object untouched.
const NONE: LogContextFields = Object.freeze({});

function currentContext(): LogContextFields {
  const p = provider;
  if (p === undefined) return NONE;
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
 * optional user mixin's) to each line. Without a user mixin, a line outside any context is written
 * from the caller's own object, with no copy.
 */
export function contextMixin(user: LogMixin | undefined): {
  mixin: (mergeObject: object, level: number) => object;
  mixinMergeStrategy: (mergeObject: object, mixinObject: object) => object;
} {
  const mixin =
    user === undefined
      ? currentContext
      : (mergeObject: object, level: number): object => {
          const ctx = currentContext();
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
