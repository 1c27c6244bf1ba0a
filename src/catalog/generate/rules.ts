// catalogRules and catalogRuleTests: Prometheus recording rules, multi-window multi-burn-rate SLO alerts and saturation alerts from a catalog, and promtool unit tests that prove each alert.

import { stringify } from 'yaml';
import { fail } from '../../internal/errors.js';
import { formatNumber } from '../../internal/format.js';
import type { Catalog } from '../define.js';
import type { CatalogEntry } from '../schema.js';

/** Options of {@link catalogRules} and {@link catalogRuleTests}. */
export interface RulesOptions {
  /** The registry's name prefix, prepended to every metric name as Prometheus sees it. Default `''`. */
  readonly prefix?: string;
  /** The rule groups' name stem: groups are `<group>-slo` and `<group>-saturation`. Default `'catalog'`. */
  readonly group?: string;
}

/** Options of {@link catalogRuleTests}. */
export interface RuleTestsOptions extends RulesOptions {
  /** The rule file the tests load, as promtool resolves it (relative to the test file). */
  readonly ruleFile: string;
}

/**
 * The burn-rate alerts of the SRE workbook (chapter 5, "Alerting on SLOs", multiwindow,
 * multi-burn-rate alerts) for a 30-day objective: the long window, the short window, and the
 * burn rate at which each pair alerts (14.4x spends 2 % of the budget in an hour).
 */
const BURNS: readonly {
  readonly severity: 'page' | 'ticket';
  readonly pairs: readonly (readonly [long: string, short: string, burn: number])[];
}[] = Object.freeze([
  Object.freeze({
    severity: 'page',
    pairs: Object.freeze([
      Object.freeze(['1h', '5m', 14.4] as const),
      Object.freeze(['6h', '30m', 6] as const),
    ]),
  }),
  Object.freeze({
    severity: 'ticket',
    pairs: Object.freeze([
      Object.freeze(['1d', '2h', 3] as const),
      Object.freeze(['3d', '6h', 1] as const),
    ]),
  }),
]);

/** Every window a burn-rate alert reads, each one recorded once. */
const WINDOWS: readonly string[] = Object.freeze(['5m', '30m', '1h', '2h', '6h', '1d', '3d']);

/** How long a gauge stays over its saturation threshold before the alert fires. */
const SATURATION_FOR = '5m';

/** A number as PromQL reads it, rounded to 12 significant digits (`14.4 * 0.001` is 0.0144). */
function num(n: number): string {
  return formatNumber(Number(n.toPrecision(12)));
}

/** A PromQL string literal. */
function quote(s: string): string {
  return JSON.stringify(s);
}

/** A regular expression matching exactly these label values. */
function anyOf(values: readonly string[]): string {
  return values.map((v) => v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|');
}

/** `http_requests` → `HttpRequests`, for alert names. */
function camel(name: string): string {
  return name
    .split(/[_:]/)
    .filter((p) => p !== '')
    .map((p) => p[0]!.toUpperCase() + p.slice(1))
    .join('');
}

/** One objective that burns an error budget: how bad events are counted, and its target. */
interface Budget {
  readonly entry: CatalogEntry;
  /** `error_ratio` or `latency_bad_ratio`. */
  readonly kind: string;
  readonly target: number;
  /** The ratio of bad events over a window, as PromQL. */
  readonly ratio: (window: string) => string;
  /** The alert name. */
  readonly alert: string;
  /** What the objective says, for annotations. */
  readonly says: string;
  /** The metric the objective is on, as queried. */
  readonly subject: string;
  /**
   * Series for the promtool tests: every event bad (`breaks`), or bad events at half the budget
   * (`meets`), one event per second sampled each minute for three hours.
   */
  readonly series: (breaks: boolean) => { series: string; values: string }[];
}

function checkOptions(where: string, options: unknown, needsFile: boolean): Required<RulesOptions> {
  if (typeof options !== 'object' || options === null) {
    fail('TT_INVALID_OPTION', `${where}: options must be an object such as { prefix, group }`);
  }
  const o = options as RuleTestsOptions;
  const prefix = o.prefix ?? '';
  if (typeof prefix !== 'string' || (prefix !== '' && !/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(prefix))) {
    fail(
      'TT_INVALID_OPTION',
      `${where}: prefix ${JSON.stringify(prefix)} must be a valid metric-name start, like "shop_"`,
    );
  }
  const group = o.group ?? 'catalog';
  if (typeof group !== 'string' || group === '') {
    fail('TT_INVALID_OPTION', `${where}: group must be a non-empty string`);
  }
  if (needsFile && (typeof o.ruleFile !== 'string' || o.ruleFile === '')) {
    fail(
      'TT_INVALID_OPTION',
      `${where}: ruleFile must be the path of the rule file the tests load`,
    );
  }
  return { prefix, group };
}

function entriesOf(where: string, catalog: unknown): readonly CatalogEntry[] {
  const entries = (catalog as { entries?: unknown } | null)?.entries;
  if (!Array.isArray(entries)) {
    fail(
      'TT_INVALID_OPTION',
      `${where}: catalog must be a catalog from defineMetrics or parseCatalog`,
    );
  }
  return entries as readonly CatalogEntry[];
}

/** The objectives of the catalog that burn a budget, in catalog order (latency before errors). */
function budgets(entries: readonly CatalogEntry[], prefix: string): Budget[] {
  const out: Budget[] = [];
  const step = '0+60x180';
  const per = (n: number) => `0+${num(n)}x180`;
  for (const e of entries) {
    const family = prefix + e.family;
    const latency = e.slo?.latency;
    if (latency !== undefined) {
      const le = formatNumber(latency.threshold);
      const unit = e.unit === '' ? '' : ` ${e.unit}`;
      out.push({
        entry: e,
        kind: 'latency_bad_ratio',
        target: latency.target,
        ratio: (w) =>
          `1 - (sum by (job) (rate(${family}_bucket{le=${quote(le)}}[${w}])) / sum by (job) (rate(${family}_count[${w}])))`,
        alert: `${camel(family)}LatencyBudgetBurn`,
        subject: family,
        says: `${num(latency.target * 100)} % of ${family} observations at or under ${num(latency.threshold)}${unit}`,
        series: (bad) => [
          { series: `${family}_count{job="test"}`, values: step },
          {
            series: `${family}_bucket{job="test",le=${quote(le)}}`,
            values: bad ? per(0) : per(60 * (1 - (1 - latency.target) / 2)),
          },
        ],
      });
    }
    const errors = e.slo?.errorRatio;
    if (errors !== undefined) {
      const events = e.type === 'counter' ? `${family}_total` : `${family}_count`;
      const label = errors.label;
      const match = `{${label}=~${quote(anyOf(errors.values))}}`;
      // A value of the label that is not an error, for the series that meets the objective.
      const good =
        e.labels.find((l) => l.name === label)?.values?.find((v) => !errors.values.includes(v)) ??
        ['ok', 'success', 'good'].find((v) => !errors.values.includes(v)) ??
        'ok';
      out.push({
        entry: e,
        kind: 'error_ratio',
        target: errors.target,
        ratio: (w) =>
          `sum by (job) (rate(${events}${match}[${w}])) / sum by (job) (rate(${events}[${w}]))`,
        alert: `${camel(family)}ErrorBudgetBurn`,
        subject: events,
        says: `${num(errors.target * 100)} % of ${events} without ${label} in (${errors.values.join(', ')})`,
        series: (bad) => [
          { series: `${events}{job="test",${label}=${quote(good)}}`, values: step },
          {
            series: `${events}{job="test",${label}=${quote(errors.values[0]!)}}`,
            values: bad ? step : per((60 * (1 - errors.target)) / 2),
          },
        ],
      });
    }
  }
  return out;
}

function record(b: Budget, prefix: string, w: string): string {
  return `job:${prefix}${b.entry.family}:${b.kind}_rate${w}`;
}

function burnAlerts(b: Budget, prefix: string): Record<string, unknown>[] {
  const budget = 1 - b.target;
  return BURNS.map(({ severity, pairs }) => ({
    alert: b.alert,
    expr: pairs
      .map(
        ([long, short, burn]) =>
          `(${record(b, prefix, long)} > ${num(burn * budget)} and ${record(b, prefix, short)} > ${num(burn * budget)})`,
      )
      .join(' or '),
    labels: { severity },
    annotations: {
      summary: `${b.subject}: the error budget of its ${b.kind === 'error_ratio' ? 'error-ratio' : 'latency'} objective burns too fast`,
      description: `Objective: ${b.says}, over 30 days. ${severity === 'page' ? 'Paging' : 'Ticket'}: the budget burns ${pairs.map(([long, short, burn]) => `${num(burn)}x over ${long} and ${short}`).join(', or ')}.`,
    },
  }));
}

interface Saturation {
  readonly entry: CatalogEntry;
  readonly metric: string;
  readonly threshold: number;
  readonly alert: string;
  readonly annotations: Record<string, string>;
}

function saturations(entries: readonly CatalogEntry[], prefix: string): Saturation[] {
  const out: Saturation[] = [];
  for (const e of entries) {
    const s = e.slo?.saturation;
    if (s === undefined) continue;
    const metric = prefix + e.name;
    const unit = e.unit === '' ? '' : ` ${e.unit}`;
    out.push({
      entry: e,
      metric,
      threshold: s.threshold,
      alert: `${camel(metric)}Saturated`,
      annotations: {
        summary: `${metric} is over its saturation threshold`,
        description: `${metric} has been above ${num(s.threshold)}${unit} for ${SATURATION_FOR}.`,
      },
    });
  }
  return out;
}

const YAML_OPTIONS = { lineWidth: 0 } as const;

/**
 * Prometheus rules for a catalog's objectives, as a rule file (YAML): for each latency and
 * error-ratio objective, recording rules of the bad-event ratio per `job` over 5m, 30m, 1h, 2h,
 * 6h, 1d and 3d, and the multi-window, multi-burn-rate alerts of the SRE workbook for a 30-day
 * objective (`severity: page` at 14.4x over 1h and 5m or 6x over 6h and 30m; `severity: ticket`
 * at 3x over 1d and 2h or 1x over 3d and 6h); for each saturation threshold, an alert when the
 * gauge stays above it for 5 minutes. A latency objective's good events are the bucket whose
 * bound is the threshold (`le`); an error ratio's bad events are the events whose label has one
 * of the error values. A pure function: the same catalog gives the same bytes.
 * @throws TelltaleError `TT_INVALID_OPTION` when `catalog` is not a catalog or an option is bad.
 * @example
 * ```ts
 * writeFileSync('rules.yml', catalogRules(catalog, { prefix: 'shop_' }));
 * // promtool check rules rules.yml
 * ```
 */
export function catalogRules(catalog: Catalog<unknown>, options: RulesOptions = {}): string {
  const { prefix, group } = checkOptions('catalogRules', options, false);
  const entries = entriesOf('catalogRules', catalog);
  const groups: Record<string, unknown>[] = [];
  const slo = budgets(entries, prefix);
  if (slo.length > 0) {
    const rules: Record<string, unknown>[] = [];
    for (const b of slo) {
      for (const w of WINDOWS) rules.push({ record: record(b, prefix, w), expr: b.ratio(w) });
    }
    for (const b of slo) rules.push(...burnAlerts(b, prefix));
    groups.push({ name: `${group}-slo`, rules });
  }
  const sat = saturations(entries, prefix);
  if (sat.length > 0) {
    groups.push({
      name: `${group}-saturation`,
      rules: sat.map((s) => ({
        alert: s.alert,
        expr: `${s.metric} > ${num(s.threshold)}`,
        for: SATURATION_FOR,
        labels: { severity: 'ticket' },
        annotations: s.annotations,
      })),
    });
  }
  return stringify({ groups }, YAML_OPTIONS);
}

/**
 * Unit tests for {@link catalogRules}' alerts, as a `promtool test rules` file (YAML): for each
 * alert, synthetic `job="test"` series that break its objective (every event bad, or the gauge
 * well above its threshold), on which the alert fires (a burn-rate alert at both severities), and
 * series that meet it (bad events at half the error budget, or the gauge at its threshold), on
 * which it stays silent. Pass the same `prefix` as to `catalogRules`.
 * @throws TelltaleError `TT_INVALID_OPTION` when `catalog` is not a catalog or an option is bad.
 * @example
 * ```ts
 * writeFileSync('rules.yml', catalogRules(catalog));
 * writeFileSync('rules.test.yml', catalogRuleTests(catalog, { ruleFile: 'rules.yml' }));
 * // promtool test rules rules.test.yml
 * ```
 */
export function catalogRuleTests(catalog: Catalog<unknown>, options: RuleTestsOptions): string {
  const { prefix } = checkOptions('catalogRuleTests', options, true);
  const entries = entriesOf('catalogRuleTests', catalog);
  const tests: Record<string, unknown>[] = [];
  for (const b of budgets(entries, prefix)) {
    const alerts = burnAlerts(b, prefix);
    for (const bad of [true, false]) {
      tests.push({
        interval: '1m',
        input_series: b.series(bad),
        alert_rule_test: [
          {
            eval_time: '1h',
            alertname: b.alert,
            exp_alerts: bad
              ? alerts.map((a) => ({
                  exp_labels: {
                    severity: (a['labels'] as { severity: string }).severity,
                    job: 'test',
                  },
                  exp_annotations: a['annotations'],
                }))
              : [],
          },
        ],
      });
    }
  }
  for (const s of saturations(entries, prefix)) {
    for (const bad of [true, false]) {
      // Above by at least 1, and by enough to matter for a large threshold.
      const over = s.threshold + Math.max(1, Math.abs(s.threshold));
      const value = formatNumber(bad ? over : s.threshold);
      tests.push({
        interval: '1m',
        input_series: [{ series: `${s.metric}{job="test"}`, values: `${value}x20` }],
        alert_rule_test: [
          {
            eval_time: '10m',
            alertname: s.alert,
            exp_alerts: bad
              ? [
                  {
                    exp_labels: { severity: 'ticket', job: 'test' },
                    exp_annotations: s.annotations,
                  },
                ]
              : [],
          },
        ],
      });
    }
  }
  return stringify(
    { rule_files: [(options as RuleTestsOptions).ruleFile], evaluation_interval: '1m', tests },
    YAML_OPTIONS,
  );
}
