// The framework-agnostic request lifecycle: start (ignore list, method folding, in-flight, full-mode context) and finish (metrics, span, access log).

import type { IncomingMessage, ServerResponse } from 'node:http';
import { fail, TelltaleError, warnOnce } from '../internal/errors.js';
import type { Registry } from '../metrics/registry.js';
import { type Telemetry, telemetryOption } from '../trace/telemetry.js';
import {
  type AccessLogOptions,
  createFullMode,
  type FullMode,
  type RequestIdOptions,
} from './full.js';
import { compileIgnore, type IgnoreMatcher, type IgnoreOption, pathOf } from './ignore.js';
import { answerMalformedPath, isMalformedPath } from './malformed.js';
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
  /**
   * The telemetry whose registry, request-id rules, tracing and logger the instrumentation uses,
   * and that requests carry in their context (so spans inside them belong to it). Default:
   * `defaultTelemetry()` (docs/telemetry.md).
   */
  readonly telemetry?: Telemetry;
  /**
   * Where the HTTP metrics are registered. Default: the telemetry's registry, which is
   * `defaultRegistry()` for the default telemetry: the registry `createMetricsServer()` serves
   * when its own `registry` is omitted (docs/telemetry.md, "An omitted registry").
   */
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
  /**
   * Answer a request whose path is malformed percent-encoding (`/users/%ZZ`, `/users/%FF`: what
   * `decodeURIComponent` rejects) with 400 `Bad Request` before the app runs, and record it under
   * the unmatched route with status 400. The query string is not checked, and ignored paths are
   * left to the app. Fastify's router answers such paths itself (400), whatever this says; they
   * are recorded the same way. Default `true`.
   */
  readonly rejectMalformedPaths?: boolean;
  /** Resolve, validate and echo a request id (full mode). Default off. */
  readonly requestId?: boolean | RequestIdOptions;
  /**
   * Run each request inside a server span (full mode): continues the caller's trace from a valid
   * W3C `traceparent`, else starts one; named `GET /users/:id` once the route is known; ended with
   * the status (an error for 5xx or a handler error). Spans go where the telemetry sends them
   * (close events to its logger, OpenTelemetry, exemplars). Default off.
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
  /**
   * The path is malformed percent-encoding and `rejectMalformedPaths` is on: the adapter answers
   * 400 instead of running the app (`serveNode` and `wrapNode` do it themselves).
   */
  malformedPath = false;
  /** @internal full-mode state (context and span), owned by `full.ts`. */
  state: unknown = undefined;
  /** @internal resolves the route at the end, for frameworks that route late (Express). */
  routeAtEnd: ((req: unknown) => string | undefined) | undefined = undefined;
  /** @internal the framework's request object (node:http), passed to `routeAtEnd`. */
  req: unknown = undefined;
  /** @internal */
  ended = false;
  /** @internal a `close` listener was added (by `startNode` or `endNode`). */
  listening = false;
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

/**
 * Starts tracking a node:http request ({@link HttpInstrumentation.startNode},
 * {@link HttpInstrumentation.beginNode}). Returns `undefined` for an ignored path.
 *
 * @param url the request target when the framework rewrote `req.url` (Express's `originalUrl`).
 * @param routeAtEnd reads the route from `req` when the response ends (for late routers).
 * @param requestId an id the framework already resolved with the same rules (Fastify's `genReqId`).
 */
export type NodeStart = (
  req: IncomingMessage,
  res: ServerResponse,
  url?: string,
  routeAtEnd?: (req: IncomingMessage) => string | undefined,
  requestId?: string,
) => RequestTracker | undefined;

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
   * the request id, parses `traceparent` and starts the server span. When the path is malformed
   * percent-encoding (and `rejectMalformedPaths` is on) the tracker's `malformedPath` is set: the
   * caller answers 400 instead of running the app.
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
   * Adapters that know when the framework's synchronous part returns use {@link beginNode} and
   * {@link endNode} instead, which skip the listener for responses that ended by then.
   *
   * See {@link NodeStart} for the arguments.
   */
  startNode: NodeStart;
  /**
   * Like {@link startNode}, but the end is left to {@link endNode}, which the caller must call
   * (in a `finally`) once the framework's synchronous part has returned; {@link serveNode} does
   * both.
   */
  beginNode: NodeStart;
  /**
   * Ends what {@link beginNode} started: when `res` has already ended (the handler answered
   * synchronously), the request is finished now, with the status and size read from `res` and the
   * duration up to this call; otherwise it is finished when `res` closes. Calling it again, or for a
   * finished request, does nothing.
   */
  endNode(tracker: RequestTracker, res: ServerResponse): void;
  /**
   * Runs `fn`, the framework's synchronous part, for a request {@link beginNode} started: with the
   * tracker findable through {@link trackerOfRequest}, inside the request context in full mode,
   * then {@link endNode} (in a `finally`). What the Express and Fastify adapters do per request.
   * For a tracker with {@link RequestTracker.malformedPath} it answers 400 instead of calling `fn`.
   */
  serveNode(
    tracker: RequestTracker,
    req: IncomingMessage,
    res: ServerResponse,
    fn: () => void,
  ): void;
  /**
   * Wraps a node:http request listener: {@link beginNode}, `call` (the synchronous part of the
   * handler, with {@link trackerOfRequest} finding the tracker), then {@link endNode}. In
   * metrics-only mode this is one inlined function with no listener, property or context for
   * requests answered synchronously: the adapters' fast path. A request whose path is malformed
   * percent-encoding gets 400 instead of `call` (unless `rejectMalformedPaths` is off).
   *
   * @param routeAtEnd reads the route from `req` when the response ends, if nothing set it (for
   * apps that route inside `call`, such as Express).
   */
  wrapNode(
    call: (req: IncomingMessage, res: ServerResponse) => void,
    routeAtEnd?: (req: IncomingMessage) => string | undefined,
  ): (req: IncomingMessage, res: ServerResponse) => void;
  /** The tracker `startNode` or `beginNode` attached to this response (until it ends), or `undefined`. */
  trackerOf(res: ServerResponse): RequestTracker | undefined;
  /** Whether {@link run} does anything (request ids or tracing on); adapters skip it otherwise. */
  readonly contextual: boolean;
}

// The tracker lives on the request (one property per request); `res.req` reaches it from the response.
const kTracker = Symbol('telltale.http.tracker');
type TrackedRequest = IncomingMessage & { [kTracker]?: RequestTracker };
// Read-only fields of node:http's response. `finished` is what the `writableEnded` getter returns
// (node:http sets it in `end()`). It is read as a field because a framework that swaps the response's
// prototype (Express) gives every response its own hidden class, and a getter found three
// prototypes up then costs a full lookup per request. If a Node release drops `finished`,
// the tests of synchronous recording fail (test/adapters/specifics.test.ts, app-wrappers.test.ts);
// without `_contentLength` the conformance suite's sizes do.
type NodeInternals = { _contentLength?: number | null; finished?: boolean };

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
 * The tracker a `startNode` or `beginNode` call attached to this response (until the request is
 * finished), from any instrumentation, or `undefined`. For adapters that learn about a request
 * late, such as an error handler that records the error for the span and the access log.
 *
 * @example
 * ```ts
 * const t = trackerOf(res);
 * if (t) t.error = err;
 * ```
 */
export function trackerOf(res: ServerResponse): RequestTracker | undefined {
  return trackerOfRequest(res.req);
}

/**
 * The tracker a `startNode` or `beginNode` call attached to this request (until the request is
 * finished), or `undefined`. For helpers such as `setRoute(req, route)`.
 *
 * @example
 * ```ts
 * const t = trackerOfRequest(req);
 * if (t) t.route = '/users/:id';
 * ```
 */
export function trackerOfRequest(req: IncomingMessage | undefined): RequestTracker | undefined {
  const t =
    req !== undefined && req === currentReq
      ? currentTracker
      : (req as TrackedRequest | undefined)?.[kTracker];
  return t === undefined || t.ended ? undefined : t;
}

/**
 * The request whose handler is running synchronously right now, and its tracker: adapters set it
 * around the framework's synchronous part ({@link enterRequest}), so `setRoute(req)` and
 * `trackerOf(res)` find the tracker without a property on every request. A request that is still
 * open when its handler returns gets the property (`listen`).
 */
let currentReq: IncomingMessage | undefined;
let currentTracker: RequestTracker | undefined;

/**
 * Makes `t` the current request's tracker for the synchronous part of its handler and
 * returns the previous one, which the caller restores with {@link leaveRequest} in a `finally`
 * (handlers can nest: one server's handler may dispatch to another synchronously).
 */
function enterRequest(req: IncomingMessage, t: RequestTracker): RequestTracker | undefined {
  const prev = currentTracker;
  currentReq = req;
  currentTracker = t;
  return prev;
}

/** Restores what {@link enterRequest} returned. */
function leaveRequest(prev: RequestTracker | undefined): void {
  currentTracker = prev;
  currentReq = prev === undefined ? undefined : (prev.req as IncomingMessage | undefined);
}

/** Finishes on `close`: the tracker goes on the request, where the shared listener finds it. */
function listen(t: RequestTracker, res: ServerResponse): void {
  t.listening = true;
  if (res.req !== undefined) (res.req as TrackedRequest)[kTracker] = t;
  res.on('close', onResponseClose);
}

/**
 * The request body size from `Content-Length`, read from `rawHeaders` (already built by the
 * parser), so `req.headers` is not built for requests nobody else reads it for. 0 without one.
 */
function requestBodyBytes(req: IncomingMessage): number {
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const k = raw[i] as string;
    if (k.length === 14 && (k === 'Content-Length' || k.toLowerCase() === 'content-length')) {
      return contentLength(raw[i + 1]) ?? 0;
    }
  }
  return 0;
}

/** Finishes a node:http request from its response: status and body size read from `res`. */
function finishFromResponse(t: RequestTracker, res: ServerResponse, aborted: boolean): void {
  let status = res.statusCode;
  if (aborted && !res.headersSent) status = CLIENT_CLOSED_STATUS;
  try {
    t.owner.finish(t, status, responseBytesOf(t, res, status), aborted);
  } catch (err) {
    warnRecordError(err);
  }
}

/** The response body size: what the adapter set, else what `res` knows, else `undefined`. */
function responseBytesOf(
  t: RequestTracker,
  res: ServerResponse,
  status: number,
): number | undefined {
  if (t.responseBytes !== undefined) return t.responseBytes;
  // node:http keeps the body length in `_contentLength`: the one it computed for `res.end(body)`,
  // or the `Content-Length` header once the headers are written (`setHeader` or `writeHead`), so
  // one field read answers most requests. Read-only and best-effort: the conformance suite fails
  // if a Node release changes it (sizes would go missing). The header itself is the fallback.
  const known = (res as NodeInternals)._contentLength;
  if (typeof known === 'number' && known >= 0) return known;
  const n = contentLength(res.getHeader('content-length'));
  if (n !== undefined) return n;
  // Bodiless by definition (RFC 9110 sections 6.4.1 and 9.3.2).
  return t.method === 'HEAD' || status === 204 || status === 304 ? 0 : undefined;
}

/**
 * Recording runs where a throw would crash the server (an event listener, a `finally` after the
 * handler). A coded error there comes from a bound the user chose (`onLongLabelValue: 'throw'`
 * and a long route): warn once and keep serving. Anything else is a bug and is rethrown.
 */
function warnRecordError(err: unknown): void {
  if (!(err instanceof TelltaleError)) throw err;
  warnOnce(
    'TT_HTTP_RECORD_FAILED',
    err.code,
    `HTTP instrumentation could not record a request: ${err.message}`,
  );
}

// Shared by every response: reads the tracker through `res.req`, so no closure is created per
// request (house style: resolve once, record many).
function onResponseClose(this: ServerResponse): void {
  const t = (this.req as TrackedRequest | undefined)?.[kTracker];
  if (t === undefined || t.ended) return;
  finishFromResponse(t, this, !this.writableFinished);
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
 * const http = createHttpInstrumentation({ registry, prefix: 'shop_' });
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
  const telemetry = telemetryOption('HTTP instrumentation', options.telemetry);
  const metrics =
    options.metrics === false
      ? undefined
      : createHttpMetrics(options.registry ?? telemetry.registry, options);
  const ignored: IgnoreMatcher = compileIgnore(options.ignore);
  const rejectMalformed = options.rejectMalformedPaths ?? true;
  if (typeof rejectMalformed !== 'boolean') {
    fail(
      'TT_INVALID_OPTION',
      `rejectMalformedPaths must be true or false, got ${String(rejectMalformed)}`,
    );
  }
  const full: FullMode | undefined = createFullMode(options, telemetry);
  const inFlight = metrics?.inFlightHandle;

  /** Starts tracking; `headers` is read only in full mode (request id, traceparent). */
  function open(
    method: string,
    url: string,
    requestBytes: number,
    headers: RequestHeaders | IncomingMessage,
    requestId: string | undefined,
  ): RequestTracker | undefined {
    const path = ignored === undefined && full === undefined ? url : pathOf(url);
    if (ignored?.(path)) return undefined;
    const t = new RequestTracker(method, path, performance.now(), requestBytes, self);
    // `url` may still hold the query string here; only the path is checked.
    if (rejectMalformed && url.indexOf('%') !== -1) t.malformedPath = isMalformedPath(pathOf(url));
    inFlight?.inc();
    if (full !== undefined) {
      full.start(
        t,
        'rawHeaders' in headers ? (headers as IncomingMessage).headers : headers,
        requestId,
      );
    }
    return t;
  }

  const self: HttpInstrumentation = {
    metrics,
    requestIdHeader: full?.requestIdHeader,
    unmatchedRoute,
    contextual: full?.contextual ?? false,
    start(method, url, headers, requestId) {
      const len = headers['content-length'];
      return open(
        method,
        url,
        len === undefined ? 0 : (contentLength(len) ?? 0),
        headers,
        requestId,
      );
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
    trackerOf,
    wrapNode(call, routeAtEnd) {
      if (full !== undefined || metrics === undefined) {
        // Full mode: the general path (request id, span and access log need the whole lifecycle).
        return (req, res) => {
          const t = self.beginNode(req, res, undefined, routeAtEnd);
          if (t === undefined) call(req, res);
          else self.serveNode(t, req, res, () => call(req, res));
        };
      }
      const record = metrics.record;
      const gauge = metrics.inFlightHandle;
      // Metrics only: what beginNode, endNode and finish do, in one function V8 can inline.
      return (req, res) => {
        const path = pathOf(req.url ?? '/');
        if (ignored?.(path)) {
          call(req, res);
          return;
        }
        const t = new RequestTracker(
          req.method ?? '',
          path,
          performance.now(),
          requestBodyBytes(req),
          self,
        );
        t.req = req;
        gauge.inc();
        const prev = enterRequest(req, t);
        try {
          if (rejectMalformed && isMalformedPath(path)) {
            t.malformedPath = true;
            answerMalformedPath(res);
          } else {
            call(req, res);
          }
        } finally {
          leaveRequest(prev);
          // Skipped when the request was finished explicitly, or endNode already listens.
          if (!t.ended && !t.listening) {
            if ((res as NodeInternals).finished === true) {
              t.ended = true;
              const seconds = (performance.now() - t.start) / 1000;
              gauge.dec();
              const status = res.statusCode;
              try {
                if (t.route === undefined && routeAtEnd !== undefined) t.route = routeAtEnd(req);
                record(
                  t.method,
                  t.route ?? unmatchedRoute,
                  status,
                  seconds,
                  t.requestBytes,
                  responseBytesOf(t, res, status),
                );
              } catch (err) {
                warnRecordError(err);
              }
            } else {
              if (routeAtEnd !== undefined)
                t.routeAtEnd = routeAtEnd as (req: unknown) => string | undefined;
              listen(t, res);
            }
          }
        }
      };
    },
    serveNode(t, req, res, fn) {
      const prev = enterRequest(req, t);
      try {
        if (t.malformedPath) answerMalformedPath(res);
        else if (self.contextual) self.run(t, fn);
        else fn();
      } finally {
        leaveRequest(prev);
        // Answered synchronously: recorded now; otherwise when `res` closes.
        self.endNode(t, res);
      }
    },
    beginNode(req, res, url, routeAtEnd, requestId) {
      const t = open(
        req.method ?? '',
        url ?? req.url ?? '/',
        requestBodyBytes(req),
        req,
        requestId,
      );
      if (t === undefined) return undefined;
      t.req = req;
      if (routeAtEnd !== undefined)
        t.routeAtEnd = routeAtEnd as (req: unknown) => string | undefined;
      if (self.requestIdHeader !== undefined && t.requestId !== undefined && !res.headersSent) {
        res.setHeader(self.requestIdHeader as string, t.requestId);
      }
      return t;
    },
    endNode(t, res) {
      if (t.ended || t.listening) return;
      // Answered synchronously: finish now, no listener and no property on the request (most of
      // the cost of a response-end hook).
      if ((res as NodeInternals).finished === true) finishFromResponse(t, res, false);
      else listen(t, res);
    },
    startNode(req, res, url, routeAtEnd, requestId) {
      const t = self.beginNode(req, res, url, routeAtEnd, requestId);
      if (t !== undefined) listen(t, res);
      return t;
    },
  };
  return self;
}
