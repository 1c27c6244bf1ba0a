// End to end with real consumers: Prometheus 2.42 scrapes createMetricsServer (OpenMetrics, gzip, bearer auth, name[] filter); promtool and the Python parsers read its bodies.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createRegistry, type Registry } from '../../src/metrics/index.js';
import { createMetricsServer, type RunningMetricsServer } from '../../src/server/index.js';
import {
  assertOpenMetricsBodyValid,
  assertPromtoolClean,
  assertTextBodyValid,
  type PrometheusServer,
  startPrometheus,
} from '../helpers/index.js';
import { fetchRaw } from './fixtures.js';

function running(s: Awaited<ReturnType<typeof createMetricsServer>>): RunningMetricsServer {
  if (!s.enabled) throw new Error('expected a running server');
  return s;
}

function appRegistry(): Registry {
  const registry = createRegistry();
  const requests = registry.counter({
    name: 'http_requests_total',
    help: 'HTTP requests served.',
    labelNames: ['code'],
  });
  requests.inc({ code: '200' }, 5);
  requests.inc({ code: '500' });
  registry.gauge({ name: 'queue_depth', help: 'Jobs waiting.' }).set(3);
  registry
    .histogram({ name: 'job_duration_seconds', help: 'Job latency.', buckets: [0.1, 1] })
    .observe(0.5);
  return registry;
}

describe('createMetricsServer scraped by Prometheus 2.42', { timeout: 60_000 }, () => {
  let open: RunningMetricsServer;
  let secured: RunningMetricsServer;
  let prometheus: PrometheusServer;

  before(async () => {
    open = running(await createMetricsServer({ registry: appRegistry(), port: 0 }));
    secured = running(
      await createMetricsServer({ registry: appRegistry(), port: 0, auth: { bearer: 's3cret' } }),
    );
    prometheus = await startPrometheus({
      // Without --enable-feature=native-histograms Prometheus asks for OpenMetrics first (with it,
      // protobuf, which test/e2e/demo-prometheus.test.ts covers).
      targets: [
        { port: open.port, job: 'open' },
        {
          port: secured.port,
          job: 'secured',
          scrapeConfig: { authorization: { credentials: 's3cret' } },
        },
        { port: open.port, job: 'filtered', params: { 'name[]': ['queue_depth'] } },
      ],
    });
  });

  after(async () => {
    await prometheus?.stop();
    await open?.close();
    await secured?.close();
  });

  it('every target is healthy, including the one behind bearer auth', async () => {
    const targets = await prometheus.waitForHealthyTarget(30_000);
    assert.deepEqual(targets.map((t) => [t.scrapePool, t.health, t.lastError]).sort(), [
      ['filtered', 'up', ''],
      ['open', 'up', ''],
      ['secured', 'up', ''],
    ]);
  });

  it('stores the samples, negotiated as OpenMetrics', async () => {
    const rows = await prometheus.waitFor(
      'http_requests_total{job="open"}',
      (r) => r.length === 2,
      20_000,
    );
    assert.deepEqual(rows.map((r) => [r.metric['code'], r.value]).sort(), [
      ['200', 5],
      ['500', 1],
    ]);
    // The self-metrics recorded the scrapes as OpenMetrics (never text). The filtered job only
    // receives queue_depth, so the self-metrics appear under the other two jobs.
    const om = await prometheus.waitFor(
      'telltale_scrape_duration_seconds_count{format="openmetrics"} > 0',
      (r) => r.length === 2,
      20_000,
    );
    assert.deepEqual(om.map((r) => r.metric['job']).sort(), ['open', 'secured']);
    const text = await prometheus.query(
      'telltale_scrape_duration_seconds_count{format="text"} > 0',
    );
    assert.deepEqual(text, []);
  });

  it('the name[] filter reaches the server: the filtered job has only queue_depth', async () => {
    const names = await prometheus.query('count by (__name__) ({job="filtered"})');
    assert.deepEqual(names.map((r) => r.metric['__name__']).sort(), [
      'queue_depth',
      'scrape_duration_seconds',
      'scrape_samples_post_metric_relabeling',
      'scrape_samples_scraped',
      'scrape_series_added',
      'up',
    ]);
  });

  it('promtool and the Python parsers accept both formats as served', async () => {
    const text = await fetchRaw(open.url);
    await assertPromtoolClean(text.text);
    await assertTextBodyValid(text.text);
    const om = await fetchRaw(open.url, {
      headers: { accept: 'application/openmetrics-text;version=1.0.0' },
    });
    await assertOpenMetricsBodyValid(om.text);
  });
});
