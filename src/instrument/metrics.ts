// The HTTP server metrics: registration with a configurable prefix and buckets, and a bound-handle cache so recording a request is a Map lookup.

import { fail } from '../internal/errors.js';
import { checkOptionKeys, checkOptionsObject } from '../internal/option-keys.js';
import { BucketPresets } from '../metrics/buckets.js';
import { defaultRegistry, type Registry } from '../metrics/registry.js';
import type {
  Counter,
  CounterHandle,
  Gauge,
  GaugeHandle,
  Histogram,
  HistogramHandle,
} from '../metrics/types.js';
import { foldMethod, STANDARD_METHODS } from './methods.js';

/** Options of {@link createHttpMetrics}. Every one is optional and validated at construction. */
export interface HttpMetricsOptions {
  /**
   * Where the metrics are registered. Default: `defaultRegistry()`, what `createMetricsServer()`
   * serves without a registry (docs/telemetry.md, "An omitted registry").
   */
  readonly registry?: Registry;
  /**
   * Prepended to every metric name (after the registry's own prefix): `'shop_'` gives
   * `shop_http_requests_total`. Default `''`.
   */
  readonly prefix?: string;
  /** Upper bounds of `http_request_duration_seconds`, in seconds. Default `BucketPresets.httpLatency` (5 ms to 10 s). */
  readonly durationBuckets?: readonly number[];
  /** Upper bounds of the request and response size histograms, in bytes. Default `BucketPresets.bytes` (64 B to 16 MiB). */
  readonly sizeBuckets?: readonly number[];
  /**
   * Series cap of each HTTP metric (see the metrics docs: new label sets beyond it fold into the
   * overflow series). Default: the registry's (1,000).
   */
  readonly maxSeries?: number;
  /**
   * Most `(method, route)` pairs whose bound handles are cached. Beyond it a request still records
   * (through the metric's own lookup, still under the series cap) but is not cached, so a
   * misbehaving route source cannot grow memory. Default 1,024.
   */
  readonly maxCachedRoutes?: number;
}

/** Every key of {@link HttpMetricsOptions}: `createHttpMetrics` refuses any other. */
export const HTTP_METRICS_OPTIONS = [
  'registry',
  'prefix',
  'durationBuckets',
  'sizeBuckets',
  'maxSeries',
  'maxCachedRoutes',
] as const;

/** The `(method, route)` series of one route, with its per-status counters. */
interface RouteSeries {
  readonly duration: HistogramHandle;
  readonly requestSize: HistogramHandle;
  readonly responseSize: HistogramHandle;
  readonly byStatus: Map<number, CounterHandle>;
  readonly method: string;
  readonly route: string;
}

/** The five HTTP server metrics and the fast path that records one request into them. */
export interface HttpMetrics {
  /** `http_requests_total{method,route,status}`: finished requests. */
  readonly requests: Counter<readonly ['method', 'route', 'status']>;
  /** `http_request_duration_seconds{method,route}`: time from the request's arrival to the end of its response. */
  readonly duration: Histogram<readonly ['method', 'route']>;
  /** `http_requests_in_flight`: requests being served now. */
  readonly inFlight: Gauge;
  /** `http_request_size_bytes{method,route}`: request body sizes (from `Content-Length`). */
  readonly requestSize: Histogram<readonly ['method', 'route']>;
  /** `http_response_size_bytes{method,route}`: response body sizes (from the response's `Content-Length`). */
  readonly responseSize: Histogram<readonly ['method', 'route']>;
  /** The bound in-flight handle: `inc()` when a request starts, `dec()` when it ends. */
  readonly inFlightHandle: GaugeHandle;
  /**
   * Records one finished request. `method` is folded (`PURGE` → `OTHER`); `route` must already be
   * a template or the unmatched value. A `responseBytes` of `undefined` (unknown, such as a chunked
   * response) is not observed in the response size histogram.
   *
   * Cost: one `Map` lookup per (method, route) and one per status after the first request of that
   * combination; no label hashing, no allocation.
   */
  record(
    method: string,
    route: string,
    status: number,
    seconds: number,
    requestBytes: number,
    responseBytes: number | undefined,
  ): void;
}

const LABELS3 = ['method', 'route', 'status'] as const;
const LABELS2 = ['method', 'route'] as const;

/**
 * Registers the HTTP server metrics (idempotent: the same options on the same registry return
 * handles to the same instruments) and returns them with a recording fast path. The adapters and
 * `createHttpInstrumentation` call it for you; call it yourself to record requests a transport of
 * your own has measured.
 *
 * | metric | type | labels |
 * |---|---|---|
 * | `<prefix>http_requests_total` | counter | method, route, status |
 * | `<prefix>http_request_duration_seconds` | histogram | method, route |
 * | `<prefix>http_requests_in_flight` | gauge | none |
 * | `<prefix>http_request_size_bytes` | histogram | method, route |
 * | `<prefix>http_response_size_bytes` | histogram | method, route |
 *
 * Registry default: `defaultRegistry()` (docs/telemetry.md, "An omitted registry").
 *
 * @throws TelltaleError `TT_INVALID_OPTION` when `options` is not an object (the registry of
 * before issue 12, `createHttpMetrics(registry)`, included: pass `{ registry }`), for an unknown
 * option, and for a bad `registry`, `prefix` or `maxCachedRoutes`; the registry's codes for a bad prefix
 * (`TT_INVALID_METRIC_NAME`), bad buckets (`TT_INVALID_BUCKETS`) or a conflicting registration
 * (`TT_CONFLICTING_REGISTRATION`).
 * @example
 * ```ts
 * const http = createHttpMetrics({ registry, prefix: 'shop_' });
 * http.record('GET', '/users/:id', 200, 0.012, 0, 512);
 * ```
 */
export function createHttpMetrics(options: HttpMetricsOptions = {}): HttpMetrics {
  const where = 'createHttpMetrics';
  checkOptionsObject(where, options, '{ registry, prefix: "shop_" }');
  if (typeof (options as { gather?: unknown }).gather === 'function') {
    // The positional form of before issue 12 (`createHttpMetrics(registry)`): without this a
    // registry passed as the options would be read as options and refused for its own keys.
    fail(
      'TT_INVALID_OPTION',
      `${where}: takes one options object; pass the registry as ${where}({ registry, ...options })`,
    );
  }
  checkOptionKeys(where, options, HTTP_METRICS_OPTIONS);
  const registry = options.registry === undefined ? defaultRegistry() : options.registry;
  return httpMetrics(where, registry, options);
}

/**
 * @internal {@link createHttpMetrics} on a given registry, for the factories that resolved it
 * already (`createHttpInstrumentation`: the telemetry's registry by default) and pass their own
 * options, a superset of {@link HttpMetricsOptions}, through. `where` names the factory in errors.
 */
export function httpMetrics(
  where: string,
  registry: Registry,
  options: HttpMetricsOptions,
): HttpMetrics {
  const r = registry as Partial<Registry> | null;
  if (
    typeof r !== 'object' ||
    r === null ||
    typeof r.counter !== 'function' ||
    typeof r.gauge !== 'function' ||
    typeof r.histogram !== 'function'
  ) {
    fail(
      'TT_INVALID_OPTION',
      `${where}: registry must be a telltale registry (from createRegistry()), or omitted for the default one`,
    );
  }
  const prefix = options.prefix ?? '';
  if (typeof prefix !== 'string')
    fail('TT_INVALID_OPTION', `${where}: prefix must be a string, got ${typeof prefix}`);
  const maxCached = options.maxCachedRoutes ?? 1024;
  if (!Number.isInteger(maxCached) || maxCached < 0) {
    fail(
      'TT_INVALID_OPTION',
      `${where}: maxCachedRoutes must be an integer ≥ 0, got ${String(maxCached)}`,
    );
  }
  const bounds = options.maxSeries === undefined ? {} : { maxSeries: options.maxSeries };
  const requests = registry.counter({
    name: `${prefix}http_requests_total`,
    help: 'HTTP requests finished, by method, route template and status code.',
    labelNames: LABELS3,
    ...bounds,
  });
  const duration = registry.histogram({
    name: `${prefix}http_request_duration_seconds`,
    help: 'Time from the arrival of an HTTP request to the end of its response, in seconds.',
    labelNames: LABELS2,
    buckets: options.durationBuckets ?? BucketPresets.httpLatency,
    unit: 'seconds',
    ...bounds,
  });
  const inFlight = registry.gauge({
    name: `${prefix}http_requests_in_flight`,
    help: 'HTTP requests being served now.',
  });
  const sizeBuckets = options.sizeBuckets ?? BucketPresets.bytes;
  const requestSize = registry.histogram({
    name: `${prefix}http_request_size_bytes`,
    help: 'HTTP request body sizes from the Content-Length header (0 without one), in bytes.',
    labelNames: LABELS2,
    buckets: sizeBuckets,
    unit: 'bytes',
    ...bounds,
  });
  const responseSize = registry.histogram({
    name: `${prefix}http_response_size_bytes`,
    help: 'HTTP response body sizes from the Content-Length header, in bytes.',
    labelNames: LABELS2,
    buckets: sizeBuckets,
    unit: 'bytes',
    ...bounds,
  });

  // One route map per folded method (the nine standard ones and OTHER), so the cache key is the
  // route string alone and no key is ever built by concatenation.
  const byMethod = new Map<string, Map<string, RouteSeries>>();
  for (const m of [...STANDARD_METHODS, 'OTHER']) byMethod.set(m, new Map());
  let cached = 0;

  function resolve(method: string, route: string): RouteSeries {
    return {
      duration: duration.labels(method, route),
      requestSize: requestSize.labels(method, route),
      responseSize: responseSize.labels(method, route),
      byStatus: new Map(),
      method,
      route,
    };
  }

  function statusHandle(s: RouteSeries, status: number, cache: boolean): CounterHandle {
    let h = s.byStatus.get(status);
    if (h === undefined) {
      h = requests.labels(s.method, s.route, status);
      // A route's statuses are bounded by HTTP (100–999 in node:http); cap them anyway.
      if (cache && s.byStatus.size < 64) s.byStatus.set(status, h);
    }
    return h;
  }

  return {
    requests,
    duration,
    inFlight,
    requestSize,
    responseSize,
    inFlightHandle: inFlight.labels(),
    record(method, route, status, seconds, requestBytes, responseBytes) {
      const m = foldMethod(method);
      const routes = byMethod.get(m) as Map<string, RouteSeries>;
      let s = routes.get(route);
      let cache = true;
      if (s === undefined) {
        s = resolve(m, route);
        if (cached < maxCached) {
          routes.set(route, s);
          cached++;
        } else cache = false;
      }
      statusHandle(s, status, cache).inc();
      s.duration.observe(seconds);
      s.requestSize.observe(requestBytes);
      if (responseBytes !== undefined) s.responseSize.observe(responseBytes);
    },
  };
}
