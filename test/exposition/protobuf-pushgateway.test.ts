// A second real consumer of our protobuf: Pushgateway 1.5.1 takes a delimited-protobuf PUT with native histograms and re-exposes every value exactly.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { describe, it } from 'node:test';
import { CONTENT_TYPES } from '../../src/exposition/format.js';
import { encodeProtobuf } from '../../src/exposition/protobuf.js';
import type { MetricFamily } from '../../src/metrics/model.js';
import { startPushgateway } from '../helpers/pushgateway.js';
import { GOLDEN_FAMILIES } from './golden-families.js';
import { decodeDelimited, type Loose } from './protobuf-decode.js';
import { NATIVE_ONLY, NATIVE_WITH_CLASSIC } from './protobuf-families.js';

/** One request with a binary body; resolves with the raw response. */
function send(
  url: string,
  method: string,
  headers: Record<string, string>,
  body?: Uint8Array,
): Promise<{ status: number; type: string; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          type: res.headers['content-type'] ?? '',
          body: Buffer.concat(chunks),
        }),
      );
    });
    req.setTimeout(10_000, () => req.destroy(new Error(`${url}: no response in 10 s`)));
    req.on('error', reject);
    req.end(body);
  });
}

const pick = (...names: string[]) => GOLDEN_FAMILIES.filter((f) => names.includes(f.name));
// Every kind but the summary (the Pushgateway keeps summaries too, but its own push summaries
// would make the family list depend on timing) with awkward label values and special numbers.
const PUSHED: MetricFamily[] = [
  ...pick('build', 'feature_state', 'http_requests', 'temperature_celsius', 'legacy_value'),
  NATIVE_WITH_CLASSIC,
  NATIVE_ONLY,
];
const GROUPING = [
  { name: 'instance', value: 'i1' },
  { name: 'job', value: 'telltale' },
];

/** A decoded family as the Pushgateway re-exposes it: grouping labels added, labels sorted by name. */
function asRegrouped(family: Loose): Loose {
  return {
    ...family,
    metric: (family['metric'] ?? []).map(({ label, ...rest }: Loose) => ({
      label: [...(label ?? []), ...GROUPING].sort((a: Loose, b: Loose) =>
        a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
      ),
      ...rest,
    })),
  };
}

/** Metrics compared irrespective of order (the Pushgateway sorts series by their labels). */
function sortedMetrics(family: Loose): string[] {
  return (family['metric'] ?? []).map((m: Loose) => JSON.stringify(m, numbers)).sort();
}
const numbers = (_k: string, v: unknown) =>
  typeof v === 'number' && !Number.isFinite(v) ? String(v) : Object.is(v, -0) ? '-0' : v;

describe('Pushgateway 1.5.1 and our delimited protobuf', { timeout: 30_000 }, () => {
  it('accepts a protobuf PUT with native histograms and re-exposes every value exactly', async (t) => {
    const pgw = await startPushgateway();
    t.after(() => pgw.stop());
    const body = encodeProtobuf(PUSHED);
    const put = await send(
      `${pgw.url}/metrics/job/telltale/instance/i1`,
      'PUT',
      { 'Content-Type': CONTENT_TYPES.protobuf },
      body,
    );
    assert.equal(put.status, 200, put.body.toString());

    // Read back as protobuf: the same families, each series with the grouping labels added.
    const back = await send(`${pgw.url}/metrics`, 'GET', {
      Accept:
        'application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited',
    });
    assert.equal(back.type, CONTENT_TYPES.protobuf);
    const exposed = new Map((decodeDelimited(back.body) as Loose[]).map((f) => [f['name'], f]));
    const pushed = decodeDelimited(body) as Loose[];
    assert.equal(pushed.length, 7);
    for (const family of pushed) {
      const got = exposed.get(family['name']);
      assert.ok(got !== undefined, `${family['name']} re-exposed`);
      const want = asRegrouped(family);
      assert.deepEqual(
        { name: got['name'], help: got['help'], type: got['type'] },
        { name: want['name'], help: want['help'], type: want['type'] },
      );
      assert.deepEqual(sortedMetrics(got), sortedMetrics(want), String(family['name']));
    }

    // The native buckets, spelled out: they survived parsing and re-encoding by the gateway.
    const native = exposed.get('native_only_seconds')!['metric'] as Loose[];
    const full = native.find((m) => m.label.length === 2)!.histogram;
    assert.deepEqual(
      {
        count: full.sampleCount,
        sum: full.sampleSum,
        schema: full.schema,
        zeroThreshold: full.zeroThreshold,
        spans: full.positiveSpan,
        deltas: full.positiveDelta,
      },
      {
        count: '14',
        sum: 14.5,
        schema: 8,
        zeroThreshold: 0.001,
        spans: [{ offset: 1000, length: 3 }],
        deltas: ['5', '-3', '5'],
      },
    );

    // And its text 0.0.4 output carries what text can: classic buckets, sum and count.
    const text = await pgw.metrics();
    for (const line of [
      'native_latency_seconds_bucket{instance="i1",job="telltale",route="/a",le="0.1"} 2',
      'native_latency_seconds_bucket{instance="i1",job="telltale",route="/a",le="1"} 4',
      'native_latency_seconds_bucket{instance="i1",job="telltale",route="/a",le="+Inf"} 5',
      'native_latency_seconds_sum{instance="i1",job="telltale",route="/a"} 2.55',
      'native_latency_seconds_count{instance="i1",job="telltale",route="/a"} 5',
      'native_only_seconds_sum{instance="i1",job="telltale"} 14.5',
      'native_only_seconds_count{instance="i1",job="telltale"} 14',
      'http_requests_total{instance="i1",job="telltale",method="PUT",path="C:\\\\dir\\\\file"} 3.5',
      'build_info{instance="i1",job="telltale",revision="abc123",version="1.2.3"} 1',
      'feature_state{feature_state="ready",instance="i1",job="telltale"} 1',
      'temperature_celsius{instance="i1",job="telltale",sensor="Zürich ☃ 🚀 日本"} +Inf',
    ]) {
      assert.ok(text.split('\n').includes(line), `text has ${line}`);
    }
  });
});
