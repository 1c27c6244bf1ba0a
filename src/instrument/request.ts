// The transport-neutral request core: one request's lifecycle state (started, route known, status known, ended with sizes and error) and the in-flight set a graceful drain waits for.
//
// It imports nothing but internal, so health and lifecycle can build on it without loading the
// HTTP metrics, the logger or tracing.

/**
 * What ends a {@link RequestTracker}: the instrumentation that started it (its metrics, span and
 * access log), whatever transport the request came on.
 */
export interface RequestOwner {
  /**
   * Ends the request: records it with `status`, the response size (`undefined` when unknown) and
   * whether the client went away first. Calling it again for the same tracker does nothing.
   */
  finish(
    tracker: RequestTracker,
    status: number,
    responseBytes: number | undefined,
    aborted?: boolean,
  ): void;
}

/**
 * One request between its start and its end, whatever the transport (node:http, fetch, and next a
 * WebSocket connection or message). Its life has four steps, each a field or a call:
 *
 * 1. **started**: created by the instrumentation's `start` with the method, the path, the start
 *    time and the request size;
 * 2. **route known**: the adapter sets {@link route} once the framework matched one;
 * 3. **status known**: {@link status}, set by the end (or earlier by a transport that knows it
 *    first, such as a WebSocket upgrade);
 * 4. **ended**: `owner.finish(tracker, status, responseBytes, aborted)`, with {@link error} set
 *    when the handler failed. Only once: {@link ended} is then `true`.
 *
 * Adapters set {@link route}, {@link responseBytes} and {@link error}; everything else is read-only
 * for them.
 */
export class RequestTracker {
  /** The route template the framework matched, or `undefined` (recorded as the unmatched value). */
  route: string | undefined = undefined;
  /** The response status, once known (set by the end at the latest). */
  status: number | undefined = undefined;
  /** The response body size when the adapter knows it better than the transport does. */
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
   * 400 instead of running the app.
   */
  malformedPath = false;
  /** Whether the request has ended (see {@link RequestOwner.finish}). */
  ended = false;
  /** @internal full-mode state (context and span), owned by `full.ts`. */
  state: unknown = undefined;
  /** @internal the transport's request object (node:http's `IncomingMessage`), for {@link routeAtEnd}. */
  source: unknown = undefined;
  /** @internal resolves the route at the end, for frameworks that route late (Express). */
  routeAtEnd: ((source: unknown) => string | undefined) | undefined = undefined;
  /**
   * @internal the tracker of another instrumentation on the same transport request, still open
   * when this one started (one adapter inside another); the completion ends it too.
   */
  outer: RequestTracker | undefined = undefined;
  /** @internal a transport completion listener will end this request (node:http: `close`). */
  listening = false;
  /**
   * @internal how the transport's completion ends this request: called with the transport's
   * response object by the one completion listener (see `node-exchange.ts`).
   */
  endFrom: ((tracker: RequestTracker, response: unknown, aborted: boolean) => void) | undefined =
    undefined;
  /** The request method as received. */
  readonly method: string;
  /** The request path, without the query string. */
  readonly path: string;
  /** `performance.now()` when the request started. */
  readonly start: number;
  /** The request body size from `Content-Length` (0 without one). */
  readonly requestBytes: number;
  /** The instrumentation that started the request and ends it. */
  readonly owner: RequestOwner;
  constructor(
    method: string,
    path: string,
    start: number,
    requestBytes: number,
    owner: RequestOwner,
  ) {
    this.method = method;
    this.path = path;
    this.start = start;
    this.requestBytes = requestBytes;
    this.owner = owner;
  }
}

/**
 * The request target (path and query string) of an absolute URL, as a fetch `Request` has it:
 * `'https://example.com/a/b?x=1'` gives `'/a/b?x=1'`.
 *
 * @example
 * ```ts
 * targetOf(request.url); // '/users/7?x=1'
 * ```
 */
export function targetOf(url: string): string {
  const slash = url.indexOf('/', url.indexOf('//') + 2);
  return slash < 0 ? '/' : url.slice(slash);
}

/** Options of {@link createRequestTracking}. */
export interface RequestTrackingOptions<E> {
  /**
   * Asks the transport to close the connection after the request `entry` stands for (node:http:
   * `Connection: close` on a response whose headers are not sent yet). Called for every request in
   * flight when the drain starts, and for every request that starts afterwards. Default: nothing.
   */
  readonly closeAfter?: ((entry: E) => void) | undefined;
  /** Called after each request left, for example to close a connection that became idle. */
  readonly onLeave?: (() => void) | undefined;
}

/**
 * The requests in flight on one server or handler: the one in-flight count a graceful drain
 * waits for. An entry is whatever the transport knows a request by (a node:http response, a fetch
 * `Request`); each enters once when it starts and leaves once when its one completion fires.
 */
export interface RequestTracking<E> {
  /** Requests in flight now. */
  readonly size: number;
  /** Whether {@link drain} was called. */
  readonly draining: boolean;
  /** A request started (while draining, its connection is asked to close after it). */
  enter(entry: E): void;
  /** A request ended. Leaving twice, or without entering, does nothing. */
  leave(entry: E): void;
  /**
   * Starts draining: every request in flight, and every one that starts from now on, is asked to
   * close its connection after it (`closeAfter`). Idempotent.
   */
  drain(): void;
  /** Resolves once no request is in flight (at once when none is). */
  idle(): Promise<void>;
}

/**
 * Creates an in-flight set. The lifecycle keeps one per server it drains and one for fetch
 * handlers; each transport feeds it from its one completion per request.
 *
 * @example
 * ```ts
 * const inFlight = createRequestTracking<ServerResponse>({
 *   closeAfter: (res) => res.headersSent || res.setHeader('Connection', 'close'),
 * });
 * inFlight.enter(res);
 * res.once('close', () => inFlight.leave(res));
 * await inFlight.idle();
 * ```
 */
export function createRequestTracking<E>(
  options: RequestTrackingOptions<E> = {},
): RequestTracking<E> {
  const inFlight = new Set<E>();
  const closeAfter = options.closeAfter;
  const onLeave = options.onLeave;
  let draining = false;
  let waiting: (() => void)[] = [];
  return {
    get size() {
      return inFlight.size;
    },
    get draining() {
      return draining;
    },
    enter(entry) {
      if (draining) closeAfter?.(entry);
      inFlight.add(entry);
    },
    leave(entry) {
      if (!inFlight.delete(entry)) return;
      onLeave?.();
      if (inFlight.size === 0 && waiting.length > 0) {
        const done = waiting;
        waiting = [];
        for (const resolve of done) resolve();
      }
    },
    drain() {
      if (draining) return;
      draining = true;
      if (closeAfter !== undefined) for (const e of inFlight) closeAfter(e);
    },
    idle() {
      if (inFlight.size === 0) return Promise.resolve();
      return new Promise((resolve) => {
        waiting.push(resolve);
      });
    },
  };
}
