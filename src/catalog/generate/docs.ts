// catalogDocs: a catalog as a Markdown table (name, type, unit, labels and their allowed values, meaning, objectives), byte for byte the same for the same catalog.

import { fail } from '../../internal/errors.js';
import type { Catalog } from '../define.js';
import type { CatalogEntry, CatalogLabel } from '../schema.js';

/** A table cell: no line breaks, `|` escaped (GFM splits cells before reading code spans). */
function cell(text: string): string {
  return text.replace(/\r\n|\r|\n/g, ' ').replace(/\|/g, '\\|');
}

/** A code span that holds any text, backticks included (CommonMark: a longer fence, padded). */
function code(text: string): string {
  let fence = '`';
  while (text.includes(fence)) fence += '`';
  const pad = fence.length > 1 || text.startsWith('`') || text.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${text}${pad}${fence}`;
}

/** A ratio as a percentage, rounded to 12 significant digits so 1 - 0.999 reads 0.1. */
function percent(r: number): string {
  return `${Number((r * 100).toPrecision(12))} %`;
}

/** The name a user queries: a counter's with `_total`. */
export function exposedName(e: CatalogEntry): string {
  return e.type === 'counter' ? `${e.family}_total` : e.name;
}

function typeOf(e: CatalogEntry): string {
  if (e.type !== 'histogram' || e.native === undefined) return e.type;
  return e.buckets.length === 0 ? 'histogram (native)' : 'histogram (classic and native)';
}

function label(l: CatalogLabel): string {
  const values = l.values === undefined ? '' : `: ${l.values.map(code).join(', ')}`;
  const help = l.help === '' ? '' : ` — ${l.help}`;
  return `${code(l.name)}${values}${help}`;
}

function objectives(e: CatalogEntry): string {
  const out: string[] = [];
  const unit = e.unit === '' ? '' : ` ${e.unit}`;
  const slo = e.slo;
  if (slo?.latency !== undefined) {
    out.push(
      `latency: ${percent(slo.latency.target)} of observations ≤ ${slo.latency.threshold}${unit}`,
    );
  }
  if (slo?.errorRatio !== undefined) {
    const r = slo.errorRatio;
    out.push(
      `errors (${code(r.label)} = ${r.values.map(code).join(' or ')}): ≤ ${percent(1 - r.target)} of events`,
    );
  }
  if (slo?.saturation !== undefined) {
    out.push(`saturation: ≤ ${slo.saturation.threshold}${unit}`);
  }
  return out.length === 0 ? '—' : out.join('<br>');
}

/**
 * The catalog as a Markdown table, one row per entry in catalog order: the name a user queries (a
 * counter's with `_total`), the type, the unit, the labels with their allowed values and help, the
 * meaning (the help text) and the objectives. A pure function: the same catalog gives the same
 * bytes, so the output can be committed and checked by a no-diff test.
 * @throws TelltaleError `TT_INVALID_OPTION` when `catalog` is not a catalog.
 * @example
 * ```ts
 * writeFileSync('docs/metrics.md', `# Metrics\n\n${catalogDocs(catalog)}`);
 * ```
 */
export function catalogDocs(catalog: Catalog<unknown>): string {
  if (!Array.isArray((catalog as { entries?: unknown } | null)?.entries)) {
    fail(
      'TT_INVALID_OPTION',
      'catalogDocs: catalog must be a catalog from defineMetrics or parseCatalog',
    );
  }
  const rows = [
    '| metric | type | unit | labels | meaning | objectives |',
    '|---|---|---|---|---|---|',
  ];
  for (const e of catalog.entries) {
    const cells = [
      code(exposedName(e)),
      typeOf(e),
      e.unit === '' ? '—' : e.unit,
      e.labels.length === 0 ? '—' : e.labels.map(label).join('<br>'),
      e.help,
      objectives(e),
    ];
    rows.push(`| ${cells.map(cell).join(' | ')} |`);
  }
  return `${rows.join('\n')}\n`;
}
