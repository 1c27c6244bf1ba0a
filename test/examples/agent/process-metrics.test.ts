// The agent plan's process gauges (examples/agent/process-metrics.ts): exact percent of one core from injected sources, naming rules, stop().

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createRegistry, lintMetricName, type Registry } from 'telltale/metrics';
import { startRuntimeMetrics } from 'telltale/runtime';
import { startAgentProcessMetrics } from '../../../examples/agent/process-metrics.js';

function value(registry: Registry, name: string): number | undefined {
  const f = registry.gatherSync().find((x) => x.name === name);
  assert.ok(f?.type === 'gauge', `${name} is a gauge`);
  return f.points[0]?.value;
}

describe('startAgentProcessMetrics', () => {
  test('process_cpu_usage is the exact percent of one core since the previous gather (injected sources)', () => {
    let cpu = { user: 1_000_000, system: 500_000 };
    let now = 10_000;
    const r = createRegistry();
    const m = startAgentProcessMetrics(r, {
      cpuUsage: () => cpu,
      clock: () => now,
      rss: () => 4096,
    });
    // Since start: 150 ms user + 50 ms system over 1 s of wall time = 20% of one core.
    cpu = { user: 1_150_000, system: 550_000 };
    now = 11_000;
    assert.equal(value(r, 'process_cpu_usage'), 20);
    assert.equal(value(r, 'process_memory_bytes'), 4096);
    // 500 ms over 250 ms: two cores' worth, reported as 200 (like top), not clamped.
    cpu = { user: 1_550_000, system: 650_000 };
    now = 11_250;
    assert.equal(value(r, 'process_cpu_usage'), 200);
    // No CPU over 2 s: 0.
    now = 13_250;
    assert.equal(value(r, 'process_cpu_usage'), 0);
    // Same instant again: the last value stays (no division by zero).
    cpu = { user: 2_000_000, system: 650_000 };
    assert.equal(value(r, 'process_cpu_usage'), 0);
    // The next interval counts from the last real reading: 450 ms over 1 s.
    now = 14_250;
    assert.equal(value(r, 'process_cpu_usage'), 45);
    m.stop();
  });

  test('beside the runtime collectors on a strict registry: the names and help the agent exposes, real readings', () => {
    const r = createRegistry({ strict: true });
    const runtime = startRuntimeMetrics({ registry: r });
    const m = startAgentProcessMetrics(r);
    const fams = r.gatherSync();
    for (const f of fams) assert.deepEqual(lintMetricName(f.name, f.type, f.name), [], f.name);
    const byName = new Map(fams.map((f) => [f.name, f]));
    assert.equal(
      byName.get('process_cpu_usage')?.help,
      'CPU usage of the process in percent of one core, over the interval since the previous gather.',
    );
    assert.equal(
      byName.get('process_memory_bytes')?.help,
      'Memory used by the process, in bytes (resident set size).',
    );
    const usage = value(r, 'process_cpu_usage') ?? -1;
    assert.ok(Number.isFinite(usage) && usage >= 0, `process_cpu_usage ${usage}`);
    const rss = value(r, 'process_memory_bytes') ?? 0;
    assert.ok(rss > 1024 * 1024, `process_memory_bytes ${rss}`);
    m.stop();
    runtime.stop();
    assert.deepEqual(r.gatherSync(), []);
  });

  test('stop() is idempotent and leaves a gauge alone that someone else registered since', () => {
    const r = createRegistry();
    const m = startAgentProcessMetrics(r);
    r.unregister('process_memory_bytes');
    const mine = r.gauge({ name: 'process_memory_bytes', help: 'Mine.' });
    m.stop();
    m.stop();
    assert.equal(r.get('process_cpu_usage'), undefined);
    assert.equal(r.get('process_memory_bytes'), mine);
  });
});
