// telltale/node-http: instruments a plain node:http request listener; the app names the matched route with setRoute().

import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  HTTP_INSTRUMENTATION_OPTIONS,
  HTTP_OPTIONS_EXAMPLE,
  httpInstrumentation,
} from '../instrument/core.js';
import type { HttpInstrumentation, HttpInstrumentationOptions } from '../instrument/index.js';
import { defaultLogger, type MinimalLogger } from '../internal/logger.js';
import { checkOptionKeys, checkOptionsObject } from '../internal/option-keys.js';
import { bindNode, trackerOfRequest } from './node.js';

export {
  answerMalformedPath,
  createNodeInstrumentation,
  type NodeInstrumentation,
  type NodeStart,
  trackerOf,
  trackerOfRequest,
} from './node.js';

/** A node:http request listener, sync or async. */
export type NodeHandler = (req: IncomingMessage, res: ServerResponse) => unknown;

/** Options of {@link instrumentHandler}: the shared HTTP options plus where handler errors go. */
export interface NodeHttpOptions extends HttpInstrumentationOptions {
  /**
   * Where a handler that throws or rejects is reported (`error`, with the error and the request
   * id). Default: one line on stderr.
   */
  readonly logger?: Pick<MinimalLogger, 'error'>;
}

/** Every key of {@link NodeHttpOptions}: `instrumentHandler` refuses any other. */
const NODE_HTTP_OPTIONS = [...HTTP_INSTRUMENTATION_OPTIONS, 'logger'] as const;

/** An instrumented listener; `instrumentation` exposes the metrics for tests and dashboards. */
export interface InstrumentedHandler {
  (req: IncomingMessage, res: ServerResponse): void;
  /** The shared lifecycle (its `metrics` are the registered instruments). */
  readonly instrumentation: HttpInstrumentation;
}

/**
 * Names the route template that matched this request, such as `'/users/:id'`. Call it from your
 * router before (or while) answering; a request that never gets a route is recorded as unmatched.
 * Never pass the raw path: the route is a label, and label values must be few.
 *
 * Does nothing for a request that {@link instrumentHandler} did not track (an ignored path).
 *
 * @example
 * ```ts
 * const m = /^\/users\/([^/]+)$/.exec(req.url);
 * if (m) { setRoute(req, '/users/:id'); return showUser(res, m[1]); }
 * ```
 */
export function setRoute(req: IncomingMessage, route: string): void {
  // Every instrumentation still tracking the request (one handler wrapped in another) gets it.
  for (let t = trackerOfRequest(req); t !== undefined; t = t.outer) {
    if (!t.ended) t.route = route;
  }
}

/**
 * The request id of a tracked request (full mode with `requestId`), or `undefined`.
 *
 * @example
 * ```ts
 * res.end(JSON.stringify({ error: 'not found', request_id: requestIdOf(req) }));
 * ```
 */
export function requestIdOf(req: IncomingMessage): string | undefined {
  return trackerOfRequest(req)?.requestId;
}

function failed(
  err: unknown,
  req: IncomingMessage,
  res: ServerResponse,
  logger: Pick<MinimalLogger, 'error'>,
): void {
  const t = trackerOfRequest(req);
  if (t !== undefined) t.error = err;
  const fields: Record<string, unknown> = { err, method: req.method, path: t?.path ?? req.url };
  if (t?.requestId !== undefined) fields.request_id = t.requestId;
  logger.error(fields, 'HTTP handler failed');
  if (!res.headersSent) {
    res.statusCode = 500;
    res.setHeader('content-type', 'text/plain; charset=utf-8');
    res.setHeader('content-length', 21);
    res.end('Internal Server Error');
  } else if (!res.writableEnded) {
    res.destroy(err instanceof Error ? err : undefined);
  }
}

function invoke(
  handler: NodeHandler,
  req: IncomingMessage,
  res: ServerResponse,
  logger: Pick<MinimalLogger, 'error'>,
): void {
  try {
    const r = handler(req, res) as { then?: unknown } | undefined;
    if (r !== null && typeof r === 'object' && typeof r.then === 'function') {
      (r as PromiseLike<unknown>).then(undefined, (err: unknown) => failed(err, req, res, logger));
    }
  } catch (err) {
    failed(err, req, res, logger);
  }
}

/**
 * Wraps a node:http request listener so every request is measured (and, in full mode, gets a
 * request id, a span and an access-log line). A handler that throws or rejects gets a 500 (if
 * nothing was sent yet) and an `error` log line instead of crashing the process.
 *
 * The route label comes from {@link setRoute}; without it a request is recorded as unmatched.
 *
 * @throws TelltaleError `TT_INVALID_OPTION` for options that are not an object, an unknown option
 * or a bad one (validated once, here).
 * @example
 * ```ts
 * import { instrumentHandler, setRoute } from 'telltale/node-http';
 * createServer(instrumentHandler((req, res) => { setRoute(req, '/hello'); res.end('hi'); }, { registry })).listen(8080);
 * ```
 */
export function instrumentHandler(
  handler: NodeHandler,
  options: NodeHttpOptions = {},
): InstrumentedHandler {
  const where = 'instrumentHandler';
  checkOptionsObject(where, options, HTTP_OPTIONS_EXAMPLE);
  checkOptionKeys(where, options, NODE_HTTP_OPTIONS);
  const node = bindNode(httpInstrumentation(where, options));
  const logger = options.logger ?? defaultLogger;
  const listener = node.wrap((req, res) => invoke(handler, req, res, logger));
  return Object.assign(listener, { instrumentation: node.instrumentation });
}
