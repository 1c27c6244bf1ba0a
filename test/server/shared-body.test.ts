// Shared bodies: concurrent scrapes of one (filter, format, gzip) share one gather and one encoding; the SharedBody producer/reader unit, and the handler over real HTTP (slow, aborting and timed-out consumers, fresh data, encode errors).
import assert from 'node:assert/strict';
import { request, type ServerResponse } from 'node:http';
import { connect, type Socket } from 'node:net';
import { describe, it } from 'node:test';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { gunzipSync } from 'node:zlib';
import { encodeOpenMetrics, encodeProtobuf, encodeText } from '../../src/exposition/index.js';
import { type LogFields, logArgs } from '../../src/internal/logger.js';
import { createRegistry } from '../../src/metrics/index.js';
import type { Gatherer, MetricFamily } from '../../src/metrics/model.js';
import { createMetricsHandler, type MinimalLogger } from '../../src/server/index.js';
import {
  type BodyFailure,
  type BodyReader,
  END,
  isChunk,
  SharedBody,
  WAIT,
} from '../../src/server/shared-body.js';
import {
  bigFamilies,
  explodingFamily,
  FAMILIES,
  fetchRaw,
  HeldGatherer,
  labels,
  OM_ACCEPT,
  PB_ACCEPT,
  type RawResponse,
  serve,
  until,
} from './fixtures.js';

const OM = 'application/openmetrics-text; version=1.0.0; charset=utf-8';
const PB =
  'application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited';
const TEXT = 'text/plain; version=0.0.4; charset=utf-8';

/**
 * A gatherer that counts encodes honestly: every family it returns has a `points` getter that
 * counts reads (an encoder reads `points` a fixed number of times per family per encode, measured
 * by {@link CountingGatherer.readsPerEncode}). Gathers are held until `release()` while `hold`.
 */
class CountingGatherer implements Gatherer {
  calls = 0;
  reads = 0;
  hold = true;
  readonly #waiting: (() => void)[] = [];
  readonly #build: (call: number) => readonly MetricFamily[];
  constructor(build: (call: number) => readonly MetricFamily[]) {
    this.#build = build;
  }
  /** The families of gather number `call`, each with a counting `points` getter. */
  families(call: number): MetricFamily[] {
    return this.#build(call).map((f) => {
      const points = f.points;
      const counted = { ...f };
      Object.defineProperty(counted, 'points', {
        enumerable: true,
        get: () => {
          this.reads++;
          return points;
        },
      });
      return counted as MetricFamily;
    });
  }
  gather(): Promise<MetricFamily[]> {
    const families = this.families(++this.calls);
    if (!this.hold) return Promise.resolve(families);
    return new Promise((resolve) => this.#waiting.push(() => resolve(families)));
  }
  release(): void {
    for (const w of this.#waiting.splice(0)) w();
  }
  /** How many `points` reads one encode of gather `call`'s families makes, per format. */
  readsPerEncode(call: number): { text: number; openmetrics: number; protobuf: number } {
    const families = this.families(call);
    const count = (encode: () => unknown): number => {
      const before = this.reads;
      encode();
      const n = this.reads - before;
      this.reads = before;
      return n;
    };
    return {
      text: count(() => encodeText(families)),
      openmetrics: count(() => encodeOpenMetrics(families)),
      protobuf: count(() => encodeProtobuf(families)),
    };
  }
}

/** The fixture families plus 2,000 gauges, so a body spans many chunks of a small chunkSize. */
const MIXED: readonly MetricFamily[] = [...FAMILIES, ...bigFamilies(2_000)];

/**
 * A text body far larger than the loopback socket buffers can hold (tcp_wmem max 4 MiB plus the
 * receiver's window), so a client that stops reading really stalls its response: 4,000 series
 * with 4,000-character label values, about 16 MB.
 */
function hugeFamilies(): MetricFamily[] {
  const long = 'x'.repeat(4_000);
  const points = [];
  for (let i = 0; i < 4_000; i++) {
    const v = `${long}${i}`;
    points.push({ labels: labels({ v }), value: i });
  }
  return [{ name: 'huge', help: 'A large body.', unit: '', type: 'gauge', points }];
}

/** Collects log calls. */
function recordingLogger(): MinimalLogger & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    info: (a: LogFields | string, b?: string) => lines.push(`info ${logArgs(a, b).msg}`),
    warn: (a: LogFields | string, b?: string) => lines.push(`warn ${logArgs(a, b).msg}`),
    error: (a: LogFields | string, b?: string) => lines.push(`error ${logArgs(a, b).msg}`),
  };
}

/** The sample lines of a self-metrics registry that start with `prefix`. */
async function selfSamples(
  registry: ReturnType<typeof createRegistry>,
  prefix: string,
): Promise<string[]> {
  const text = encodeText(await registry.gather());
  return text.split('\n').filter((l) => l.startsWith(prefix));
}

/**
 * An HTTP/1.0 GET on a raw socket that reads nothing until told (`readAll`): a consumer that stops
 * reading. HTTP/1.0, so the body is not chunked and ends when the server closes.
 */
function stalledGet(
  base: string,
  headers: Record<string, string> = {},
): { socket: Socket; readAll: () => Promise<{ raw: Buffer; error: boolean }> } {
  const { hostname, port } = new URL(base);
  const socket = connect(Number(port), hostname);
  const lines = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`);
  socket.write(`GET /metrics HTTP/1.0\r\nHost: ${hostname}\r\n${lines.join('')}\r\n`);
  // No 'data' listener: the socket reads its highWaterMark and then stops reading.
  socket.pause();
  const closed = new Promise<{ error: boolean }>((resolve) => {
    let error = false;
    socket.on('error', () => {
      error = true;
    });
    socket.on('close', () => resolve({ error }));
  });
  return {
    socket,
    readAll: async () => {
      const chunks: Buffer[] = [];
      socket.on('data', (c: Buffer) => chunks.push(c));
      socket.resume();
      const { error } = await closed;
      return { raw: Buffer.concat(chunks), error };
    },
  };
}

/** Splits a raw HTTP/1.0 response into status, a header lookup and the body. */
function parseRaw(raw: Buffer): { status: number; header: (n: string) => string; body: Buffer } {
  const end = raw.indexOf('\r\n\r\n');
  const head = raw.subarray(0, end).toString('latin1').split('\r\n');
  const status = Number(head[0]!.split(' ')[1]);
  const header = (n: string): string =>
    head
      .find((l) => l.toLowerCase().startsWith(`${n.toLowerCase()}:`))
      ?.slice(n.length + 1)
      .trim() ?? '';
  return { status, header, body: raw.subarray(end + 4) };
}

/** A GET that destroys its request after the first body chunk arrives; resolves then. */
function abortAfterFirstChunk(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false }, (res) => {
      res.once('data', (c: Buffer) => {
        req.destroy();
        resolve(c.length);
      });
    });
    req.on('error', (err) => {
      if (!req.destroyed) reject(err);
    });
    req.end();
  });
}

describe('SharedBody (unit)', () => {
  /** A source whose encoder yields `total` string chunks `c0`, `c1`, … and counts pulls. */
  function source(total: number, opts: { throwAt?: number } = {}) {
    const state = { pulled: 0, closed: 0, failures: [] as BodyFailure[] };
    function* chunks(): Generator<string, void, undefined> {
      for (let i = 0; i < total; i++) {
        if (i === opts.throwAt) throw new Error('encode exploded');
        state.pulled++;
        yield `c${i}`;
      }
    }
    const body = new SharedBody({
      gather: () => Promise.resolve([]),
      encode: () => chunks(),
      gzip: false,
      onFailure: (f) => state.failures.push(f),
      onClosed: () => state.closed++,
    });
    return { body, state };
  }

  /** Reads every chunk available to `reader` now, as strings. */
  function drainNow(reader: BodyReader): (string | 'WAIT' | 'END')[] {
    const out: (string | 'WAIT' | 'END')[] = [];
    for (;;) {
      const s = reader.step();
      if (s === WAIT) return [...out, 'WAIT'];
      if (s === END) return [...out, 'END'];
      if (!isChunk(s)) throw new Error(`failed: ${s.failed}`);
      out.push(typeof s === 'string' ? s : Buffer.from(s).toString());
    }
  }

  it('one producer, readers at their own pace; a reader joining mid-production gets every chunk', async () => {
    const { body, state } = source(6);
    const a = body.attach();
    assert.equal(a.step(), WAIT); // gathering
    body.start();
    await until(() => body.produced >= 3);
    const late = body.attach();
    assert.equal(late.step(), 'c0');
    await until(() => state.closed === 1);
    assert.equal(state.pulled, 6);
    assert.equal(body.produced, 6);
    // Each chunk was produced once and is read by both.
    assert.deepEqual(drainNow(a), ['c0', 'c1', 'c2', 'c3', 'c4', 'c5', 'END']);
    assert.deepEqual(drainNow(late), ['c1', 'c2', 'c3', 'c4', 'c5', 'END']);
    a.detach();
    late.detach();
    assert.deepEqual(state.failures, []);
  });

  it('keeps every chunk while producing; once done, releases what every reader has passed', async () => {
    const { body, state } = source(5);
    const fast = body.attach();
    const slow = body.attach();
    body.start();
    await until(() => body.produced >= 2);
    assert.deepEqual(drainNow(fast).slice(0, 2), ['c0', 'c1']);
    assert.equal(body.retained, body.produced); // still producing: a newcomer needs chunk 0
    await until(() => state.closed === 1);
    assert.deepEqual(drainNow(fast).at(-1), 'END');
    assert.equal(body.retained, 5); // the slow reader has passed nothing
    slow.step();
    slow.step();
    assert.equal(body.retained, 3);
    fast.detach();
    assert.equal(body.retained, 3);
    slow.detach();
    assert.equal(body.retained, 0);
  });

  it('stops producing when every reader leaves before it finishes', async () => {
    const { body, state } = source(10_000);
    const a = body.attach();
    body.start();
    await until(() => body.produced >= 3);
    a.detach();
    assert.equal(state.closed, 1);
    const pulledAtDetach = state.pulled;
    for (let i = 0; i < 20; i++) await nextTurn();
    assert.ok(state.pulled <= pulledAtDetach + 1, `pulled ${state.pulled}`);
    assert.equal(body.retained, 0);
    assert.deepEqual(state.failures, []);
  });

  it('an encoder error on the first chunk or later fails every reader, reported once', async () => {
    for (const [throwAt, failure] of [
      [0, 'encode-first'],
      [3, 'encode'],
    ] as const) {
      const { body, state } = source(10, { throwAt });
      const readers = [body.attach(), body.attach(), body.attach()];
      body.start();
      await until(() => state.closed === 1);
      for (const r of readers) assert.deepEqual(r.step(), { failed: failure });
      assert.deepEqual(state.failures, [failure]);
      assert.equal(body.retained, 0);
    }
  });
});

describe('createMetricsHandler: concurrent scrapes share one encoding', () => {
  it('10 concurrent text scrapes: one gather, one encode, byte-identical bodies', async () => {
    const g = new CountingGatherer(() => MIXED);
    const per = g.readsPerEncode(1);
    assert.ok(per.text > 0);
    const h = createMetricsHandler({ registry: g, chunkSize: 512, selfMetrics: false });
    const s = await serve(h);
    try {
      const pending = Array.from({ length: 10 }, () => fetchRaw(`${s.base}/metrics`));
      await until(() => h.inFlight === 10);
      assert.equal(g.calls, 1);
      g.release();
      const results = await Promise.all(pending);
      const expected = Buffer.from(encodeText(MIXED));
      for (const r of results) {
        assert.equal(r.status, 200);
        assert.equal(r.headers['content-type'], TEXT);
        assert.deepEqual(r.body, expected);
      }
      assert.equal(g.calls, 1);
      assert.equal(g.reads, per.text); // one encode for all 10
    } finally {
      await s.close();
    }
  });

  it('gzip: one gzip stream per key; every gzipped body is identical and decodes to the plain one', async () => {
    const g = new CountingGatherer(() => MIXED);
    const per = g.readsPerEncode(1);
    const self = createRegistry();
    const h = createMetricsHandler({ registry: g, chunkSize: 512, selfMetrics: self });
    const s = await serve(h);
    try {
      const gz = { 'accept-encoding': 'gzip' };
      const pending = Array.from({ length: 10 }, (_, i) =>
        fetchRaw(`${s.base}/metrics`, i % 2 === 0 ? { headers: gz } : {}),
      );
      await until(() => h.inFlight === 10);
      g.release();
      const results = await Promise.all(pending);
      const expected = Buffer.from(encodeText(MIXED));
      const zipped = results.filter((_, i) => i % 2 === 0);
      const plain = results.filter((_, i) => i % 2 === 1);
      for (const r of zipped) {
        assert.equal(r.headers['content-encoding'], 'gzip');
        assert.deepEqual(r.body, zipped[0]!.body);
        assert.deepEqual(gunzipSync(r.body), expected);
      }
      for (const r of plain) {
        assert.equal(r.headers['content-encoding'], undefined);
        assert.deepEqual(r.body, expected);
      }
      assert.equal(g.calls, 1); // the gather is shared across keys
      assert.equal(g.reads, 2 * per.text); // one body for gzip, one for identity
      // Self-metrics count the bytes each response wrote: compressed for the gzipped ones.
      await until(() => h.inFlight === 0);
      const bytes = results.reduce((n, r) => n + r.body.length, 0);
      assert.deepEqual(
        await selfSamples(self, 'telltale_scrape_response_bytes_sum{format="text"}'),
        [`telltale_scrape_response_bytes_sum{format="text"} ${bytes}`],
      );
      assert.deepEqual(
        await selfSamples(self, 'telltale_scrape_response_bytes_count{format="text"}'),
        ['telltale_scrape_response_bytes_count{format="text"} 10'],
      );
    } finally {
      await s.close();
    }
  });

  it('text, OpenMetrics and protobuf do not share a body (one encode each), but share the gather', async () => {
    const g = new CountingGatherer(() => MIXED);
    const per = g.readsPerEncode(1);
    const h = createMetricsHandler({ registry: g, chunkSize: 512, selfMetrics: false });
    const s = await serve(h);
    try {
      const accepts = [undefined, OM_ACCEPT, PB_ACCEPT, undefined, OM_ACCEPT, PB_ACCEPT];
      const pending = accepts.map((accept) =>
        fetchRaw(`${s.base}/metrics`, accept === undefined ? {} : { headers: { accept } }),
      );
      await until(() => h.inFlight === accepts.length);
      g.release();
      const results = await Promise.all(pending);
      assert.deepEqual(
        results.map((r) => r.headers['content-type']),
        [TEXT, OM, PB, TEXT, OM, PB],
      );
      const expected: Record<string, Buffer> = {
        [TEXT]: Buffer.from(encodeText(MIXED)),
        [OM]: Buffer.from(encodeOpenMetrics(MIXED)),
        [PB]: Buffer.from(encodeProtobuf(MIXED)),
      };
      for (const r of results) assert.deepEqual(r.body, expected[r.headers['content-type']!]);
      assert.equal(g.calls, 1);
      assert.equal(g.reads, per.text + per.openmetrics + per.protobuf);
    } finally {
      await s.close();
    }
  });

  it('different name[] filters do not share a body', async () => {
    const g = new CountingGatherer(() => FAMILIES);
    const h = createMetricsHandler({ registry: g, selfMetrics: false });
    const s = await serve(h);
    try {
      const a = fetchRaw(`${s.base}/metrics?name[]=queue_depth`);
      const b = fetchRaw(`${s.base}/metrics?name[]=app_build`);
      const c = fetchRaw(`${s.base}/metrics?name[]=queue_depth`);
      await until(() => h.inFlight === 3);
      assert.equal(g.calls, 2);
      g.release();
      const [ra, rb, rc] = await Promise.all([a, b, c]);
      const only = (name: string) => encodeText(FAMILIES.filter((f) => f.name === name));
      assert.equal(ra.text, only('queue_depth'));
      assert.equal(rb.text, only('app_build'));
      assert.equal(rc.text, ra.text);
    } finally {
      await s.close();
    }
  });

  it('a scrape after the previous one finished gathers and encodes afresh (the value changed)', async () => {
    const value = (call: number): MetricFamily[] => [
      {
        name: 'gen',
        help: 'Which gather this is.',
        unit: '',
        type: 'gauge',
        points: [{ labels: labels(), value: call }],
      },
    ];
    const g = new CountingGatherer(value);
    g.hold = false;
    const per = g.readsPerEncode(1);
    const h = createMetricsHandler({ registry: g, selfMetrics: false });
    const s = await serve(h);
    try {
      const first = await fetchRaw(`${s.base}/metrics`);
      assert.equal(first.text, encodeText(value(1)));
      const second = await fetchRaw(`${s.base}/metrics`);
      assert.equal(second.text, encodeText(value(2)));
      assert.equal(g.calls, 2);
      assert.equal(g.reads, 2 * per.text);
    } finally {
      await s.close();
    }
  });

  it('a scrape arriving while a body is being written still gets the whole body', async () => {
    const families = hugeFamilies();
    const g = new CountingGatherer(() => families);
    g.hold = false;
    const h = createMetricsHandler({ registry: g, selfMetrics: false });
    const s = await serve(h);
    try {
      const expected = Buffer.from(encodeText(families));
      const first = fetchRaw(`${s.base}/metrics`);
      await until(() => h.inFlight === 1 && g.calls === 1);
      const second = fetchRaw(`${s.base}/metrics`);
      const [a, b] = await Promise.all([first, second]);
      assert.deepEqual(a.body, expected);
      assert.deepEqual(b.body, expected);
    } finally {
      await s.close();
    }
  });
});

describe('createMetricsHandler: one consumer of a shared body never holds up the others', () => {
  it('a consumer that stops reading does not stop the others; it gets the whole body when it reads', async () => {
    const families = hugeFamilies();
    const g = new CountingGatherer(() => families);
    const per = g.readsPerEncode(1);
    const responses: { slow: boolean; res: ServerResponse }[] = [];
    const h = createMetricsHandler({ registry: g, selfMetrics: false });
    const s = await serve((req, res) => {
      responses.push({ slow: req.headers['x-consumer'] === 'slow', res });
      h(req, res);
    });
    try {
      const slow = stalledGet(s.base, { 'x-consumer': 'slow' });
      await until(() => h.inFlight === 1);
      const others = Array.from({ length: 4 }, () => fetchRaw(`${s.base}/metrics`));
      await until(() => h.inFlight === 5);
      g.release();
      const expected = Buffer.from(encodeText(families));
      for (const r of await Promise.all(others)) assert.deepEqual(r.body, expected);
      // The others are complete while the stalled one is still waiting for its socket.
      const slowRes = responses.find((r) => r.slow)!.res;
      assert.equal(slowRes.writableFinished, false);
      await until(() => h.inFlight === 1);
      // It was kept its place: reading now, it gets the whole body.
      const { raw, error } = await slow.readAll();
      assert.equal(error, false);
      const parsed = parseRaw(raw);
      assert.equal(parsed.status, 200);
      assert.equal(parsed.header('content-type'), TEXT);
      assert.deepEqual(parsed.body, expected);
      assert.equal(g.calls, 1);
      assert.equal(g.reads, per.text);
      await until(() => h.inFlight === 0);
    } finally {
      await s.close();
    }
  });

  it('a stalled consumer that times out mid-body is cut; the others complete', async () => {
    const families = hugeFamilies();
    const g = new CountingGatherer(() => families);
    g.hold = false;
    const self = createRegistry();
    const responses: ServerResponse[] = [];
    const h = createMetricsHandler({ registry: g, selfMetrics: self });
    const s = await serve((req, res) => {
      responses.push(res);
      h(req, res);
    });
    try {
      const slow = stalledGet(s.base, { 'x-prometheus-scrape-timeout-seconds': '1' });
      // Its body has started (so the timeout cuts it rather than answering 503).
      await until(() => responses.length === 1 && responses[0]!.headersSent);
      const others = Array.from({ length: 3 }, () => fetchRaw(`${s.base}/metrics`));
      const expected = Buffer.from(encodeText(families));
      for (const r of await Promise.all(others)) assert.deepEqual(r.body, expected);
      await until(() => h.inFlight === 0);
      const { raw } = await slow.readAll();
      const parsed = parseRaw(raw);
      assert.equal(parsed.status, 200);
      assert.ok(parsed.body.length < expected.length, `${parsed.body.length} bytes`);
      assert.deepEqual(parsed.body, expected.subarray(0, parsed.body.length));
      assert.deepEqual(
        await selfSamples(self, 'telltale_scrapes_rejected_total{reason="timeout"}'),
        ['telltale_scrapes_rejected_total{reason="timeout"} 1'],
      );
      assert.deepEqual(
        await selfSamples(self, 'telltale_scrape_response_bytes_count{format="text"}'),
        ['telltale_scrape_response_bytes_count{format="text"} 3'],
      );
    } finally {
      await s.close();
    }
  });

  it('a consumer timing out before the gather settles gets a 503; the others of its body complete', async () => {
    const g = new CountingGatherer(() => MIXED);
    const h = createMetricsHandler({ registry: g, selfMetrics: false });
    const s = await serve(h);
    try {
      const others = [fetchRaw(`${s.base}/metrics`), fetchRaw(`${s.base}/metrics`)];
      await until(() => h.inFlight === 2);
      const early = await fetchRaw(`${s.base}/metrics`, {
        headers: { 'x-prometheus-scrape-timeout-seconds': '0.05' },
      });
      assert.equal(early.status, 503);
      assert.equal(early.text, 'Scrape timed out\n');
      g.release();
      const expected = Buffer.from(encodeText(MIXED));
      for (const r of await Promise.all(others)) assert.deepEqual(r.body, expected);
      assert.equal(g.calls, 1);
    } finally {
      await s.close();
    }
  });

  it('a consumer aborting mid-body leaves the others complete', async () => {
    const families = hugeFamilies();
    const g = new CountingGatherer(() => families);
    const per = g.readsPerEncode(1);
    const self = createRegistry();
    const h = createMetricsHandler({ registry: g, selfMetrics: self });
    const s = await serve(h);
    try {
      const aborted = abortAfterFirstChunk(`${s.base}/metrics`);
      await until(() => h.inFlight === 1);
      const others = Array.from({ length: 3 }, () => fetchRaw(`${s.base}/metrics`));
      await until(() => h.inFlight === 4);
      g.release();
      assert.ok((await aborted) > 0);
      const expected = Buffer.from(encodeText(families));
      const results: RawResponse[] = await Promise.all(others);
      for (const r of results) assert.deepEqual(r.body, expected);
      await until(() => h.inFlight === 0);
      assert.deepEqual(await selfSamples(self, 'telltale_scrape_errors_total{reason="write"}'), [
        'telltale_scrape_errors_total{reason="write"} 1',
      ]);
      assert.deepEqual(
        await selfSamples(self, 'telltale_scrape_response_bytes_count{format="text"}'),
        ['telltale_scrape_response_bytes_count{format="text"} 3'],
      );
      assert.equal(g.reads, per.text);
    } finally {
      await s.close();
    }
  });
});

describe('createMetricsHandler: encode errors on a shared body', () => {
  it('an error mid-body destroys every consumer of that body, logged once', async () => {
    const logger = recordingLogger();
    const g = new HeldGatherer([...bigFamilies(20_000), explodingFamily('zz')]);
    const self = createRegistry();
    const h = createMetricsHandler({ registry: g, logger, selfMetrics: self });
    const s = await serve(h);
    try {
      const pending = Array.from({ length: 5 }, () =>
        fetchRaw(`${s.base}/metrics`).then(
          () => 'completed',
          (err: Error) => err.message,
        ),
      );
      await until(() => h.inFlight === 5);
      g.release();
      const outcomes = await Promise.all(pending);
      for (const o of outcomes) assert.match(o, /aborted|socket hang up|ECONNRESET/);
      await until(() => h.inFlight === 0);
      assert.equal(g.calls, 1);
      assert.deepEqual(logger.lines, ['error Metrics encoding failed mid-response']);
      assert.deepEqual(await selfSamples(self, 'telltale_scrape_errors_total{reason="encode"}'), [
        'telltale_scrape_errors_total{reason="encode"} 5',
      ]);
      // The failed body is forgotten: the next scrape starts a new one (and fails the same way).
      const next = assert.rejects(
        fetchRaw(`${s.base}/metrics`),
        /aborted|socket hang up|ECONNRESET/,
      );
      await until(() => g.calls === 2);
      g.release();
      await next;
    } finally {
      await s.close();
    }
  });

  it('an error on the first chunk is a 500 for every consumer of that body, logged once', async () => {
    const logger = recordingLogger();
    const g = new HeldGatherer([explodingFamily('a')]);
    const h = createMetricsHandler({ registry: g, logger, selfMetrics: false });
    const s = await serve(h);
    try {
      const pending = Array.from({ length: 4 }, () => fetchRaw(`${s.base}/metrics`));
      await until(() => h.inFlight === 4);
      g.release();
      for (const r of await Promise.all(pending)) {
        assert.equal(r.status, 500);
        assert.equal(r.text, 'Error encoding metrics\n');
      }
      assert.equal(g.calls, 1);
      assert.deepEqual(logger.lines, ['error Metrics encoding failed']);
    } finally {
      await s.close();
    }
  });
});
