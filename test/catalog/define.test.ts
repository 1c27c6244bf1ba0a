// Catalog instruments: bound to a registry (the default one when none is given), bounded labels checked at record time with existing data untouched.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defineMetrics } from '../../src/catalog/index.js';
import { encodeText } from '../../src/exposition/index.js';
import { createRegistry, defaultRegistry, TelltaleError } from '../../src/metrics/index.js';

const catalog = defineMetrics({
  requests: {
    name: 'http_requests_total',
    type: 'counter',
    help: 'HTTP requests handled.',
    labels: { method: { values: ['GET', 'POST'] }, status: { values: ['200', '500'] }, route: {} },
  },
  inFlight: { name: 'http_in_flight', type: 'gauge', help: 'Requests in flight.' },
  queue: {
    name: 'queue_depth',
    type: 'gauge',
    help: 'Jobs waiting.',
    labels: { queue: { values: ['fast', 'slow'] } },
  },
  latency: {
    name: 'http_request_duration_seconds',
    type: 'histogram',
    help: 'Request latency.',
    unit: 'seconds',
    labels: { method: { values: ['GET', 'POST'] } },
    buckets: [0.1, 0.25, 1],
  },
  rpc: { name: 'rpc_seconds', type: 'histogram', help: 'RPC latency.', native: { schema: 0 } },
  both: { name: 'both_seconds', type: 'histogram', help: 'Both.', buckets: [1], native: {} },
  sizes: {
    name: 'payload_bytes',
    type: 'summary',
    help: 'Payload sizes.',
    unit: 'bytes',
    quantiles: [0.5],
    labels: { kind: {} },
  },
});

function refusedValue(fn: () => unknown, message: string): void {
  assert.throws(fn, (e) => {
    assert.ok(e instanceof TelltaleError);
    assert.equal(e.code, 'TT_LABEL_VALUE_NOT_ALLOWED');
    assert.equal(e.message, `TT_LABEL_VALUE_NOT_ALLOWED: ${message}`);
    return true;
  });
}

describe('catalog.bind', () => {
  it('registers every entry as specified and records through typed instruments', () => {
    const registry = createRegistry();
    const m = catalog.bind({ registry });
    m.requests.inc({ method: 'GET', status: '200', route: '/a' });
    m.requests.labels({ method: 'POST', status: '500', route: '/b' }).inc(2);
    m.inFlight.inc();
    m.inFlight.dec();
    m.inFlight.set(4);
    m.queue.set({ queue: 'slow' }, 3);
    m.latency.observe({ method: 'GET' }, 0.2);
    m.rpc.observe(3);
    m.both.observe(0.5);
    m.sizes.observe({ kind: 'json' }, 100);
    assert.equal(m.requests.get({ method: 'POST', status: '500', route: '/b' }), 2);
    assert.equal(m.queue.get({ queue: 'slow' }), 3);
    assert.equal(m.inFlight.get(), 4);
    assert.equal(m.requests.metric, registry.get('http_requests_total'));
    assert.equal(m.requests.entry, catalog.entries[0]);
    assert.equal(
      encodeText(
        registry.gatherSync({
          names: ['http_requests_total', 'http_request_duration_seconds', 'queue_depth'],
        }),
      ),
      [
        '# HELP http_request_duration_seconds Request latency.',
        '# TYPE http_request_duration_seconds histogram',
        'http_request_duration_seconds_bucket{method="GET",le="0.1"} 0',
        'http_request_duration_seconds_bucket{method="GET",le="0.25"} 1',
        'http_request_duration_seconds_bucket{method="GET",le="1"} 1',
        'http_request_duration_seconds_bucket{method="GET",le="+Inf"} 1',
        'http_request_duration_seconds_sum{method="GET"} 0.2',
        'http_request_duration_seconds_count{method="GET"} 1',
        '# HELP http_requests_total HTTP requests handled.',
        '# TYPE http_requests_total counter',
        'http_requests_total{method="GET",status="200",route="/a"} 1',
        'http_requests_total{method="POST",status="500",route="/b"} 2',
        '# HELP queue_depth Jobs waiting.',
        '# TYPE queue_depth gauge',
        'queue_depth{queue="slow"} 3',
        '',
      ].join('\n'),
    );
    const rpc = registry.snapshot()['rpc_seconds'];
    assert.ok(rpc?.type === 'histogram');
    assert.deepEqual([rpc.buckets, rpc.points[0]?.native?.schema], [[], 0]);
    const both = registry.snapshot()['both_seconds'];
    assert.ok(both?.type === 'histogram');
    assert.deepEqual([both.buckets, both.points[0]?.native?.schema], [[1], 3]);
    const sizes = registry.snapshot()['payload_bytes'];
    assert.ok(sizes?.type === 'summary');
    assert.deepEqual([sizes.unit, sizes.quantiles], ['bytes', [0.5]]);
  });

  it('binding twice gives instruments over the same series', () => {
    const registry = createRegistry();
    catalog.bind({ registry }).inFlight.set(1);
    catalog.bind({ registry }).inFlight.inc();
    assert.equal(catalog.bind({ registry }).inFlight.get(), 2);
  });

  it('without a registry binds to defaultRegistry()', () => {
    const m = defineMetrics({
      d: { name: 'catalog_default_probe', type: 'gauge', help: 'P.' },
    }).bind();
    m.d.set(7);
    assert.equal(m.d.metric, defaultRegistry().get('catalog_default_probe'));
    defaultRegistry().unregister('catalog_default_probe');
  });

  it('refuses options that are not an object, and a registry that is not one', () => {
    assert.throws(() => catalog.bind(null as never), {
      message: 'TT_INVALID_OPTION: catalog.bind: options must be an object such as { registry }',
    });
    assert.throws(() => catalog.bind({ registry: {} as never }), {
      message: 'TT_INVALID_OPTION: catalog.bind: registry must be a telltale registry',
    });
  });
});

describe('a value outside a bounded label', () => {
  it('is refused by every method with TT_LABEL_VALUE_NOT_ALLOWED, and existing data is untouched', () => {
    const registry = createRegistry();
    const m = catalog.bind({ registry });
    m.requests.inc({ method: 'GET', status: '200', route: '/a' }, 3);
    m.queue.set({ queue: 'fast' }, 1);
    m.latency.observe({ method: 'POST' }, 0.5);
    const before = JSON.stringify(registry.snapshot());
    const bad = { method: 'PATCH', status: '200', route: '/a' } as never;
    const msg =
      'metric "http_requests_total": label "method" got "PATCH", which is not one of its allowed values (GET, POST); record an allowed value, or add this one to catalog entry "requests"';
    refusedValue(() => m.requests.inc(bad), msg);
    refusedValue(() => m.requests.inc(bad, 2), msg);
    refusedValue(() => m.requests.labels(bad), msg);
    refusedValue(() => m.requests.get(bad), msg);
    refusedValue(() => m.requests.remove(bad), msg);
    refusedValue(
      () => m.requests.inc({ method: 'GET', status: 404, route: '/a' } as never),
      'metric "http_requests_total": label "status" got 404, which is not one of its allowed values (200, 500); record an allowed value, or add this one to catalog entry "requests"',
    );
    const slow =
      'metric "queue_depth": label "queue" got "medium", which is not one of its allowed values (fast, slow); record an allowed value, or add this one to catalog entry "queue"';
    for (const op of ['set', 'inc', 'dec'] as const) {
      refusedValue(() => m.queue[op]({ queue: 'medium' } as never, 1), slow);
    }
    const lat =
      'metric "http_request_duration_seconds": label "method" got "get", which is not one of its allowed values (GET, POST); record an allowed value, or add this one to catalog entry "latency"';
    refusedValue(() => m.latency.observe({ method: 'get' } as never, 1), lat);
    refusedValue(() => m.latency.startTimer({ method: 'get' } as never), lat);
    assert.equal(JSON.stringify(registry.snapshot()), before);
  });

  it('a missing label and positional values are refused too, by name', () => {
    const m = catalog.bind({ registry: createRegistry() });
    assert.throws(() => m.requests.inc({ method: 'GET', route: '/' } as never), {
      message:
        'TT_MISSING_LABEL: metric "http_requests": label "status" is missing; pass a value for every declared label',
    });
    assert.throws(() => (m.requests.labels as (...a: unknown[]) => unknown)('GET', '200', '/'), {
      message:
        'TT_INVALID_OPTION: metric "http_requests_total": labels must be an object such as { method: … } (catalog instruments take labels by name), got string',
    });
  });
});
