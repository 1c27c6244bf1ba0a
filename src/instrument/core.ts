// The transport-neutral HTTP request lifecycle: start (ignore list, malformed paths, in-flight, full-mode context), run, and finish (metrics, span, access log). node:http, fetch, Express, Fastify and Hono all feed it; it imports no transport.

import { fail, TelltaleError, warnOnce } from '../internal/errors.js';
import { checkOptionKeys, checkOptionsObject } from '../internal/option-keys.js';
import type { Registry } from '../metrics/registry.js';
import { type Telemetry, telemetryOption } from '../trace/telemetry.js';
import {
  type AccessLogOptions,
  createFullMode,
  type FullMode,
  type RequestIdOptions,
} from './full.js';
import { contentLength, type HeaderSource } from './headers.js';
import { compileIgnore, type IgnoreMatcher, type IgnoreOption, pathOf } from './ignore.js';
import { isMalformedPath } from './malformed.js';
import {
  HTTP_METRICS_OPTIONS,
  type HttpMetrics,
  type HttpMetricsOptions,
  httpMetrics,
} from './metrics.js';
import { type RequestOwner, RequestTracker } from './request.js';

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

/**
 * Every key of {@link HttpInstrumentationOptions}: `createHttpInstrumentation` and every adapter
 * whose options are these (`createNodeInstrumentation`, Express, Hono) refuse any other.
 */
export const HTTP_INSTRUMENTATION_OPTIONS = [
  ...HTTP_METRICS_OPTIONS,
  'telemetry',
  'metrics',
  'unmatchedRoute',
  'ignore',
  'rejectMalformedPaths',
  'requestId',
  'tracing',
  'accessLog',
] as const;

/** What the message of an options argument that is not an object shows as a valid one. */
export const HTTP_OPTIONS_EXAMPLE = '{ registry, requestId: true }';

/**
 * The shared request lifecycle every adapter drives, whatever the transport: {@link start} when a
 * request arrives, `tracker.route` once the framework matched one, {@link run} around the handler,
 * {@link finish} with the status and sizes. Create it with {@link createHttpInstrumentation}.
 *
 * The node:http binding (the response's `close`, sizes read from the response) is the node
 * adapter's (`telltale/node-http`'s `createNodeInstrumentation`); fetch runtimes call
 * {@link start} with the `Request`'s headers and {@link finish} with the `Response`.
 */
export interface HttpInstrumentation extends RequestOwner {
  /** The HTTP metrics, or `undefined` with `metrics: false`. */
  readonly metrics: HttpMetrics | undefined;
  /** The lower-case request id header name, or `undefined` when request ids are off. */
  readonly requestIdHeader: string | undefined;
  /** The `route` label of unmatched requests. */
  readonly unmatchedRoute: string;
  /** The compiled ignore list (`undefined` when nothing is ignored). */
  readonly ignored: IgnoreMatcher;
  /** Whether a malformed percent-encoded path is answered 400 (`rejectMalformedPaths`). */
  readonly rejectMalformedPaths: boolean;
  /** Whether any full-mode feature is on (request ids, tracing or the access log). */
  readonly fullMode: boolean;
  /**
   * Whether {@link run} does anything and {@link start} reads the request's headers (request ids
   * or tracing on); adapters skip both otherwise.
   */
  readonly contextual: boolean;
  /**
   * Starts tracking a request. Returns `undefined` for an ignored path (nothing is recorded for it
   * and {@link finish} must not be called). Increments the in-flight gauge; in full mode reads the
   * request id, `traceparent` and `tracestate` from `headers` (with `readTraceHeaders`) and starts
   * the server span. When the path is malformed percent-encoding (and `rejectMalformedPaths` is
   * on) the tracker's `malformedPath` is set: the caller answers 400 instead of running the app.
   *
   * @param target the request target (`/users/7?x=1`); the query string is never recorded.
   * @param headers the request's headers: a fetch `Headers`, or `recordHeaders(req.headers)`.
   * Only read in full mode and for the request size; may be omitted when {@link contextual} is
   * false and `requestBytes` is given.
   * @param requestBytes the request body size, when the transport knows it without the headers;
   * default: the `content-length` header, else 0.
   * @param requestId an id the framework already resolved with the same rules (Fastify's
   * `genReqId`), used instead of resolving the header again.
   */
  start(
    method: string,
    target: string,
    headers?: HeaderSource,
    requestBytes?: number,
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
}

/**
 * Recording runs where a throw would crash the server (an event listener, a `finally` after the
 * handler). A coded error there comes from a bound the user chose (`onLongLabelValue: 'throw'`
 * and a long route): warn once and keep serving. Anything else is a bug and is rethrown.
 *
 * @throws the error itself when it is not a `TelltaleError`.
 * @example
 * ```ts
 * try { http.finish(t, status, bytes); } catch (err) { warnRecordError(err); }
 * ```
 */
export function warnRecordError(err: unknown): void {
  if (!(err instanceof TelltaleError)) throw err;
  warnOnce(
    'TT_HTTP_RECORD_FAILED',
    err.code,
    `HTTP instrumentation could not record a request: ${err.message}`,
  );
}

/**
 * Creates the shared request lifecycle that every adapter drives, on any transport. Adapters are
 * thin: they call {@link HttpInstrumentation.start} when a request arrives, set `tracker.route`
 * when the framework has matched one, run the handler through {@link HttpInstrumentation.run}, and
 * call {@link HttpInstrumentation.finish} when the response is complete (on node:http, the node
 * adapter's binding does it from the response's `close`, or at once for a response that ended
 * synchronously).
 *
 * Options are validated here, once.
 *
 * @throws TelltaleError `TT_INVALID_OPTION` for options that are not an object, an unknown option
 * (here or in `requestId` and `accessLog`) or a bad one; the registry's codes for bad metric
 * options.
 * @example
 * ```ts
 * const http = createHttpInstrumentation({ registry, prefix: 'shop_' });
 * const t = http.start(request.method, targetOf(request.url), request.headers);
 * if (t) t.route = '/users/:id';
 * // … when the Response is ready:
 * if (t) http.finish(t, response.status, contentLength(response.headers.get('content-length')));
 * ```
 */
export function createHttpInstrumentation(
  options: HttpInstrumentationOptions = {},
): HttpInstrumentation {
  const where = 'createHttpInstrumentation';
  checkOptionsObject(where, options, HTTP_OPTIONS_EXAMPLE);
  checkOptionKeys(where, options, HTTP_INSTRUMENTATION_OPTIONS);
  return httpInstrumentation(where, options);
}

/**
 * @internal {@link createHttpInstrumentation} for options that factory `where` (an adapter) has
 * checked already, the object and its keys: `where` names it in errors.
 */
export function httpInstrumentation(
  where: string,
  options: HttpInstrumentationOptions,
): HttpInstrumentation {
  const unmatchedRoute = options.unmatchedRoute ?? DEFAULT_UNMATCHED_ROUTE;
  if (typeof unmatchedRoute !== 'string' || unmatchedRoute === '') {
    fail(
      'TT_INVALID_OPTION',
      `${where}: unmatchedRoute must be a non-empty string, got ${String(unmatchedRoute)}`,
    );
  }
  const telemetry = telemetryOption(where, options.telemetry);
  const metrics =
    options.metrics === false
      ? undefined
      : httpMetrics(
          where,
          options.registry === undefined ? telemetry.registry : options.registry,
          options,
        );
  const ignored: IgnoreMatcher = compileIgnore(options.ignore);
  const rejectMalformed = options.rejectMalformedPaths ?? true;
  if (typeof rejectMalformed !== 'boolean') {
    fail(
      'TT_INVALID_OPTION',
      `${where}: rejectMalformedPaths must be true or false, got ${String(rejectMalformed)}`,
    );
  }
  const full: FullMode | undefined = createFullMode(where, options, telemetry);
  const inFlight = metrics?.inFlightHandle;
  const contextual = full?.contextual ?? false;

  const self: HttpInstrumentation = {
    metrics,
    requestIdHeader: full?.requestIdHeader,
    unmatchedRoute,
    ignored,
    rejectMalformedPaths: rejectMalformed,
    fullMode: full !== undefined,
    contextual,
    start(method, target, headers, requestBytes, requestId) {
      const path = ignored === undefined && full === undefined ? target : pathOf(target);
      if (ignored?.(path)) return undefined;
      const bytes =
        requestBytes ??
        (headers === undefined ? 0 : (contentLength(headers.get('content-length')) ?? 0));
      const t = new RequestTracker(method, path, performance.now(), bytes, self);
      // `target` may still hold the query string here; only the path is checked.
      if (rejectMalformed && target.indexOf('%') !== -1) {
        t.malformedPath = isMalformedPath(pathOf(target));
      }
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
      t.status = status;
      const ms = performance.now() - t.start;
      if (t.route === undefined && t.routeAtEnd !== undefined) t.route = t.routeAtEnd(t.source);
      const route = t.route ?? unmatchedRoute;
      if (metrics !== undefined) {
        inFlight?.dec();
        metrics.record(t.method, route, status, ms / 1000, t.requestBytes, responseBytes);
      }
      if (full !== undefined) full.finish(t, route, status, ms, responseBytes, aborted);
    },
  };
  return self;
}
