// The catalog's wiring check: every catalog metric recorded, and every declared label value seen, in a registry.

import type { Catalog } from '../catalog/define.js';
import { exposedName } from '../catalog/generate/docs.js';
import { TelltaleError } from '../metrics/index.js';
import type { MetricFamily, MetricPoint } from '../metrics/model.js';
import type { Registry } from '../metrics/registry.js';

/** Whether a point shows an update (see {@link expectAllRecorded} for why each rule). */
function recorded(fam: MetricFamily, p: MetricPoint, labelled: boolean): boolean {
  switch (fam.type) {
    case 'counter':
      return (p as { value: number }).value > 0;
    case 'histogram':
    case 'summary':
      return (p as { count: number }).count > 0;
    case 'gauge':
      return labelled || (p as { value: number }).value !== 0;
    default:
      return true;
  }
}

/**
 * Fails unless every metric of the catalog was recorded in `registry`, and every allowed value of
 * every bounded label was seen on a recorded series: the check that a catalog is wired, for the
 * end of a test that drives the code under test. A series counts as recorded when a counter's
 * value is above 0, a histogram's or summary's count is above 0, or a gauge has the series (a
 * labelled gauge's series exist only once something set them or took their handle; a label-less
 * gauge exists from registration, so it counts once its value is not 0). A metric the registry
 * does not hold (never bound to it) is never recorded.
 * @throws TelltaleError `TT_ASSERTION_FAILED` listing each metric never recorded and each label
 *   value never seen, one per line, in catalog order; `TT_INVALID_OPTION` when `catalog` or
 *   `registry` is not one.
 * @example
 * ```ts
 * const m = catalog.bind({ registry });
 * await runTheService(m);
 * expectAllRecorded(catalog, registry);
 * // TT_ASSERTION_FAILED: expectAllRecorded: 1 of 3 catalog metrics never recorded, 1 label value never seen
 * //   never recorded: queue_depth
 * //   never seen: http_requests_total{method="POST"}
 * ```
 */
export function expectAllRecorded(catalog: Catalog<unknown>, registry: Registry): void {
  if (!Array.isArray((catalog as { entries?: unknown } | null)?.entries)) {
    throw new TelltaleError(
      'TT_INVALID_OPTION',
      'expectAllRecorded: catalog must be a catalog from defineMetrics or parseCatalog',
    );
  }
  if (typeof (registry as { snapshot?: unknown } | null)?.snapshot !== 'function') {
    throw new TelltaleError(
      'TT_INVALID_OPTION',
      'expectAllRecorded: registry must be a telltale registry (with snapshot())',
    );
  }
  const snapshot = registry.snapshot();
  const missing: string[] = [];
  const unseen: string[] = [];
  for (const e of catalog.entries) {
    const name = exposedName(e);
    const instrument = registry.get(e.name);
    const fam = instrument === undefined ? undefined : snapshot[instrument.name];
    const labelled = e.labels.length > 0;
    const points = (fam?.points ?? []) as readonly MetricPoint[];
    const live = fam === undefined ? [] : points.filter((p) => recorded(fam, p, labelled));
    if (live.length === 0) {
      missing.push(name);
      continue;
    }
    for (const l of e.labels) {
      if (l.values === undefined) continue;
      const seen = new Set(live.map((p) => p.labels[l.name]));
      for (const v of l.values) {
        if (!seen.has(v)) unseen.push(`${name}{${l.name}=${JSON.stringify(v)}}`);
      }
    }
  }
  if (missing.length === 0 && unseen.length === 0) return;
  const total = catalog.entries.length;
  const lines = [
    `expectAllRecorded: ${missing.length} of ${total} catalog metric${total === 1 ? '' : 's'} never recorded, ${unseen.length} label value${unseen.length === 1 ? '' : 's'} never seen`,
    ...missing.map((n) => `  never recorded: ${n}`),
    ...unseen.map((s) => `  never seen: ${s}`),
  ];
  throw new TelltaleError('TT_ASSERTION_FAILED', lines.join('\n'));
}
