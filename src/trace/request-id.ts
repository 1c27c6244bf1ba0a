// Request ids: accept a well-formed incoming x-request-id, or generate a UUID.

import { randomUUID } from 'node:crypto';

/** The default request id header, in the lowercase form Node's `req.headers` uses. */
export const REQUEST_ID_HEADER = 'x-request-id';

/** The longest accepted incoming request id, in characters. */
export const MAX_REQUEST_ID_LENGTH = 128;

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Whether `value` may be used as a request id as is: a string of 1–128 characters from
 * `[A-Za-z0-9._:-]`. Everything else (empty, longer, CR/LF, quotes, spaces, non-ASCII, arrays)
 * is refused, so an id can be echoed in a header and written to a log line without escaping.
 *
 * @example
 * ```ts
 * isValidRequestId('req-42');      // true
 * isValidRequestId('a\r\nSet-Cookie: x'); // false
 * ```
 */
export function isValidRequestId(value: unknown): value is string {
  return (
    typeof value === 'string' && value.length <= MAX_REQUEST_ID_LENGTH && REQUEST_ID.test(value)
  );
}

/** Options of {@link resolveRequestId}. */
export interface ResolveRequestIdOptions {
  /** Makes a new id when the incoming one is refused. Default: `crypto.randomUUID()` (a random v4 UUID). */
  readonly generate?: (() => string) | undefined;
}

/**
 * The request id to use for a request: `headerValue` if it is valid ({@link isValidRequestId}),
 * else a newly generated one (a v4 UUID by default). Never throws: any value is accepted as
 * input, and an array (a repeated header) is always replaced.
 *
 * @example
 * ```ts
 * const id = resolveRequestId(req.headers['x-request-id']);
 * res.setHeader('x-request-id', id);
 * ```
 */
export function resolveRequestId(headerValue: unknown, options?: ResolveRequestIdOptions): string {
  if (isValidRequestId(headerValue)) return headerValue;
  const gen = options?.generate;
  return gen === undefined ? randomUUID() : gen();
}
