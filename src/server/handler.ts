// The embeddable node:http metrics handler: per-request negotiation, gzip, name[] filter, shared gathers and bodies, streaming, hardening.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { finished } from 'node:stream/promises';
import { setImmediate as nextTurn } from 'node:timers/promises';
import {
  acceptsGzip,
  CONTENT_TYPES,
  createProtobufCache,
  createTextCache,
  type EncodeOptions,
  type ExpositionFormat,
  encodeChunks,
  negotiate,
} from '../exposition/index.js';
import { fail } from '../internal/errors.js';
import { defaultLogger, type MinimalLogger } from '../internal/logger.js';
import { checkOptionKeys } from '../internal/option-keys.js';
import { mergeFamilies } from '../metrics/merge.js';
import type { Gatherer, MetricFamily } from '../metrics/model.js';
import { ALL_SAMPLE_SUFFIXES, SAMPLE_SUFFIXES } from '../metrics/names.js';
import { defaultRegistry } from '../metrics/registry.js';
import { type AuthCheck, compileAuth, type MetricsAuth } from './auth.js';
import type { ScrapeRecorder } from './recorder.js';
import { createSelfMetrics, type SelfMetricsRegistry } from './self-metrics.js';
import {
  type BodyFailure,
  type BodyReader,
  END,
  firstEvent,
  isChunk,
  SharedBody,
  WAIT,
} from './shared-body.js';
import { booleanOption, numberOption, pathOption } from './validate.js';

/** Options for {@link createMetricsHandler}. Every field is optional. */
export interface MetricsHandlerOptions {
  /**
   * What to serve: one gatherer (usually a registry) or several. Several are gathered in parallel
   * and merged with the metrics core's `mergeFamilies`: families of the same name and type are
   * combined, a duplicate series (or a family whose type clashes) is dropped with a
   * `TT_DUPLICATE_SERIES` warning, first gatherer wins, output sorted by name. Default:
   * `defaultRegistry()`, where every factory records when its own `registry` is omitted
   * (docs/telemetry.md, "An omitted registry"), so what they record is what is served.
   */
  readonly registry?: Gatherer | readonly Gatherer[] | undefined;
  /** The path the handler answers on. Must start with `/`. Default `'/metrics'`. */
  readonly path?: string | undefined;
  /**
   * How many scrapes may be served at once (a HEAD does not count). Beyond it a scrape gets
   * 503 with `Retry-After: 1`. An integer >= 1. Default 10.
   */
  readonly maxInFlight?: number | undefined;
  /**
   * The longest a scrape may take, gather to last byte, in milliseconds. Lowered per request to
   * Prometheus's `X-Prometheus-Scrape-Timeout-Seconds` when that is smaller. On timeout the
   * response is 503 if nothing was sent yet; otherwise the connection is destroyed so the client
   * sees a truncated body rather than a valid-looking partial one. A number > 0. Default 10,000.
   */
  readonly scrapeTimeoutMs?: number | undefined;
  /** Require a bearer token or basic credentials on the metrics path. Default: no auth. */
  readonly auth?: MetricsAuth | undefined;
  /**
   * Emit OpenMetrics `_created` samples. Default `false` (Prometheus 2.x stores them as extra
   * series). Protobuf responses always carry `created_timestamp`: a field, not a series.
   */
  readonly created?: boolean | undefined;
  /**
   * Encoder chunk size (one socket write each): UTF-16 code units for the text formats, bytes
   * for protobuf. Default: the encoder's (65,536).
   */
  readonly chunkSize?: number | undefined;
  /** Where gather and encode failures are logged. Default: errors to stderr, nothing else. */
  readonly logger?: MinimalLogger | undefined;
  /**
   * Where the handler registers its `telltale_scrape_*` self-metrics. Default: the `registry`
   * option itself when it is a single registry (it has `counter`, `gauge` and `histogram`), so
   * the metrics appear on the endpoint they describe; with several gatherers, the first one if it
   * is a registry. `false` turns them off.
   */
  readonly selfMetrics?: SelfMetricsRegistry | false | undefined;
}

/** Every key of {@link MetricsHandlerOptions}: `createMetricsHandler` refuses any other. */
export const METRICS_HANDLER_OPTIONS = [
  'registry',
  'path',
  'maxInFlight',
  'scrapeTimeoutMs',
  'auth',
  'created',
  'chunkSize',
  'logger',
  'selfMetrics',
] as const;

/** A node:http request listener serving metrics, with a live count of scrapes in flight. */
export interface MetricsHandler {
  (req: IncomingMessage, res: ServerResponse): void;
  /** Scrapes being served right now (admitted, not yet finished). */
  readonly inFlight: number;
}

/** Text responses for errors: short, plain, never the internals. */
function sendText(
  res: ServerResponse,
  status: number,
  body: string,
  headers: Readonly<Record<string, string>> = {},
): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, {
    ...headers,
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(body)),
    'Cache-Control': 'no-store',
  });
  res.end(body);
}

/** Splits `req.url` into its path and its raw query (without `?`). */
function splitUrl(url: string): [path: string, query: string] {
  const q = url.indexOf('?');
  return q < 0 ? [url, ''] : [url.slice(0, q), url.slice(q + 1)];
}

/**
 * The `name[]` values of a query (Prometheus federation's filter; `name%5B%5D` is decoded too),
 * or `undefined` when there are none. Empty values are ignored.
 */
export function requestedNames(query: string): Set<string> | undefined {
  if (query === '' || !query.includes('name')) return undefined;
  let out: Set<string> | undefined;
  for (const name of new URLSearchParams(query).getAll('name[]')) {
    if (name === '') continue;
    out ??= new Set();
    out.add(name);
  }
  return out;
}

/**
 * The set passed to `gather`: each requested name, plus the family name it may stand for
 * (`x_total` → also `x`). A registry matches sample names itself; the extra names let a plain
 * gatherer that only knows family names answer too. The result is then filtered exactly by
 * {@link familyMatches}, so a gauge `x` is not returned for `name[]=x_total`.
 */
export function gatherNames(requested: ReadonlySet<string>): Set<string> {
  const out = new Set(requested);
  for (const n of requested) {
    for (const suffix of ALL_SAMPLE_SUFFIXES) {
      if (n.endsWith(suffix) && n.length > suffix.length) out.add(n.slice(0, -suffix.length));
    }
  }
  return out;
}

/**
 * Whether a family answers a `name[]` request: by its family name, or by one of the sample names
 * its type exposes (`x_total` for counter `x`, `x_info` for info `x`, `x_bucket` for histogram `x`).
 */
export function familyMatches(family: MetricFamily, requested: ReadonlySet<string>): boolean {
  if (requested.has(family.name)) return true;
  const suffixes = SAMPLE_SUFFIXES[family.type] ?? [];
  for (const suffix of suffixes) if (requested.has(family.name + suffix)) return true;
  return false;
}

function isGatherer(v: unknown): v is Gatherer {
  return (
    typeof v === 'object' && v !== null && typeof (v as { gather?: unknown }).gather === 'function'
  );
}

/** Validates `registry` into a non-empty list of gatherers. */
function resolveGatherers(registry: unknown): readonly Gatherer[] {
  const list: unknown[] = Array.isArray(registry) ? registry : [registry];
  if (list.length === 0 || !list.every(isGatherer)) {
    fail(
      'TT_INVALID_OPTION',
      'registry must be a Gatherer (an object with a gather() method, such as a registry) or a non-empty array of them',
    );
  }
  return list as Gatherer[];
}

/** Parses `X-Prometheus-Scrape-Timeout-Seconds` (e.g. `"10"`, `"0.5"`) into ms, or `undefined`. */
function prometheusTimeoutMs(header: string | string[] | undefined): number | undefined {
  if (typeof header !== 'string' || header === '') return undefined;
  const seconds = Number(header);
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : undefined;
}

/** The key of a `name[]` filter: `*` for none (it cannot collide with a JSON array). */
function filterKey(requested: ReadonlySet<string> | undefined): string {
  return requested === undefined ? '*' : JSON.stringify([...requested].sort());
}

/**
 * Creates a node:http request listener that serves metrics on one path.
 *
 * Per request: `GET` or `HEAD` on `path` (else 404, or 405 with `Allow: GET, HEAD`); auth when
 * configured (401 with `WWW-Authenticate`); the format negotiated from `Accept` (q-values
 * honoured; none or unparseable → Prometheus text 0.0.4; delimited protobuf only when asked for
 * by its exact `proto=` and `encoding=delimited` parameters); gzip when `Accept-Encoding` allows
 * it, for every format;
 * `name[]=` filters families (repeatable; by family name or by a sample name the family exposes:
 * `x_total` finds counter `x`, `x_info` info `x`, `x_bucket` histogram `x`).
 * A HEAD answers with the headers a GET would get and gathers nothing.
 *
 * Scrapes that arrive while a gather with the same filter is running share it instead of
 * starting another. Scrapes that arrive while a body for the same filter, format and compression
 * is being produced share that too: one encoder (and one gzip stream) produces it, one chunk
 * (about 64 KiB) per event-loop turn, and each response writes the chunks from its own cursor,
 * waiting for its own socket's `drain`, so a slow client holds up only itself. Both are shared
 * only while in flight: a scrape arriving after a body is complete gathers and encodes afresh.
 * Each response keeps its own timeout and its own byte count (compressed when gzipped). A gather
 * or first-chunk encode error becomes a 500 with a short body for every scrape of that body, a
 * later encode error destroys each of their connections (details go to the logger once and to
 * `telltale_scrape_errors_total` per scrape); nothing is thrown to the server.
 *
 * @throws {TelltaleError} `TT_INVALID_OPTION` when an option is invalid or unknown (checked once,
 *   here).
 * @example
 * ```ts
 * import { createServer } from 'node:http';
 * const metrics = createMetricsHandler({ registry }); // or createMetricsHandler(): defaultRegistry()
 * createServer((req, res) => {
 *   if (req.url?.startsWith('/metrics')) return metrics(req, res);
 *   app(req, res);
 * }).listen(8080);
 * ```
 */
export function createMetricsHandler(options: MetricsHandlerOptions = {}): MetricsHandler {
  if (typeof options !== 'object' || options === null) {
    fail('TT_INVALID_OPTION', 'createMetricsHandler options must be an object');
  }
  checkOptionKeys('createMetricsHandler', options, METRICS_HANDLER_OPTIONS);
  return metricsHandler('createMetricsHandler', options);
}

/**
 * @internal {@link createMetricsHandler} without the key check, for `createMetricsServer`, whose
 * options (checked there) are a superset of the handler's; `where` names the factory in errors.
 */
export function metricsHandler(where: string, options: MetricsHandlerOptions): MetricsHandler {
  const gatherers = resolveGatherers(
    options.registry === undefined ? defaultRegistry() : options.registry,
  );
  const path = pathOption('path', options.path, '/metrics');
  const maxInFlight = numberOption('maxInFlight', options.maxInFlight, 10, {
    min: 1,
    integer: true,
  });
  const scrapeTimeoutMs = numberOption('scrapeTimeoutMs', options.scrapeTimeoutMs, 10_000, {
    min: Number.MIN_VALUE,
    max: 2_147_483_647, // setTimeout's limit
  });
  const created = booleanOption('created', options.created, false);
  const chunkSize =
    options.chunkSize === undefined
      ? undefined
      : numberOption('chunkSize', options.chunkSize, 65_536, { min: 1, integer: true });
  const auth: AuthCheck | undefined =
    options.auth === undefined ? undefined : compileAuth(where, options.auth);
  const logger = options.logger ?? defaultLogger;
  const recorder: ScrapeRecorder = createSelfMetrics(options.selfMetrics, gatherers);
  // The text formats keep each series' label text between scrapes (per handler, shared by text
  // and OpenMetrics: the same series' label text, wrapped per format).
  const encodeOptions: EncodeOptions = { created, chunkSize, cache: createTextCache() };
  // Protobuf keeps each series' encoded labels between scrapes (per handler), and always writes
  // created timestamps, so it does not take the OpenMetrics `created` switch.
  const protobufOptions: EncodeOptions = { chunkSize, cache: createProtobufCache() };

  let inFlight = 0;
  // In-flight gathers by filter key, so concurrent scrapes share one. Bounded by maxInFlight.
  const pending = new Map<string, Promise<MetricFamily[]>>();
  // Bodies being produced by filter key, format and gzip, so concurrent scrapes share one
  // encoding (and one gzip stream). Bounded by maxInFlight.
  const bodies = new Map<string, SharedBody>();

  async function gatherAll(names: ReadonlySet<string> | undefined): Promise<MetricFamily[]> {
    const opts = names === undefined ? {} : { names };
    if (gatherers.length === 1) return gatherers[0]!.gather(opts);
    return mergeFamilies(await Promise.all(gatherers.map((g) => g.gather(opts))));
  }

  function sharedGather(requested: ReadonlySet<string> | undefined): Promise<MetricFamily[]> {
    const key = filterKey(requested);
    let p = pending.get(key);
    if (p === undefined) {
      const gathered = gatherAll(requested === undefined ? undefined : gatherNames(requested));
      p =
        requested === undefined
          ? gathered
          : gathered.then((fs) => fs.filter((f) => familyMatches(f, requested)));
      const current = p;
      const clear = (): void => {
        if (pending.get(key) === current) pending.delete(key);
      };
      p.then(clear, clear);
      pending.set(key, p);
    }
    return p;
  }

  function okHeaders(format: ExpositionFormat, gzip: boolean): Record<string, string> {
    const h: Record<string, string> = {
      'Content-Type': CONTENT_TYPES[format],
      Vary: 'Accept, Accept-Encoding',
      'Cache-Control': 'no-store',
    };
    if (gzip) h['Content-Encoding'] = 'gzip';
    return h;
  }

  /** Logs a body's failure once (every consumer of it counts it in the self-metrics). */
  function logFailure(failure: BodyFailure, err: unknown, format: ExpositionFormat): void {
    if (failure === 'gather') logger.error({ err, path }, 'Metrics gather failed');
    else if (failure === 'encode-first') {
      logger.error({ err, path, format }, 'Metrics encoding failed');
    } else if (failure === 'encode') {
      logger.error({ err, path, format }, 'Metrics encoding failed mid-response');
    }
    // A gzip stream error only cuts the connections (`write` in the self-metrics), as before.
  }

  /**
   * Joins the body being produced for this filter, format and compression, or starts one (which
   * joins the shared gather for the filter). A body is forgotten as soon as it has finished
   * producing, so a later scrape encodes a fresh gather rather than replaying an old one.
   */
  function joinBody(
    requested: ReadonlySet<string> | undefined,
    format: ExpositionFormat,
    gzip: boolean,
  ): BodyReader {
    const key = `${filterKey(requested)} ${format}${gzip ? ' gzip' : ''}`;
    const existing = bodies.get(key);
    if (existing !== undefined) return existing.attach();
    const options = format === 'protobuf' ? protobufOptions : encodeOptions;
    const body: SharedBody = new SharedBody({
      gather: () => sharedGather(requested),
      encode: (families) => encodeChunks(families, format, options)[Symbol.iterator](),
      gzip,
      onFailure: (failure, err) => logFailure(failure, err, format),
      onClosed: () => {
        if (bodies.get(key) === body) bodies.delete(key);
      },
    });
    // In the map and with its first reader before it starts, so a failure it reports at once
    // is logged and clears the map entry.
    bodies.set(key, body);
    const reader = body.attach();
    body.start();
    return reader;
  }

  async function scrape(
    req: IncomingMessage,
    res: ServerResponse,
    format: ExpositionFormat,
    gzip: boolean,
    requested: ReadonlySet<string> | undefined,
  ): Promise<void> {
    const start = performance.now();
    const promMs = prometheusTimeoutMs(req.headers['x-prometheus-scrape-timeout-seconds']);
    const timeoutMs = promMs === undefined ? scrapeTimeoutMs : Math.min(promMs, scrapeTimeoutMs);
    const reader = joinBody(requested, format, gzip);
    let timedOut = false;
    const timer = setTimeout(() => {
      // Finished in the instant before clearTimeout: nothing to cut (and destroying the socket
      // would kill a keep-alive connection for nothing).
      if (res.writableFinished) return;
      timedOut = true;
      recorder.rejected('timeout');
      if (!res.headersSent) {
        sendText(res, 503, 'Scrape timed out\n', { 'Retry-After': '1' });
      } else {
        // Part of the body is out: a clean end would look like a complete scrape. Cut it.
        res.destroy();
      }
      reader.wake();
    }, timeoutMs);
    const onClose = (): void => reader.wake();
    res.on('close', onClose);

    try {
      let bytes = 0;
      let done: Promise<boolean> | undefined;
      const sendHeaders = (): void => {
        if (done !== undefined) return;
        res.writeHead(200, okHeaders(format, gzip));
        done = finished(res).then(
          () => true,
          () => false,
        );
      };
      for (;;) {
        if (timedOut) return;
        if (res.destroyed) {
          recorder.failed('write');
          return;
        }
        const step = reader.step();
        if (isChunk(step)) {
          sendHeaders();
          bytes += typeof step === 'string' ? Buffer.byteLength(step) : step.byteLength;
          if (!res.write(step)) await firstEvent(res, ['drain', 'close', 'error']);
          // Always yield a full event-loop turn between chunks. Awaiting 'drain' alone is not
          // enough: on a fast socket the write completes synchronously and 'drain' is emitted
          // on process.nextTick, so a drain-only loop never reaches the timers or poll phase and
          // blocked the loop for the whole body (~9 ms for 100,000 series, measured).
          await nextTurn();
          continue;
        }
        if (step === END) {
          sendHeaders();
          res.end();
          break;
        }
        if (step === WAIT) {
          // Headers go as soon as the first chunk is encoded, as they did before bodies were shared.
          if (reader.opened) sendHeaders();
          await reader.wait();
          continue;
        }
        const failure = step.failed;
        if (failure === 'gather') {
          recorder.failed('gather');
          sendText(res, 500, 'Error gathering metrics\n');
        } else if (failure === 'gzip') {
          recorder.failed('write');
          res.destroy();
        } else {
          recorder.failed('encode');
          if (done === undefined) sendText(res, 500, 'Error encoding metrics\n');
          else res.destroy();
        }
        return;
      }
      const ok = await done!;
      if (timedOut) return;
      if (!ok) {
        recorder.failed('write');
        return;
      }
      recorder.served(format, (performance.now() - start) / 1000, bytes);
    } finally {
      clearTimeout(timer);
      res.off('close', onClose);
      reader.detach();
    }
  }

  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const [pathname, query] = splitUrl(req.url ?? '/');
    if (pathname !== path) {
      sendText(res, 404, 'Not Found\n');
      return;
    }
    const method = req.method;
    if (method !== 'GET' && method !== 'HEAD') {
      sendText(res, 405, 'Method Not Allowed\n', { Allow: 'GET, HEAD' });
      return;
    }
    if (auth !== undefined && !auth.check(req.headers.authorization)) {
      recorder.rejected('auth');
      sendText(res, 401, 'Unauthorized\n', { 'WWW-Authenticate': auth.challenge });
      return;
    }
    const format = negotiate(req.headers.accept);
    const gzip = acceptsGzip(req.headers['accept-encoding']);
    if (method === 'HEAD') {
      res.writeHead(200, okHeaders(format, gzip));
      res.end();
      return;
    }
    if (inFlight >= maxInFlight) {
      recorder.rejected('in_flight');
      sendText(res, 503, 'Too many concurrent scrapes\n', { 'Retry-After': '1' });
      return;
    }
    inFlight++;
    recorder.started();
    scrape(req, res, format, gzip, requestedNames(query))
      .catch((err: unknown) => {
        // Not expected: every step above handles its own errors. Never let it reach the server.
        recorder.failed('write');
        logger.error({ err, path }, 'Metrics scrape failed');
        if (!res.headersSent) sendText(res, 500, 'Error serving metrics\n');
        else res.destroy();
      })
      .finally(() => {
        inFlight--;
        recorder.ended();
      });
  };
  Object.defineProperty(handler, 'inFlight', { get: () => inFlight, enumerable: true });
  return handler as MetricsHandler;
}
