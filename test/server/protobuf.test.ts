// The metrics handler serving delimited protobuf over real HTTP: negotiation as Prometheus sends it, gzip, HEAD, name[], bad media types, streaming a large body, a live registry.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { encodeOpenMetrics, encodeProtobuf, encodeText } from '../../src/exposition/index.js';
import { createRegistry } from '../../src/metrics/index.js';
import { createMetricsHandler } from '../../src/server/index.js';
import { decodeDelimited, type Loose } from '../exposition/protobuf-decode.js';
import { bigFamilies, FAMILIES, fetchRaw, StaticGatherer, serve } from './fixtures.js';

const PB =
  'application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited';
const OM = 'application/openmetrics-text; version=1.0.0; charset=utf-8';
const TEXT = 'text/plain; version=0.0.4; charset=utf-8';
// Captured from Prometheus 2.42 with --enable-feature=native-histograms (shared/notes/real-consumers.md (c)).
const PROM_242_NATIVE =
  'application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited,application/openmetrics-text;version=1.0.0;q=0.8,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';
const PB_TYPE = 'application/vnd.google.protobuf';

describe('createMetricsHandler: delimited protobuf', () => {
  const gatherer = new StaticGatherer();
  let base = '';
  let close: () => Promise<void>;
  before(async () => {
    ({ base, close } = await serve(
      createMetricsHandler({ registry: gatherer, selfMetrics: false }),
    ));
  });
  after(() => close());

  it('Prometheus 2.42 with native histograms gets protobuf that decodes to the families', async () => {
    const res = await fetchRaw(`${base}/metrics`, { headers: { accept: PROM_242_NATIVE } });
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-type'], PB);
    assert.equal(res.headers['vary'], 'Accept, Accept-Encoding');
    assert.equal(res.headers['content-encoding'], undefined);
    assert.deepEqual(res.body, Buffer.from(encodeProtobuf(FAMILIES)));
    const decoded = decodeDelimited(res.body) as Loose[];
    assert.deepEqual(
      decoded.map((f) => [f['name'], f['type']]),
      [
        ['app_build_info', 'GAUGE'],
        ['http_requests_total', 'COUNTER'],
        ['queue_depth', 'GAUGE'],
        ['request_seconds', 'HISTOGRAM'],
      ],
    );
    assert.deepEqual(
      decoded[1]!['metric'].map((m: Loose) => [m.label[0].value, m.counter.value]),
      [
        ['200', 7],
        ['500', 1],
      ],
    );
  });

  it('gzip applies to protobuf: the body gunzips to the same bytes', async () => {
    const zipped = await fetchRaw(`${base}/metrics`, {
      headers: { accept: PROM_242_NATIVE, 'accept-encoding': 'gzip' },
    });
    assert.equal(zipped.headers['content-type'], PB);
    assert.equal(zipped.headers['content-encoding'], 'gzip');
    assert.deepEqual(gunzipSync(zipped.body), Buffer.from(encodeProtobuf(FAMILIES)));
  });

  it('HEAD answers with the protobuf headers and no body', async () => {
    const res = await fetchRaw(`${base}/metrics`, {
      method: 'HEAD',
      headers: { accept: PROM_242_NATIVE, 'accept-encoding': 'gzip' },
    });
    assert.equal(res.headers['content-type'], PB);
    assert.equal(res.headers['content-encoding'], 'gzip');
    assert.equal(res.body.length, 0);
  });

  it('name[] filters protobuf bodies like the others', async () => {
    const res = await fetchRaw(`${base}/metrics?name[]=http_requests_total`, {
      headers: { accept: PROM_242_NATIVE },
    });
    assert.deepEqual(
      res.body,
      Buffer.from(encodeProtobuf(FAMILIES.filter((f) => f.name === 'http_requests'))),
    );
  });

  // Another message, another framing, or a missing parameter: the next acceptable format, with a
  // body that is valid in it, never protobuf bytes under another type.
  const fallbacks: [accept: string, type: string][] = [
    [
      `${PB_TYPE};proto=io.prometheus.client.Metric;encoding=delimited,application/openmetrics-text;q=0.8`,
      OM,
    ],
    [
      `${PB_TYPE};proto=io.prometheus.client.MetricFamily;encoding=text,application/openmetrics-text;q=0.8`,
      OM,
    ],
    [
      `${PB_TYPE};proto=io.prometheus.client.MetricFamily;encoding=compact-text,text/plain;q=0.5`,
      TEXT,
    ],
    [`${PB_TYPE};proto=io.prometheus.client.MetricFamily`, TEXT],
    [`${PB_TYPE}`, TEXT],
    [`${PB_TYPE};proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0,*/*;q=0.1`, TEXT],
  ];
  for (const [accept, type] of fallbacks) {
    it(`falls back for ${JSON.stringify(accept)}`, async () => {
      const res = await fetchRaw(`${base}/metrics`, { headers: { accept } });
      assert.equal(res.status, 200);
      assert.equal(res.headers['content-type'], type);
      assert.equal(res.text, type === OM ? encodeOpenMetrics(FAMILIES) : encodeText(FAMILIES));
    });
  }

  it('streams a large body in chunks that decode whole, scrape after scrape', async () => {
    const big = new StaticGatherer(bigFamilies(50_000));
    const s = await serve(
      createMetricsHandler({ registry: big, selfMetrics: false, chunkSize: 4096 }),
    );
    try {
      const expected = Buffer.from(encodeProtobuf(big.families));
      assert.ok(expected.length > 500_000);
      for (let i = 0; i < 3; i++) {
        const res = await fetchRaw(`${s.base}/metrics`, { headers: { accept: PROM_242_NATIVE } });
        assert.deepEqual(res.body, expected, `scrape ${i}`);
      }
      const [family] = decodeDelimited(expected) as Loose[];
      assert.equal(family!['metric'].length, 50_000);
      assert.deepEqual(family!['metric'][49_999], {
        label: [{ name: 'i', value: '49999' }],
        gauge: { value: 49_999 },
      });
    } finally {
      await s.close();
    }
  });

  it('a live registry: values and series that change between scrapes come out right', async () => {
    const registry = createRegistry();
    const c = registry.counter({ name: 'jobs_total', help: 'Jobs.', labelNames: ['kind'] });
    const h = registry.histogram({ name: 'work_seconds', help: 'Work.', buckets: [0.5, 1] });
    c.inc({ kind: 'a' }, 2);
    h.observe(0.25);
    h.observe(2);
    const s = await serve(createMetricsHandler({ registry }));
    try {
      const scrape = async (): Promise<Loose[]> => {
        const res = await fetchRaw(`${s.base}/metrics`, { headers: { accept: PROM_242_NATIVE } });
        assert.equal(res.headers['content-type'], PB);
        return decodeDelimited(res.body) as Loose[];
      };
      const byName = (fs: Loose[], name: string) => fs.find((f) => f['name'] === name)!;
      let fs = await scrape();
      assert.deepEqual(
        byName(fs, 'jobs_total')['metric'].map((m: Loose) => [m.label, m.counter.value]),
        [[[{ name: 'kind', value: 'a' }], 2]],
      );
      const hist = byName(fs, 'work_seconds')['metric'][0].histogram;
      assert.equal(hist.sampleCount, '2');
      assert.equal(hist.sampleSum, 2.25);
      assert.deepEqual(
        hist.bucket.map((b: Loose) => [b.upperBound, b.cumulativeCount]),
        [
          [0.5, '1'],
          [1, '1'],
        ],
      );
      c.inc({ kind: 'a' });
      c.inc({ kind: 'b' }, 5);
      c.remove({ kind: 'a' });
      c.inc({ kind: 'c' }, 1);
      fs = await scrape();
      assert.deepEqual(
        byName(fs, 'jobs_total')['metric'].map((m: Loose) => [m.label[0].value, m.counter.value]),
        [
          ['b', 5],
          ['c', 1],
        ],
      );
    } finally {
      await s.close();
    }
  });
});
