// Request id resolution for the HTTP adapters: a configurable header name over telltale/trace's resolveRequestId rules.

import { fail } from '../internal/errors.js';
import { REQUEST_ID_HEADER } from '../trace/request-id.js';
import { type Telemetry, telemetryOption } from '../trace/telemetry.js';

/** The default request id header (`x-request-id`). */
export const DEFAULT_REQUEST_ID_HEADER = REQUEST_ID_HEADER;

// RFC 9110 section 5.6.2 token characters.
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** Resolves a header value into a request id; `header` is the lower-case header name it reads. */
export interface RequestIdResolver {
  (value: string | readonly string[] | undefined): string;
  readonly header: string;
}

/**
 * Builds the resolver for one header name, with the telemetry's request-id rules
 * (`telemetry.resolveRequestId`): an incoming id is kept when it is 1–128 characters of
 * `[A-Za-z0-9._:-]` (so it cannot inject CR/LF, quotes or log fields) and the telemetry's
 * `requestId.accept` keeps it; anything else, including an empty or repeated header, gets a new id
 * from the telemetry's `requestId.generate` (a random UUID by default).
 *
 * @param telemetry default `defaultTelemetry()`.
 * @throws TelltaleError `TT_INVALID_OPTION` when `header` is not an HTTP header name, or
 * `telemetry` is not a telemetry.
 * @example
 * ```ts
 * const resolve = createRequestIdResolver('x-request-id');
 * resolve('abc-123'); // 'abc-123'
 * resolve('a\r\nb');  // a new UUID
 * ```
 */
export function createRequestIdResolver(
  header: string = DEFAULT_REQUEST_ID_HEADER,
  telemetry?: Telemetry,
): RequestIdResolver {
  if (typeof header !== 'string' || !HEADER_NAME.test(header)) {
    fail(
      'TT_INVALID_OPTION',
      `requestId.header must be an HTTP header name, got ${String(header)}`,
    );
  }
  const tel = telemetryOption('createRequestIdResolver', telemetry);
  const resolve = (value: string | readonly string[] | undefined): string =>
    tel.resolveRequestId(value);
  return Object.assign(resolve, { header: header.toLowerCase() });
}
