// The exposition formats telltale serves, their exact Content-Type values, and a dispatcher over the encoders.
import { fail } from '../internal/errors.js';
import type { MetricFamily } from '../metrics/model.js';
import { encodeOpenMetricsChunks, type OpenMetricsOptions } from './openmetrics.js';
import { encodeTextChunks } from './text.js';

/**
 * An exposition format: `'text'` is the Prometheus text format 0.0.4, `'openmetrics'` is
 * OpenMetrics 1.0. (Delimited protobuf, `'protobuf'`, is planned; it will yield bytes, not strings,
 * through its own encoder.)
 *
 * @example
 * ```ts
 * const format: ExpositionFormat = negotiate(req.headers.accept);
 * ```
 */
export type ExpositionFormat = 'text' | 'openmetrics';

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
});

/**
 * Options for {@link encodeChunks}: the union of the per-format options. `created` only affects
 * OpenMetrics (the text format has no `_created`).
 *
 * @example
 * ```ts
 * const options: EncodeOptions = { created: false, chunkSize: 65_536 };
 * ```
 */
export type EncodeOptions = OpenMetricsOptions;

/**
 * Encodes families in `format`, yielding chunks of about `options.chunkSize` UTF-16 code units
 * (default 65,536). Dispatches to {@link encodeTextChunks} or {@link encodeOpenMetricsChunks}.
 *
 * @throws {TelltaleError} `TT_INVALID_OPTION` when `format` is not a known format, or `chunkSize`
 * is not a positive integer or Infinity.
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
  format: ExpositionFormat,
  options: EncodeOptions = {},
): Generator<string, void, undefined> {
  if (format === 'openmetrics') return encodeOpenMetricsChunks(families, options);
  if (format === 'text') return encodeTextChunks(families, { chunkSize: options.chunkSize });
  // Reachable from JavaScript callers (or a future 'protobuf' passed to this version).
  return fail(
    'TT_INVALID_OPTION',
    `unknown exposition format ${JSON.stringify(format)}; use 'text' or 'openmetrics'`,
  );
}
