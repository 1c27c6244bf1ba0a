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
import { spanClosed, spanOpened } from './exemplars.js';
import { newSpanId, newTraceId } from './ids.js';
import {
  endOtelSpan,
  type OtelParent,
  otelApi,
  otelNextCheck,
  otelTracer,
  refreshOtel,
  type SpanKind,
  setOtelEnabled,
  startOtelSpan,
  withOtelSpan,
} from './otel.js';
import { resolveRequestId } from './request-id.js';
import { normalizeTracestate, parseTraceparent, type Traceparent } from './traceparent.js';

export type { SpanKind } from './otel.js';

/** The levels a span-close event can be logged at. */
export type SpanLogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';

const LEVELS: readonly SpanLogLevel[] = ['trace', 'debug', 'info', 'warn', 'error'];

/**
 * Where span-close events go: any logger with a method per level in pino's argument order
 * (`fields, msg`). A pino logger or telltale's `createLogger()` fits; `isLevelEnabled`, when
 * present, is asked first so a disabled level builds no fields.
 */
export type SpanLogger = { readonly [L in SpanLogLevel]?: LogMethod } & {
  isLevelEnabled?(level: string): boolean;
};

/**
 * Options of {@link configureTracing}. Only the options given change.
 *
 * @example
 * ```ts
 * configureTracing({ logger, level: 'info', errorLevel: 'warn', openTelemetry: false });
 * ```
 */
export interface TracingOptions {
  /** Logs one event per closed span. Default `null`: spans are not logged. */
  readonly logger?: SpanLogger | null | undefined;
  /** The level of span-close events. Default `'debug'`. */
  readonly level?: SpanLogLevel | undefined;
  /** The level of span-close events for spans that ended with an error. Default: `level`. */
  readonly errorLevel?: SpanLogLevel | undefined;
  /**
   * Send spans to the OpenTelemetry tracer provider registered through `@opentelemetry/api`, if
   * any. Default `true`. Setting it (either way) also looks for a provider again at once, so call
   * `configureTracing({ openTelemetry: true })` after replacing the global provider.
   */
  readonly openTelemetry?: boolean | undefined;
  /** The `sampled` flag of traces telltale starts (without OpenTelemetry's sampler). Default `true`. */
  readonly sampled?: boolean | undefined;
  /** The span clock in milliseconds. Default `performance.now`. Tests inject one. */
  readonly now?: (() => number) | undefined;
  /** Makes request ids for requests without a valid one. Default: a random v4 UUID. */
  readonly generateRequestId?: (() => string) | undefined;
}

let logger: SpanLogger | null = null;
let level: SpanLogLevel = 'debug';
let errorLevel: SpanLogLevel | undefined;
let sampledDefault = true;
let clock: () => number = () => performance.now();
let generateRequestId: (() => string) | undefined;

function isFn(v: unknown): v is (...args: never[]) => unknown {
  return typeof v === 'function';
}

/**
 * Configures telltale's spans: where span-close events are logged and at which level, the
 * OpenTelemetry bridge, the sampled flag of new traces, the clock. Validated here, once: a bad
 * option throws `TT_INVALID_OPTION` and changes nothing.
 *
 * @example
 * ```ts
 * configureTracing({ logger: createLogger({ name: 'trace' }), level: 'info' });
 * ```
 */
export function configureTracing(options: TracingOptions): void {
  if (typeof options !== 'object' || options === null) {
    fail('TT_INVALID_OPTION', 'configureTracing: options must be an object');
  }
  const lv = options.level;
  if (lv !== undefined && !LEVELS.includes(lv)) {
    fail('TT_INVALID_OPTION', `configureTracing: level must be one of ${LEVELS.join(', ')}`);
  }
  const elv = options.errorLevel;
  if (elv !== undefined && !LEVELS.includes(elv)) {
    fail('TT_INVALID_OPTION', `configureTracing: errorLevel must be one of ${LEVELS.join(', ')}`);
  }
  const lg = options.logger;
  if (lg !== undefined && lg !== null) {
    const need = [lv ?? level, elv ?? errorLevel ?? lv ?? level];
    for (const l of need) {
      if (typeof lg !== 'object' || !isFn(lg[l])) {
        fail('TT_INVALID_OPTION', `configureTracing: logger has no "${l}" method`);
      }
    }
  }
  for (const k of ['now', 'generateRequestId'] as const) {
    if (options[k] !== undefined && !isFn(options[k])) {
      fail('TT_INVALID_OPTION', `configureTracing: ${k} must be a function`);
    }
  }
  if (options.sampled !== undefined && typeof options.sampled !== 'boolean') {
    fail('TT_INVALID_OPTION', 'configureTracing: sampled must be a boolean');
  }
  if (options.openTelemetry !== undefined && typeof options.openTelemetry !== 'boolean') {
    fail('TT_INVALID_OPTION', 'configureTracing: openTelemetry must be a boolean');
  }
  if (lg !== undefined) logger = lg;
  if (lv !== undefined) level = lv;
  if (elv !== undefined) errorLevel = elv;
  if (options.sampled !== undefined) sampledDefault = options.sampled;
  if (options.now !== undefined) clock = options.now;
  if (options.generateRequestId !== undefined) generateRequestId = options.generateRequestId;
  if (options.openTelemetry !== undefined) setOtelEnabled(options.openTelemetry, clock());
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

  constructor(name: string, kind: SpanKind, context: ContextRecord) {
    this.name = name;
    this.kind = kind;
    this.context = context;
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
    return withOtelSpan(o, () => runWithRecord(this.context, fn, this));
  }

  end(error?: unknown): void {
    this._finish(error !== undefined && error !== null, error);
  }

  /** @internal Ends the span; `failed` is separate from `error` because `throw undefined` exists. */
  _finish(failed: boolean, error: unknown): void {
    if (this.ended) return;
    this.ended = true;
    // First, so a throwing logger or OTel exporter cannot leave the span counted as open.
    spanClosed();
    const d = clock() - this.context.startTime;
    this.durationMs = d;
    let message: string | undefined;
    if (failed) {
      message = errorMessageOf(error);
      this.status = 'error';
      this.errorMessage = message;
    } else {
      this.status = 'ok';
    }
    if (logger !== null) logClose(logger, this, d, message);
    const o = this.context._otel;
    if (o !== undefined) endOtelSpan(o, error, message);
  }
}

function logClose(
  lg: SpanLogger,
  s: SpanImpl,
  durationMs: number,
  message: string | undefined,
): void {
  const lv = message === undefined ? level : (errorLevel ?? level);
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
  name: string,
  attributes: Attributes | undefined,
  kind: SpanKind,
  parent: ContextRecord | undefined,
  remote: Traceparent | undefined,
  requestId: string | undefined,
  traceState: string | undefined,
): SpanImpl {
  const t = clock();
  if (otelTracer === undefined && t >= otelNextCheck) refreshOtel(t);
  let traceId: string | undefined;
  let spanId = '';
  let parentSpanId: string | undefined;
  let sampled = sampledDefault;
  let otelSpan: unknown;
  const tracer = otelTracer;
  if (tracer !== undefined) {
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
    const started = startOtelSpan(tracer, name, kind, attributes, op);
    const sc = started.span.spanContext();
    if (otelApi().trace.isSpanContextValid(sc)) {
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
  );
  ctx._otel = otelSpan;
  const s = new SpanImpl(name, kind, ctx);
  // Last, after everything that can throw: a span counted here is one the caller holds to end.
  spanOpened();
  return s;
}

/**
 * Starts a span that you end yourself with `span.end(error?)`. It is a child of the active
 * context (or of `options.parent`; a new trace without one) but does not become active: use
 * `span.run(fn)` for that, or the scoped {@link span}.
 *
 * @example
 * ```ts
 * const s = startSpan('cache.fill', { 'cache.key': key });
 * try { await s.run(() => fill(key)); s.end(); } catch (err) { s.end(err); throw err; }
 * ```
 */
export function startSpan(name: string, attributes?: Attributes, options?: StartSpanOptions): Span {
  const p = options?.parent;
  const parent = p === null ? undefined : p === undefined ? activeRecord() : toRecord(p);
  return open(
    name,
    attributes,
    options?.kind ?? 'internal',
    parent,
    undefined,
    undefined,
    undefined,
  );
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return (
    v !== null &&
    (typeof v === 'object' || typeof v === 'function') &&
    typeof (v as { then?: unknown }).then === 'function'
  );
}

/**
 * Runs `fn` in a new child span of the active context (a new trace outside one) and ends the span
 * when `fn` returns, or when its promise settles: status `ok`, or `error` with the thrown or
 * rejected error's message (the error is rethrown unchanged). Nesting holds across `await`.
 * `fn` gets the span, to add attributes. A promise (or any thenable, such as a query builder)
 * returned by `fn` is chained: you get a new native promise of the same value.
 *
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
  let attributes: Attributes | undefined;
  let fn: (span: Span) => R;
  if (typeof a === 'function') fn = a;
  else {
    attributes = a;
    if (typeof b !== 'function')
      fail('TT_INVALID_OPTION', `span("${name}"): fn must be a function`);
    fn = b;
  }
  const s = open(name, attributes, 'internal', activeRecord(), undefined, undefined, undefined);
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
 * A request's root context from its headers, without a span (no OpenTelemetry, nothing logged):
 * the accepted or generated request id; the incoming trace (a new span id whose parent is the
 * caller's) or a new trace. Use {@link startRequestSpan} to time the request as a span.
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
  const requestId = resolveRequestId(headers?.requestId, { generate: generateRequestId });
  const tp = parseTraceparent(headers?.traceparent);
  const t = clock();
  if (tp === undefined) {
    return new ContextRecord(
      requestId,
      newTraceId(),
      newSpanId(),
      undefined,
      sampledDefault,
      t,
      undefined,
      attributes,
      undefined,
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
  );
}

/**
 * Starts the server span of an incoming request: a new root in this process (the active context
 * is ignored), continuing the caller's trace when `traceparent` is valid, with the accepted or
 * generated request id. Kind `server`. The HTTP layer calls it once per request, echoes
 * `span.context.requestId` on the response ({@link responseHeaders}), runs the handler with
 * `span.run(handler)` and calls `span.end(error?)` when the response is finished.
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
  const requestId = resolveRequestId(headers?.requestId, { generate: generateRequestId });
  const tp = parseTraceparent(headers?.traceparent);
  const ts = tp === undefined ? undefined : normalizeTracestate(headers?.tracestate);
  return open(name, attributes, 'server', undefined, tp, requestId, ts);
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
