// catalogDashboard: a Grafana dashboard that type-checks against Grafana's own schema types, matches its golden byte for byte, and whose every PromQL expression promtool parses.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  type Dashboard,
  type Panel,
  type RowPanel,
  VariableType,
} from '@grafana/grafana-foundation-sdk/dashboard';
import type { Dataquery } from '@grafana/grafana-foundation-sdk/prometheus';
import { stringify } from 'yaml';
import {
  catalogDashboard,
  type DashboardPanel,
  type GrafanaDashboard,
} from '../../src/catalog/index.js';
import { TelltaleError } from '../../src/metrics/index.js';
import { checkRules } from '../helpers/promtool.js';
import { makeTempDir, removeTempDir } from '../helpers/tmp.js';
import { DOCS_CATALOG } from './fixture.js';

// Hand-reviewed like the other goldens: no update mode.
const GOLDEN = readFileSync(new URL('../golden/catalog-dashboard.json', import.meta.url), 'utf8');

/** The string enum values of Grafana's VariableType for the two kinds the generator writes. */
const VARIABLE_TYPES: Readonly<Record<'datasource' | 'query', VariableType>> = {
  datasource: VariableType.Datasource,
  query: VariableType.Query,
};

/**
 * The dashboard as Grafana's schema types (@grafana/grafana-foundation-sdk): everything is
 * assigned as it is, so tsc checks each field against Grafana's type, except two things plain JSON
 * cannot be: a variable's `type` is a string enum there (mapped through VARIABLE_TYPES, whose
 * values the test asserts), and each query carries the SDK's variant marker method.
 */
function asGrafana(d: GrafanaDashboard): Dashboard {
  const panel = (p: DashboardPanel): Panel => ({
    ...p,
    targets: p.targets.map((t): Dataquery => ({ ...t, _implementsDataqueryVariant() {} })),
    fieldConfig: { ...p.fieldConfig, overrides: [] },
    options: p.options,
  });
  return {
    ...d,
    tags: [...d.tags],
    templating: {
      list: d.templating.list.map((v) => ({ ...v, type: VARIABLE_TYPES[v.type] })),
    },
    annotations: { list: [] },
    panels: d.panels.map((p): Panel | RowPanel =>
      p.type === 'row' ? { ...p, panels: [] } : panel(p),
    ),
  };
}

describe('catalogDashboard', () => {
  it('matches test/golden/catalog-dashboard.json exactly', () => {
    const d = catalogDashboard(DOCS_CATALOG, { title: 'Service', uid: 'telltale-catalog' });
    assert.equal(`${JSON.stringify(d, null, 2)}\n`, GOLDEN);
  });

  it("type-checks against Grafana's dashboard schema types", () => {
    assert.deepEqual(Object.values(VARIABLE_TYPES), ['datasource', 'query']);
    const g = asGrafana(catalogDashboard(DOCS_CATALOG));
    assert.equal(g.schemaVersion, 42);
    assert.deepEqual(
      g.panels?.map((p) => [p.type, p.title]),
      [
        ['row', 'HTTP'],
        ['timeseries', 'Requests'],
        ['timeseries', 'http_request_duration_seconds'],
        ['row', 'rpc'],
        ['timeseries', 'rpc_duration_seconds'],
        ['row', 'Storage'],
        ['timeseries', 'storage_operation_seconds'],
        ['row', 'Queue'],
        ['timeseries', 'Queue depth'],
        ['row', 'payload'],
        ['timeseries', 'payload_bytes'],
      ],
    );
  });

  it('writes the expressions the catalog calls for, per type', () => {
    const d = catalogDashboard(DOCS_CATALOG, { prefix: 'shop_' });
    const exprs = d.panels.flatMap((p) => (p.type === 'row' ? [] : p.targets.map((t) => t.expr)));
    const sel = 'job=~"$job", instance=~"$instance"';
    assert.deepEqual(exprs, [
      `sum by (method, outcome) (rate(shop_http_requests_total{${sel}}[$__rate_interval]))`,
      ...[0.5, 0.9, 0.99].map(
        (q) =>
          `histogram_quantile(${q}, sum by (le) (rate(shop_http_request_duration_seconds_bucket{${sel}}[$__rate_interval])))`,
      ),
      ...[0.5, 0.9, 0.99].map(
        (q) =>
          `histogram_quantile(${q}, sum(rate(shop_rpc_duration_seconds{${sel}}[$__rate_interval])))`,
      ),
      ...[0.5, 0.9, 0.99].map(
        (q) =>
          `histogram_quantile(${q}, sum by (le) (rate(shop_storage_operation_seconds_bucket{${sel}}[$__rate_interval])))`,
      ),
      `shop_queue_depth{${sel}}`,
      `shop_payload_bytes{${sel}}`,
    ]);
    assert.deepEqual(
      d.templating.list.map((v) => [v.type, v.name, v.query]),
      [
        ['datasource', 'datasource', 'prometheus'],
        ['query', 'job', 'label_values(up, job)'],
        ['query', 'instance', 'label_values(up{job=~"$job"}, instance)'],
      ],
    );
  });

  it('every PromQL expression parses (promtool check rules, with the Grafana variables filled in)', async (t) => {
    const dir = await makeTempDir('catalog-dashboard');
    t.after(() => removeTempDir(dir));
    const d = catalogDashboard(DOCS_CATALOG);
    const rules = d.panels.flatMap((p) =>
      p.type === 'row'
        ? []
        : p.targets.map((q) => ({
            record: `dashboard:panel${p.id}:${q.refId}`,
            expr: q.expr
              .replaceAll('$__rate_interval', '5m')
              .replaceAll('$job', '.*')
              .replaceAll('$instance', '.*'),
          })),
    );
    const file = join(dir, 'panels.yml');
    writeFileSync(file, stringify({ groups: [{ name: 'dashboard', rules }] }));
    const r = await checkRules(file);
    assert.deepEqual(r, {
      exitCode: 0,
      stdout: `Checking ${file}\n  SUCCESS: ${rules.length} rules found\n\n`,
      stderr: '',
    });
    assert.equal(rules.length, 12);
  });

  it('refuses bad options and what is not a catalog', () => {
    const refused = (fn: () => unknown, message: string) =>
      assert.throws(
        fn,
        (e) => e instanceof TelltaleError && e.message === `TT_INVALID_OPTION: ${message}`,
      );
    refused(
      () => catalogDashboard({} as never),
      'catalogDashboard: catalog must be a catalog from defineMetrics or parseCatalog',
    );
    refused(
      () => catalogDashboard(DOCS_CATALOG, { uid: 'a b' }),
      'catalogDashboard: uid must be 1 to 40 letters, digits, "-" or "_" (Grafana\'s rule), got "a b"',
    );
    refused(
      () => catalogDashboard(DOCS_CATALOG, { title: '' }),
      'catalogDashboard: title must be a non-empty string',
    );
  });
});
