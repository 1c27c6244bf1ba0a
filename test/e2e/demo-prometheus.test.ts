// End to end: a real Prometheus 2.42 scrapes the demo (with and without native histograms) and PromQL returns the recorded values.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startDemo } from '../../examples/demo/demo.js';
import { startPrometheus } from '../helpers/prometheus.js';

/**
 * Records known values on label sets the demo's workload never touches. Returns the histogram
 * sum as float addition produces it, in the same order.
 */
function recordKnownValues(demo: Awaited<ReturnType<typeof startDemo>>): number {
  const m = demo.metrics;
  m.requests.inc({ method: 'TEST', route: '/e2e', status: '204' }, 7);
  const gauge = m.registry.gauge({
    name: 'e2e_reading_celsius',
    help: 'A gauge set by the test.',
    unit: 'celsius',
  });
  gauge.set(-12.25);
  // 50 fast, 40 medium, 10 slow observations: exact quantiles at bucket bounds.
  const h = m.duration.labels({ route: '/e2e' });
  let sum = 0;
  for (const [count, v] of [
    [50, 0.003],
    [40, 0.04],
    [10, 0.7],
  ] as const) {
    for (let i = 0; i < count; i++) {
      h.observe(v);
      sum += v;
    }
  }
  return sum;
}

/**
 * Observes known values into the demo's native histogram on a label set its workload never
 * touches: 60 × 0.003 and 40 × 0.2. Returns the sum as float addition produces it, in order.
 */
function recordNativeValues(demo: Awaited<ReturnType<typeof startDemo>>): number {
  const h = demo.metrics.work.labels({ kind: 'e2e' });
  let sum = 0;
  for (const [count, v] of [
    [60, 0.003],
    [40, 0.2],
  ] as const) {
    for (let i = 0; i < count; i++) {
      h.observe(v);
      sum += v;
    }
  }
  return sum;
}

for (const flags of [[], ['--enable-feature=native-histograms']] as const) {
  const name = flags.length === 0 ? 'default flags' : 'native histograms enabled';
  test(`Prometheus (${name}) scrapes the demo and answers PromQL with the recorded values`, {
    timeout: 60_000,
  }, async (t) => {
    const demo = await startDemo({ port: 0, workloadIntervalMs: 20 });
    t.after(() => demo.stop());
    const expectedSum = recordKnownValues(demo);
    const nativeSum = recordNativeValues(demo);
    const prom = await startPrometheus({
      targets: [{ port: demo.port }],
      extraFlags: flags,
    });
    t.after(() => prom.stop());

    const [target] = await prom.waitForHealthyTarget();
    assert.equal(target?.health, 'up');
    assert.equal(target?.lastError, '');

    assert.equal(
      await prom.queryScalar(
        'demo_requests_total{method="TEST",route="/e2e",status="204",service="demo"}',
      ),
      7,
    );
    assert.equal(await prom.queryScalar('e2e_reading_celsius'), -12.25);
    assert.equal(await prom.queryScalar('demo_request_duration_seconds_count{route="/e2e"}'), 100);
    assert.equal(
      await prom.queryScalar('demo_request_duration_seconds_sum{route="/e2e"}'),
      expectedSum,
    );
    const q = (p: number) =>
      prom.queryScalar(
        `histogram_quantile(${p}, sum by (le) (demo_request_duration_seconds_bucket{route="/e2e"}))`,
      );
    assert.equal(await q(0.5), 0.005);
    assert.equal(await q(0.9), 0.05);
    assert.equal(await q(0.95), 0.75);

    // The native histogram: stored as one with the feature (the scrape is protobuf), as its count
    // and sum without it (text and OpenMetrics carry no native buckets).
    // Which format Prometheus was served, as the handler counted it: protobuf with the feature,
    // OpenMetrics without. A scrape is counted once served, so the next scrape carries it.
    const served = (format: string) => `telltale_scrape_duration_seconds_count{format="${format}"}`;
    const [used, unused] =
      flags.length > 0 ? ['protobuf', 'openmetrics'] : ['openmetrics', 'protobuf'];
    await prom.waitFor(served(used), (r) => (r[0]?.value ?? 0) >= 1);
    assert.equal(await prom.queryScalar(served(unused)), 0);
    assert.equal(await prom.queryScalar(served('text')), 0);
    if (flags.length > 0) {
      const work = 'demo_work_duration_seconds{kind="e2e"}';
      assert.equal(await prom.queryScalar(`histogram_count(${work})`), 100);
      assert.equal(await prom.queryScalar(`histogram_sum(${work})`), nativeSum);
      // Schema 3: 0.003 lies in (2^-8.5, 2^-8.375] = (0.002762, 0.003012]; Prometheus
      // interpolates inside that bucket, so the median is in it, not at 0.003 exactly.
      const median = await prom.queryScalar(`histogram_quantile(0.5, ${work})`);
      assert.ok(median > 2 ** -8.5 && median <= 2 ** -8.375, `median ${median}`);
      // No classic series of it: a native-only histogram is stored as one series.
      assert.deepEqual(await prom.query('demo_work_duration_seconds_count'), []);
    } else {
      assert.equal(await prom.queryScalar('demo_work_duration_seconds_count{kind="e2e"}'), 100);
      assert.equal(await prom.queryScalar('demo_work_duration_seconds_sum{kind="e2e"}'), nativeSum);
    }

    // Escaped label values arrive intact.
    const showcase = await prom.waitFor('demo_label_showcase_total', (r) => r.length === 4);
    assert.deepEqual(showcase.map((s) => s.metric.text).sort(), [
      'C:\\path\\to\\file',
      'line one\nline two',
      'naïve café ☕ 日本語',
      'say "hi"',
    ]);
    // The stateset and info families are ingested (as gauges in text, natively in OpenMetrics).
    assert.equal(await prom.queryScalar('demo_phase{demo_phase="running"}'), 1);
    assert.equal(await prom.queryScalar('demo_build_info{version="0.1.0"}'), 1);
    // The heartbeat (a periodic task) runs and records its own metrics; its check is healthy.
    await prom.waitFor(
      'telltale_task_runs_total{task="heartbeat",outcome="success"}',
      (r) => (r[0]?.value ?? 0) >= 1,
    );
    // Health metrics appear with the checks' first run (a readiness probe).
    assert.equal((await fetch(`${demo.url}/health/ready`)).status, 200);
    for (const check of ['heartbeat', 'event_loop']) {
      await prom.waitFor(`telltale_health_check_up{check="${check}"}`, (r) => r[0]?.value === 1);
    }
    // Runtime collectors and HTTP instrumentation are scraped too.
    assert.ok((await prom.queryScalar('process_cpu_seconds_total')) > 0);
    assert.ok((await prom.queryScalar('nodejs_heap_size_used_bytes')) > 0);
    // The async collect callback ran at scrape time.
    const temp = await prom.queryScalar('demo_room_temperature_celsius{room="lab"}');
    assert.ok(temp > 21.5, `temperature ${temp} should have risen above 21.5`);
  });
}
