// telltale/express: Express 5, as a middleware or the whole app wrapped; the route label is req.baseUrl + req.route.path, read when the response ends.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ErrorRequestHandler, NextFunction, Request, Response } from 'express';
import type { HttpInstrumentation, HttpInstrumentationOptions } from '../instrument/index.js';
import { fail } from '../internal/errors.js';
import { adapterInstrumentation, trackerOf } from './node.js';

/** Options of {@link telltaleExpress}: the shared HTTP options. */
export type TelltaleExpressOptions = HttpInstrumentationOptions;

/** The middleware; `instrumentation` exposes the metrics. */
export interface TelltaleExpressMiddleware {
  (req: Request, res: Response, next: NextFunction): void;
  /** The shared lifecycle (its `metrics` are the registered instruments). */
  readonly instrumentation: HttpInstrumentation;
}

/**
 * The route template Express matched: the mount path (`req.baseUrl`) joined with the route's own
 * path (`req.route.path`), or `undefined` when no route handled the request (a 404). Read when the
 * response ends, because Express routes after the middleware ran.
 */
export function expressRoute(req: IncomingMessage): string | undefined {
  const r = req as Partial<Request>;
  const route = r.route as { path?: unknown } | undefined;
  if (route === undefined) return undefined;
  const p = route.path;
  const path = typeof p === 'string' ? p : String(p);
  const base = r.baseUrl ?? '';
  if (base === '') return path;
  return path === '/' ? base : base + path;
}

/**
 * Express 5 middleware that measures every request (and, in full mode, sets the request id on the
 * response, runs the rest of the chain inside the request context and span, and writes one
 * access-log line). Mount it first, before the routes.
 *
 * @throws TelltaleError `TT_INVALID_OPTION` for options that are not an object, an unknown option
 * or a bad one (validated once, here).
 * @example
 * ```ts
 * import { telltaleExpress } from 'telltale/express';
 * app.use(telltaleExpress({ registry, requestId: true }));
 * ```
 */
export function telltaleExpress(options: TelltaleExpressOptions = {}): TelltaleExpressMiddleware {
  const node = adapterInstrumentation('telltaleExpress', options);
  const middleware = (req: Request, res: Response, next: NextFunction): void => {
    const t = node.begin(req, res, req.originalUrl, expressRoute);
    if (t === undefined) {
      next();
      return;
    }
    node.serve(t, req, res, next);
  };
  return Object.assign(middleware, { instrumentation: node.instrumentation });
}

/** An Express application (or any `(req, res)` listener that routes like one). */
export type ExpressApp = (req: IncomingMessage, res: ServerResponse) => unknown;

/** A node:http request listener that serves an Express app and measures it. */
export interface InstrumentedExpressApp {
  (req: IncomingMessage, res: ServerResponse): void;
  /** The shared lifecycle (its `metrics` are the registered instruments). */
  readonly instrumentation: HttpInstrumentation;
}

/**
 * Wraps a whole Express app as the server's request listener, instead of mounting
 * {@link telltaleExpress} as a middleware. It records the same metrics, spans and access-log lines
 * with the same labels, but Express does not route through one more layer per request, which is
 * most of what a middleware costs there (docs/http.md, "Cost"). The route is read when the
 * response ends, as with the middleware. {@link telltaleExpressErrors} works with both.
 *
 * @throws TelltaleError `TT_INVALID_OPTION` when `app` is not a function, or for an unknown or bad
 * option.
 * @example
 * ```ts
 * import { instrumentExpress } from 'telltale/express';
 * createServer(instrumentExpress(app, { registry })).listen(8080);
 * ```
 */
export function instrumentExpress(
  app: ExpressApp,
  options: TelltaleExpressOptions = {},
): InstrumentedExpressApp {
  if (typeof app !== 'function') {
    fail('TT_INVALID_OPTION', `instrumentExpress needs the Express app, got ${typeof app}`);
  }
  const node = adapterInstrumentation('instrumentExpress', options);
  const listener = node.wrap((req, res) => {
    app(req, res);
  }, expressRoute);
  return Object.assign(listener, { instrumentation: node.instrumentation });
}

/**
 * Optional Express error middleware that hands a route's error to the span (its status message)
 * and the access log (`error`), then passes it on unchanged to the next error handler (Express's
 * own answers 500). Express has no other way to show middleware an error, so mount it **after**
 * the routes; without it the request is still recorded, with its 500, but without the message.
 *
 * @example
 * ```ts
 * app.use(telltaleExpress({ registry, tracing: true }));
 * app.get('/users/:id', showUser);
 * app.use(telltaleExpressErrors());
 * ```
 */
export function telltaleExpressErrors(): ErrorRequestHandler {
  return (err: unknown, _req: Request, res: Response, next: NextFunction): void => {
    const t = trackerOf(res);
    if (t !== undefined && t.error === undefined) t.error = err;
    next(err);
  };
}
