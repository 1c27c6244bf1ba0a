// Outgoing propagation: trace headers for the active context, and opt-in injection into fetch/undici requests through diagnostics_channel.

import diagnosticsChannel from 'node:diagnostics_channel';
import { activeRecord, type RequestContext } from '../context/context.js';
import { fail } from '../internal/errors.js';
import { checkOptionKeys, checkOptionsObject } from '../internal/option-keys.js';
import { REQUEST_ID_HEADER } from './request-id.js';
import { formatTraceparent } from './traceparent.js';

/** The headers {@link traceHeaders} returns. */
export interface TraceHeaders {
  readonly traceparent: string;
  /** Present when the trace arrived with a `tracestate`. */
  readonly tracestate?: string;
  /** The request id (under the configured header name; `x-request-id` by default). */
  readonly [header: string]: string | undefined;
}

/** Options of {@link traceHeaders} and {@link startFetchPropagation}. */
export interface PropagationOptions {
  /** The header that carries the request id downstream, or `false` to not send it. Default `x-request-id`. */
  readonly requestIdHeader?: string | false | undefined;
}

/** Every key of {@link PropagationOptions}: `startFetchPropagation` refuses any other. */
const PROPAGATION_OPTIONS = ['requestIdHeader'] as const;

/**
 * The headers that carry the active trace to an outgoing call: `traceparent` (this span as the
 * parent), `tracestate` when one was received, and the request id. `ctx` defaults to the active
 * context; outside one the result is `{}`, so it can always be spread into a request's headers.
 *
 * @example
 * ```ts
 * await fetch(url, { headers: { ...traceHeaders(), accept: 'application/json' } });
 * ```
 */
export function traceHeaders(
  ctx?: RequestContext,
  options?: PropagationOptions,
): TraceHeaders | Record<string, never> {
  const c = ctx ?? activeRecord();
  if (c === undefined) return {};
  const out: Record<string, string> = { traceparent: formatTraceparent(c) };
  if (c.traceState !== undefined) out.tracestate = c.traceState;
  const h = options?.requestIdHeader ?? REQUEST_ID_HEADER;
  if (h !== false) out[h] = c.requestId;
  return out as TraceHeaders;
}

/** The part of undici's request object that propagation uses. */
interface UndiciRequest {
  /** undici 6+: a flat `[name, value, name, value, …]` array; undici 5: `name: value\r\n` text. */
  headers?: unknown;
  addHeader?(name: string, value: string): unknown;
}

/** Whether undici's request already has header `name` (lowercase), in either header layout. */
function hasHeader(headers: unknown, name: string): boolean {
  if (Array.isArray(headers)) {
    for (let i = 0; i < headers.length; i += 2) {
      const k = headers[i];
      if (typeof k === 'string' && k.toLowerCase() === name) return true;
    }
    return false;
  }
  if (typeof headers === 'string') {
    const lower = headers.toLowerCase();
    return lower.startsWith(`${name}:`) || lower.includes(`\n${name}:`);
  }
  return false;
}

/** The channel undici (and so Node's global `fetch`) publishes each new request on. */
const REQUEST_CREATE = 'undici:request:create';

/** What {@link startFetchPropagation} returns: the running propagation. */
export interface FetchPropagation {
  /** Unsubscribes from undici's channel: later requests get no headers added. Idempotent. */
  stop(): void;
}

// RFC 9110 section 5.6.2 token characters.
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * Starts adding the active trace's headers ({@link traceHeaders}) to every request made with
 * Node's global `fetch` or undici inside a request context, through undici's
 * `undici:request:create` diagnostics channel (no patching), until `stop()`. Headers the caller
 * set are kept: a request that already has `traceparent` (or the request id header) does not get
 * a second one. Requests outside a context are untouched. Opt-in, because it sends the request id
 * and trace to every host the process calls.
 *
 * Options: `requestIdHeader`, the header that carries the request id (default `x-request-id`), or
 * `false` to send none.
 *
 * @throws TelltaleError `TT_INVALID_OPTION` when `options` is not an object, has a key other than
 * `requestIdHeader`, or `requestIdHeader` is neither a header name nor `false`.
 * @example
 * ```ts
 * const propagation = startFetchPropagation();
 * // … fetch() calls inside spans now carry traceparent and x-request-id …
 * propagation.stop();
 * ```
 */
export function startFetchPropagation(options: PropagationOptions = {}): FetchPropagation {
  const where = 'startFetchPropagation';
  checkOptionsObject(where, options, "{ requestIdHeader: 'x-correlation-id' }");
  checkOptionKeys(where, options, PROPAGATION_OPTIONS);
  const h: unknown =
    options.requestIdHeader === undefined ? REQUEST_ID_HEADER : options.requestIdHeader;
  if (h !== false && (typeof h !== 'string' || !HEADER_NAME.test(h))) {
    fail(
      'TT_INVALID_OPTION',
      `${where}: requestIdHeader must be a header name or false, got ${typeof h === 'string' ? JSON.stringify(h) : String(h)}`,
    );
  }
  const idHeader = h === false ? false : h.toLowerCase();
  const onCreate = (message: unknown): void => {
    const c = activeRecord();
    if (c === undefined) return;
    const request = (message as { request?: UndiciRequest } | null)?.request;
    if (request === undefined || typeof request.addHeader !== 'function') return;
    const headers = request.headers;
    if (!hasHeader(headers, 'traceparent')) {
      request.addHeader('traceparent', formatTraceparent(c));
      if (c.traceState !== undefined && !hasHeader(headers, 'tracestate')) {
        request.addHeader('tracestate', c.traceState);
      }
    }
    if (idHeader !== false && !hasHeader(headers, idHeader)) {
      request.addHeader(idHeader, c.requestId);
    }
  };
  diagnosticsChannel.subscribe(REQUEST_CREATE, onCreate);
  let on = true;
  return {
    stop(): void {
      if (!on) return;
      on = false;
      diagnosticsChannel.unsubscribe(REQUEST_CREATE, onCreate);
    },
  };
}
