// startRuntimeMetrics: every collector on by default, each switchable, prefix and options passed down, rollback on a failed start.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createRegistry, defaultRegistry, lintMetricName } from '../../src/metrics/index.js';
import { startHeapMetrics, startRuntimeMetrics } from '../../src/runtime/index.js';
import { throwsCode } from '../metrics/helpers.js';
import { value } from './helpers.js';

const PROCESS = 'process_cpu_seconds';
const HEAP = 'nodejs_heap_size_used_bytes';
const LOOP = 'nodejs_eventloop_lag_p99_seconds';
const GC = 'nodejs_gc_duration_seconds';
const HANDLES = 'nodejs_active_handles';

function names(r: ReturnType<typeof createRegistry>): string[] {
  return r.gatherSync().map((f) => f.name);
}

describe('startRuntimeMetrics', () => {
  it('starts every collector by default; stop() removes them all (idempotent)', () => {
    const r = createRegistry();
    const rt = startRuntimeMetrics({ registry: r });
    const all = names(r);
    for (const n of [PROCESS, HEAP, LOOP, GC, HANDLES]) assert.ok(all.includes(n), n);
    assert.ok(!all.includes('process_cpu_usage'), 'no percent gauge: that is the agent example’s');
    rt.stop();
    rt.stop();
    assert.deepEqual(names(r), []);
  });

  it('each collector can be switched off on its own', () => {
    for (const [key, family] of [
      ['process', PROCESS],
      ['heap', HEAP],
      ['eventLoop', LOOP],
      ['gc', GC],
      ['handles', HANDLES],
    ] as const) {
      const r = createRegistry();
      const rt = startRuntimeMetrics({ registry: r, [key]: false });
      const got = names(r);
      assert.ok(!got.includes(family), `${key}: false leaves ${family} out`);
      for (const other of [PROCESS, HEAP, LOOP, GC, HANDLES]) {
        if (other !== family) assert.ok(got.includes(other), `${key}: false keeps ${other}`);
      }
      rt.stop();
    }
  });

  it('passes prefix and per-collector options down; a collector prefix wins', () => {
    const r = createRegistry();
    const rt = startRuntimeMetrics({
      registry: r,
      prefix: 'svc_',
      process: { cpuUsage: () => ({ user: 2_000_000, system: 500_000 }) },
      eventLoop: { resolutionMs: 20 },
      heap: { prefix: 'v8_' },
      gc: false,
      handles: false,
    });
    const got = names(r);
    assert.ok(got.includes('svc_process_cpu_seconds'));
    assert.ok(got.includes('svc_nodejs_eventloop_lag_p99_seconds'));
    assert.ok(got.includes('v8_nodejs_heap_size_used_bytes'));
    assert.equal(
      value(r.gatherSync(), 'svc_process_cpu_seconds_total'),
      2.5,
      'the process options reached the process collector',
    );
    rt.stop();
  });

  it('a collector that cannot start stops the ones already started, and the error is rethrown', () => {
    const r = createRegistry();
    r.gauge({ name: 'nodejs_active_handles', help: 'Someone else’s.' });
    throwsCode(
      () => startRuntimeMetrics({ registry: r }),
      'TT_CONFLICTING_REGISTRATION',
      'nodejs_active_handles',
    );
    assert.deepEqual(names(r), ['nodejs_active_handles']);
  });

  it('every name passes the naming rules of a strict registry (which throws on a finding)', () => {
    const r = createRegistry({ strict: true, defaultLabels: { service: 'svc' } });
    const rt = startRuntimeMetrics({ registry: r });
    for (const f of r.gatherSync()) {
      assert.deepEqual(lintMetricName(f.name, f.type, f.name), [], f.name);
    }
    rt.stop();
  });

  it('an omitted registry is defaultRegistry(), for the whole set and for one collector', () => {
    const only = { heap: false, eventLoop: false, gc: false, handles: false } as const;
    const rt = startRuntimeMetrics(only);
    assert.deepEqual(
      names(defaultRegistry()).filter((n) => n.startsWith('process_cpu')),
      [PROCESS, 'process_cpu_system_seconds', 'process_cpu_user_seconds'],
    );
    rt.stop();
    const heap = startHeapMetrics();
    assert.ok(names(defaultRegistry()).includes(HEAP));
    heap.stop();
    assert.deepEqual(names(defaultRegistry()), []);
  });

  it("a registry in place of the options, or in a collector's own options, is refused", () => {
    const r = createRegistry();
    throwsCode(() => startRuntimeMetrics(r as never), 'TT_INVALID_OPTION', '({ registry })');
    throwsCode(() => startHeapMetrics(r as never), 'TT_INVALID_OPTION', '({ registry })');
    throwsCode(
      () => startRuntimeMetrics({ registry: r, gc: { registry: r } as never }),
      'TT_INVALID_OPTION',
      'gc.registry',
    );
    assert.deepEqual(names(r), []);
    assert.deepEqual(names(defaultRegistry()), []);
  });

  it('rejects bad options with TT_INVALID_OPTION', () => {
    const r = createRegistry();
    throwsCode(
      () => startRuntimeMetrics({ registry: r, heap: 'yes' as never }),
      'TT_INVALID_OPTION',
      'heap',
    );
    throwsCode(
      () => startRuntimeMetrics({ registry: r, prefix: '1x' }),
      'TT_INVALID_OPTION',
      'prefix',
    );
    throwsCode(
      () => startRuntimeMetrics({ registry: r, eventLoop: { resolutionMs: -1 } }),
      'TT_INVALID_OPTION',
      'resolutionMs',
    );
    assert.deepEqual(names(r), []);
  });

  it('importing telltale/runtime has no side effect: no timer, handle or metric', async () => {
    const before = process.getActiveResourcesInfo().length;
    await import('../../src/runtime/index.js?fresh' as string);
    assert.equal(process.getActiveResourcesInfo().length, before);
  });
});
