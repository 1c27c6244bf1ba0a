// Health metrics scraped by a real Prometheus 2.42 from createMetricsServer, with the probes on the same port; also OpenMetrics-valid.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { createHealth } from '../../src/health/index.js';
import { createRegistry } from '../../src/metrics/index.js';
import { createMetricsServer } from '../../src/server/index.js';
import { assertOpenMetricsBodyValid, httpRequest, startPrometheus } from '../helpers/index.js';

it('Prometheus scrapes telltale_health_* next to the probes', { timeout: 60_000 }, async (t) => {
  const registry = createRegistry();
  const health = createHealth({
    registry,
    checks: [
      { name: 'db', check: () => {} },
      { name: 'search', critical: false, check: () => false },
    ],
  });
  const server = await createMetricsServer({ registry, port: 0, routes: health.routes() });
  t.after(async () => {
    health.close();
    await server.close();
  });
  if (!server.enabled) throw new Error('expected a running server');
  health.setReady();
  const base = `http://127.0.0.1:${server.port}`;
  assert.equal((await httpRequest(`${base}/health/ready`)).status, 200);

  const om = await httpRequest(`${base}/metrics`, {
    headers: { Accept: 'application/openmetrics-text; version=1.0.0' },
  });
  await assertOpenMetricsBodyValid(om.body);

  const prometheus = await startPrometheus({ targets: [{ port: server.port }] });
  t.after(() => prometheus.stop());
  await prometheus.waitForHealthyTarget();
  assert.equal(await prometheus.queryScalar('telltale_health_check_up{check="db"}'), 1);
  assert.equal(await prometheus.queryScalar('telltale_health_check_up{check="search"}'), 0);
  assert.equal(
    await prometheus.queryScalar('telltale_health_state{telltale_health_state="ready"}'),
    1,
  );
  assert.equal(
    await prometheus.queryScalar('telltale_health_state{telltale_health_state="starting"}'),
    0,
  );
  const dur = await prometheus.queryScalar('telltale_health_check_duration_seconds{check="db"}');
  assert.ok(dur !== undefined && dur >= 0 && dur < 1, String(dur));
});
