// YAML catalogs: the same rules as defineMetrics, each error naming the YAML path and line of the bad field.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadCatalog, parseCatalog } from '../../src/catalog/index.js';
import { createRegistry, TelltaleError } from '../../src/metrics/index.js';
import { makeTempDir, removeTempDir } from '../helpers/tmp.js';

function refused(fn: () => unknown, code: string, message: string): void {
  assert.throws(fn, (e) => {
    assert.ok(e instanceof TelltaleError, String(e));
    assert.equal(e.code, code);
    assert.equal(e.message, `${code}: ${message}`);
    return true;
  });
}

const GOOD = `metrics:
  - name: http_requests_total
    type: counter
    help: HTTP requests handled.
    labels:
      method: { values: [GET, POST] }
      route: { help: The route template. }
  - name: http_request_duration_seconds
    type: histogram
    unit: seconds
    help: HTTP request latency.
    buckets: [0.1, 0.25, 1]
    slo: { latency: { threshold: 0.25, target: 0.99 } }
    dashboard: { row: HTTP }
  - name: queue_depth
    type: gauge
    help: Jobs waiting.
`;

describe('parseCatalog', () => {
  it('reads entries keyed by name, validated as defineMetrics validates them', () => {
    const catalog = parseCatalog(GOOD);
    assert.deepEqual(
      catalog.entries.map((e) => [e.key, e.type, e.labels.map((l) => [l.name, l.values, l.help])]),
      [
        [
          'http_requests_total',
          'counter',
          [
            ['method', ['GET', 'POST'], ''],
            ['route', undefined, 'The route template.'],
          ],
        ],
        ['http_request_duration_seconds', 'histogram', []],
        ['queue_depth', 'gauge', []],
      ],
    );
    assert.deepEqual(catalog.entries[1]?.slo, { latency: { threshold: 0.25, target: 0.99 } });
    const registry = createRegistry();
    const m = catalog.bind({ registry });
    const requests = m['http_requests_total'];
    assert.ok(requests?.entry.type === 'counter' && 'inc' in requests);
    requests.inc({ method: 'GET', route: '/' });
    refused(
      () => requests.inc({ method: 'PUT', route: '/' }),
      'TT_LABEL_VALUE_NOT_ALLOWED',
      'metric "http_requests_total": label "method" got "PUT", which is not one of its allowed values (GET, POST); record an allowed value, or add this one to catalog entry "http_requests_total"',
    );
    assert.equal(registry.snapshot()['http_requests']?.points.length, 1);
  });

  it('names the YAML path and line of a bounded label with no values', () => {
    const text = GOOD.replace('method: { values: [GET, POST] }', 'method: { values: [] }');
    refused(
      () => parseCatalog(text, { source: 'metrics.yaml' }),
      'TT_INVALID_CATALOG',
      'metrics.yaml: metrics[0].labels.method.values (metric "http_requests_total", line 6): a bounded label needs at least one allowed value; list them, or remove "values" to let "method" take any value',
    );
  });

  it('names the path of a typo, a bad name, unordered buckets and an SLO threshold outside the buckets', () => {
    refused(
      () => parseCatalog(GOOD.replace('    labels:\n', '    lables:\n')),
      'TT_INVALID_CATALOG',
      'parseCatalog: metrics[0].lables (metric "http_requests_total", line 6): unknown key (did you mean "labels"?); the keys here are name, type, help, unit, labels, slo, dashboard',
    );
    refused(
      () => parseCatalog(GOOD.replace('name: queue_depth', 'name: queue-depth')),
      'TT_INVALID_METRIC_NAME',
      'parseCatalog: metrics[2].name (line 15): metric name "queue-depth" is not valid: use letters, digits and underscores, not starting with a digit (for example "http_requests_total")',
    );
    refused(
      () => parseCatalog(GOOD.replace('[0.1, 0.25, 1]', '[0.1, 1, 0.25]')),
      'TT_INVALID_BUCKETS',
      'parseCatalog: metrics[1].buckets[2] (metric "http_request_duration_seconds", line 12): buckets must be strictly ascending; 0.25 follows 1',
    );
    refused(
      () => parseCatalog(GOOD.replace('threshold: 0.25', 'threshold: 5')),
      'TT_INVALID_CATALOG',
      'parseCatalog: metrics[1].slo.latency.threshold (metric "http_request_duration_seconds", line 13): 5 is outside the buckets (0.1 to 1); a latency objective counts the observations in the bucket whose bound is the threshold, so add 5 to the buckets (sloBuckets() builds a layout that contains it)',
    );
    refused(
      () => parseCatalog(GOOD.replace('values: [GET, POST]', 'values: [200, 404]')),
      'TT_INVALID_CATALOG',
      'parseCatalog: metrics[0].labels.method.values[0] (metric "http_requests_total", line 6): an allowed value must be a non-empty string, got number 200 (quote it: "200")',
    );
  });

  it('refuses YAML that does not parse, a document of another shape, and duplicates', () => {
    refused(
      () => parseCatalog('metrics:\n  - name: a\n    name: b\n'),
      'TT_INVALID_CATALOG',
      'parseCatalog: not valid YAML: Map keys must be unique at line 3, column 5:',
    );
    refused(
      () => parseCatalog('- name: a\n'),
      'TT_INVALID_CATALOG',
      'parseCatalog: a catalog is a mapping with a "metrics" list, such as "metrics:\\n  - { name: jobs_total, type: counter, help: Jobs run. }"',
    );
    refused(
      () => parseCatalog('metric:\n  - name: a\n'),
      'TT_INVALID_CATALOG',
      'parseCatalog: metric (line 2): unknown key; a catalog has one key, "metrics"',
    );
    refused(
      () => parseCatalog('metrics: {}\n'),
      'TT_INVALID_CATALOG',
      'parseCatalog: metrics (line 1): must be a list of entries',
    );
    refused(
      () => parseCatalog(`${GOOD}  - { name: queue_depth, type: gauge, help: Again. }\n`),
      'TT_INVALID_CATALOG',
      'parseCatalog: metrics[3].name (metric "queue_depth", line 18): entry metrics[2] already defines metric "queue_depth"; give each metric one entry',
    );
    refused(
      () => parseCatalog(42 as never),
      'TT_INVALID_CATALOG',
      'parseCatalog: the catalog must be YAML text, got number',
    );
  });
});

describe('loadCatalog', () => {
  it('reads a file and names it in errors', async (t) => {
    const dir = await makeTempDir('catalog');
    t.after(() => removeTempDir(dir));
    const good = join(dir, 'good.yaml');
    writeFileSync(good, GOOD);
    assert.equal(loadCatalog(good).entries.length, 3);
    assert.equal(loadCatalog(new URL(`file://${good}`)).entries.length, 3);
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'metrics:\n  - { name: x, type: countr, help: X. }\n');
    refused(
      () => loadCatalog(bad),
      'TT_INVALID_CATALOG',
      `${bad}: metrics[0].type (metric "x", line 2): the type must be one of counter, gauge, histogram, summary, got the string "countr"`,
    );
    assert.throws(() => loadCatalog(join(dir, 'missing.yaml')), { code: 'ENOENT' });
  });
});
