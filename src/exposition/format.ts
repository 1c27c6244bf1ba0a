// The exposition formats telltale serves, their exact Content-Type values, and a dispatcher over the encoders.
import { fail } from '../internal/errors.js';
import type { MetricFamily } from '../metrics/model.js';
import { encodeOpenMetricsChunks } from './openmetrics.js';
import { encodeProtobufChunks } from './protobuf.js';
import { isProtobufCache, type ProtobufCache } from './protobuf-labels.js';
import { encodeTextChunks } from './text.js';
import { isTextCache, type TextCache } from './text-cache.js';

/**
 * An exposition format: `'text'` is the Prometheus text format 0.0.4, `'openmetrics'` is
 * OpenMetrics 1.0, `'protobuf'` is length-delimited `io.prometheus.client.MetricFamily`
 * messages (the text formats yield strings, protobuf yields bytes).
 *
 * @example
 * ```ts
 * const format: ExpositionFormat = negotiate(req.headers.accept);
 * ```
 */
export type ExpositionFormat = 'text' | 'openmetrics' | 'protobuf';

/**
 * The exact `Content-Type` to send with each format. Prometheus picks its parser from this
 * header alone, so an OpenMetrics body must carry the OpenMetrics type.
 *
 * @example
 * ```ts
 * res.setHeader('Content-Type', CONTENT_TYPES[format]);
 * ```
 */
export const CONTENT_TYPES: Readonly<Record<ExpositionFormat, string>> = Object.freeze({
  text: 'text/plain; version=0.0.4; charset=utf-8',
  openmetrics: 'application/openmetrics-text; version=1.0.0; charset=utf-8',
  protobuf:
    'application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited',
});

/**
 * Options for {@link encodeChunks}: the union of the per-format options. `chunkSize` counts
 * UTF-16 code units for the text formats and bytes for protobuf. `created` means OpenMetrics
 * `_created` samples (default `false`) or protobuf `created_timestamp` fields (default `true`);
 * the text format has neither. `cache` applies to the formats it was made for: a
 * `createTextCache()` to text and OpenMetrics, a `createProtobufCache()` to protobuf (another
 * format encodes without it).
 *
 * @example
 * ```ts
 * const options: EncodeOptions = { created: false, chunkSize: 65_536 };
 * ```
 */
export interface EncodeOptions {
  readonly created?: boolean | undefined;
  readonly chunkSize?: number | undefined;
  /** A label cache from `createTextCache()` or `createProtobufCache()`, kept by the caller across encodes. */
  readonly cache?: TextCache | ProtobufCache | undefined;
}

/**
 * Encodes families in `format`, yielding chunks of about `options.chunkSize` (default 65,536):
 * strings for `'text'` and `'openmetrics'`, `Uint8Array`s for `'protobuf'`. Dispatches to
 * {@link encodeTextChunks}, {@link encodeOpenMetricsChunks} or {@link encodeProtobufChunks}.
 * Every chunk can be passed to `res.write()` as it is.
 *
 * @throws {TelltaleError} `TT_INVALID_OPTION` when `format` is not a known format, or an option
 * is invalid (`chunkSize` not a positive integer or Infinity).
 * @example
 * ```ts
 * const format = negotiate(req.headers.accept);
 * res.setHeader('Content-Type', CONTENT_TYPES[format]);
 * for (const chunk of encodeChunks(families, format, { created: false })) {
 *   if (!res.write(chunk)) await once(res, 'drain');
 * }
 * res.end();
 * ```
 */
export function encodeChunks(
  families: readonly MetricFamily[],
  format: 'text' | 'openmetrics',
  options?: EncodeOptions,
): Generator<string, void, undefined>;
export function encodeChunks(
  families: readonly MetricFamily[],
  format: 'protobuf',
  options?: EncodeOptions,
): Generator<Uint8Array, void, undefined>;
export function encodeChunks(
  families: readonly MetricFamily[],
  format: ExpositionFormat,
  options?: EncodeOptions,
): Generator<string | Uint8Array, void, undefined>;
export function encodeChunks(
  families: readonly MetricFamily[],
  format: ExpositionFormat,
  options: EncodeOptions = {},
): Generator<string | Uint8Array, void, undefined> {
  const { cache, chunkSize, created } = options;
  // Each format takes the cache made for it and encodes without the other kind; anything else
  // reaches the format's own check, which names what `cache` must be.
  const text = isProtobufCache(cache) ? undefined : (cache as TextCache | undefined);
  const protobuf = isTextCache(cache) ? undefined : (cache as ProtobufCache | undefined);
  if (format === 'openmetrics') {
    return encodeOpenMetricsChunks(families, { chunkSize, created, cache: text });
  }
  if (format === 'text') return encodeTextChunks(families, { chunkSize, cache: text });
  if (format === 'protobuf')
    return encodeProtobufChunks(families, { chunkSize, created, cache: protobuf });
  // Reachable from JavaScript callers.
  return fail(
    'TT_INVALID_OPTION',
    `unknown exposition format ${JSON.stringify(format)}; use 'text', 'openmetrics' or 'protobuf'`,
  );
}
