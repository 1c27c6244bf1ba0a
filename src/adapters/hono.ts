// telltale/hono: Hono 4, as a middleware or the whole app's fetch wrapped (on @hono/node-server or any runtime); the route label is the matched handler's path.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Context, MiddlewareHandler } from 'hono';
import {
  contentLength,
  type HttpInstrumentation,
  type HttpInstrumentationOptions,
  MALFORMED_PATH_BODY,
  MALFORMED_PATH_STATUS,
  type RequestTracker,
  targetOf,
} from '../instrument/index.js';
import { fail } from '../internal/errors.js';
import { adapterInstrumentation, trackerOfRequest } from './node.js';

/** Options of {@link telltaleHono}: the shared HTTP options. */
export type TelltaleHonoOptions = HttpInstrumentationOptions;

/** The middleware; `instrumentation` exposes the metrics. */
export interface TelltaleHonoMiddleware extends MiddlewareHandler {
  /** The shared lifecycle (its `metrics` are the registered instruments). */
  readonly instrumentation: HttpInstrumentation;
}

interface NodeBindings {
  incoming?: IncomingMessage;
  outgoing?: ServerResponse;
}

interface RouteLike {
  path: string;
  handler: { length: number };
}

type RoutedRequest = { readonly matchedRoutes: readonly RouteLike[]; readonly routeIndex: number };

/** Hono's own rule: a middleware takes `(c, next)`, a handler `(c)`. */
function isHandler(r: RouteLike): boolean {
  return r.handler.length < 2;
}

/**
 * The template of the first handler (not middleware) among matched routes, the one that will
 * answer: `items` are the routes themselves (`c.req.matchedRoutes`) or the router's match entries,
 * and `routeOf` picks the route from one.
 */
function firstHandler<T>(items: readonly T[], routeOf: (item: T) => RouteLike): string | undefined {
  for (let i = 0; i < items.length; i++) {
    const r = routeOf(items[i] as T);
    if (isHandler(r)) return r.path;
  }
  return undefined;
}

const itself = (r: RouteLike): RouteLike => r;

/**
 * The route template of the handler that answered, or `undefined` when only middleware ran (Hono's
 * not-found handler answered). Hono's own rule tells the two apart: a middleware takes `(c, next)`,
 * a handler `(c)`. Reads `c.req.matchedRoutes` and `c.req.routeIndex` (what the `hono/route`
 * helpers read); call it after `await next()`.
 *
 * @example
 * ```ts
 * app.use(async (c, next) => { await next(); console.log(honoRoute(c)); }); // '/users/:id'
 * ```
 */
export function honoRoute(c: Context): string | undefined {
  const req = c.req as unknown as RoutedRequest;
  const r = req.matchedRoutes[req.routeIndex];
  return r !== undefined && isHandler(r) ? r.path : undefined;
}

/** The 400 for a path that is malformed percent-encoding (a new Response each time: bodies are read once). */
function malformedPathResponse(): Response {
  return new Response(MALFORMED_PATH_BODY, {
    status: MALFORMED_PATH_STATUS,
    headers: {
      'content-type': 'text/plain; charset=utf-8',
      'content-length': String(MALFORMED_PATH_BODY.length),
    },
  });
}

/**
 * Hono 4 middleware that measures every request (and, in full mode, sets the request id header,
 * runs the rest of the chain inside the request context and span, and writes one access-log line).
 * Register it first, for every path: `app.use('*', …)` or `app.use(…)`.
 *
 * On `@hono/node-server` it reads the node:http request and response from `c.env`, so duration and
 * sizes cover the whole response; on other runtimes it measures until the handler returned its
 * `Response`, and sizes come from `Content-Length`.
 *
 * @throws TelltaleError `TT_INVALID_OPTION` for options that are not an object, an unknown option
 * or a bad one (validated once, here).
 * @example
 * ```ts
 * import { telltaleHono } from 'telltale/hono';
 * app.use(telltaleHono({ registry }));
 * ```
 */
export function telltaleHono(options: TelltaleHonoOptions = {}): TelltaleHonoMiddleware {
  const node = adapterInstrumentation('telltaleHono', options);
  const instr = node.instrumentation;
  const contextual = instr.contextual;
  // One async function per request (Hono's compose awaits it): no second async frame.
  const middleware: MiddlewareHandler = async (c, next) => {
    const env = c.env as NodeBindings | undefined;
    const incoming = env?.incoming;
    const outgoing = env?.outgoing;
    const onNode = incoming !== undefined && outgoing !== undefined;
    // On node:http the response's close event finishes the request (it knows the bytes written
    // and whether the client went away); @hono/node-server writes the Response after this
    // middleware returned, so the listener goes on at the start.
    const t = onNode
      ? node.start(incoming, outgoing)
      : instr.start(c.req.method, targetOf(c.req.url), c.req.raw.headers);
    if (t === undefined) return next();
    const header = instr.requestIdHeader;
    if (header !== undefined && t.requestId !== undefined) c.header(header, t.requestId);
    if (t.malformedPath) {
      // Answered here, never routed: recorded as unmatched (on node:http when the response closes).
      if (!onNode) instr.finish(t, MALFORMED_PATH_STATUS, MALFORMED_PATH_BODY.length);
      return c.text(MALFORMED_PATH_BODY, MALFORMED_PATH_STATUS);
    }
    // Hono has routed already: the first handler among the matched routes is the one that will
    // answer, so the route is known even if the client goes away before the handler returns.
    // (matchedRoutes builds a new array on each read: read once.)
    const req = c.req as unknown as RoutedRequest;
    const routes = req.matchedRoutes;
    t.route = firstHandler(routes, itself);
    try {
      if (contextual) await instr.run(t, next);
      else await next();
    } finally {
      // Then the handler that did answer. When a middleware answered instead (a 401 from an auth
      // middleware), the route it stood in front of stays, as with Fastify.
      const r = routes[req.routeIndex];
      if (r !== undefined && isHandler(r)) t.route = r.path;
      if (c.error !== undefined) t.error = c.error;
      // Elsewhere the Response is all there is.
      if (!onNode) {
        const len = contentLength(c.res.headers.get('content-length') ?? undefined);
        instr.finish(t, c.res.status, len);
      }
    }
  };
  return Object.assign(middleware, { instrumentation: instr });
}

/** What {@link instrumentHono} needs of a Hono app (any `Hono` instance has it). */
export interface HonoApp {
  /** The app's entry point. */
  fetch(request: Request, env?: unknown, executionCtx?: unknown): Response | Promise<Response>;
  /** The app's router: replaced by one that lets telltale see each request's match. */
  router: {
    name: string;
    add(method: string, path: string, handler: unknown): void;
    match(method: string, path: string): unknown;
  };
}

/** A `fetch` for `serve()` (or any runtime) that serves a Hono app and measures it. */
export interface InstrumentedHonoFetch {
  (request: Request, env?: unknown, executionCtx?: unknown): Response | Promise<Response>;
  /** The shared lifecycle (its `metrics` are the registered instruments). */
  readonly instrumentation: HttpInstrumentation;
}

/** The router's result: entries of `[[handler, route], params]`. */
type MatchEntry = readonly [readonly [unknown, RouteLike], unknown];
type Match = readonly [readonly MatchEntry[]];

const routeOfEntry = (e: MatchEntry): RouteLike => e[0][1];
type ErrorHandler = (err: unknown, c: Context) => unknown;

const kObserved = Symbol('telltale.hono.observed');

/** What {@link observe} notes for one app: kept on the app itself, shared by its wrappers. */
interface AppObserver {
  /**
   * What the app's router matched for the request an {@link instrumentHono} `fetch` is
   * dispatching now: `null` while none is (the router notes nothing), `undefined` until the router
   * matched, then the first match (a handler that dispatches another request through the same app
   * synchronously does not overwrite it). Read right after `app.fetch` returns.
   */
  match: Match | undefined | null;
  /** Trackers of requests served without node:http bindings, for the error handler. */
  readonly trackers: WeakMap<Request, RequestTracker>;
}

/** The template of the first handler (not middleware) the router matched. */
function matchedRoute(m: Match | undefined | null): string | undefined {
  return m === undefined || m === null ? undefined : firstHandler(m[0], routeOfEntry);
}

/**
 * Lets every {@link instrumentHono} of `app` see which route matched (a router that passes every
 * call to the app's own) and which error a handler failed with (an `errorHandler` that records it,
 * then calls the app's own, including one set later with `app.onError`). Done once per app; the
 * notes live on the app.
 */
function observe(app: HonoApp): AppObserver {
  const owned = app as HonoApp & { [kObserved]?: AppObserver };
  const existing = owned[kObserved];
  if (existing !== undefined) return existing;
  const state: AppObserver = { match: null, trackers: new WeakMap() };
  const inner = app.router;
  app.router = {
    name: inner.name,
    add: (method, path, handler) => inner.add(method, path, handler),
    match: (method, path) => {
      const m = inner.match(method, path);
      if (state.match === undefined) state.match = m as Match;
      return m;
    },
  };
  owned[kObserved] = state;
  // `errorHandler` is what `app.onError()` sets and what Hono calls for a handler's error. It is
  // private in Hono's types, so it is checked at run time; without it errors still count as 500s.
  const withHandler = app as HonoApp & { errorHandler?: unknown };
  if (typeof withHandler.errorHandler !== 'function') return state;
  let handler = withHandler.errorHandler as ErrorHandler;
  const recording: ErrorHandler = (err, c) => {
    const env = c.env as NodeBindings | undefined;
    const t =
      env?.incoming !== undefined ? trackerOfRequest(env.incoming) : state.trackers.get(c.req.raw);
    if (t !== undefined && t.error === undefined) t.error = err;
    return handler(err, c);
  };
  Object.defineProperty(app, 'errorHandler', {
    configurable: true,
    enumerable: true,
    get: () => recording,
    set: (h: ErrorHandler) => {
      handler = h;
    },
  });
  return state;
}

/** Adds the request id header to a Response (a copy when its headers are immutable). */
function withHeader(res: Response, name: string, value: string): Response {
  try {
    res.headers.set(name, value);
    return res;
  } catch {
    const copy = new Response(res.body, res);
    copy.headers.set(name, value);
    return copy;
  }
}

/**
 * Wraps a whole Hono app as the `fetch` you give `serve()` (or your runtime), instead of
 * registering {@link telltaleHono} as a middleware. It records the same metrics, spans and
 * access-log lines with the same labels, but Hono keeps its fast path for routes without
 * middleware (any middleware makes every request go through Hono's async `compose`), which is
 * most of what the middleware costs (docs/http.md, "Cost").
 *
 * It replaces `app.router` with one that passes every call through, to see the route that
 * matched, and `app.errorHandler` with one that records the error before calling yours (set it
 * with `app.onError` before or after). On `@hono/node-server` the node:http response's close ends
 * the request (bytes written, client aborts); elsewhere the returned `Response` does.
 *
 * @throws TelltaleError `TT_INVALID_OPTION` when `app` is not a Hono app, or for an unknown or bad
 * option.
 * @example
 * ```ts
 * import { serve } from '@hono/node-server';
 * import { instrumentHono } from 'telltale/hono';
 * serve({ fetch: instrumentHono(app, { registry }), port: 8080 });
 * ```
 */
export function instrumentHono(
  app: HonoApp,
  options: TelltaleHonoOptions = {},
): InstrumentedHonoFetch {
  const router = (app as Partial<HonoApp> | null)?.router;
  if (
    typeof app?.fetch !== 'function' ||
    typeof router?.match !== 'function' ||
    typeof router.add !== 'function'
  ) {
    fail('TT_INVALID_OPTION', 'instrumentHono needs a Hono app (new Hono()), with its router');
  }
  const node = adapterInstrumentation('instrumentHono', options);
  const instr = node.instrumentation;
  const observer = observe(app);
  const contextual = instr.contextual;
  const header = instr.requestIdHeader;

  /** Calls `app.fetch` and notes the route the router matched for it on the tracker. */
  function dispatch(t: RequestTracker, request: Request, env: unknown, executionCtx: unknown) {
    const prev = observer.match;
    observer.match = undefined;
    try {
      return contextual
        ? instr.run(t, () => app.fetch(request, env, executionCtx))
        : app.fetch(request, env, executionCtx);
    } finally {
      t.route = matchedRoute(observer.match);
      observer.match = prev;
    }
  }

  /** Ends a request served without node:http bindings when its Response is there. */
  function respond(t: RequestTracker, res: Response): Response {
    instr.finish(t, res.status, contentLength(res.headers.get('content-length') ?? undefined));
    return header !== undefined && t.requestId !== undefined
      ? withHeader(res, header, t.requestId)
      : res;
  }

  function failed(t: RequestTracker, err: unknown): never {
    if (t.error === undefined) t.error = err;
    instr.finish(t, 500, undefined);
    throw err;
  }

  const fetch = (
    request: Request,
    env?: unknown,
    executionCtx?: unknown,
  ): Response | Promise<Response> => {
    const bindings = env as NodeBindings | undefined;
    const incoming = bindings?.incoming;
    const outgoing = bindings?.outgoing;
    if (incoming !== undefined && outgoing !== undefined) {
      // @hono/node-server writes the Response after this returns: the response's close ends it.
      const t = node.start(incoming, outgoing);
      if (t === undefined) return app.fetch(request, env, executionCtx);
      // Never routed: recorded as unmatched when the response closes.
      return t.malformedPath ? malformedPathResponse() : dispatch(t, request, env, executionCtx);
    }
    // Elsewhere (Bun, Deno, workers, app.request()) the Response is all there is.
    // The request's own Headers: request id, traceparent and tracestate through the one reader.
    const t = instr.start(request.method, targetOf(request.url), request.headers);
    if (t === undefined) return app.fetch(request, env, executionCtx);
    if (t.malformedPath) return respond(t, malformedPathResponse());
    observer.trackers.set(request, t);
    let res: Response | Promise<Response>;
    try {
      res = dispatch(t, request, env, executionCtx);
    } catch (err) {
      return failed(t, err);
    }
    if (!(res instanceof Promise)) return respond(t, res);
    return res.then(
      (r) => respond(t, r),
      (err: unknown) => failed(t, err),
    );
  };
  return Object.assign(fetch, { instrumentation: instr });
}
