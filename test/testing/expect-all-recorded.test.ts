// expectAllRecorded: the catalog's wiring check passes when every metric and every declared label value was recorded, and lists each one that was not.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defineMetrics, parseCatalog } from '../../src/catalog/index.js';
import { createRegistry, TelltaleError } from '../../src/metrics/index.js';
import { expectAllRecorded } from '../../src/testing/index.js';

const catalog = defineMetrics({
  requests: {
    name: 'http_requests_total',
    type: 'counter',
    help: 'Requests.',
    labels: { method: { values: ['GET', 'POST'] }, route: {} },
  },
  latency: {
    name: 'http_request_duration_seconds',
    type: 'histogram',
    help: 'Latency.',
    labels: { outcome: { values: ['ok', 'error', 'timeout'] } },
  },
  depth: { name: 'queue_depth', type: 'gauge', help: 'Depth.' },
  workers: {
    name: 'workers',
    type: 'gauge',
    help: 'Workers by state.',
    labels: { state: { values: ['idle', 'busy'] } },
  },
  sizes: { name: 'payload_bytes', type: 'summary', help: 'Sizes.' },
});

function failsWith(fn: () => unknown, message: string): void {
  assert.throws(fn, (e) => {
    assert.ok(e instanceof TelltaleError);
    assert.equal(e.code, 'TT_ASSERTION_FAILED');
    assert.equal(e.message, `TT_ASSERTION_FAILED: ${message}`);
    return true;
  });
}

describe('expectAllRecorded', () => {
  it('passes when every metric was recorded and every declared label value seen', () => {
    const registry = createRegistry({ prefix: 'svc_', defaultLabels: { service: 'a' } });
    const m = catalog.bind({ registry });
    m.requests.inc({ method: 'GET', route: '/a' });
    m.requests.labels({ method: 'POST', route: '/b' }).inc();
    for (const outcome of ['ok', 'error', 'timeout'] as const) m.latency.observe({ outcome }, 0.1);
    m.depth.set(2);
    m.workers.set({ state: 'idle' }, 0); // a labelled gauge series counts at 0: it was set
    m.workers.set({ state: 'busy' }, 3);
    m.sizes.observe(10);
    expectAllRecorded(catalog, registry);
  });

  it('fails listing every metric never recorded and every label value never seen, in catalog order', () => {
    const registry = createRegistry();
    const m = catalog.bind({ registry });
    m.requests.inc({ method: 'GET', route: '/a' });
    m.requests.labels({ method: 'POST', route: '/b' }); // a handle alone records nothing
    m.latency.observe({ outcome: 'ok' }, 0.1);
    m.depth.set(0); // a label-less gauge at 0 reads as never set
    m.workers.set({ state: 'busy' }, 1);
    failsWith(
      () => expectAllRecorded(catalog, registry),
      [
        'expectAllRecorded: 2 of 5 catalog metrics never recorded, 4 label values never seen',
        '  never recorded: queue_depth',
        '  never recorded: payload_bytes',
        '  never seen: http_requests_total{method="POST"}',
        '  never seen: http_request_duration_seconds{outcome="error"}',
        '  never seen: http_request_duration_seconds{outcome="timeout"}',
        '  never seen: workers{state="idle"}',
      ].join('\n'),
    );
  });

  it('counts a metric the registry does not hold as never recorded', () => {
    const one = parseCatalog('metrics:\n  - { name: jobs_total, type: counter, help: Jobs. }\n');
    failsWith(
      () => expectAllRecorded(one, createRegistry()),
      'expectAllRecorded: 1 of 1 catalog metric never recorded, 0 label values never seen\n  never recorded: jobs_total',
    );
  });

  it('refuses what is not a catalog or a registry', () => {
    assert.throws(() => expectAllRecorded({} as never, createRegistry()), {
      message:
        'TT_INVALID_OPTION: expectAllRecorded: catalog must be a catalog from defineMetrics or parseCatalog',
    });
    assert.throws(() => expectAllRecorded(catalog, {} as never), {
      message:
        'TT_INVALID_OPTION: expectAllRecorded: registry must be a telltale registry (with snapshot())',
    });
  });
});
