// Tests for the handler's self-metrics in a real registry: duration, response size, errors, rejections, in-flight.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { describe, it } from 'node:test';
import { TelltaleError } from '../../src/internal/errors.js';
import { createRegistry } from '../../src/metrics/index.js';
import { createMetricsHandler } from '../../src/server/index.js';
import {
  bigFamilies,
  failingGatherer,
  fetchRaw,
  HeldGatherer,
  OM_ACCEPT,
  PB_ACCEPT,
  StaticGatherer,
  serve,
  until,
} from './fixtures.js';

/** The sample lines of a text body that start with `prefix`. */
function samples(body: string, prefix: string): string[] {
  return body.split('\n').filter((l) => l.startsWith(prefix));
}

describe('self-metrics', () => {
  it('are registered in the served registry by default and count what happened', async () => {
    const registry = createRegistry();
    registry.gauge({ name: 'app_up', help: 'Always 1.' }).set(1);
    const h = createMetricsHandler({ registry, auth: { bearer: 't' }, scrapeTimeoutMs: 5_000 });
    const s = await serve(h);
    const auth = { authorization: 'Bearer t' };
    try {
      // Before any scrape: every series exists at 0.
      const first = await fetchRaw(`${s.base}/metrics`, { headers: auth });
      assert.equal(first.status, 200);
      assert.deepEqual(samples(first.text, 'telltale_scrapes_rejected_total'), [
        'telltale_scrapes_rejected_total{reason="in_flight"} 0',
        'telltale_scrapes_rejected_total{reason="auth"} 0',
        'telltale_scrapes_rejected_total{reason="timeout"} 0',
      ]);
      assert.deepEqual(samples(first.text, 'telltale_scrape_errors_total'), [
        'telltale_scrape_errors_total{reason="gather"} 0',
        'telltale_scrape_errors_total{reason="encode"} 0',
        'telltale_scrape_errors_total{reason="write"} 0',
      ]);
      assert.deepEqual(samples(first.text, 'telltale_scrapes_in_flight'), [
        'telltale_scrapes_in_flight 1',
      ]);
      assert.deepEqual(samples(first.text, 'telltale_scrape_response_bytes_count'), [
        'telltale_scrape_response_bytes_count{format="text"} 0',
        'telltale_scrape_response_bytes_count{format="openmetrics"} 0',
        'telltale_scrape_response_bytes_count{format="protobuf"} 0',
      ]);
      await until(() => h.inFlight === 0);

      // A gzipped OpenMetrics scrape and two unauthorised requests.
      const om = await fetchRaw(`${s.base}/metrics`, {
        headers: { ...auth, accept: OM_ACCEPT, 'accept-encoding': 'gzip' },
      });
      assert.equal(om.headers['content-encoding'], 'gzip');
      await until(() => h.inFlight === 0);
      // A protobuf scrape, as Prometheus with native histograms asks for it.
      const pb = await fetchRaw(`${s.base}/metrics`, { headers: { ...auth, accept: PB_ACCEPT } });
      assert.match(String(pb.headers['content-type']), /^application\/vnd\.google\.protobuf;/);
      await until(() => h.inFlight === 0);
      assert.equal((await fetchRaw(`${s.base}/metrics`)).status, 401);
      assert.equal(
        (await fetchRaw(`${s.base}/metrics`, { headers: { authorization: 'Bearer x' } })).status,
        401,
      );

      const third = await fetchRaw(`${s.base}/metrics`, { headers: auth });
      assert.ok(third.text.includes('app_up 1\n'));
      assert.deepEqual(samples(third.text, 'telltale_scrapes_rejected_total{reason="auth"}'), [
        'telltale_scrapes_rejected_total{reason="auth"} 2',
      ]);
      // Response size: exact bytes on the wire; the gzip-compressed size for the gzipped scrape.
      assert.deepEqual(samples(third.text, 'telltale_scrape_response_bytes_sum'), [
        `telltale_scrape_response_bytes_sum{format="text"} ${first.body.length}`,
        `telltale_scrape_response_bytes_sum{format="openmetrics"} ${om.body.length}`,
        `telltale_scrape_response_bytes_sum{format="protobuf"} ${pb.body.length}`,
      ]);
      assert.deepEqual(samples(third.text, 'telltale_scrape_duration_seconds_count'), [
        'telltale_scrape_duration_seconds_count{format="text"} 1',
        'telltale_scrape_duration_seconds_count{format="openmetrics"} 1',
        'telltale_scrape_duration_seconds_count{format="protobuf"} 1',
      ]);
      assert.deepEqual(samples(third.text, 'telltale_scrape_errors_total{reason="gather"}'), [
        'telltale_scrape_errors_total{reason="gather"} 0',
      ]);
    } finally {
      await s.close();
    }
  });

  it('count in-flight rejections, timeouts and gather errors in an explicit registry', async () => {
    const selfMetrics = createRegistry();
    const held = new HeldGatherer();
    const h = createMetricsHandler({
      registry: held,
      selfMetrics,
      maxInFlight: 1,
      scrapeTimeoutMs: 100,
    });
    const s = await serve(h);
    try {
      const slow = fetchRaw(`${s.base}/metrics`);
      await until(() => h.inFlight === 1);
      assert.equal((await fetchRaw(`${s.base}/metrics`)).status, 503);
      assert.equal((await slow).status, 503); // timed out
      held.release();
      const failing = createMetricsHandler({
        registry: failingGatherer,
        selfMetrics,
        logger: { info() {}, warn() {}, error() {} },
      });
      const f = await serve(failing);
      try {
        assert.equal((await fetchRaw(`${f.base}/metrics`)).status, 500);
        await until(() => failing.inFlight === 0);
      } finally {
        await f.close();
      }
      const reader = await serve(
        createMetricsHandler({ registry: selfMetrics, selfMetrics: false }),
      );
      const body = (await fetchRaw(`${reader.base}/metrics`)).text;
      await reader.close();
      assert.deepEqual(samples(body, 'telltale_scrapes_rejected_total'), [
        'telltale_scrapes_rejected_total{reason="in_flight"} 1',
        'telltale_scrapes_rejected_total{reason="auth"} 0',
        'telltale_scrapes_rejected_total{reason="timeout"} 1',
      ]);
      assert.deepEqual(samples(body, 'telltale_scrape_errors_total{reason="gather"}'), [
        'telltale_scrape_errors_total{reason="gather"} 1',
      ]);
      assert.deepEqual(samples(body, 'telltale_scrapes_in_flight'), [
        'telltale_scrapes_in_flight 0',
      ]);
    } finally {
      await s.close();
    }
  });

  it('two handlers on one registry share the metrics (registration is idempotent)', () => {
    const registry = createRegistry();
    createMetricsHandler({ registry });
    createMetricsHandler({ registry, path: '/other' });
    assert.deepEqual(
      registry.instruments().map((i) => i.name),
      [
        'telltale_scrape_duration_seconds',
        'telltale_scrape_errors',
        'telltale_scrape_response_bytes',
        'telltale_scrapes_in_flight',
        'telltale_scrapes_rejected',
      ],
    );
  });

  it('a plain gatherer gets no self-metrics unless a registry is given; false turns them off', async () => {
    const registry = createRegistry();
    createMetricsHandler({ registry, selfMetrics: false });
    assert.deepEqual(registry.instruments(), []);
    createMetricsHandler({ registry: new StaticGatherer() });
    createMetricsHandler({ registry: [new StaticGatherer(), registry] });
    assert.deepEqual(registry.instruments(), []);
    assert.throws(
      () => createMetricsHandler({ registry, selfMetrics: {} as never }),
      (err: unknown) => err instanceof TelltaleError && err.code === 'TT_INVALID_OPTION',
    );
  });
});

describe('the metric label of the registry self-metrics in a scrape', () => {
  it('is the name the scrape itself exposes (a counter with _total), in both formats', async () => {
    const registry = createRegistry({ maxSeries: 1 });
    const jobs = registry.counter({ name: 'jobs_total', help: 'Jobs.', labelNames: ['queue'] });
    const lat = registry.histogram({ name: 'lat_seconds', help: 'L.', labelNames: ['queue'] });
    for (const queue of ['a', 'b', 'c']) {
      jobs.inc({ queue });
      lat.observe({ queue }, 0.1);
    }
    const s = await serve(createMetricsHandler({ registry, selfMetrics: false }));
    try {
      const text = (await fetchRaw(`${s.base}/metrics`)).text;
      assert.deepEqual(samples(text, 'telltale_series_overflow_total'), [
        'telltale_series_overflow_total{metric="jobs_total"} 2',
        'telltale_series_overflow_total{metric="lat_seconds"} 2',
      ]);
      assert.ok(text.includes('\n# TYPE jobs_total counter\n'), text);
      assert.ok(text.includes('\n# TYPE lat_seconds histogram\n'), text);
      const om = (await fetchRaw(`${s.base}/metrics`, { headers: { accept: OM_ACCEPT } })).text;
      assert.deepEqual(samples(om, 'telltale_series_overflow_total'), [
        'telltale_series_overflow_total{metric="jobs_total"} 2',
        'telltale_series_overflow_total{metric="lat_seconds"} 2',
      ]);
      assert.ok(om.includes('\njobs_total{queue="a"} 1\n'), om);
    } finally {
      await s.close();
    }
  });
});

describe('slow and vanishing clients', () => {
  /** Sends a raw GET and returns the socket; the caller decides whether to read. */
  async function rawGet(base: string): Promise<Socket> {
    const { hostname, port } = new URL(base);
    const socket = connect(Number(port), hostname);
    await once(socket, 'connect');
    socket.write('GET /metrics HTTP/1.1\r\nHost: test\r\n\r\n');
    return socket;
  }

  it('a client that stops reading is cut off at the scrape timeout (body already started)', async () => {
    const selfMetrics = createRegistry();
    // About 11 MB of text: more than the loopback socket buffers hold, so writes must stall.
    const h = createMetricsHandler({
      registry: new StaticGatherer(bigFamilies(400_000)),
      selfMetrics,
      scrapeTimeoutMs: 300,
    });
    const s = await serve(h);
    try {
      const socket = await rawGet(s.base);
      socket.pause();
      await until(() => h.inFlight === 1);
      // The server gives up at the timeout and destroys the connection. (A paused client would
      // only notice on its next read, so watch the server side.)
      await until(() => h.inFlight === 0, 5_000);
      socket.destroy();
      const rejected = selfMetrics.counter({
        name: 'telltale_scrapes_rejected_total',
        help: 'Metrics scrapes turned away, by reason (in_flight, auth, timeout).',
        labelNames: ['reason'],
      });
      assert.equal(rejected.get({ reason: 'timeout' }), 1);
    } finally {
      await s.close();
    }
  });

  it('a client that disconnects mid-body is counted as a write error and frees its slot', async () => {
    const selfMetrics = createRegistry();
    const h = createMetricsHandler({
      registry: new StaticGatherer(bigFamilies(400_000)),
      selfMetrics,
      maxInFlight: 1,
    });
    const s = await serve(h);
    try {
      const socket = await rawGet(s.base);
      await once(socket, 'data');
      socket.destroy();
      await until(() => h.inFlight === 0);
      const errors = selfMetrics.counter({
        name: 'telltale_scrape_errors_total',
        help: 'Metrics scrapes that failed, by reason (gather, encode, write).',
        labelNames: ['reason'],
      });
      assert.equal(errors.get({ reason: 'write' }), 1);
      // The slot is free again.
      const next = await fetchRaw(`${s.base}/metrics?name[]=none`);
      assert.equal(next.status, 200);
    } finally {
      await s.close();
    }
  });
});
