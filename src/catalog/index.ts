// telltale/catalog: the typed metric catalog, its YAML form, its generators.

export {
  type Catalog,
  type CatalogBindOptions,
  type CatalogCounter,
  type CatalogGauge,
  type CatalogHistogram,
  type CatalogInstrument,
  type CatalogInstruments,
  type CatalogSummary,
  defineMetrics,
} from './define.js';
export {
  catalogDashboard,
  type DashboardDataSource,
  type DashboardGridPos,
  type DashboardOptions,
  type DashboardPanel,
  type DashboardQuery,
  type DashboardRow,
  type DashboardVariable,
  type GrafanaDashboard,
} from './generate/dashboard.js';
export { catalogDocs } from './generate/docs.js';
export {
  catalogRules,
  catalogRuleTests,
  type RulesOptions,
  type RuleTestsOptions,
} from './generate/rules.js';
export type {
  CatalogEntry,
  CatalogLabel,
  CatalogLabelValues,
  CatalogMetricType,
  CatalogSpec,
  CounterEntrySpec,
  DashboardHints,
  EntrySpec,
  ErrorRatioObjective,
  GaugeEntrySpec,
  HistogramEntrySpec,
  LabelSpec,
  LatencyObjective,
  SaturationObjective,
  SloSpec,
  SummaryEntrySpec,
} from './schema.js';
export { loadCatalog, type ParseCatalogOptions, parseCatalog } from './yaml.js';
