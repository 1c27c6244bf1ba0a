// The request context: one AsyncLocalStorage holding the request id and the active trace and span ids.

import { AsyncLocalStorage } from 'node:async_hooks';

/** A span attribute value: what both log lines and OpenTelemetry accept. */
export type AttributeValue = string | number | boolean;

/** Span or request attributes. `undefined` values are skipped. */
export type Attributes = Readonly<Record<string, AttributeValue | undefined>>;

/**
 * The context of one request, or of one span inside it. Immutable: a child span gets a new
 * context with its own `spanId` and the parent's `spanId` as `parentSpanId`.
 *
 * @example
 * ```ts
 * const ctx = currentContext();
 * if (ctx) res.setHeader('x-trace-id', ctx.traceId);
 * ```
 */
export interface RequestContext {
  /** The request id: the accepted `x-request-id` header, or a generated UUID. Shared by every span of the request. */
  readonly requestId: string;
  /** 32 lowercase hex characters, not all zeros (W3C trace-id). */
  readonly traceId: string;
  /** 16 lowercase hex characters, not all zeros (W3C parent-id of outgoing calls). */
  readonly spanId: string;
  /** The parent span's id (local or remote), or `undefined` at a trace's root. */
  readonly parentSpanId?: string | undefined;
  /** The W3C `sampled` flag: whether the trace is recorded downstream. */
  readonly sampled: boolean;
  /** When the span started, in milliseconds on the span clock (`performance.timeOrigin + performance.now()`, or the telemetry's `tracing.now`). */
  readonly startTime: number;
  /** The W3C `tracestate` header received with the trace, passed on unchanged. */
  readonly traceState?: string | undefined;
  /** Attributes given when the context or span was created. */
  readonly attributes?: Attributes | undefined;
}

/** The fields every log line inside a request carries (see {@link logContextFields}). */
export type RequestLogFields = {
  readonly request_id: string;
  readonly trace_id: string;
  readonly span_id: string;
};

/**
 * @internal The context object telltale stores. The caches are filled on first use and shared
 * with child contexts where they agree, so exemplars and log fields cost one allocation per
 * span at most, never one per update.
 */
export class ContextRecord implements RequestContext {
  readonly requestId: string;
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string | undefined;
  readonly sampled: boolean;
  readonly startTime: number;
  readonly traceState: string | undefined;
  readonly attributes: Attributes | undefined;
  /** @internal The cached `{ trace_id }` exemplar labels (shared by all spans of a trace). */
  _ex: Readonly<Record<string, string>> | undefined;
  /** @internal The cached log fields. */
  _log: RequestLogFields | undefined;
  /** @internal The OpenTelemetry span of this context, when the bridge is active. */
  _otel: unknown;
  /**
   * @internal The telemetry that made this context (its spans, request ids and exemplars), or
   * `undefined` for a copy of a context made elsewhere: spans started inside then use the default
   * telemetry. Opaque here (the context imports no tracing); `telltale/trace` reads it.
   */
  readonly _tel: unknown;

  constructor(
    requestId: string,
    traceId: string,
    spanId: string,
    parentSpanId: string | undefined,
    sampled: boolean,
    startTime: number,
    traceState: string | undefined,
    attributes: Attributes | undefined,
    ex: Readonly<Record<string, string>> | undefined,
    tel: unknown,
  ) {
    this.requestId = requestId;
    this.traceId = traceId;
    this.spanId = spanId;
    this.parentSpanId = parentSpanId;
    this.sampled = sampled;
    this.startTime = startTime;
    this.traceState = traceState;
    this.attributes = attributes;
    this._ex = ex;
    this._log = undefined;
    this._otel = undefined;
    this._tel = tel;
  }

  /** The public fields only (so logging a context does not print the caches). */
  toJSON(): RequestContext {
    const out: {
      -readonly [K in keyof RequestContext]: RequestContext[K];
    } = {
      requestId: this.requestId,
      traceId: this.traceId,
      spanId: this.spanId,
      sampled: this.sampled,
      startTime: this.startTime,
    };
    if (this.parentSpanId !== undefined) out.parentSpanId = this.parentSpanId;
    if (this.traceState !== undefined) out.traceState = this.traceState;
    if (this.attributes !== undefined) out.attributes = this.attributes;
    return out;
  }
}

/**
 * The one store, shared by every telemetry: a record names the telemetry that made it, and the
 * store holds a record only inside the `run` that set it, so nothing in it is shared between two
 * telemetries (docs/architecture.md, "Module-level state"). Node enables its async hooks only on
 * the first `run`, so a process that never creates a context pays nothing; `getStore()` before
 * that is a flag check.
 */
const storage = new AsyncLocalStorage<ContextRecord>();

/** @internal Turns any {@link RequestContext} into telltale's record (a copy unless it already is one). */
export function toRecord(ctx: RequestContext): ContextRecord {
  if (ctx instanceof ContextRecord) return ctx;
  return new ContextRecord(
    ctx.requestId,
    ctx.traceId,
    ctx.spanId,
    ctx.parentSpanId,
    ctx.sampled,
    ctx.startTime,
    ctx.traceState,
    ctx.attributes,
    undefined,
    undefined,
  );
}

/** @internal The active record, or `undefined` (no copy, no allocation). */
export function activeRecord(): ContextRecord | undefined {
  return storage.getStore();
}

/** @internal Runs `fn(arg)` with `record` active (one fixed argument: no rest array per call). */
export function runWithRecord<T, R>(record: ContextRecord, fn: (arg: T) => R, arg: T): R {
  return storage.run(record, fn, arg);
}

/**
 * Runs `fn` with `ctx` as the active request context, and returns what `fn` returns (a promise
 * stays a promise). Everything `fn` starts, synchronously or across `await`, sees `ctx` through
 * {@link currentContext}; code outside does not.
 *
 * @example
 * ```ts
 * import { runWithContext, getRequestId } from 'telltale/context';
 * import { createRequestContext } from 'telltale/trace';
 * runWithContext(createRequestContext({ requestId: req.headers['x-request-id'] }), () => {
 *   getRequestId(); // the accepted or generated id
 * });
 * ```
 */
export function runWithContext<R>(ctx: RequestContext, fn: () => R): R {
  return storage.run(toRecord(ctx), fn);
}

/**
 * The active request context, or `undefined` outside one. Returns the stored object itself
 * (no copy), so calling it per log line or per metric update is cheap.
 *
 * @example
 * ```ts
 * const ctx = currentContext();
 * if (ctx) console.log(ctx.traceId, ctx.spanId);
 * ```
 */
export function currentContext(): RequestContext | undefined {
  return storage.getStore();
}

/**
 * The active request id, or `undefined` outside a request context.
 *
 * @example
 * ```ts
 * res.setHeader('x-request-id', getRequestId() ?? '');
 * ```
 */
export function getRequestId(): string | undefined {
  return storage.getStore()?.requestId;
}

/**
 * The fields to add to a log line written inside a request: `{ request_id, trace_id, span_id }`
 * of the active span, or `undefined` outside a request context. The object is created once per
 * span and then reused (do not mutate it), so a logger may call this for every line. It is the
 * default `context` of `createLogger()` (telltale/log), so its lines carry these fields with no
 * setup; use it yourself for another logger.
 *
 * @example
 * ```ts
 * const logger = pino({ mixin: () => logContextFields() ?? {} });
 * ```
 */
export function logContextFields(): RequestLogFields | undefined {
  const c = storage.getStore();
  if (c === undefined) return undefined;
  let f = c._log;
  if (f === undefined) {
    f = Object.freeze({ request_id: c.requestId, trace_id: c.traceId, span_id: c.spanId });
    c._log = f;
  }
  return f;
}
