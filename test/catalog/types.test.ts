// Type-level contract of catalog instruments: a bounded label's value type is the union of its allowed values, so a value outside it is a compile error (checked by tsc over test/).
//
// Each `@ts-expect-error` fails the type check if the line below it compiles. The same calls run
// here too, to show they are also refused at run time for untyped callers.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type CatalogCounter,
  type CatalogHistogram,
  type CatalogLabelValues,
  defineMetrics,
  parseCatalog,
} from '../../src/catalog/index.js';
import { createRegistry, type LabelValue, TelltaleError } from '../../src/metrics/index.js';

const refused = (fn: () => unknown, code: string) =>
  assert.throws(fn, (e) => e instanceof TelltaleError && e.code === code);

const catalog = defineMetrics({
  requests: {
    name: 'http_requests_total',
    type: 'counter',
    help: 'HTTP requests.',
    labels: { method: { values: ['GET', 'POST'] }, route: {} },
  },
  jobs: { name: 'jobs_total', type: 'counter', help: 'Jobs.' },
  latency: {
    name: 'http_request_duration_seconds',
    type: 'histogram',
    help: 'Latency.',
    labels: { method: { values: ['GET', 'POST'] } },
  },
  depth: { name: 'queue_depth', type: 'gauge', help: 'Depth.' },
});

describe('catalog label types', () => {
  const m = catalog.bind({ registry: createRegistry() });

  it('a bounded label is typed as the union of its values, an unbounded one as any value', () => {
    type Values = CatalogLabelValues<{
      labels: { method: { values: readonly ['GET', 'POST'] }; route: object };
    }>;
    const v: Values = { method: 'POST', route: 42 };
    const route: LabelValue = v.route;
    const requests: CatalogCounter<{
      readonly method: 'GET' | 'POST';
      readonly route: LabelValue;
    }> = m.requests;
    const latency: CatalogHistogram<{ readonly method: 'GET' | 'POST' }> = m.latency;
    requests.inc(v);
    latency.observe({ method: 'GET' }, 0.1);
    m.jobs.inc();
    m.jobs.inc(2);
    m.depth.set(3);
    assert.equal(m.requests.get({ method: 'POST', route }), 1);
    assert.equal(m.jobs.get(), 3);
  });

  it('a value outside the allowed set is a compile error', () => {
    // @ts-expect-error: "PATCH" is not an allowed value of "method".
    refused(() => m.requests.inc({ method: 'PATCH', route: '/' }), 'TT_LABEL_VALUE_NOT_ALLOWED');
    // @ts-expect-error: "get" is not an allowed value either (values are exact).
    refused(() => m.requests.labels({ method: 'get', route: '/' }), 'TT_LABEL_VALUE_NOT_ALLOWED');
    // @ts-expect-error: "DELETE" is not an allowed value of the histogram's "method".
    refused(() => m.latency.observe({ method: 'DELETE' }, 1), 'TT_LABEL_VALUE_NOT_ALLOWED');
  });

  it('a number for a bounded label is a compile error, though its string form is the same series at run time', () => {
    const s = defineMetrics({
      statuses: {
        name: 'statuses_total',
        type: 'counter',
        help: 'S.',
        labels: { status: { values: ['200', '500'] } },
      },
    }).bind({ registry: createRegistry() }).statuses;
    // @ts-expect-error: 500 is a number; the allowed values are the strings "200" and "500".
    s.inc({ status: 500 });
    assert.equal(s.get({ status: '500' }), 1);
  });

  it('a wrong or missing label, and labels on a label-less entry, are compile errors', () => {
    // @ts-expect-error: "methd" is not a declared label.
    refused(() => m.requests.inc({ methd: 'GET', route: '/' }), 'TT_UNKNOWN_LABEL');
    // @ts-expect-error: "route" is missing.
    refused(() => m.requests.inc({ method: 'GET' }), 'TT_MISSING_LABEL');
    // @ts-expect-error: "jobs" declares no labels.
    refused(() => m.jobs.inc({ queue: 'a' }), 'TT_UNKNOWN_LABEL');
    // @ts-expect-error: a labelled entry needs its labels.
    refused(() => m.latency.observe(0.1), 'TT_INVALID_OPTION');
  });

  it('an instrument of an untyped (YAML) catalog takes any labels object', () => {
    const yaml = parseCatalog(
      'metrics:\n  - { name: yaml_jobs_total, type: counter, help: Jobs., labels: { queue: {} } }\n',
    );
    const jobs = yaml.bind({ registry: createRegistry() })['yaml_jobs_total'];
    assert.ok(jobs?.entry.type === 'counter');
    (jobs as CatalogCounter<Record<string, LabelValue>>).inc({ queue: 'a' });
  });
});
