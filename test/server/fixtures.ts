// Plain-data gatherers and a raw HTTP client for the server tests: real model data, no consumer mocks.
import { once } from 'node:events';
import {
  createServer,
  type IncomingHttpHeaders,
  type RequestListener,
  request,
  type Server,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Gatherer, GatherOptions, LabelSet, MetricFamily } from '../../src/metrics/model.js';

/** A label set as plain data. */
export function labels(pairs: Readonly<Record<string, string>> = {}): LabelSet {
  return { ...pairs };
}

/** A small, fixed set of families (sorted by name) covering the types the filter cares about. */
export const FAMILIES: readonly MetricFamily[] = [
  {
    name: 'app_build',
    help: 'Build information.',
    unit: '',
    type: 'info',
    points: [{ labels: labels({ version: '1.2.3' }) }],
  },
  {
    name: 'http_requests',
    help: 'HTTP requests served.',
    unit: '',
    type: 'counter',
    points: [
      { labels: labels({ code: '200' }), value: 7, created: 1_700_000_000 },
      { labels: labels({ code: '500' }), value: 1, created: 1_700_000_000 },
    ],
  },
  {
    name: 'queue_depth',
    help: 'Jobs waiting.',
    unit: '',
    type: 'gauge',
    points: [{ labels: labels(), value: 3 }],
  },
  {
    name: 'request_seconds',
    help: 'Request latency.',
    unit: 'seconds',
    type: 'histogram',
    buckets: [0.1, 1],
    points: [
      { labels: labels(), cumulative: [1, 3, 4], sum: 5.5, count: 4, created: 1_700_000_000 },
    ],
  },
];

/** A gatherer over fixed families that honours the `names` filter and counts its calls. */
export class StaticGatherer implements Gatherer {
  calls = 0;
  lastNames: ReadonlySet<string> | undefined;
  readonly families: readonly MetricFamily[];
  constructor(families: readonly MetricFamily[] = FAMILIES) {
    this.families = families;
  }
  gather(options?: GatherOptions): Promise<MetricFamily[]> {
    this.calls++;
    const names = options?.names;
    this.lastNames = names;
    const out =
      names === undefined || names.size === 0
        ? [...this.families]
        : this.families.filter((f) => names.has(f.name));
    return Promise.resolve(out);
  }
}

/** A gatherer whose gathers stay pending until the test releases (or fails) them. */
export class HeldGatherer implements Gatherer {
  calls = 0;
  readonly #waiting: { resolve: (f: MetricFamily[]) => void; reject: (e: Error) => void }[] = [];
  readonly families: readonly MetricFamily[];
  constructor(families: readonly MetricFamily[] = FAMILIES) {
    this.families = families;
  }
  gather(): Promise<MetricFamily[]> {
    this.calls++;
    return new Promise((resolve, reject) => this.#waiting.push({ resolve, reject }));
  }
  /** Resolves every pending gather. */
  release(): void {
    for (const w of this.#waiting.splice(0)) w.resolve([...this.families]);
  }
  /** Rejects every pending gather. */
  failAll(err: Error): void {
    for (const w of this.#waiting.splice(0)) w.reject(err);
  }
}

/** A gatherer that always rejects. */
export const failingGatherer: Gatherer = {
  gather: () => Promise.reject(new Error('collector exploded')),
};

/** `count` gauge series in one family: `big_gauge{i="0"} 0` … */
export function bigFamilies(count: number): MetricFamily[] {
  const points = new Array(count);
  for (let i = 0; i < count; i++) {
    const v = String(i);
    points[i] = { labels: { i: v }, value: i };
  }
  return [{ name: 'big_gauge', help: 'A large gauge family.', unit: '', type: 'gauge', points }];
}

/** A raw HTTP response: status, headers and the undecoded body bytes. */
export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  text: string;
}

/** One request on a fresh connection; resolves with the raw body (no gzip decoding). */
export function fetchRaw(
  url: string,
  init: { method?: string; headers?: Record<string, string> } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: init.method ?? 'GET', headers: init.headers ?? {}, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const body = Buffer.concat(chunks);
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body,
            text: body.toString('utf8'),
          });
        });
      },
    );
    req.setTimeout(10_000, () => req.destroy(new Error(`${url}: no response in 10 s`)));
    req.on('error', reject);
    req.end();
  });
}

/** Serves a request listener on 127.0.0.1:0 and returns its base URL and a closer. */
export async function serve(
  listener: RequestListener,
): Promise<{ base: string; server: Server; close: () => Promise<void> }> {
  const server = createServer(listener);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Polls `predicate` every few ms until it holds (or fails after `ms`). */
export async function until(predicate: () => boolean, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** The Accept header Prometheus sends for OpenMetrics. */
export const OM_ACCEPT = 'application/openmetrics-text;version=1.0.0';
/** The Accept header that asks for delimited protobuf. */
export const PB_ACCEPT =
  'application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited';

/** A family whose points cannot be read: the encoder throws when it reaches it. */
export function explodingFamily(name: string): MetricFamily {
  const f = { name, help: 'h', unit: '', type: 'gauge' };
  Object.defineProperty(f, 'points', {
    get() {
      throw new Error('points exploded');
    },
  });
  return f as MetricFamily;
}
