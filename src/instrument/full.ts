// Full mode: request id (validated, echoed), request context and server span from W3C traceparent, and one access-log line per request.

import type { RequestContext } from '../context/context.js';
import { runWithContext } from '../context/index.js';
import { fail } from '../internal/errors.js';
import type { LogMethod } from '../internal/logger.js';
import { checkOptionKeys } from '../internal/option-keys.js';
import { createLogger } from '../log/index.js';
import type { Span } from '../trace/index.js';
import { requestContextIn, requestSpanIn } from '../trace/span.js';
import type { TelemetryImpl } from '../trace/telemetry.js';
import { type HeaderSource, readTraceHeaders } from './headers.js';
import type { RequestTracker } from './request.js';
import { type RequestIdResolver, requestIdResolver } from './request-id.js';

/** Options of the request id (full mode). */
export interface RequestIdOptions {
  /** The header read from the request and echoed on the response. Default `'x-request-id'`. */
  readonly header?: string;
}

/** Every key of {@link RequestIdOptions}. */
const REQUEST_ID_OPTIONS = ['header'] as const;

/** The levels an access-log line can be written at. */
export type AccessLogLevel = 'debug' | 'info' | 'warn';

/** A logger the access log can write to: telltale's `createLogger()`, a pino logger, or `console`. */
export type AccessLogger = { readonly [L in AccessLogLevel]?: LogMethod };

/** Options of the access log (full mode). */
export interface AccessLogOptions {
  /**
   * Where the lines go. Default: the telemetry's logger when it has one, else
   * `createLogger({ name: 'http' })` from telltale/log (JSON on stdout, `LOG_LEVEL` applies).
   */
  readonly logger?: AccessLogger;
  /** The level of each line. Default `'info'`. */
  readonly level?: AccessLogLevel;
  /** The message of each line. Default `'request finished'`. */
  readonly message?: string;
}

/** Every key of {@link AccessLogOptions}. */
const ACCESS_LOG_OPTIONS = ['logger', 'level', 'message'] as const;

/** The fields of one access-log line (tower-http's `on_response`, with the route and ids). */
export type AccessLogFields = {
  method: string;
  /** The route template, or the unmatched value. */
  route: string;
  /** The request path, without the query string (which may hold secrets). */
  path: string;
  status: number;
  /** Milliseconds from the request's arrival to the end of its response, to the microsecond. */
  duration_ms: number;
  /** Response body bytes, when known. */
  bytes?: number;
  request_id?: string;
  trace_id?: string;
  span_id?: string;
  /** The error message, when the handler failed. */
  error?: string;
  /** Present (true) when the client went away before the response was complete. */
  aborted?: true;
};

/** @internal Per-request full-mode state, kept in `tracker.state`. */
interface FullState {
  readonly span: Span | undefined;
  readonly context: RequestContext;
}

/** @internal The full-mode half of the lifecycle. */
export interface FullMode {
  readonly requestIdHeader: string | undefined;
  readonly contextual: boolean;
  start(t: RequestTracker, headers: HeaderSource | undefined, requestId: string | undefined): void;
  run<T>(t: RequestTracker, fn: () => T): T;
  finish(
    t: RequestTracker,
    route: string,
    status: number,
    ms: number,
    bytes: number | undefined,
    aborted: boolean,
  ): void;
}

function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  return typeof err === 'string' ? err : 'error';
}

/**
 * @internal Builds the full-mode half, or `undefined` when no full-mode option is on. Request ids,
 * contexts and spans come from `telemetry`; `where` names the factory in errors.
 */
export function createFullMode(
  where: string,
  options: {
    readonly requestId?: boolean | RequestIdOptions;
    readonly tracing?: boolean;
    readonly accessLog?: boolean | AccessLogOptions;
  },
  telemetry: TelemetryImpl,
): FullMode | undefined {
  const rid = options.requestId;
  const tracing = options.tracing === true;
  const al = options.accessLog;
  if (options.tracing !== undefined && typeof options.tracing !== 'boolean') {
    fail('TT_INVALID_OPTION', `${where}: tracing must be a boolean, got ${typeof options.tracing}`);
  }
  // The nested objects are this factory's: their keys are checked here, even when they are off.
  if (typeof rid === 'object' && rid !== null) {
    checkOptionKeys(where, rid, REQUEST_ID_OPTIONS, 'requestId.');
  }
  if (typeof al === 'object' && al !== null) {
    checkOptionKeys(where, al, ACCESS_LOG_OPTIONS, 'accessLog.');
  }
  if (!rid && !tracing && !al) return undefined;
  const resolveId: RequestIdResolver | undefined = rid
    ? requestIdResolver(
        where,
        'requestId.header',
        typeof rid === 'object' ? rid.header : undefined,
        telemetry,
      )
    : undefined;
  const header = resolveId?.header;
  const log = al ? (typeof al === 'object' ? al : {}) : undefined;
  const level: AccessLogLevel = log?.level ?? 'info';
  if (level !== 'debug' && level !== 'info' && level !== 'warn') {
    fail(
      'TT_INVALID_OPTION',
      `${where}: accessLog.level must be 'debug', 'info' or 'warn', got ${String(level)}`,
    );
  }
  const message = log?.message ?? 'request finished';
  let logger: AccessLogger | undefined;
  if (log !== undefined) {
    logger =
      log.logger ??
      (telemetry.logger as AccessLogger | undefined) ??
      createLogger({ name: 'http' });
    if (typeof logger[level] !== 'function') {
      fail('TT_INVALID_OPTION', `${where}: accessLog.logger has no "${level}" method`);
    }
  }
  const contextual = Boolean(rid) || tracing;

  return {
    requestIdHeader: header,
    contextual,
    start(t, headers, preset) {
      if (!contextual) return;
      // The one header reader of every transport; the configured request id header is the one
      // read (not the trace module's default). A preset id was resolved already, with the same
      // telemetry's rules: it is used as is, and the header is not read.
      const read =
        headers === undefined
          ? undefined
          : readTraceHeaders(
              headers,
              header === undefined || preset !== undefined ? undefined : header,
            );
      const resolved = header === undefined ? undefined : preset;
      const traceHeaders = {
        requestId: read?.requestId,
        traceparent: read?.traceparent,
        tracestate: read?.tracestate,
      };
      let state: FullState;
      if (tracing) {
        const attributes = { 'http.request.method': t.method, 'url.path': t.path };
        const span = requestSpanIn(
          telemetry,
          `HTTP ${t.method}`,
          traceHeaders,
          attributes,
          resolved,
        );
        state = { span, context: span.context };
      } else {
        state = {
          span: undefined,
          context: requestContextIn(telemetry, traceHeaders, undefined, resolved),
        };
      }
      t.state = state;
      t.requestId = state.context.requestId;
      t.traceId = state.context.traceId;
      t.spanId = state.context.spanId;
    },
    run(t, fn) {
      const s = t.state as FullState | undefined;
      if (s === undefined) return fn();
      // A closure, not `span.run(fn)`: span.run passes the span as an argument, and Express's
      // next(span) would take it for an error.
      if (s.span !== undefined) return s.span.run(() => fn());
      return runWithContext(s.context, fn);
    },
    finish(t, route, status, ms, bytes, aborted) {
      const s = t.state as FullState | undefined;
      const span = s?.span;
      if (span !== undefined) {
        span.updateName(`${t.method} ${route}`);
        span.setAttribute('http.route', route);
        span.setAttribute('http.response.status_code', status);
        if (t.error !== undefined) span.end(t.error);
        else span.end(status >= 500 ? `HTTP ${status}` : undefined);
      }
      if (logger === undefined) return;
      const fields: AccessLogFields = {
        method: t.method,
        route,
        path: t.path,
        status,
        duration_ms: Math.round(ms * 1000) / 1000,
      };
      if (bytes !== undefined) fields.bytes = bytes;
      if (t.requestId !== undefined) fields.request_id = t.requestId;
      if (t.traceId !== undefined) fields.trace_id = t.traceId;
      if (t.spanId !== undefined) fields.span_id = t.spanId;
      if (t.error !== undefined) fields.error = messageOf(t.error);
      if (aborted) fields.aborted = true;
      // Called as a method: pino's methods need their `this`.
      logger[level]?.(fields, message);
    },
  };
}
