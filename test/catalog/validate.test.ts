// Catalog validation: each bad entry is a coded error naming the entry and the path of the field, with the exact message.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type CatalogSpec, defineMetrics } from '../../src/catalog/index.js';
import { TelltaleError } from '../../src/metrics/index.js';

/** Asserts that defining `spec` throws exactly this code and message. */
function refused(spec: unknown, code: string, message: string): void {
  assert.throws(
    () => defineMetrics(spec as CatalogSpec),
    (e) => {
      assert.ok(e instanceof TelltaleError, String(e));
      assert.equal(e.code, code);
      assert.equal(e.message, `${code}: ${message}`);
      return true;
    },
  );
}

const counter = { name: 'jobs_total', type: 'counter', help: 'Jobs run.' };
const histogram = {
  name: 'job_duration_seconds',
  type: 'histogram',
  help: 'Job duration.',
  unit: 'seconds',
  buckets: [0.1, 0.25, 0.5, 1],
};

describe('defineMetrics refuses a bad entry, naming the entry and the field', () => {
  it('a bad name: TT_INVALID_METRIC_NAME', () => {
    refused(
      { jobs: { ...counter, name: 'jobs total' } },
      'TT_INVALID_METRIC_NAME',
      'defineMetrics: jobs.name: metric name "jobs total" is not valid: use letters, digits and underscores, not starting with a digit (for example "http_requests_total")',
    );
    refused(
      { jobs: { ...counter, name: 7 } },
      'TT_INVALID_METRIC_NAME',
      'defineMetrics: jobs.name: metric name 7 is not valid: use letters, digits and underscores, not starting with a digit (for example "http_requests_total")',
    );
  });

  it('a bounded label with no allowed values: TT_INVALID_CATALOG', () => {
    refused(
      { jobs: { ...counter, labels: { queue: {}, outcome: { values: [] } } } },
      'TT_INVALID_CATALOG',
      'defineMetrics: jobs.labels.outcome.values (metric "jobs_total"): a bounded label needs at least one allowed value; list them, or remove "values" to let "outcome" take any value',
    );
  });

  it('buckets that do not increase: TT_INVALID_BUCKETS at the bucket', () => {
    refused(
      { duration: { ...histogram, buckets: [0.1, 0.5, 0.25] } },
      'TT_INVALID_BUCKETS',
      'defineMetrics: duration.buckets[2] (metric "job_duration_seconds"): buckets must be strictly ascending; 0.25 follows 0.5',
    );
    refused(
      { duration: { ...histogram, buckets: [0.1, 0.1] } },
      'TT_INVALID_BUCKETS',
      'defineMetrics: duration.buckets[1] (metric "job_duration_seconds"): buckets must be strictly ascending; 0.1 follows 0.1',
    );
  });

  it('an SLO threshold outside the buckets, or between two bounds: TT_INVALID_CATALOG', () => {
    refused(
      { duration: { ...histogram, slo: { latency: { threshold: 2, target: 0.99 } } } },
      'TT_INVALID_CATALOG',
      'defineMetrics: duration.slo.latency.threshold (metric "job_duration_seconds"): 2 is outside the buckets (0.1 to 1); a latency objective counts the observations in the bucket whose bound is the threshold, so add 2 to the buckets (sloBuckets() builds a layout that contains it)',
    );
    refused(
      { duration: { ...histogram, slo: { latency: { threshold: 0.3, target: 0.99 } } } },
      'TT_INVALID_CATALOG',
      'defineMetrics: duration.slo.latency.threshold (metric "job_duration_seconds"): 0.3 falls between the bucket bounds 0.25 and 0.5; a latency objective counts the observations in the bucket whose bound is the threshold, so add 0.3 to the buckets (sloBuckets() builds a layout that contains it)',
    );
    refused(
      {
        duration: {
          ...histogram,
          buckets: undefined,
          native: {},
          slo: { latency: { threshold: 0.25, target: 0.99 } },
        },
      },
      'TT_INVALID_CATALOG',
      'defineMetrics: duration.slo.latency.threshold (metric "job_duration_seconds"): 0.25 has no bucket to count against: a latency objective needs classic buckets that contain the threshold (add buckets, for example sloBuckets([0.25]))',
    );
  });

  it('an unknown key (a typo): TT_INVALID_CATALOG, with the closest key', () => {
    refused(
      { jobs: { ...counter, lables: {} } },
      'TT_INVALID_CATALOG',
      'defineMetrics: jobs.lables (metric "jobs_total"): unknown key (did you mean "labels"?); the keys here are name, type, help, unit, labels, slo, dashboard',
    );
    refused(
      { jobs: { ...counter, labels: { queue: { value: ['a'] } } } },
      'TT_INVALID_CATALOG',
      'defineMetrics: jobs.labels.queue.value (metric "jobs_total"): unknown key (did you mean "values"?); the keys here are values, help',
    );
    refused(
      { duration: { ...histogram, slo: { latency: { threshold: 0.25, taget: 0.9 } } } },
      'TT_INVALID_CATALOG',
      'defineMetrics: duration.slo.latency.taget (metric "job_duration_seconds"): unknown key (did you mean "target"?); the keys here are threshold, target',
    );
    refused(
      { jobs: { ...counter, colour: 'red' } },
      'TT_INVALID_CATALOG',
      'defineMetrics: jobs.colour (metric "jobs_total"): unknown key; the keys here are name, type, help, unit, labels, slo, dashboard',
    );
    refused(
      { jobs: { ...counter, buckets: [1] } },
      'TT_INVALID_CATALOG',
      'defineMetrics: jobs.buckets (metric "jobs_total"): only a histogram has "buckets"; this entry is a counter',
    );
  });

  it('the other rules of an entry', () => {
    refused(
      { jobs: { ...counter, type: 'info' } },
      'TT_INVALID_CATALOG',
      'defineMetrics: jobs.type (metric "jobs_total"): the type must be one of counter, gauge, histogram, summary, got the string "info"',
    );
    refused(
      { jobs: { ...counter, help: '  ' } },
      'TT_INVALID_HELP',
      'defineMetrics: jobs.help (metric "jobs_total"): help must be a non-empty string describing what the metric measures',
    );
    refused(
      { duration: { ...histogram, unit: 'ms' } },
      'TT_INVALID_UNIT',
      'defineMetrics: duration.unit (metric "job_duration_seconds"): the name must end with "_ms" when the unit is "ms" (OpenMetrics); rename it to "job_duration_seconds_ms"',
    );
    refused(
      { duration: { ...histogram, labels: { le: {} } } },
      'TT_RESERVED_LABEL',
      'defineMetrics: duration.labels.le (metric "job_duration_seconds"): a histogram cannot have a label named "le" (it holds bucket bounds); rename it',
    );
    refused(
      { jobs: { ...counter, labels: { outcome: { values: ['ok', 'ok'] } } } },
      'TT_INVALID_CATALOG',
      'defineMetrics: jobs.labels.outcome.values[1] (metric "jobs_total"): "ok" is listed twice',
    );
    refused(
      { jobs: { ...counter, labels: { status: { values: [200] } } } },
      'TT_INVALID_CATALOG',
      'defineMetrics: jobs.labels.status.values[0] (metric "jobs_total"): an allowed value must be a non-empty string, got number 200 (quote it: "200")',
    );
    refused(
      { a: counter, b: { ...counter, name: 'jobs' } },
      'TT_INVALID_CATALOG',
      'defineMetrics: b.name (metric "jobs"): entry a already defines metric "jobs"; give each metric one entry',
    );
    refused(
      { duration: { ...histogram, native: { schema: 9 } } },
      'TT_INVALID_OPTION',
      'defineMetrics: duration.native (metric "job_duration_seconds"): native.schema must be an integer from -4 to 8, got 9',
    );
    refused(
      { q: { name: 'q_seconds', type: 'summary', help: 'Q.', quantiles: [0.9, 0.5] } },
      'TT_INVALID_QUANTILES',
      'defineMetrics: q.quantiles[1] (metric "q_seconds"): quantiles must be ascending ranks in [0, 1] without duplicates; got number 0.5',
    );
    refused(
      'jobs',
      'TT_INVALID_CATALOG',
      "defineMetrics: the spec must be an object of entries by key, such as { jobs: { name: 'jobs_total', type: 'counter', help: 'Jobs run.' } }, got the string \"jobs\"",
    );
  });

  it('objectives that do not fit the entry', () => {
    refused(
      { jobs: { ...counter, slo: { latency: { threshold: 1, target: 0.9 } } } },
      'TT_INVALID_CATALOG',
      'defineMetrics: jobs.slo.latency (metric "jobs_total"): a latency objective needs a histogram; this entry is a counter',
    );
    refused(
      { duration: { ...histogram, slo: { latency: { threshold: 0.25, target: 99 } } } },
      'TT_INVALID_CATALOG',
      'defineMetrics: duration.slo.latency.target (metric "job_duration_seconds"): the target must be a fraction between 0 and 1 (exclusive), such as 0.99 for 99 %; got number 99',
    );
    const labelled = { ...counter, labels: { outcome: { values: ['ok', 'error'] } } };
    refused(
      {
        jobs: {
          ...labelled,
          slo: { errorRatio: { target: 0.99, label: 'status', values: ['5xx'] } },
        },
      },
      'TT_INVALID_CATALOG',
      'defineMetrics: jobs.slo.errorRatio.label (metric "jobs_total"): "status" is not a label of this entry (its labels: outcome); the errors are told apart by a declared label',
    );
    refused(
      {
        jobs: {
          ...labelled,
          slo: { errorRatio: { target: 0.99, label: 'outcome', values: ['failed'] } },
        },
      },
      'TT_INVALID_CATALOG',
      'defineMetrics: jobs.slo.errorRatio.values[0] (metric "jobs_total"): "failed" is not an allowed value of label "outcome" (ok, error)',
    );
    refused(
      { jobs: { ...counter, slo: { saturation: { threshold: 0.9 } } } },
      'TT_INVALID_CATALOG',
      'defineMetrics: jobs.slo.saturation (metric "jobs_total"): a saturation threshold needs a gauge; this entry is a counter',
    );
    refused(
      { jobs: { ...counter, dashboard: { row: '' } } },
      'TT_INVALID_CATALOG',
      'defineMetrics: jobs.dashboard.row (metric "jobs_total"): the row must be a non-empty string, got the string ""',
    );
  });
});

describe('a valid catalog', () => {
  it('has every default applied, frozen, in declaration order', () => {
    const catalog = defineMetrics({
      jobs: {
        ...counter,
        type: 'counter',
        labels: { outcome: { values: ['ok', 'error'], help: 'How it ended.' }, queue: {} },
      },
      duration: {
        name: 'job_duration_seconds',
        type: 'histogram',
        help: ' Job duration. ',
        unit: 'seconds',
      },
      rpc: { name: 'rpc_seconds', type: 'histogram', help: 'RPC.', native: { schema: 2 } },
      q: { name: 'q_seconds', type: 'summary', help: 'Q.' },
      depth: {
        name: 'depth',
        type: 'gauge',
        help: 'D.',
        slo: { saturation: { threshold: 100 } },
        dashboard: { row: 'Queue' },
      },
    });
    assert.deepEqual(
      catalog.entries.map((e) => [e.key, e.family, e.type, e.help, e.unit]),
      [
        ['jobs', 'jobs', 'counter', 'Jobs run.', ''],
        ['duration', 'job_duration_seconds', 'histogram', 'Job duration.', 'seconds'],
        ['rpc', 'rpc_seconds', 'histogram', 'RPC.', ''],
        ['q', 'q_seconds', 'summary', 'Q.', ''],
        ['depth', 'depth', 'gauge', 'D.', ''],
      ],
    );
    const [jobs, duration, rpc, q, depth] = catalog.entries;
    assert.deepEqual(jobs?.labels, [
      { name: 'outcome', values: ['ok', 'error'], help: 'How it ended.' },
      { name: 'queue', values: undefined, help: '' },
    ]);
    assert.deepEqual(duration?.buckets, [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]);
    assert.deepEqual([rpc?.buckets, rpc?.native], [[], { schema: 2 }]);
    assert.deepEqual([q?.quantiles, q?.maxAgeSeconds, q?.ageBuckets], [[0.5, 0.9, 0.99], 600, 5]);
    assert.deepEqual(
      [depth?.slo, depth?.dashboard],
      [{ saturation: { threshold: 100 } }, { row: 'Queue' }],
    );
    assert.ok(
      Object.isFrozen(catalog.entries) &&
        Object.isFrozen(jobs) &&
        Object.isFrozen(jobs?.labels[0]?.values),
    );
  });
});
