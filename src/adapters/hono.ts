// telltale/hono: Hono 4 middleware (on @hono/node-server or any runtime); the route label is the matched handler's path, read after next().

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Context, MiddlewareHandler } from 'hono';
import {
  contentLength,
  createHttpInstrumentation,
  type HttpInstrumentation,
  type HttpInstrumentationOptions,
  type RequestHeaders,
} from '../instrument/index.js';

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

/** The template of the first handler (not middleware) among the matched routes: the one that will answer. */
function firstHandler(routes: readonly RouteLike[]): string | undefined {
  for (let i = 0; i < routes.length; i++) {
    const r = routes[i] as RouteLike;
    if (r.handler.length < 2) return r.path;
  }
  return undefined;
}

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
  if (r === undefined || r.handler.length > 1) return undefined;
  return r.path;
}

function fetchHeaders(c: Context, instr: HttpInstrumentation): RequestHeaders {
  const h: Record<string, string | undefined> = {
    'content-length': c.req.header('content-length'),
    traceparent: c.req.header('traceparent'),
  };
  const id = instr.requestIdHeader;
  if (id !== undefined) h[id] = c.req.header(id);
  return h;
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
 * @throws TelltaleError `TT_INVALID_OPTION` for a bad option (validated once, here).
 * @example
 * ```ts
 * import { telltaleHono } from 'telltale/hono';
 * app.use(telltaleHono({ registry }));
 * ```
 */
export function telltaleHono(options: TelltaleHonoOptions = {}): TelltaleHonoMiddleware {
  const instr = createHttpInstrumentation(options);
  const contextual = instr.contextual;
  // One async function per request (Hono's compose awaits it): no second async frame.
  const middleware: MiddlewareHandler = async (c, next) => {
    const env = c.env as NodeBindings | undefined;
    const incoming = env?.incoming;
    const outgoing = env?.outgoing;
    const node = incoming !== undefined && outgoing !== undefined;
    // On node:http the response's close event finishes the request (it knows the bytes written
    // and whether the client went away); @hono/node-server writes the Response after this
    // middleware returned, so the listener goes on at the start.
    const t = node
      ? instr.startNode(incoming, outgoing)
      : instr.start(c.req.method, c.req.path, fetchHeaders(c, instr));
    if (t === undefined) return next();
    const header = instr.requestIdHeader;
    if (header !== undefined && t.requestId !== undefined) c.header(header, t.requestId);
    // Hono has routed already: the first handler among the matched routes is the one that will
    // answer, so the route is known even if the client goes away before the handler returns.
    const req = c.req as unknown as RoutedRequest;
    const routes = req.matchedRoutes;
    t.route = firstHandler(routes);
    try {
      if (contextual) await instr.run(t, next);
      else await next();
    } finally {
      // Then the handler that did answer. When a middleware answered instead (a 401 from an auth
      // middleware), the route it stood in front of stays, as with Fastify.
      const r = routes[req.routeIndex];
      if (r !== undefined && r.handler.length < 2) t.route = r.path;
      if (c.error !== undefined) t.error = c.error;
      // Elsewhere the Response is all there is.
      if (!node) {
        const len = contentLength(c.res.headers.get('content-length') ?? undefined);
        instr.finish(t, c.res.status, len);
      }
    }
  };
  return Object.assign(middleware, { instrumentation: instr });
}
