// Hardened node:http server timeouts: headers, request and keep-alive timeouts, with a connections check frequent enough that they fire on time.
import { fail } from '../internal/errors.js';
import { checkOptionKeys } from '../internal/option-keys.js';
import { numberOption } from './validate.js';

/** Options of {@link serverTimeouts}, in ms. Every field is optional. */
export interface ServerTimeoutOptions {
  /** Time allowed to receive a request's headers (node:http `headersTimeout`). Default 10,000. `0` disables it. */
  readonly headersTimeoutMs?: number | undefined;
  /** Time allowed to receive a whole request (node:http `requestTimeout`). Default 30,000. `0` disables it. */
  readonly requestTimeoutMs?: number | undefined;
  /** How long an idle keep-alive connection stays open (node:http `keepAliveTimeout`). Default 5,000. `0` disables it. */
  readonly keepAliveTimeoutMs?: number | undefined;
}

/** Every key of {@link ServerTimeoutOptions}: `serverTimeouts` refuses any other. */
const SERVER_TIMEOUT_OPTIONS = [
  'headersTimeoutMs',
  'requestTimeoutMs',
  'keepAliveTimeoutMs',
] as const;

/**
 * node:http (and node:https) server options: pass them to `createServer(options, listener)`.
 * All four are `ServerOptions` fields of Node ≥ 20.
 */
export interface ServerTimeouts {
  /** Close a connection whose request headers took longer than this, in ms. */
  readonly headersTimeout: number;
  /** Close a connection whose whole request took longer than this, in ms. */
  readonly requestTimeout: number;
  /** Close an idle keep-alive connection after this, in ms. */
  readonly keepAliveTimeout: number;
  /** How often Node checks the two timeouts above, in ms. */
  readonly connectionsCheckingInterval: number;
}

/** The longest check interval: a timeout fires at most this late. */
const MAX_CHECK_INTERVAL_MS = 500;
/** The shortest check interval, for very small timeouts. */
const MIN_CHECK_INTERVAL_MS = 10;
/** Node's default check interval, kept when both timeouts are disabled (nothing to check). */
const NODE_CHECK_INTERVAL_MS = 30_000;

/**
 * The timeouts of a hardened node:http server, as `createServer` options.
 *
 * Node enforces `headersTimeout` and `requestTimeout` only when it walks its connections, every
 * `connectionsCheckingInterval` (30 s by default), so on its own a 10 s header timeout closes a
 * slow client after 10 to 40 s. This sets the interval to a quarter of the smallest enabled
 * timeout, at least 10 ms and at most 500 ms: a timeout then fires at most 500 ms late (at most
 * a quarter late for short ones). The check is a walk over the connections that have a request
 * in progress, done in C++ inside Node: negligible at two runs a second.
 *
 * @throws {TelltaleError} `TT_INVALID_OPTION` for an unknown option, a negative or non-finite value, or a
 *   `headersTimeoutMs` above a non-zero `requestTimeoutMs` (Node rejects that too).
 * @example
 * ```ts
 * import { createServer } from 'node:http';
 * import { serverTimeouts } from 'telltale/server';
 * const server = createServer(serverTimeouts(), app); // 10 s headers, 30 s request, 5 s keep-alive
 * ```
 */
export function serverTimeouts(options: ServerTimeoutOptions = {}): ServerTimeouts {
  if (typeof options !== 'object' || options === null) {
    fail(
      'TT_INVALID_OPTION',
      'serverTimeouts: options must be an object, such as { headersTimeoutMs: 10000 }',
    );
  }
  checkOptionKeys('serverTimeouts', options, SERVER_TIMEOUT_OPTIONS);
  const headersTimeout = numberOption('headersTimeoutMs', options.headersTimeoutMs, 10_000, {
    min: 0,
  });
  const requestTimeout = numberOption('requestTimeoutMs', options.requestTimeoutMs, 30_000, {
    min: 0,
  });
  const keepAliveTimeout = numberOption('keepAliveTimeoutMs', options.keepAliveTimeoutMs, 5_000, {
    min: 0,
  });
  if (requestTimeout > 0 && headersTimeout > requestTimeout) {
    fail(
      'TT_INVALID_OPTION',
      `headersTimeoutMs (${headersTimeout}) must not exceed requestTimeoutMs (${requestTimeout}); lower it or raise requestTimeoutMs`,
    );
  }
  const enabled = [headersTimeout, requestTimeout].filter((ms) => ms > 0);
  const connectionsCheckingInterval =
    enabled.length === 0
      ? NODE_CHECK_INTERVAL_MS
      : Math.min(
          MAX_CHECK_INTERVAL_MS,
          Math.max(MIN_CHECK_INTERVAL_MS, Math.floor(Math.min(...enabled) / 4)),
        );
  return { headersTimeout, requestTimeout, keepAliveTimeout, connectionsCheckingInterval };
}
