// Spans: timed, nested units of work in the request context, logged on close and bridged to OpenTelemetry.

import {
  type Attributes,
  type AttributeValue,
  activeRecord,
  ContextRecord,
  type RequestContext,
  runWithRecord,
  toRecord,
} from '../context/context.js';
import { fail } from '../internal/errors.js';
import type { LogFields, LogMethod } from '../internal/logger.js';
import { newSpanId, newTraceId } from './ids.js';
import {
  type Api,
  endOtelSpan,
  type OtelParent,
  type SpanKind,
  startOtelSpan,
  withOtelSpan,
} from './otel.js';
import { type TelemetryImpl, theDefault } from './telemetry.js';
import { normalizeTracestate, parseTraceparent, type Traceparent } from './traceparent.js';

export type { SpanKind } from './otel.js';

/** The levels a span-close event can be logged at. */
export type SpanLogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';

/**
 * Where span-close events go: any logger with a method per level in pino's argument order
 * (`fields, msg`). A pino logger or telltale's `createLogger()` fits; `isLevelEnabled`, when
 * present, is asked first so a disabled level builds no fields.
 */
export type SpanLogger = { readonly [L in SpanLogLevel]?: LogMethod } & {
  isLevelEnabled?(level: string): boolean;
};

/** @internal The span levels, for option checks. */
export const SPAN_LOG_LEVELS: readonly SpanLogLevel[] = Object.freeze([
  'trace',
  'debug',
  'info',
  'warn',
  'error',
]);

/** The telemetry a context belongs to: the one that made it, else the default telemetry. */
function telemetryOf(c: ContextRecord | undefined): TelemetryImpl {
  return (c?._tel as TelemetryImpl | undefined) ?? theDefault();
}

/** A span's outcome: `unset` while it runs, then `ok` or `error`. */
export type SpanStatus = 'unset' | 'ok' | 'error';

/**
 * A running or ended span. Create one with {@link span} (scoped) or {@link startSpan} (manual).
 *
 * @example
 * ```ts
 * const s = startSpan('upload', { bytes: size });
 * s.run(() => upload()).then(() => s.end(), (err) => s.end(err));
 * ```
 */
export interface Span {
  /** The span name, such as `db.query` or `GET /users/:id`. */
  readonly name: string;
  /**
   * Renames the span (also the OpenTelemetry span), for a name known only later, such as the
   * matched route: `HTTP GET` → `GET /users/:id`. Ignored after `end`.
   */
  updateName(name: string): this;
  /** The OpenTelemetry span kind. `internal` unless given. */
  readonly kind: SpanKind;
  /** The span's context: the request id, trace id, this span's id and its parent's. */
  readonly context: RequestContext;
  /** Whether {@link Span.end} was called. */
  readonly ended: boolean;
  /** The duration in milliseconds, once ended. */
  readonly durationMs: number | undefined;
  /** `unset` while running; `ok` or `error` once ended. */
  readonly status: SpanStatus;
  /** The error message, when the status is `error`. */
  readonly errorMessage: string | undefined;
  /** The span's attributes: the ones given at start plus those set since. */
  readonly attributes: Attributes;
  /** Sets one attribute (also on the OpenTelemetry span). Ignored after `end`. */
  setAttribute(key: string, value: AttributeValue): this;
  /** Sets several attributes. Ignored after `end`. */
  setAttributes(attributes: Attributes): this;
  /**
   * Runs `fn` with this span as the active context (and active OTel span). Does not end the
   * span. Returns what `fn` returns.
   */
  run<R>(fn: (span: Span) => R): R;
  /**
   * Ends the span: records the duration and the status (`error` if `error` is given and not
   * `null`, with its message — an `Error`'s message, or the string itself; `ok` otherwise), logs
   * the close event and ends the OpenTelemetry span. Only the first call counts.
   */
  end(error?: unknown): void;
}

const EMPTY: Attributes = Object.freeze({});

function errorMessageOf(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  if (typeof error === 'string') return error;
  try {
    return String(error);
  } catch {
    return 'error';
  }
}

class SpanImpl implements Span {
  name: string;
  readonly kind: SpanKind;
  readonly context: ContextRecord;
  ended = false;
  durationMs: number | undefined = undefined;
  status: SpanStatus = 'unset';
  errorMessage: string | undefined = undefined;
  /** Attributes set after start (a copy of the initial ones, made on the first set). */
  _attrs: Record<string, AttributeValue | undefined> | undefined = undefined;
  /** The telemetry the span belongs to: its clock, logger, OpenTelemetry bridge and exemplars. */
  readonly _tel: TelemetryImpl;

  constructor(name: string, kind: SpanKind, context: ContextRecord, tel: TelemetryImpl) {
    this.name = name;
    this.kind = kind;
    this.context = context;
    this._tel = tel;
  }

  get attributes(): Attributes {
    return this._attrs ?? this.context.attributes ?? EMPTY;
  }

  updateName(name: string): this {
    if (this.ended) return this;
    this.name = name;
    const o = this.context._otel;
    if (o !== undefined) (o as { updateName(n: string): void }).updateName(name);
    return this;
  }

  setAttribute(key: string, value: AttributeValue): this {
    if (this.ended) return this;
    this._attrs ??= { ...this.context.attributes };
    this._attrs[key] = value;
    const o = this.context._otel;
    if (o !== undefined)
      (o as { setAttribute(k: string, v: AttributeValue): void }).setAttribute(key, value);
    return this;
  }

  setAttributes(attributes: Attributes): this {
    for (const k of Object.keys(attributes)) {
      const v = attributes[k];
      if (v !== undefined) this.setAttribute(k, v);
    }
    return this;
  }

  run<R>(fn: (span: Span) => R): R {
    const o = this.context._otel;
    if (o === undefined) return runWithRecord(this.context, fn, this);
    return withOtelSpan(this._tel._otel.api as Api, o, () => runWithRecord(this.context, fn, this));
  }

  end(error?: unknown): void {
    this._finish(error !== undefined && error !== null, error);
  }

  /** @internal Ends the span; `failed` is separate from `error` because `throw undefined` exists. */
  _finish(failed: boolean, error: unknown): void {
    if (this.ended) return;
    this.ended = true;
    const tel = this._tel;
    // First, so a throwing logger or OTel exporter cannot leave the span counted as open.
    tel._slot?.closed();
    const d = tel._now() - this.context.startTime;
    this.durationMs = d;
    let message: string | undefined;
    if (failed) {
      message = errorMessageOf(error);
      this.status = 'error';
      this.errorMessage = message;
    } else {
      this.status = 'ok';
    }
    const lg = tel._spanLogger;
    if (lg !== null)
      logClose(lg, message === undefined ? tel._level : tel._errorLevel, this, d, message);
    const o = this.context._otel;
    if (o !== undefined) endOtelSpan(o, error, message);
  }
}

function logClose(
  lg: SpanLogger,
  lv: SpanLogLevel,
  s: SpanImpl,
  durationMs: number,
  message: string | undefined,
): void {
  if (lg.isLevelEnabled !== undefined && !lg.isLevelEnabled(lv)) return;
  if (lg[lv] === undefined) return;
  const c = s.context;
  const fields: Record<string, unknown> = {};
  const attrs = s.attributes;
  for (const k of Object.keys(attrs)) {
    const v = attrs[k];
    if (v !== undefined) fields[k] = v;
  }
  fields.span = s.name;
  if (s.kind !== 'internal') fields.span_kind = s.kind;
  fields.request_id = c.requestId;
  fields.trace_id = c.traceId;
  fields.span_id = c.spanId;
  if (c.parentSpanId !== undefined) fields.parent_span_id = c.parentSpanId;
  fields.duration_ms = Math.round(durationMs * 1000) / 1000;
  fields.status = s.status;
  if (message !== undefined) fields.error = message;
  // Called as a method: pino's methods need their `this`.
  lg[lv]?.(fields as LogFields, 'span closed');
}

/** Options of {@link startSpan}. */
export interface StartSpanOptions {
  /** The OpenTelemetry span kind. Default `'internal'`. */
  readonly kind?: SpanKind | undefined;
  /**
   * The parent: a context, or `null` to start a new trace. Default: the active context (a new
   * trace outside one).
   */
  readonly parent?: RequestContext | null | undefined;
}

/**
 * Creates a span and its context. Ids: without OpenTelemetry, telltale makes them (a new span id;
 * the parent's trace id, or a new one). With the bridge active, the OTel span is started first
 * and telltale adopts its trace id, span id and sampled flag, so log lines, exemplars and OTel
 * agree; OTel's parent is the active OTel span, else the telltale parent's.
 */
function open(
  tel: TelemetryImpl,
  name: string,
  attributes: Attributes | undefined,
  kind: SpanKind,
  parent: ContextRecord | undefined,
  remote: Traceparent | undefined,
  requestId: string | undefined,
  traceState: string | undefined,
): SpanImpl {
  const t = tel._now();
  const bridge = tel._otel;
  if (bridge.tracer === undefined && t >= bridge.nextCheck) bridge.refresh(t);
  let traceId: string | undefined;
  let spanId = '';
  let parentSpanId: string | undefined;
  let sampled = tel._sampled;
  let otelSpan: unknown;
  const tracer = bridge.tracer;
  if (tracer !== undefined) {
    const api = bridge.api as Api;
    let op: OtelParent | undefined;
    if (parent !== undefined) {
      op = {
        span: parent._otel,
        traceId: parent.traceId,
        spanId: parent.spanId,
        sampled: parent.sampled,
        traceState: parent.traceState,
        remote: false,
      };
    } else if (remote !== undefined) {
      op = {
        span: undefined,
        traceId: remote.traceId,
        spanId: remote.parentId,
        sampled: remote.sampled,
        traceState,
        remote: true,
      };
    }
    const started = startOtelSpan(api, tracer, name, kind, attributes, op);
    const sc = started.span.spanContext();
    if (api.trace.isSpanContextValid(sc)) {
      traceId = sc.traceId;
      spanId = sc.spanId;
      sampled = (sc.traceFlags & 1) === 1;
      parentSpanId = started.parentSpanId;
      otelSpan = started.span;
    }
  }
  if (traceId === undefined) {
    spanId = newSpanId();
    if (parent !== undefined) {
      traceId = parent.traceId;
      parentSpanId = parent.spanId;
      sampled = parent.sampled;
    } else if (remote !== undefined) {
      traceId = remote.traceId;
      parentSpanId = remote.parentId;
      sampled = remote.sampled;
    } else {
      traceId = newTraceId();
    }
  }
  let ex: Readonly<Record<string, string>> | undefined;
  if (parent !== undefined) {
    requestId = parent.requestId;
    traceState = parent.traceState;
    if (parent.traceId === traceId) ex = parent._ex;
  }
  const ctx = new ContextRecord(
    requestId ?? traceId,
    traceId,
    spanId,
    parentSpanId,
    sampled,
    t,
    traceState,
    attributes,
    ex,
    tel,
  );
  ctx._otel = otelSpan;
  const s = new SpanImpl(name, kind, ctx, tel);
  // Last, after everything that can throw: a span counted here is one the caller holds to end.
  tel._slot?.opened();
  return s;
}

/**
 * @internal {@link startSpan} for telemetry `tel`, or, with `undefined`, for the parent's telemetry
 * (the default telemetry without a parent).
 */
export function startSpanIn(
  tel: TelemetryImpl | undefined,
  name: string,
  attributes: Attributes | undefined,
  options: StartSpanOptions | undefined,
): Span {
  const p = options?.parent;
  const parent = p === null ? undefined : p === undefined ? activeRecord() : toRecord(p);
  return open(
    tel ?? telemetryOf(parent),
    name,
    attributes,
    options?.kind ?? 'internal',
    parent,
    undefined,
    undefined,
    undefined,
  );
}

/**
 * Starts a span that you end yourself with `span.end(error?)`. It is a child of the active
 * context (or of `options.parent`; a new trace without one) but does not become active: use
 * `span.run(fn)` for that, or the scoped {@link span}. It belongs to the parent's telemetry (the
 * request's, inside an instrumented request), or to the default telemetry without a parent; use
 * `telemetry.startSpan` to choose one.
 *
 * @example
 * ```ts
 * const s = startSpan('cache.fill', { 'cache.key': key });
 * try { await s.run(() => fill(key)); s.end(); } catch (err) { s.end(err); throw err; }
 * ```
 */
export function startSpan(name: string, attributes?: Attributes, options?: StartSpanOptions): Span {
  return startSpanIn(undefined, name, attributes, options);
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return (
    v !== null &&
    (typeof v === 'object' || typeof v === 'function') &&
    typeof (v as { then?: unknown }).then === 'function'
  );
}

/**
 * @internal {@link span} for telemetry `tel`, or, with `undefined`, for the active context's
 * telemetry (the default telemetry outside one).
 */
export function spanIn<R>(
  tel: TelemetryImpl | undefined,
  name: string,
  a: Attributes | undefined | ((span: Span) => R),
  b: ((span: Span) => R) | undefined,
): R {
  let attributes: Attributes | undefined;
  let fn: (span: Span) => R;
  if (typeof a === 'function') fn = a;
  else {
    attributes = a;
    if (typeof b !== 'function')
      fail('TT_INVALID_OPTION', `span("${name}"): fn must be a function`);
    fn = b;
  }
  const parent = activeRecord();
  const s = open(
    tel ?? telemetryOf(parent),
    name,
    attributes,
    'internal',
    parent,
    undefined,
    undefined,
    undefined,
  );
  let r: R;
  try {
    r = s.run(fn);
  } catch (err) {
    s._finish(true, err);
    throw err;
  }
  if (isThenable(r)) {
    return r.then(
      (v) => {
        s.end();
        return v;
      },
      (err: unknown) => {
        s._finish(true, err);
        throw err;
      },
    ) as R;
  }
  s.end();
  return r;
}

/**
 * Runs `fn` in a new child span of the active context (a new trace outside one) and ends the span
 * when `fn` returns, or when its promise settles: status `ok`, or `error` with the thrown or
 * rejected error's message (the error is rethrown unchanged). Nesting holds across `await`.
 * `fn` gets the span, to add attributes. A promise (or any thenable, such as a query builder)
 * returned by `fn` is chained: you get a new native promise of the same value.
 *
 * The span belongs to the active context's telemetry: inside a request instrumented with
 * `{ telemetry }`, that telemetry's logger, OpenTelemetry bridge and exemplars; outside any
 * context, the default telemetry's (see `defaultTelemetry`). Use `telemetry.span` to choose one.
 *
 * @throws {TelltaleError} `TT_INVALID_OPTION` when `fn` is not a function.
 * @example
 * ```ts
 * const user = await span('db.getUser', { 'db.system': 'postgresql' }, () => db.getUser(id));
 * span('render', (s) => { s.setAttribute('items', items.length); return render(items); });
 * ```
 */
export function span<R>(name: string, fn: (span: Span) => R): R;
/**
 * {@link span} with attributes, given to the close event and the OpenTelemetry span.
 *
 * @example
 * ```ts
 * await span('db.query', { 'db.system': 'postgresql', table: 'users' }, () => pool.query(sql));
 * ```
 */
export function span<R>(name: string, attributes: Attributes | undefined, fn: (span: Span) => R): R;
export function span<R>(
  name: string,
  a: Attributes | undefined | ((span: Span) => R),
  b?: (span: Span) => R,
): R {
  return spanIn(undefined, name, a, b);
}

/**
 * The trace headers of an incoming request, as the HTTP layer reads them (raw header values;
 * anything invalid is replaced, so pass them unchecked).
 */
export interface IncomingTraceHeaders {
  /** The request id header's value (`x-request-id` by default). */
  readonly requestId?: unknown;
  /** The `traceparent` header's value. */
  readonly traceparent?: unknown;
  /** The `tracestate` header's value (ignored when `traceparent` is invalid, as the spec requires). */
  readonly tracestate?: unknown;
}

/**
 * @internal {@link createRequestContext} for telemetry `tel`. `resolved` is a request id already
 * resolved with the telemetry's rules (Fastify's `genReqId`), used as is instead of the header.
 */
export function requestContextIn(
  tel: TelemetryImpl,
  headers: IncomingTraceHeaders | undefined,
  attributes: Attributes | undefined,
  resolved?: string,
): RequestContext {
  const requestId = resolved ?? tel.resolveRequestId(headers?.requestId);
  const tp = parseTraceparent(headers?.traceparent);
  const t = tel._now();
  if (tp === undefined) {
    return new ContextRecord(
      requestId,
      newTraceId(),
      newSpanId(),
      undefined,
      tel._sampled,
      t,
      undefined,
      attributes,
      undefined,
      tel,
    );
  }
  return new ContextRecord(
    requestId,
    tp.traceId,
    newSpanId(),
    tp.parentId,
    tp.sampled,
    t,
    normalizeTracestate(headers?.tracestate),
    attributes,
    undefined,
    tel,
  );
}

/**
 * A request's root context from its headers, without a span (no OpenTelemetry, nothing logged):
 * the accepted or generated request id; the incoming trace (a new span id whose parent is the
 * caller's) or a new trace. Use {@link startRequestSpan} to time the request as a span. It belongs
 * to the default telemetry (its request ids, clock and sampled flag, and the telemetry of spans
 * started inside it); `telemetry.createRequestContext` makes one for another telemetry.
 *
 * @example
 * ```ts
 * const ctx = createRequestContext({ requestId: req.headers['x-request-id'], traceparent: req.headers.traceparent });
 * runWithContext(ctx, () => handle(req, res));
 * ```
 */
export function createRequestContext(
  headers?: IncomingTraceHeaders,
  attributes?: Attributes,
): RequestContext {
  return requestContextIn(theDefault(), headers, attributes);
}

/** @internal {@link startRequestSpan} for telemetry `tel`; `resolved` as in {@link requestContextIn}. */
export function requestSpanIn(
  tel: TelemetryImpl,
  name: string,
  headers: IncomingTraceHeaders | undefined,
  attributes: Attributes | undefined,
  resolved?: string,
): Span {
  const requestId = resolved ?? tel.resolveRequestId(headers?.requestId);
  const tp = parseTraceparent(headers?.traceparent);
  const ts = tp === undefined ? undefined : normalizeTracestate(headers?.tracestate);
  return open(tel, name, attributes, 'server', undefined, tp, requestId, ts);
}

/**
 * Starts the server span of an incoming request: a new root in this process (the active context
 * is ignored), continuing the caller's trace when `traceparent` is valid, with the accepted or
 * generated request id. Kind `server`. The HTTP layer calls it once per request (through its
 * telemetry's `startRequestSpan`), echoes `span.context.requestId` on the response
 * ({@link responseHeaders}), runs the handler with `span.run(handler)` and calls
 * `span.end(error?)` when the response is finished. This function starts it on the default
 * telemetry.
 *
 * @example
 * ```ts
 * const s = startRequestSpan('GET /users/:id', {
 *   requestId: req.headers['x-request-id'],
 *   traceparent: req.headers.traceparent,
 *   tracestate: req.headers.tracestate,
 * }, { 'http.request.method': 'GET' });
 * res.setHeader('x-request-id', s.context.requestId);
 * res.on('finish', () => { s.setAttribute('http.response.status_code', res.statusCode); s.end(res.statusCode >= 500 ? `HTTP ${res.statusCode}` : undefined); });
 * s.run(() => handler(req, res));
 * ```
 */
export function startRequestSpan(
  name: string,
  headers?: IncomingTraceHeaders,
  attributes?: Attributes,
): Span {
  return requestSpanIn(theDefault(), name, headers, attributes);
}

/** Options of {@link responseHeaders}. */
export interface ResponseHeadersOptions {
  /** The header that echoes the request id. Default `x-request-id`. */
  readonly requestIdHeader?: string | undefined;
}

/**
 * The headers to set on a response: the request id echoed under `x-request-id` (or
 * `options.requestIdHeader`). `ctx` defaults to the active context; outside one the result is
 * empty. The id is always header-safe (see `resolveRequestId`).
 *
 * @example
 * ```ts
 * for (const [k, v] of Object.entries(responseHeaders(s.context))) res.setHeader(k, v);
 * ```
 */
export function responseHeaders(
  ctx?: RequestContext,
  options?: ResponseHeadersOptions,
): Record<string, string> {
  const c = ctx ?? activeRecord();
  if (c === undefined) return {};
  return { [options?.requestIdHeader ?? 'x-request-id']: c.requestId };
}
