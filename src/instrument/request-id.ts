// Request id resolution for the HTTP adapters: a configurable header name over telltale/trace's resolveRequestId rules.

import { fail } from '../internal/errors.js';
import { checkOptionKeys, checkOptionsObject } from '../internal/option-keys.js';
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

/** Options of {@link createRequestIdResolver}. Every one is optional and validated at construction. */
export interface RequestIdResolverOptions {
  /** The header the id is read from, any case (kept lower-case). Default `'x-request-id'`. */
  readonly header?: string | undefined;
  /**
   * Whose request-id rules apply (`requestId.generate`, `requestId.accept`). Default:
   * `defaultTelemetry()`.
   */
  readonly telemetry?: Telemetry | undefined;
}

/** Every key of {@link RequestIdResolverOptions}: `createRequestIdResolver` refuses any other. */
const REQUEST_ID_RESOLVER_OPTIONS = ['header', 'telemetry'] as const;

/**
 * Builds the resolver for one header name, with the telemetry's request-id rules
 * (`telemetry.resolveRequestId`): an incoming id is kept when it is 1–128 characters of
 * `[A-Za-z0-9._:-]` (so it cannot inject CR/LF, quotes or log fields) and the telemetry's
 * `requestId.accept` keeps it; anything else, including an empty or repeated header, gets a new id
 * from the telemetry's `requestId.generate` (a random UUID by default).
 *
 * Defaults: `header: 'x-request-id'`, `telemetry: defaultTelemetry()`.
 *
 * @throws TelltaleError `TT_INVALID_OPTION` when `options` is not an object (the header string of
 * before issue 12, `createRequestIdResolver('x-id')`, included: pass `{ header }`), has a key
 * other than `header` and `telemetry`, `header` is not an HTTP header name, or `telemetry` is not
 * a telemetry.
 * @example
 * ```ts
 * const resolve = createRequestIdResolver({ header: 'x-correlation-id', telemetry });
 * resolve('abc-123'); // 'abc-123'
 * resolve('a\r\nb');  // a new UUID
 * ```
 */
export function createRequestIdResolver(options: RequestIdResolverOptions = {}): RequestIdResolver {
  const where = 'createRequestIdResolver';
  if (typeof options === 'string') {
    // The positional form of before issue 12 (`createRequestIdResolver(header, telemetry)`).
    fail(
      'TT_INVALID_OPTION',
      `${where}: takes one options object; pass the header as ${where}({ header: ${JSON.stringify(options)} })`,
    );
  }
  checkOptionsObject(where, options, "{ header: 'x-request-id', telemetry }");
  checkOptionKeys(where, options, REQUEST_ID_RESOLVER_OPTIONS);
  return requestIdResolver(where, 'header', options.header, options.telemetry);
}

/**
 * @internal {@link createRequestIdResolver} for the factories that take the header and telemetry
 * in options of their own: `where` names the factory and `option` the header's option
 * (`requestId.header`) in errors.
 */
export function requestIdResolver(
  where: string,
  option: string,
  header: string | undefined,
  telemetry: Telemetry | undefined,
): RequestIdResolver {
  const name = header ?? DEFAULT_REQUEST_ID_HEADER;
  if (typeof name !== 'string' || !HEADER_NAME.test(name)) {
    fail(
      'TT_INVALID_OPTION',
      `${where}: ${option} must be an HTTP header name, got ${String(name)}`,
    );
  }
  const tel = telemetryOption(where, telemetry);
  const resolve = (value: string | readonly string[] | undefined): string =>
    tel.resolveRequestId(value);
  return Object.assign(resolve, { header: name.toLowerCase() });
}
