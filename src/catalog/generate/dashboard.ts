// catalogDashboard: a Grafana dashboard (JSON model, schema 42) from a catalog: one row per subsystem, a panel per metric, a templated data source and job/instance variables.

import { fail } from '../../internal/errors.js';
import type { Catalog } from '../define.js';
import type { CatalogEntry } from '../schema.js';
import { exposedName } from './docs.js';

/** Options of {@link catalogDashboard}. */
export interface DashboardOptions {
  /** The dashboard title. Default `'Metrics'`. */
  readonly title?: string;
  /** The dashboard uid, for a stable URL and provisioning. Default: none (Grafana makes one). */
  readonly uid?: string;
  /** The registry's name prefix, prepended to every metric name as Prometheus sees it. Default `''`. */
  readonly prefix?: string;
}

/** A data source reference: the templated Prometheus data source. */
export interface DashboardDataSource {
  readonly type: 'prometheus';
  readonly uid: string;
}

/** One PromQL query of a panel. */
export interface DashboardQuery {
  readonly refId: string;
  readonly datasource: DashboardDataSource;
  readonly expr: string;
  readonly legendFormat: string;
  readonly range: true;
}

/** Where a panel sits on the 24-column grid. */
export interface DashboardGridPos {
  readonly h: number;
  readonly w: number;
  readonly x: number;
  readonly y: number;
}

/** A time-series panel of one catalog metric. */
export interface DashboardPanel {
  readonly type: 'timeseries';
  readonly id: number;
  readonly title: string;
  readonly description: string;
  readonly datasource: DashboardDataSource;
  readonly gridPos: DashboardGridPos;
  readonly targets: readonly DashboardQuery[];
  readonly fieldConfig: {
    readonly defaults: { readonly unit: string };
    readonly overrides: readonly [];
  };
  readonly options: {
    readonly legend: {
      readonly displayMode: 'list';
      readonly placement: 'bottom';
      readonly showLegend: true;
    };
  };
}

/** A row: one subsystem. Its panels follow it in the dashboard's `panels`. */
export interface DashboardRow {
  readonly type: 'row';
  readonly id: number;
  readonly title: string;
  readonly collapsed: false;
  readonly gridPos: DashboardGridPos;
  readonly panels: readonly [];
}

/** A template variable: the data source, `job` or `instance`. */
export interface DashboardVariable {
  readonly type: 'datasource' | 'query';
  readonly name: string;
  readonly label: string;
  readonly query: string;
  readonly hide: 0;
  readonly refresh: 1 | 2;
  readonly datasource?: DashboardDataSource;
  readonly definition?: string;
  readonly includeAll?: true;
  readonly allValue?: string;
  readonly multi?: true;
  readonly sort?: 1;
}

/** A Grafana dashboard's JSON model, as {@link catalogDashboard} writes it. */
export interface GrafanaDashboard {
  readonly uid?: string;
  readonly title: string;
  readonly tags: readonly string[];
  readonly timezone: 'browser';
  readonly editable: true;
  readonly graphTooltip: 1;
  readonly time: { readonly from: string; readonly to: string };
  readonly refresh: string;
  readonly schemaVersion: 42;
  readonly templating: { readonly list: readonly DashboardVariable[] };
  readonly annotations: { readonly list: readonly [] };
  readonly panels: readonly (DashboardRow | DashboardPanel)[];
}

// Grafana's own variable syntax, not a template literal.
// biome-ignore lint/suspicious/noTemplateCurlyInString: the text "${datasource}" is what Grafana reads
const DATASOURCE: DashboardDataSource = Object.freeze({ type: 'prometheus', uid: '${datasource}' });
const SELECTOR = 'job=~"$job", instance=~"$instance"';
const QUANTILES: readonly number[] = Object.freeze([0.5, 0.9, 0.99]);

/** A Grafana unit id for what a panel shows. */
function unitOf(e: CatalogEntry): string {
  if (e.type === 'counter') {
    if (e.unit === 'bytes') return 'Bps';
    if (e.unit === 'seconds') return 'percentunit'; // seconds per second
    return 'cps';
  }
  if (e.unit === 'seconds') return 's';
  if (e.unit === 'bytes') return 'bytes';
  if (e.unit === 'ratio') return 'percentunit';
  return 'short';
}

function query(refId: string, expr: string, legendFormat: string): DashboardQuery {
  return { refId, datasource: DATASOURCE, expr, legendFormat, range: true };
}

const REF_IDS = 'ABCDEFGHIJ';

/** The queries of one entry's panel. */
function queriesOf(e: CatalogEntry, metric: string): DashboardQuery[] {
  switch (e.type) {
    case 'counter': {
      const by = e.labels.filter((l) => l.values !== undefined).map((l) => l.name);
      const sum = by.length === 0 ? 'sum' : `sum by (${by.join(', ')})`;
      const legend = by.length === 0 ? exposedName(e) : by.map((n) => `{{${n}}}`).join(' ');
      return [query('A', `${sum} (rate(${metric}_total{${SELECTOR}}[$__rate_interval]))`, legend)];
    }
    case 'gauge':
      return [query('A', `${metric}{${SELECTOR}}`, '__auto')];
    case 'histogram': {
      // Classic buckets when there are any: Prometheus keeps them unless it scrapes native
      // histograms and is not told to keep the classic ones too.
      const classic = e.buckets.length > 0;
      return QUANTILES.map((q, i) =>
        query(
          REF_IDS[i]!,
          classic
            ? `histogram_quantile(${q}, sum by (le) (rate(${metric}_bucket{${SELECTOR}}[$__rate_interval])))`
            : `histogram_quantile(${q}, sum(rate(${metric}{${SELECTOR}}[$__rate_interval])))`,
          `p${q * 100}`,
        ),
      );
    }
    case 'summary':
      return [query('A', `${metric}{${SELECTOR}}`, '{{instance}} {{quantile}}')];
  }
}

function checkOptions(options: unknown): {
  title: string;
  uid: string | undefined;
  prefix: string;
} {
  if (typeof options !== 'object' || options === null) {
    fail('TT_INVALID_OPTION', 'catalogDashboard: options must be an object such as { title, uid }');
  }
  const o = options as DashboardOptions;
  const title = o.title ?? 'Metrics';
  if (typeof title !== 'string' || title === '') {
    fail('TT_INVALID_OPTION', 'catalogDashboard: title must be a non-empty string');
  }
  if (o.uid !== undefined && (typeof o.uid !== 'string' || !/^[A-Za-z0-9_-]{1,40}$/.test(o.uid))) {
    fail(
      'TT_INVALID_OPTION',
      `catalogDashboard: uid must be 1 to 40 letters, digits, "-" or "_" (Grafana's rule), got ${JSON.stringify(o.uid)}`,
    );
  }
  const prefix = o.prefix ?? '';
  if (typeof prefix !== 'string' || (prefix !== '' && !/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(prefix))) {
    fail(
      'TT_INVALID_OPTION',
      `catalogDashboard: prefix ${JSON.stringify(prefix)} must be a valid metric-name start, like "shop_"`,
    );
  }
  return { title, uid: o.uid, prefix };
}

/**
 * A Grafana dashboard for a catalog, as its JSON model (schema version 42; write it with
 * `JSON.stringify(dashboard, null, 2)`): a `datasource` variable of type Prometheus, `job` and
 * `instance` variables (multi-value, with All) that every query filters on, and one row per
 * subsystem (an entry's `dashboard.row`, else the first word of its name), in catalog order, with
 * a time-series panel per metric, two per line. Counters are shown as rates, summed by their
 * bounded labels; gauges as they are; classic histograms as p50, p90 and p99 with
 * `histogram_quantile(q, sum by (le) (rate(x_bucket[$__rate_interval])))`, native-only ones with
 * `histogram_quantile(q, sum(rate(x[$__rate_interval])))`; summaries as their quantile series.
 * A panel's title is the entry's `dashboard.title`, else its name; its description is the help.
 * A pure function: the same catalog gives the same JSON.
 * @throws TelltaleError `TT_INVALID_OPTION` when `catalog` is not a catalog or an option is bad.
 * @example
 * ```ts
 * writeFileSync('dashboard.json', `${JSON.stringify(catalogDashboard(catalog, { uid: 'shop' }), null, 2)}\n`);
 * ```
 */
export function catalogDashboard(
  catalog: Catalog<unknown>,
  options: DashboardOptions = {},
): GrafanaDashboard {
  const { title, uid, prefix } = checkOptions(options);
  const entries = (catalog as { entries?: unknown } | null)?.entries;
  if (!Array.isArray(entries)) {
    fail(
      'TT_INVALID_OPTION',
      'catalogDashboard: catalog must be a catalog from defineMetrics or parseCatalog',
    );
  }
  const rows = new Map<string, CatalogEntry[]>();
  for (const e of entries as readonly CatalogEntry[]) {
    const row = e.dashboard?.row ?? e.name.split('_')[0]!;
    const list = rows.get(row);
    if (list === undefined) rows.set(row, [e]);
    else list.push(e);
  }
  const panels: (DashboardRow | DashboardPanel)[] = [];
  let id = 1;
  let y = 0;
  for (const [row, list] of rows) {
    panels.push({
      type: 'row',
      id: id++,
      title: row,
      collapsed: false,
      gridPos: { h: 1, w: 24, x: 0, y },
      panels: [],
    });
    y += 1;
    list.forEach((e, i) => {
      const metric = prefix + (e.type === 'counter' ? e.family : e.name);
      panels.push({
        type: 'timeseries',
        id: id++,
        title: e.dashboard?.title ?? exposedName(e),
        description: e.help,
        datasource: DATASOURCE,
        gridPos: { h: 8, w: 12, x: (i % 2) * 12, y: y + Math.floor(i / 2) * 8 },
        targets: queriesOf(e, metric),
        fieldConfig: { defaults: { unit: unitOf(e) }, overrides: [] },
        options: { legend: { displayMode: 'list', placement: 'bottom', showLegend: true } },
      });
    });
    y += Math.ceil(list.length / 2) * 8;
  }
  const variable = (name: string, q: string): DashboardVariable => ({
    type: 'query',
    name,
    label: name,
    datasource: DATASOURCE,
    query: q,
    definition: q,
    hide: 0,
    refresh: 2,
    includeAll: true,
    allValue: '.*',
    multi: true,
    sort: 1,
  });
  return {
    ...(uid === undefined ? {} : { uid }),
    title,
    tags: ['telltale'],
    timezone: 'browser',
    editable: true,
    graphTooltip: 1,
    time: { from: 'now-1h', to: 'now' },
    refresh: '30s',
    schemaVersion: 42,
    templating: {
      list: [
        {
          type: 'datasource',
          name: 'datasource',
          label: 'Data source',
          query: 'prometheus',
          hide: 0,
          refresh: 1,
        },
        variable('job', 'label_values(up, job)'),
        variable('instance', 'label_values(up{job=~"$job"}, instance)'),
      ],
    },
    annotations: { list: [] },
    panels,
  };
}
