// The framework-agnostic request lifecycle: start (ignore list, method folding, in-flight, full-mode context) and finish (metrics, span, access log).

import type { IncomingMessage, ServerResponse } from 'node:http';
import { fail, TelltaleError, warnOnce } from '../internal/errors.js';
import { defaultRegistry, type Registry } from '../metrics/registry.js';
import {
  type AccessLogOptions,
  createFullMode,
  type FullMode,
  type RequestIdOptions,
} from './full.js';
import { compileIgnore, type IgnoreMatcher, type IgnoreOption, pathOf } from './ignore.js';
import { createHttpMetrics, type HttpMetrics, type HttpMetricsOptions } from './metrics.js';

/** The `route` label of requests no route matched. */
export const DEFAULT_UNMATCHED_ROUTE = 'unmatched';

/**
 * The status recorded for a request whose client went away before any response header was sent
 * (nginx's "client closed request"); a request aborted after its headers keeps the sent status.
 */
export const CLIENT_CLOSED_STATUS = 499;

/** Options every adapter takes (one options object, validated once). */
export interface HttpInstrumentationOptions extends HttpMetricsOptions {
  /** Where the HTTP metrics are registered. Default: `defaultRegistry()`. */
  readonly registry?: Registry;
  /** Record the HTTP metrics. `false` keeps only the full-mode features. Default `true`. */
  readonly metrics?: boolean;
  /** The `route` label of requests no route matched. Default `'unmatched'`. */
  readonly unmatchedRoute?: string;
  /**
   * Paths left out of metrics, spans and access logs: exact paths, prefixes ending in `/*`, a
   * predicate on the path, or `false`. Default `['/metrics', '/health', '/health/*', '/ready']`.
   */
  readonly ignore?: IgnoreOption;
  /** Resolve, validate and echo a request id (full mode). Default off. */
  readonly requestId?: boolean | RequestIdOptions;
  /**
   * Run each request inside a server span (full mode): continues the caller's trace from a valid
   * W3C `traceparent`, else starts one; named `GET /users/:id` once the route is known; ended with
   * the status (an error for 5xx or a handler error). Spans go where `configureTracing()` sends
   * them (close events, OpenTelemetry). Default off.
   */
  readonly tracing?: boolean;
  /** Write one access-log line per finished request (full mode). Default off. */
  readonly accessLog?: boolean | AccessLogOptions;
}

/** Request headers as node:http gives them (lower-case names). */
export type RequestHeaders = Readonly<Record<string, string | string[] | undefined>>;

/**
 * The state of one request between {@link HttpInstrumentation.start} and
 * {@link HttpInstrumentation.finish}. Adapters set {@link RequestTracker.route} once the framework
 * has matched a route; everything else is read-only for them.
 */
export class RequestTracker {
  /** The route template the framework matched, or `undefined` (recorded as the unmatched value). */
  route: string | undefined = undefined;
  /** The response body size when the adapter knows it better than the `Content-Length` header. */
  responseBytes: number | undefined = undefined;
  /**
   * The request id (full mode with `requestId` or `tracing`), already validated or generated. It is
   * echoed on the response only with `requestId`.
   */
  requestId: string | undefined = undefined;
  /** The trace id of the server span (full mode with `tracing`). */
  traceId: string | undefined = undefined;
  /** The span id of the server span (full mode with `tracing`). */
  spanId: string | undefined = undefined;
  /** The error the handler failed with, if an adapter reported one. */
  error: unknown = undefined;
  /** @internal full-mode state (context and span), owned by `full.ts`. */
  state: unknown = undefined;
  /** @internal resolves the route at the end, for frameworks that route late (Express). */
  routeAtEnd: ((req: unknown) => string | undefined) | undefined = undefined;
  /** @internal the framework's request object, passed to `routeAtEnd`. */
  req: unknown = undefined;
  /** @internal */
  ended = false;
  /** The request method as received. */
  readonly method: string;
  /** The request path, without the query string. */
  readonly path: string;
  /** `performance.now()` when the request started. */
  readonly start: number;
  /** The request body size from `Content-Length` (0 without one). */
  readonly requestBytes: number;
  /** @internal */
  readonly owner: HttpInstrumentation;
  constructor(
    method: string,
    path: string,
    start: number,
    requestBytes: number,
    owner: HttpInstrumentation,
  ) {
    this.method = method;
    this.path = path;
    this.start = start;
    this.requestBytes = requestBytes;
    this.owner = owner;
  }
}

/** The shared lifecycle every adapter drives. Create it with {@link createHttpInstrumentation}. */
export interface HttpInstrumentation {
  /** The HTTP metrics, or `undefined` with `metrics: false`. */
  readonly metrics: HttpMetrics | undefined;
  /** The lower-case request id header name, or `undefined` when request ids are off. */
  readonly requestIdHeader: string | undefined;
  /** The `route` label of unmatched requests. */
  readonly unmatchedRoute: string;
  /**
   * Starts tracking a request. Returns `undefined` for an ignored path (nothing is recorded for it
   * and {@link finish} must not be called). Increments the in-flight gauge; in full mode resolves
   * the request id, parses `traceparent` and starts the server span.
   *
   * @param url the request target (`/users/7?x=1`); the query string is never recorded.
   * @param requestId an id the framework already resolved with the same rules (Fastify's
   * `genReqId`), used instead of resolving the header again.
   */
  start(
    method: string,
    url: string,
    headers: RequestHeaders,
    requestId?: string,
  ): RequestTracker | undefined;
  /**
   * Runs `fn` inside the request's context (full mode with request ids or tracing: the request id,
   * trace and span ids are visible to every log line and span written inside), or just calls it.
   */
  run<T>(tracker: RequestTracker, fn: () => T): T;
  /**
   * Finishes a request: records the metrics, ends the span and writes the access-log line. Calling
   * it again for the same tracker does nothing.
   *
   * @param status the response status code.
   * @param responseBytes the response body size, or `undefined` when unknown.
   * @param aborted the client went away before the response was complete.
   */
  finish(
    tracker: RequestTracker,
    status: number,
    responseBytes: number | undefined,
    aborted?: boolean,
  ): void;
  /**
   * node:http convenience: {@link start}, echo the request id on `res`, and {@link finish} when
   * `res` closes (status and size read from `res`). One listener per request, a shared function.
   *
   * @param routeAtEnd reads the route from `req` when the response ends (for late routers).
   */
  startNode(
    req: IncomingMessage,
    res: ServerResponse,
    url?: string,
    routeAtEnd?: (req: IncomingMessage) => string | undefined,
    requestId?: string,
  ): RequestTracker | undefined;
  /** The tracker `startNode` attached to this response (until it closes), or `undefined`. */
  trackerOf(res: ServerResponse): RequestTracker | undefined;
  /** Whether {@link run} does anything (request ids or tracing on); adapters skip it otherwise. */
  readonly contextual: boolean;
}

const kTracker = Symbol('telltale.http.tracker');
type TrackedResponse = ServerResponse & { [kTracker]?: RequestTracker | undefined };
type NodeInternals = { _contentLength?: number | null };

/** Reads a `Content-Length` header value as a byte count, or `undefined`. */
export function contentLength(
  v: number | string | readonly string[] | undefined,
): number | undefined {
  if (typeof v === 'number') return v >= 0 ? v : undefined;
  if (typeof v !== 'string') return undefined;
  const n = Number(v);
  return Number.isInteger(n) && n >= 0 ? n : undefined;
}

/**
 * The tracker a `startNode` call attached to this response (until it closes), from any
 * instrumentation, or `undefined`. For adapters that learn about a request late, such as an error
 * handler that records the error for the span and the access log.
 *
 * @example
 * ```ts
 * const t = trackerOf(res);
 * if (t) t.error = err;
 * ```
 */
export function trackerOf(res: ServerResponse): RequestTracker | undefined {
  return (res as TrackedResponse)[kTracker];
}

// Shared by every response: reads the tracker stored on the response, so no closure is created
// per request (house style: resolve once, record many).
function onResponseClose(this: TrackedResponse): void {
  const t = this[kTracker];
  if (t === undefined) return;
  this[kTracker] = undefined;
  const aborted = !this.writableFinished;
  let status = this.statusCode;
  if (aborted && !this.headersSent) status = CLIENT_CLOSED_STATUS;
  let bytes = t.responseBytes;
  if (bytes === undefined) {
    bytes = contentLength(this.getHeader('content-length'));
    // node:http keeps the length it computed for `res.end(body)` and `writeHead(s, { 'content-length' })`
    // in `_contentLength`, where getHeader() cannot see it. A read-only, best-effort fallback: the
    // conformance suite fails if a Node release changes it (sizes would go missing).
    if (bytes === undefined)
      bytes = contentLength((this as NodeInternals)._contentLength ?? undefined);
    // Bodiless by definition (RFC 9110 sections 6.4.1 and 9.3.2).
    if (bytes === undefined && (t.method === 'HEAD' || status === 204 || status === 304)) bytes = 0;
  }
  try {
    t.owner.finish(t, status, bytes, aborted);
  } catch (err) {
    // An event listener that throws would crash the server. A coded error here comes from a bound
    // the user chose (`onLongLabelValue: 'throw'` and a long route): warn once, keep serving.
    if (!(err instanceof TelltaleError)) throw err;
    warnOnce(err.code, 'http', `HTTP instrumentation could not record a request: ${err.message}`);
  }
}

/**
 * Creates the shared request lifecycle that every adapter drives. Adapters are thin: they call
 * {@link HttpInstrumentation.start} (or `startNode`) when a request arrives, set `tracker.route`
 * when the framework has matched one, run the handler through {@link HttpInstrumentation.run}, and
 * let the response's `close` event (or an explicit `finish`) end it.
 *
 * Options are validated here, once.
 *
 * @throws TelltaleError `TT_INVALID_OPTION` for a bad option; the registry's codes for bad metric
 * options.
 * @example
 * ```ts
 * const http = createHttpInstrumentation({ registry, prefix: 'canvas_' });
 * const t = http.startNode(req, res);
 * if (t) t.route = '/users/:id';
 * ```
 */
export function createHttpInstrumentation(
  options: HttpInstrumentationOptions = {},
): HttpInstrumentation {
  if (options === null || typeof options !== 'object') {
    fail(
      'TT_INVALID_OPTION',
      `HTTP instrumentation options must be an object, got ${String(options)}`,
    );
  }
  const unmatchedRoute = options.unmatchedRoute ?? DEFAULT_UNMATCHED_ROUTE;
  if (typeof unmatchedRoute !== 'string' || unmatchedRoute === '') {
    fail(
      'TT_INVALID_OPTION',
      `unmatchedRoute must be a non-empty string, got ${String(unmatchedRoute)}`,
    );
  }
  const metrics =
    options.metrics === false
      ? undefined
      : createHttpMetrics(options.registry ?? defaultRegistry(), options);
  const ignored: IgnoreMatcher = compileIgnore(options.ignore);
  const full: FullMode | undefined = createFullMode(options);
  const inFlight = metrics?.inFlightHandle;

  const self: HttpInstrumentation = {
    metrics,
    requestIdHeader: full?.requestIdHeader,
    unmatchedRoute,
    contextual: full?.contextual ?? false,
    start(method, url, headers, requestId) {
      const path = ignored === undefined && full === undefined ? url : pathOf(url);
      if (ignored?.(path)) return undefined;
      const len = headers['content-length'];
      const t = new RequestTracker(
        method,
        path,
        performance.now(),
        len === undefined ? 0 : (contentLength(len) ?? 0),
        self,
      );
      inFlight?.inc();
      if (full !== undefined) full.start(t, headers, requestId);
      return t;
    },
    run(tracker, fn) {
      return full === undefined ? fn() : full.run(tracker, fn);
    },
    finish(t, status, responseBytes, aborted = false) {
      if (t.ended) return;
      t.ended = true;
      const ms = performance.now() - t.start;
      if (t.route === undefined && t.routeAtEnd !== undefined) t.route = t.routeAtEnd(t.req);
      const route = t.route ?? unmatchedRoute;
      if (metrics !== undefined) {
        inFlight?.dec();
        metrics.record(t.method, route, status, ms / 1000, t.requestBytes, responseBytes);
      }
      if (full !== undefined) full.finish(t, route, status, ms, responseBytes, aborted);
    },
    trackerOf(res) {
      return (res as TrackedResponse)[kTracker];
    },
    startNode(req, res, url, routeAtEnd, requestId) {
      const t = self.start(req.method ?? '', url ?? req.url ?? '/', req.headers, requestId);
      if (t === undefined) return undefined;
      if (routeAtEnd !== undefined) {
        t.routeAtEnd = routeAtEnd as (req: unknown) => string | undefined;
        t.req = req;
      }
      if (self.requestIdHeader !== undefined && t.requestId !== undefined && !res.headersSent) {
        res.setHeader(self.requestIdHeader as string, t.requestId);
      }
      (res as TrackedResponse)[kTracker] = t;
      res.on('close', onResponseClose);
      return t;
    },
  };
  return self;
}
