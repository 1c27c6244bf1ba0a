// The one request-header reader of every transport: request id, traceparent and tracestate, over a "get a header by its lower-case name" interface that node:http's headers and a fetch Headers both feed.

/**
 * Gets one request header by its lower-case name; `undefined` or `null` when the request has none.
 * A fetch `Headers` is one as it is (its `get` joins repeated headers with `, `);
 * {@link recordHeaders} makes one of node:http's `req.headers`.
 *
 * @example
 * ```ts
 * const a: HeaderSource = request.headers;             // fetch
 * const b: HeaderSource = recordHeaders(req.headers);  // node:http
 * ```
 */
export interface HeaderSource {
  get(name: string): string | null | undefined;
}

/** Request headers as node:http gives them (`req.headers`: lower-case names). */
export type RequestHeaders = Readonly<Record<string, string | readonly string[] | undefined>>;

/** The headers of a request's trace and id, as the transports read them (raw values, unchecked). */
export interface RequestTraceHeaders {
  /** The request id header's value, or `undefined` when request ids are off or it is absent. */
  readonly requestId: string | undefined;
  /** The W3C `traceparent` header's value. */
  readonly traceparent: string | undefined;
  /** The W3C `tracestate` header's value (repeated headers joined with `,`, as the spec allows). */
  readonly tracestate: string | undefined;
}

class RecordHeaders implements HeaderSource {
  readonly #record: RequestHeaders;
  constructor(record: RequestHeaders) {
    this.#record = record;
  }
  get(name: string): string | undefined {
    const v = this.#record[name];
    // node:http joins repeated headers with ", " itself, except the few it keeps as arrays
    // (set-cookie): joined the same way, as fetch's Headers does.
    return typeof v === 'string' || v === undefined ? v : v.join(', ');
  }
}

/**
 * A {@link HeaderSource} over a record of lower-case header names, such as node:http's
 * `req.headers` (`IncomingHttpHeaders`). An array value (a header node:http keeps repeated) reads
 * as its values joined with `, `, as a fetch `Headers` reads it.
 *
 * @example
 * ```ts
 * recordHeaders({ traceparent: '00-…-01' }).get('traceparent'); // '00-…-01'
 * ```
 */
export function recordHeaders(record: RequestHeaders): HeaderSource {
  return new RecordHeaders(record);
}

function read(source: HeaderSource, name: string): string | undefined {
  const v = source.get(name);
  return v === null ? undefined : v;
}

/**
 * Reads a request's id (under `requestIdHeader`, lower-case; skipped when `undefined`),
 * `traceparent` and `tracestate`: the one reader every adapter uses, so each header reaches the
 * request context the same way on node:http and on fetch runtimes. Values are returned raw; the
 * trace module validates them (an invalid id is replaced, an invalid `traceparent` starts a new
 * trace and drops `tracestate`).
 *
 * @example
 * ```ts
 * readTraceHeaders(request.headers, 'x-request-id');
 * // { requestId: 'abc', traceparent: '00-…-01', tracestate: 'vendor=1' }
 * ```
 */
export function readTraceHeaders(
  source: HeaderSource,
  requestIdHeader: string | undefined,
): RequestTraceHeaders {
  return {
    requestId: requestIdHeader === undefined ? undefined : read(source, requestIdHeader),
    traceparent: read(source, 'traceparent'),
    tracestate: read(source, 'tracestate'),
  };
}

/**
 * Reads a `Content-Length` header value as a byte count, or `undefined` when it is absent or not
 * a non-negative integer.
 *
 * @example
 * ```ts
 * contentLength('512'); // 512
 * contentLength(request.headers.get('content-length')); // undefined without one
 * ```
 */
export function contentLength(
  v: number | string | readonly string[] | null | undefined,
): number | undefined {
  if (typeof v === 'number') return v >= 0 ? v : undefined;
  if (typeof v !== 'string') return undefined;
  const n = Number(v);
  return Number.isInteger(n) && n >= 0 ? n : undefined;
}
