// Full mode: request id (validated, echoed), W3C traceparent, request context and server span, and one access-log line per request.

import { randomBytes } from 'node:crypto';
import { fail } from '../internal/errors.js';
import type { LogMethod } from '../internal/logger.js';
import type { RequestHeaders, RequestTracker } from './core.js';
import { createRequestIdResolver, type RequestIdResolver } from './request-id.js';

/** Options of the request id (full mode). */
export interface RequestIdOptions {
  /** The header read from the request and echoed on the response. Default `'x-request-id'`. */
  readonly header?: string;
}

/** Options of the server span (full mode). */
export interface TracingOptions {
  /** The span name. Default: `'<METHOD> <route>'` is not known at start, so `'HTTP <METHOD>'`, renamed at the end. */
  readonly spanName?: string;
}

/** The levels an access-log line can be written at. */
export type AccessLogLevel = 'debug' | 'info' | 'warn';

/** A logger the access log can write to: a pino logger, telltale's `createLogger()`, or `console`. */
export type AccessLogger = { readonly [L in AccessLogLevel]?: LogMethod };

/** Options of the access log (full mode). */
export interface AccessLogOptions {
  /** Where the lines go. Default: telltale's logger named `http`. */
  readonly logger?: AccessLogger;
  /** The level of each line. Default `'info'`. */
  readonly level?: AccessLogLevel;
  /** The message of each line. Default `'request finished'`. */
  readonly message?: string;
}

/** The fields of one access-log line. */
export type AccessLogFields = {
  method: string;
  route: string;
  path: string;
  status: number;
  duration_ms: number;
  /** Response body bytes, when known. */
  bytes?: number;
  request_id?: string;
  trace_id?: string;
  span_id?: string;
  /** Present (true) when the client went away before the response was complete. */
  aborted?: true;
};

/** @internal The full-mode half of the lifecycle. */
export interface FullMode {
  readonly requestIdHeader: string | undefined;
  readonly contextual: boolean;
  start(t: RequestTracker, headers: RequestHeaders, requestId: string | undefined): void;
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

/** @internal Builds the full-mode half, or `undefined` when no full-mode option is on. */
export function createFullMode(options: {
  readonly requestId?: boolean | RequestIdOptions;
  readonly tracing?: boolean | TracingOptions;
  readonly accessLog?: boolean | AccessLogOptions;
}): FullMode | undefined {
  const rid = options.requestId;
  const tr = options.tracing;
  const al = options.accessLog;
  if (!rid && !tr && !al) return undefined;
  const resolveId: RequestIdResolver | undefined = rid
    ? createRequestIdResolver(typeof rid === 'object' ? rid.header : undefined)
    : undefined;
  const header = resolveId?.header;
  const log = al ? (typeof al === 'object' ? al : {}) : undefined;
  const level: AccessLogLevel = log?.level ?? 'info';
  if (level !== 'debug' && level !== 'info' && level !== 'warn') {
    fail(
      'TT_INVALID_OPTION',
      `accessLog.level must be 'debug', 'info' or 'warn', got ${String(level)}`,
    );
  }
  const message = log?.message ?? 'request finished';
  const logger = log?.logger;
  const write = log === undefined ? undefined : logger?.[level]?.bind(logger);

  return {
    requestIdHeader: header,
    contextual: Boolean(rid) || Boolean(tr),
    start(t, headers, preset) {
      if (resolveId !== undefined) {
        t.requestId = preset ?? resolveId(headers[resolveId.header]);
      }
      if (tr) {
        t.traceId = randomBytes(16).toString('hex');
        t.spanId = randomBytes(8).toString('hex');
      }
    },
    run(_t, fn) {
      return fn();
    },
    finish(t, route, status, ms, bytes, aborted) {
      if (write === undefined) return;
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
      if (aborted) fields.aborted = true;
      write(fields, message);
    },
  };
}
