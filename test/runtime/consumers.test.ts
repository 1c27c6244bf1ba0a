// Real consumers read the full runtime body: promtool (no findings), the Python text and OpenMetrics parsers, and a Prometheus scrape.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { encodeOpenMetrics, encodeText } from '../../src/exposition/index.js';
import { createRegistry, type Registry } from '../../src/metrics/index.js';
import { type RuntimeMetrics, startRuntimeMetrics } from '../../src/runtime/index.js';
import { createMetricsServer, type RunningMetricsServer } from '../../src/server/index.js';
import {
  assertOpenMetricsBodyValid,
  assertPromtoolClean,
  assertTextBodyValid,
  type PrometheusServer,
  parseOpenMetrics,
  startPrometheus,
} from '../helpers/index.js';
import { sleep } from './helpers.js';

/** Every collector, after a little activity (lag ticks, GC, a socket). */
async function runtimeRegistry(): Promise<{ registry: Registry; runtime: RuntimeMetrics }> {
  const registry = createRegistry();
  const runtime = startRuntimeMetrics({ registry });
  let junk: unknown[] = [];
  for (let i = 0; i < 100_000; i++) junk.push({ i });
  junk = [];
  await sleep(60);
  return { registry, runtime };
}

describe('the runtime body read by real consumers', { timeout: 60_000 }, () => {
  it('promtool check metrics: no findings (text format)', async () => {
    const { registry, runtime } = await runtimeRegistry();
    await registry.gather(); // the second gather has lag values, not NaN
    await sleep(30);
    const body = encodeText(await registry.gather());
    runtime.stop();
    assert.match(body, /^process_cpu_seconds_total \d/m);
    assert.match(body, /^nodejs_eventloop_lag_p99_seconds \d/m);
    await assertPromtoolClean(body);
  });

  it('the Python text and OpenMetrics parsers accept it, with every family typed as declared', async () => {
    const { registry, runtime } = await runtimeRegistry();
    const fams = await registry.gather();
    runtime.stop();
    await assertTextBodyValid(encodeText(fams));
    const om = encodeOpenMetrics(fams);
    await assertOpenMetricsBodyValid(om);
    const [parsed] = await parseOpenMetrics([om]);
    assert.ok(parsed?.ok, JSON.stringify(parsed));
    const byName = Object.fromEntries(
      (parsed.families as { name: string; type: string }[]).map((f) => [f.name, f.type]),
    );
    assert.equal(byName['process_cpu_seconds'], 'counter');
    assert.equal(byName['nodejs_version'], 'info');
    assert.equal(byName['nodejs_gc_duration_seconds'], 'histogram');
    assert.equal(byName['nodejs_eventloop_lag_p99_seconds'], 'gauge');
  });

  describe('Prometheus 2.42 scrapes a server with every collector on', {
    concurrency: true,
  }, () => {
    let server: RunningMetricsServer;
    let prometheus: PrometheusServer;
    let runtime: RuntimeMetrics;

    before(async () => {
      const r = await runtimeRegistry();
      runtime = r.runtime;
      const s = await createMetricsServer({ registry: r.registry, port: 0 });
      if (!s.enabled) throw new Error('expected a running server');
      server = s;
      prometheus = await startPrometheus({
        targets: [{ port: server.port }],
      });
    });

    after(async () => {
      await prometheus?.stop();
      await server?.close();
      runtime?.stop();
    });

    it('sees process_cpu_seconds_total and nodejs_eventloop_lag_p99_seconds', async () => {
      const cpu = await prometheus.waitFor(
        'process_cpu_seconds_total',
        (r) => r.length === 1,
        30_000,
      );
      assert.ok((cpu[0]?.value ?? 0) > 0);
      const p99 = await prometheus.waitFor(
        'nodejs_eventloop_lag_p99_seconds >= 0',
        (r) => r.length === 1,
        30_000,
      );
      assert.ok(Number.isFinite(p99[0]?.value));
      const info = await prometheus.query('nodejs_version_info');
      assert.equal(info[0]?.metric['version'], process.version);
      const gc = await prometheus.query('nodejs_gc_duration_seconds_count{kind="major"}');
      assert.equal(gc.length, 1);
    });
  });
});
