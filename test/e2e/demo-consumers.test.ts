// The demo's live /metrics, in every negotiated format, is accepted by promtool and the Python client's parsers.

import assert from 'node:assert/strict';
import { get } from 'node:http';
import { test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { startDemo } from '../../examples/demo/demo.js';
import { decodeDelimited } from '../exposition/protobuf-decode.js';
import { assertPromtoolClean } from '../helpers/promtool.js';
import {
  assertOpenMetricsBodyValid,
  assertTextBodyValid,
  parseOpenMetrics,
} from '../helpers/python.js';

const PROMETHEUS_ACCEPT =
  'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';
const PROMETHEUS_NATIVE_ACCEPT =
  'application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited,application/openmetrics-text;version=1.0.0;q=0.8,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';

/** GETs the URL with node:http (no automatic decompression) and gunzips when the server compressed. */
function scrape(
  url: string,
  headers: Record<string, string>,
): Promise<{ type: string; body: string; bytes: Buffer }> {
  return new Promise((resolve, reject) => {
    get(url, { headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        try {
          assert.equal(res.statusCode, 200);
          const raw = Buffer.concat(chunks);
          const gz = res.headers['content-encoding'] === 'gzip';
          assert.equal(gz, (headers['accept-encoding'] ?? '').includes('gzip'));
          const bytes = gz ? gunzipSync(raw) : raw;
          resolve({ type: res.headers['content-type'] ?? '', body: bytes.toString('utf8'), bytes });
        } catch (err) {
          reject(err);
        }
      });
    }).on('error', reject);
  });
}

test('the demo body passes promtool and both Python parsers in every format', {
  timeout: 30_000,
}, async (t) => {
  const demo = await startDemo({ port: 0, workloadIntervalMs: 5 });
  t.after(() => demo.stop());
  // Let the workload create every label set, including the awkward ones.
  await new Promise((r) => setTimeout(r, 200));

  const text = await scrape(demo.metricsUrl, {});
  assert.equal(text.type, 'text/plain; version=0.0.4; charset=utf-8');
  assert.match(
    text.body,
    /demo_label_showcase_total\{service="demo",text="line one\\nline two"\} \d+\n/,
  );
  await assertPromtoolClean(text.body);
  await assertTextBodyValid(text.body);

  // Prometheus with native histograms gets delimited protobuf, decoded here with protobufjs and
  // client_model's metrics.proto: info and stateset arrive as gauges, as client_golang sends them.
  const pb = await scrape(demo.metricsUrl, {
    accept: PROMETHEUS_NATIVE_ACCEPT,
    'accept-encoding': 'gzip',
  });
  assert.equal(
    pb.type,
    'application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited',
  );
  const pbTypes = new Map(decodeDelimited(pb.bytes).map((f) => [f['name'], f['type']]));
  assert.equal(pbTypes.get('demo_build_info'), 'GAUGE');
  assert.equal(pbTypes.get('demo_phase'), 'GAUGE');
  assert.equal(pbTypes.get('demo_payload_bytes'), 'SUMMARY');
  assert.equal(pbTypes.get('demo_request_duration_seconds'), 'HISTOGRAM');
  assert.equal(pbTypes.get('demo_requests_total'), 'COUNTER');

  for (const accept of [PROMETHEUS_ACCEPT]) {
    const om = await scrape(demo.metricsUrl, { accept, 'accept-encoding': 'gzip' });
    assert.equal(om.type, 'application/openmetrics-text; version=1.0.0; charset=utf-8');
    assert.ok(om.body.endsWith('# EOF\n'));
    await assertOpenMetricsBodyValid(om.body);
    const [parsed] = await parseOpenMetrics([om.body]);
    assert.ok(parsed?.ok);
    const types = new Map(parsed.families.map((f) => [f.name, f.type]));
    assert.equal(types.get('demo_build'), 'info');
    assert.equal(types.get('demo_phase'), 'stateset');
    assert.equal(types.get('demo_payload_bytes'), 'summary');
    assert.equal(types.get('demo_request_duration_seconds'), 'histogram');
    assert.equal(types.get('demo_requests'), 'counter');
  }
});
