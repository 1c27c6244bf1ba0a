// Request id resolution for the HTTP adapters: accept a well-formed incoming id, otherwise generate a UUID.

import { randomUUID } from 'node:crypto';
import { fail } from '../internal/errors.js';

/** The default request id header. */
export const DEFAULT_REQUEST_ID_HEADER = 'x-request-id';

// RFC 9110 section 5.6.2 token characters.
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Resolves a header value into a request id; `header` is the lower-case header name it reads. */
export interface RequestIdResolver {
  (value: string | readonly string[] | undefined): string;
  readonly header: string;
}

/**
 * Builds the resolver for one header name: an incoming id is kept when it is 1–128 characters of
 * `[A-Za-z0-9._:-]` (so it cannot inject CR/LF, quotes or log fields); anything else, including an
 * empty or repeated header, gets a new UUID.
 *
 * @throws TelltaleError `TT_INVALID_OPTION` when `header` is not an HTTP header name.
 * @example
 * ```ts
 * const resolve = createRequestIdResolver('x-request-id');
 * resolve('abc-123'); // 'abc-123'
 * resolve('a\r\nb');  // a new UUID
 * ```
 */
export function createRequestIdResolver(
  header: string = DEFAULT_REQUEST_ID_HEADER,
): RequestIdResolver {
  if (typeof header !== 'string' || !HEADER_NAME.test(header)) {
    fail(
      'TT_INVALID_OPTION',
      `requestId.header must be an HTTP header name, got ${String(header)}`,
    );
  }
  const resolve = (value: string | readonly string[] | undefined): string =>
    typeof value === 'string' && ID.test(value) ? value : randomUUID();
  return Object.assign(resolve, { header: header.toLowerCase() });
}
