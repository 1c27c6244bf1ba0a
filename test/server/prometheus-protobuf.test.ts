// A real Prometheus 2.42 with --enable-feature=native-histograms scrapes the metrics handler as delimited protobuf: native histograms from a custom Gatherer and classic series query exactly.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { CONTENT_TYPES } from '../../src/exposition/index.js';
import { createRegistry } from '../../src/metrics/index.js';
import type { Gatherer, MetricFamily } from '../../src/metrics/model.js';
import { createMetricsHandler } from '../../src/server/index.js';
import { NATIVE_ONLY, NATIVE_WITH_CLASSIC } from '../exposition/protobuf-families.js';
import { startPrometheus } from '../helpers/index.js';

/** Serves hand-built native histograms (there is no native recording yet) as a Gatherer does. */
const nativeGatherer: Gatherer = {
  gather: (): Promise<MetricFamily[]> => Promise.resolve([NATIVE_WITH_CLASSIC, NATIVE_ONLY]),
};

test('Prometheus 2.42 (native histograms) ingests our protobuf: histogram_count/sum exact, classic series too', {
  timeout: 60_000,
}, async (t) => {
  const registry = createRegistry();
  registry
    .counter({ name: 'jobs_total', help: 'Jobs.', labelNames: ['kind'] })
    .inc({ kind: 'a' }, 7);
  registry.gauge({ name: 'queue_depth', help: 'Queued.' }).set(-2.5);
  // A native histogram recorded by the registry itself, next to classic buckets.
  const latency = registry.histogram({
    name: 'recorded_seconds',
    help: 'Recorded latency.',
    buckets: [0.1, 1],
    native: { schema: 3 },
  });
  const observed = [0.004, 0.02, 0.02, 0.3, 0.3, 0.3, 1.5, 0];
  for (const v of observed) latency.observe(v);
  const handler = createMetricsHandler({ registry: [registry, nativeGatherer] });
  // Record the Content-Type of every response the handler sends.
  const served: string[] = [];
  const server = createServer((req, res) => {
    // The handler passes its headers to writeHead: read the Content-Type from the head it sent.
    res.on('finish', () => {
      const head = (res as unknown as { _header?: string })._header ?? '';
      served.push(/^content-type: (.*)\r$/im.exec(head)?.[1] ?? `none in ${JSON.stringify(head)}`);
    });
    handler(req, res);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  const { port } = server.address() as AddressInfo;
  const prom = await startPrometheus({
    targets: [{ port }],
    extraFlags: ['--enable-feature=native-histograms'],
  });
  t.after(() => prom.stop());

  const [target] = await prom.waitForHealthyTarget(30_000);
  assert.equal(target?.health, 'up');
  assert.equal(target?.lastError, '');
  assert.ok(served.length > 0);
  assert.ok(
    served.every((type) => type === CONTENT_TYPES.protobuf),
    served.join(', '),
  );

  // Native histograms, exactly as built: count and sum.
  const scalar = (q: string) => prom.queryScalar(q);
  assert.equal(await scalar('histogram_count(native_only_seconds{idle=""})'), 14);
  assert.equal(await scalar('histogram_sum(native_only_seconds{idle=""})'), 14.5);
  assert.equal(await scalar('histogram_count(native_only_seconds{idle="yes"})'), 0);
  assert.equal(await scalar('histogram_count(native_latency_seconds{route="/a"})'), 5);
  assert.equal(await scalar('histogram_sum(native_latency_seconds{route="/a"})'), 2.55);
  // Observations -1.5, 0, 0.3, 0.75, 3: the median lies in bucket (0.25, 0.5].
  const median = await scalar('histogram_quantile(0.5, native_latency_seconds{route="/a"})');
  assert.ok(median > 0.25 && median <= 0.5, String(median));
  // The raw sample is a native histogram (not classic _bucket series).
  const [sample] = await prom.query('native_only_seconds{idle=""}');
  assert.deepEqual(
    { count: sample?.histogram?.count, sum: sample?.histogram?.sum },
    { count: '14', sum: '14.5' },
  );
  assert.deepEqual(await prom.query('native_only_seconds_bucket'), []);

  // The registry's own native histogram: count and sum exactly as observed.
  assert.equal(await scalar('histogram_count(recorded_seconds)'), observed.length);
  assert.equal(
    await scalar('histogram_sum(recorded_seconds)'),
    observed.reduce((a, b) => a + b, 0),
  );
  // Sorted observations 0, 0.004, 0.02, 0.02, 0.3, 0.3, 0.3, 1.5: the median (rank 4) is in the
  // schema-3 bucket holding 0.02, which is (2^(-46/8), 2^(-45/8)] = (0.0184, 0.0201].
  const recordedMedian = await scalar('histogram_quantile(0.5, recorded_seconds)');
  assert.ok(
    recordedMedian > 2 ** (-46 / 8) && recordedMedian <= 2 ** (-45 / 8),
    String(recordedMedian),
  );

  // Classic series from the same scrapes.
  assert.equal(await scalar('jobs_total{kind="a"}'), 7);
  assert.equal(await scalar('queue_depth'), -2.5);
});
