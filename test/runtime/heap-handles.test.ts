// The heap and handles collectors: families, types, bounded labels, values that follow real allocations and sockets.
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { describe, it } from 'node:test';
import { getHeapSpaceStatistics } from 'node:v8';
import { createRegistry, type MetricFamily } from '../../src/metrics/index.js';
import { resourceKind } from '../../src/runtime/handles.js';
import { startHandleMetrics, startHeapMetrics } from '../../src/runtime/index.js';
import { LOOPBACK } from '../helpers/index.js';
import { family, sleep, types, value } from './helpers.js';

function labelsOf(f: MetricFamily, name: string): string[] {
  assert.ok(f.type === 'gauge');
  return f.points.map((p) => p.labels[name] as string);
}

describe('heap collector', () => {
  it('registers the documented gauges; spaces are labelled without "_space", one series each', () => {
    const r = createRegistry();
    const c = startHeapMetrics({ registry: r });
    const fams = r.gatherSync();
    assert.deepEqual(types(fams), {
      nodejs_external_memory_bytes: 'gauge',
      nodejs_heap_size_total_bytes: 'gauge',
      nodejs_heap_size_used_bytes: 'gauge',
      nodejs_heap_space_size_available_bytes: 'gauge',
      nodejs_heap_space_size_total_bytes: 'gauge',
      nodejs_heap_space_size_used_bytes: 'gauge',
    });
    const expected = getHeapSpaceStatistics().map((s) => s.space_name.replace(/_space$/, ''));
    assert.ok(expected.includes('old') && expected.includes('new'));
    for (const name of [
      'nodejs_heap_space_size_total_bytes',
      'nodejs_heap_space_size_used_bytes',
      'nodejs_heap_space_size_available_bytes',
    ]) {
      assert.deepEqual(labelsOf(family(fams, name), 'space'), expected);
    }
    const used = value(fams, 'nodejs_heap_size_used_bytes');
    const total = value(fams, 'nodejs_heap_size_total_bytes');
    assert.ok(used > 0 && used <= total, `used ${used}, total ${total}`);
    assert.ok(value(fams, 'nodejs_heap_space_size_used_bytes', { space: 'old' }) > 0);
    c.stop();
    assert.deepEqual(r.gatherSync(), []);
  });

  it('external memory follows a large Buffer', () => {
    const r = createRegistry();
    const c = startHeapMetrics({ registry: r });
    const before = value(r.gatherSync(), 'nodejs_external_memory_bytes');
    const big = Buffer.alloc(32 * 1024 * 1024, 1);
    const during = value(r.gatherSync(), 'nodejs_external_memory_bytes');
    // Other external memory may be freed meanwhile (seen: 40 KB less), hence 90%.
    assert.ok(during - before >= 0.9 * 32 * 1024 * 1024, `grew by ${during - before}`);
    assert.equal(big.length, 32 * 1024 * 1024);
    c.stop();
  });
});

describe('handles collector', () => {
  it('classifies resource types: requests, handles, timers', () => {
    assert.equal(resourceKind('FSReqCallback'), 'request');
    assert.equal(resourceKind('GetAddrInfoReqWrap'), 'request');
    assert.equal(resourceKind('CloseReq'), 'request');
    assert.equal(resourceKind('WriteWrap'), 'request');
    assert.equal(resourceKind('TCPServerWrap'), 'handle');
    assert.equal(resourceKind('TCPSocketWrap'), 'handle');
    assert.equal(resourceKind('TTYWrap'), 'handle');
    assert.equal(resourceKind('Timeout'), 'timer');
    assert.equal(resourceKind('Immediate'), 'timer');
  });

  it('counts a listening server and a timer; a type that goes away reads 0', async () => {
    const r = createRegistry();
    const c = startHandleMetrics({ registry: r });
    const base = r.gatherSync();
    assert.deepEqual(Object.fromEntries(Object.entries(types(base))), {
      nodejs_active_handles: 'gauge',
      nodejs_active_requests: 'gauge',
      nodejs_active_resources: 'gauge',
    });
    const handles0 = value(base, 'nodejs_active_handles');
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, LOOPBACK, resolve));
    const timer = setTimeout(() => {}, 60_000);
    const withServer = r.gatherSync();
    assert.equal(value(withServer, 'nodejs_active_handles'), handles0 + 1);
    assert.ok(value(withServer, 'nodejs_active_resources', { type: 'TCPServerWrap' }) >= 1);
    assert.ok(value(withServer, 'nodejs_active_resources', { type: 'Timeout' }) >= 1);
    // The totals agree with the public API at the same instant.
    const info = process.getActiveResourcesInfo();
    const fams = r.gatherSync();
    assert.equal(
      value(fams, 'nodejs_active_handles'),
      info.filter((t) => resourceKind(t) === 'handle').length,
    );
    assert.equal(
      value(fams, 'nodejs_active_requests'),
      info.filter((t) => resourceKind(t) === 'request').length,
    );
    clearTimeout(timer);
    await new Promise<void>((resolve) => server.close(() => resolve()));
    // 'close' is emitted on the next tick after uv_close(); libuv drops the handle in its close
    // phase, which comes after the check phase (so setImmediate is too early; a timer is not).
    await sleep(1);
    const closed = r.gatherSync();
    assert.equal(value(closed, 'nodejs_active_resources', { type: 'TCPServerWrap' }), 0);
    assert.equal(value(closed, 'nodejs_active_handles'), handles0);
    c.stop();
    assert.deepEqual(r.gatherSync(), []);
  });
});
