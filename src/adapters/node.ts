// The node:http binding of the request core, shared by the node:http, Express, Fastify and Hono (on @hono/node-server) adapters: the only place that reads node:http internals.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { attachTracker, endOnClose, trackerOn } from '../instrument/completion.js';
import {
  HTTP_INSTRUMENTATION_OPTIONS,
  HTTP_OPTIONS_EXAMPLE,
  httpInstrumentation,
  warnRecordError,
} from '../instrument/core.js';
import {
  CLIENT_CLOSED_STATUS,
  contentLength,
  type HttpInstrumentation,
  type HttpInstrumentationOptions,
  isMalformedPath,
  MALFORMED_PATH_BODY,
  MALFORMED_PATH_STATUS,
  pathOf,
  type RequestTracker,
  recordHeaders,
} from '../instrument/index.js';
import { RequestTracker as Tracker } from '../instrument/request.js';
import { checkOptionKeys, checkOptionsObject } from '../internal/option-keys.js';

// Read-only fields of node:http's response. `finished` is what the `writableEnded` getter returns
// (node:http sets it in `end()`). It is read as a field because a framework that swaps the response's
// prototype (Express) gives every response its own hidden class, and a getter found three
// prototypes up then costs a full lookup per request. If a Node release drops `finished`,
// the tests of synchronous recording fail (test/adapters/specifics.test.ts, app-wrappers.test.ts);
// without `_contentLength` the conformance suite's sizes do.
type NodeInternals = { _contentLength?: number | null; finished?: boolean };

/**
 * Starts tracking a node:http request ({@link NodeInstrumentation.start},
 * {@link NodeInstrumentation.begin}). Returns `undefined` for an ignored path.
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

/**
 * The request core bound to node:http: a request starts from its `IncomingMessage` and ends when
 * its `ServerResponse` has ended (at once when the handler answered synchronously, otherwise on the
 * response's `close`, the one completion listener the lifecycle shares), with the status and body
 * size read from the response. Create it with {@link createNodeInstrumentation}.
 */
export interface NodeInstrumentation {
  /** The transport-neutral lifecycle underneath (its `metrics` are the registered instruments). */
  readonly instrumentation: HttpInstrumentation;
  /**
   * Starts tracking a request and finishes it when `res` closes (status and size read from
   * `res`); in full mode echoes the request id on `res`. Adapters that know when the framework's
   * synchronous part returns use {@link begin} and {@link end} instead, which skip the listener for
   * responses that ended by then.
   */
  start: NodeStart;
  /**
   * Like {@link start}, but the end is left to {@link end}, which the caller must call (in a
   * `finally`) once the framework's synchronous part has returned; {@link serve} does both.
   */
  begin: NodeStart;
  /**
   * Ends what {@link begin} started: when `res` has already ended (the handler answered
   * synchronously), the request is finished now, with the status and size read from `res` and the
   * duration up to this call; otherwise it is finished when `res` closes. Calling it again, or for
   * a finished request, does nothing.
   */
  end(tracker: RequestTracker, res: ServerResponse): void;
  /**
   * Runs `fn`, the framework's synchronous part, for a request {@link begin} started: inside the
   * request context in full mode, then {@link end} (in a `finally`). What the Express and Fastify
   * middleware do per request. For a tracker with `malformedPath` it answers 400 instead of calling
   * `fn`.
   */
  serve(tracker: RequestTracker, req: IncomingMessage, res: ServerResponse, fn: () => void): void;
  /**
   * Wraps a node:http request listener: {@link begin}, `call` (the synchronous part of the
   * handler), then {@link end}. In metrics-only mode this is one inlined function with no listener
   * and no context for requests answered synchronously: the adapters' fast path. A request whose
   * path is malformed percent-encoding gets 400 instead of `call` (unless `rejectMalformedPaths`
   * is off).
   *
   * @param routeAtEnd reads the route from `req` when the response ends, if nothing set it (for
   * apps that route inside `call`, such as Express).
   */
  wrap(
    call: (req: IncomingMessage, res: ServerResponse) => void,
    routeAtEnd?: (req: IncomingMessage) => string | undefined,
  ): (req: IncomingMessage, res: ServerResponse) => void;
}

/**
 * The tracker of a request that a node:http binding is tracking (until the request is finished),
 * or `undefined`. For helpers such as `setRoute(req, route)`.
 *
 * @example
 * ```ts
 * const t = trackerOfRequest(req);
 * if (t) t.route = '/users/:id';
 * ```
 */
export function trackerOfRequest(req: IncomingMessage | undefined): RequestTracker | undefined {
  let t = trackerOn(req);
  while (t?.ended) t = t.outer;
  return t;
}

/**
 * The tracker of the request this response answers (until the request is finished), or
 * `undefined`. For adapters that learn about a request late, such as an error handler that records
 * the error for the span and the access log.
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
 * Answers a request with a malformed path on a node:http response: 400, `Bad Request` as plain
 * text (headers set earlier, such as the request id, are kept). Does nothing once headers went out.
 *
 * @example
 * ```ts
 * if (tracker.malformedPath) return answerMalformedPath(res);
 * ```
 */
export function answerMalformedPath(res: ServerResponse): void {
  if (res.headersSent) return;
  res.statusCode = MALFORMED_PATH_STATUS;
  res.setHeader('content-type', 'text/plain; charset=utf-8');
  res.setHeader('content-length', MALFORMED_PATH_BODY.length);
  res.end(MALFORMED_PATH_BODY);
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
 * Finishes a node:http request from its response: status and body size read from `res`. The
 * tracker's `endFrom`, called by the one completion listener of the response (`close`).
 */
function finishFromResponse(t: RequestTracker, response: unknown, aborted: boolean): void {
  const res = response as ServerResponse;
  let status = res.statusCode;
  if (aborted && !res.headersSent) status = CLIENT_CLOSED_STATUS;
  try {
    t.owner.finish(t, status, responseBytesOf(t, res, status), aborted);
  } catch (err) {
    warnRecordError(err);
  }
}

/**
 * Binds the request core to node:http: creates the instrumentation (options validated once, here)
 * and the per-request entry points the node adapters share. For another node:http framework,
 * wrap its synchronous part with `serve`, or its whole listener with `wrap`.
 *
 * @throws TelltaleError `TT_INVALID_OPTION` for options that are not an object, an unknown
 * option or a bad one; the registry's codes for bad metric options.
 * @example
 * ```ts
 * const node = createNodeInstrumentation({ registry });
 * server.on('request', node.wrap((req, res) => app.handle(req, res)));
 * ```
 */
export function createNodeInstrumentation(
  options: HttpInstrumentationOptions = {},
): NodeInstrumentation {
  return adapterInstrumentation('createNodeInstrumentation', options);
}

/**
 * @internal The node:http instrumentation of an adapter whose options are exactly
 * {@link HttpInstrumentationOptions} (`createNodeInstrumentation`, Express, Hono): the options
 * object and its keys are checked here, errors name `where`.
 */
export function adapterInstrumentation(
  where: string,
  options: HttpInstrumentationOptions,
): NodeInstrumentation {
  checkOptionsObject(where, options, HTTP_OPTIONS_EXAMPLE);
  checkOptionKeys(where, options, HTTP_INSTRUMENTATION_OPTIONS);
  return bindNode(httpInstrumentation(where, options));
}

/**
 * @internal Binds an instrumentation to node:http, for the adapters whose options have keys of
 * their own (`instrumentHandler`'s `logger`, Fastify's register options): they check the keys,
 * then build `instr` with `httpInstrumentation`.
 */
export function bindNode(instr: HttpInstrumentation): NodeInstrumentation {
  const contextual = instr.contextual;
  const header = instr.requestIdHeader;

  const begin: NodeStart = (req, res, url, routeAtEnd, requestId) => {
    const t = instr.start(
      req.method ?? '',
      url ?? req.url ?? '/',
      // Headers are read only for the request id and trace (full mode).
      contextual ? recordHeaders(req.headers) : undefined,
      requestBodyBytes(req),
      requestId,
    );
    if (t === undefined) return undefined;
    t.source = req;
    attachTracker(req, t);
    if (routeAtEnd !== undefined) {
      t.routeAtEnd = routeAtEnd as (source: unknown) => string | undefined;
    }
    if (header !== undefined && t.requestId !== undefined && !res.headersSent) {
      res.setHeader(header, t.requestId);
    }
    return t;
  };

  const end = (t: RequestTracker, res: ServerResponse): void => {
    if (t.ended || t.listening) return;
    // Answered synchronously: finish now, no listener (most of the cost of a response-end hook).
    if ((res as NodeInternals).finished === true) finishFromResponse(t, res, false);
    else endOnClose(t, res, finishFromResponse);
  };

  const serve = (
    t: RequestTracker,
    _req: IncomingMessage,
    res: ServerResponse,
    fn: () => void,
  ): void => {
    try {
      if (t.malformedPath) answerMalformedPath(res);
      else if (contextual) instr.run(t, fn);
      else fn();
    } finally {
      // Answered synchronously: recorded now; otherwise when `res` closes.
      end(t, res);
    }
  };

  const start: NodeStart = (req, res, url, routeAtEnd, requestId) => {
    const t = begin(req, res, url, routeAtEnd, requestId);
    if (t !== undefined) endOnClose(t, res, finishFromResponse);
    return t;
  };

  const wrap: NodeInstrumentation['wrap'] = (call, routeAtEnd) => {
    const metrics = instr.metrics;
    if (instr.fullMode || metrics === undefined) {
      // Full mode: the general path (request id, span and access log need the whole lifecycle).
      return (req, res) => {
        const t = begin(req, res, undefined, routeAtEnd);
        if (t === undefined) call(req, res);
        else serve(t, req, res, () => call(req, res));
      };
    }
    const record = metrics.record;
    const gauge = metrics.inFlightHandle;
    const ignored = instr.ignored;
    const rejectMalformed = instr.rejectMalformedPaths;
    const unmatched = instr.unmatchedRoute;
    // Metrics only: what begin, end and finish do, in one function V8 can inline.
    return (req, res) => {
      const path = pathOf(req.url ?? '/');
      if (ignored?.(path)) {
        call(req, res);
        return;
      }
      const t = new Tracker(
        req.method ?? '',
        path,
        performance.now(),
        requestBodyBytes(req),
        instr,
      );
      t.source = req;
      attachTracker(req, t);
      gauge.inc();
      try {
        if (rejectMalformed && isMalformedPath(path)) {
          t.malformedPath = true;
          answerMalformedPath(res);
        } else {
          call(req, res);
        }
      } finally {
        // Skipped when the request was finished explicitly, or a listener already waits for it.
        if (!t.ended && !t.listening) {
          if ((res as NodeInternals).finished === true) {
            t.ended = true;
            const seconds = (performance.now() - t.start) / 1000;
            gauge.dec();
            const status = res.statusCode;
            t.status = status;
            try {
              if (t.route === undefined && routeAtEnd !== undefined) t.route = routeAtEnd(req);
              record(
                t.method,
                t.route ?? unmatched,
                status,
                seconds,
                t.requestBytes,
                responseBytesOf(t, res, status),
              );
            } catch (err) {
              warnRecordError(err);
            }
          } else {
            if (routeAtEnd !== undefined) {
              t.routeAtEnd = routeAtEnd as (source: unknown) => string | undefined;
            }
            endOnClose(t, res, finishFromResponse);
          }
        }
      }
    };
  };

  return { instrumentation: instr, start, begin, end, serve, wrap };
}
