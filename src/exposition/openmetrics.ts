// The OpenMetrics 1.0 text encoder: a pure function from gathered families to text ending in `# EOF`.
import { escapeHelpOpenMetrics, escapeLabelValue } from '../internal/escape.js';
import type { Exemplar, MetricFamily } from '../metrics/model.js';
import {
  DEFAULT_CHUNK_SIZE,
  flatten,
  formatNumber as fmt,
  fragmenter,
  infoSamples,
  labelWriter,
  resolveChunkSize,
  stateSetSamples,
} from './common.js';
import { CacheUse, cachedWriter, resolveTextCache, type TextCache } from './text-cache.js';

/**
 * Options for {@link encodeOpenMetricsChunks} and {@link encodeOpenMetrics}.
 *
 * @example
 * ```ts
 * encodeOpenMetrics(families, { created: true });
 * ```
 */
export interface OpenMetricsOptions {
  /**
   * Emit a `<name>_created` sample (Unix seconds) after each counter `_total` and each
   * histogram/summary series. Default `false`: Prometheus 2.x stores `_created` as an ordinary
   * extra series, which costs storage for little use.
   */
  readonly created?: boolean | undefined;
  /**
   * Roughly how many UTF-16 code units each yielded chunk holds (chunks end on a series
   * boundary). A positive integer, or `Infinity` for a single chunk. Default 65,536.
   */
  readonly chunkSize?: number | undefined;
  /**
   * A cache from `createTextCache()`, kept by the caller across encodes (the metrics handler
   * keeps one, shared with the text format): each series' label text is built once and reused
   * while the series lives. Omit it to encode without one; the output is the same.
   */
  readonly cache?: TextCache | undefined;
}

/** ` # {trace_id="abc"} 0.5 1700000000.123`: the exemplar suffix of a sample line. */
function exemplarSuffix(e: Exemplar): string {
  let labels = '';
  const l = e.labels;
  for (const k in l) {
    labels +=
      labels === '' ? `${k}="${escapeLabelValue(l[k]!)}"` : `,${k}="${escapeLabelValue(l[k]!)}"`;
  }
  return ` # {${labels}} ${fmt(e.value)} ${fmt(e.timestamp)}`;
}

/**
 * Encodes families in OpenMetrics 1.0, yielding chunks of about `options.chunkSize` UTF-16 code
 * units; the last chunk ends with `# EOF\n`. Concatenated, the chunks are exactly
 * {@link encodeOpenMetrics}'s output.
 *
 * Each family gets `# TYPE`, `# UNIT` (only when the unit is set) and `# HELP`. Counters are
 * families `<name>` with samples `<name>_total` (plus `<name>_created` right after it when
 * `created` is on, keeping each MetricPoint together). Exemplars are written on counter samples
 * and histogram buckets. Info renders as `<name>_info{…} 1`, a stateset as `<name>{…,<name>="state"} 1|0`,
 * histograms as buckets, `_count`, `_sum` (`_created`) per series.
 *
 * @throws {TelltaleError} `TT_INVALID_OPTION` (at the call, not the first step) when `chunkSize`
 *   is not a positive integer or Infinity.
 * @example
 * ```ts
 * for (const chunk of encodeOpenMetricsChunks(await registry.gather(), { created: true })) {
 *   if (!res.write(chunk)) await once(res, 'drain');
 * }
 * ```
 */
export function encodeOpenMetricsChunks(
  families: readonly MetricFamily[],
  options: OpenMetricsOptions = {},
): Generator<string, void, undefined> {
  // Validated here, not inside the generator, so a bad option throws at the call.
  const cache = resolveTextCache(options.cache);
  return openMetricsChunks(
    families,
    resolveChunkSize(options.chunkSize),
    options.created === true,
    cache && new CacheUse(cache),
  );
}

function* openMetricsChunks(
  families: readonly MetricFamily[],
  limit: number,
  created: boolean,
  use: CacheUse | undefined,
): Generator<string, void, undefined> {
  let out = '';
  for (let f = 0; f < families.length; f++) {
    const family = families[f]!;
    const base = family.name;
    // OpenMetrics: TYPE, then UNIT (only when set), then HELP, all before the samples.
    const meta =
      family.unit === ''
        ? `# HELP ${base} ${escapeHelpOpenMetrics(family.help)}\n`
        : `# UNIT ${base} ${family.unit}\n# HELP ${base} ${escapeHelpOpenMetrics(family.help)}\n`;
    switch (family.type) {
      case 'counter': {
        out += `# TYPE ${base} counter\n${meta}`;
        const total = `${base}_total`;
        const created_ = `${base}_created`;
        const labels = cachedWriter(
          labelWriter(family, '{', '} ', ' '),
          use?.entriesFor(family, '{', '} '),
        );
        const points = family.points;
        for (let i = 0; i < points.length; i++) {
          const p = points[i]!;
          const lbl = labels(p.labels, i);
          out += `${total}${lbl}${fmt(p.value)}`;
          if (p.exemplar !== undefined) out += exemplarSuffix(p.exemplar);
          out += created ? `\n${created_}${lbl}${fmt(p.created)}\n` : '\n';
          if (out.length >= limit) {
            yield flatten(out);
            out = '';
          }
        }
        break;
      }
      case 'gauge':
      case 'unknown': {
        out += `# TYPE ${base} ${family.type}\n${meta}`;
        const open = `${base}{`;
        const head = cachedWriter(
          labelWriter(family, open, '} ', `${base} `),
          use?.entriesFor(family, open, '} '),
        );
        const points = family.points;
        for (let i = 0; i < points.length; i++) {
          const p = points[i]!;
          out += `${head(p.labels, i)}${fmt(p.value)}\n`;
          if (out.length >= limit) {
            yield flatten(out);
            out = '';
          }
        }
        break;
      }
      case 'histogram': {
        const frag = cachedWriter(fragmenter(family), use?.entriesFor(family, '', ''));
        out += `# TYPE ${base} histogram\n${meta}`;
        const bucket = `${base}_bucket{`;
        const sum = `${base}_sum`;
        const count = `${base}_count`;
        const created_ = `${base}_created`;
        const bounds = family.buckets;
        const nb = bounds.length;
        const le: string[] = new Array(nb + 1);
        for (let j = 0; j < nb; j++) le[j] = `le="${fmt(bounds[j]!)}"} `;
        le[nb] = 'le="+Inf"} ';
        const points = family.points;
        for (let i = 0; i < points.length; i++) {
          const p = points[i]!;
          const t = frag(p.labels, i);
          const head = t === '' ? bucket : `${bucket}${t},`;
          const cum = p.cumulative;
          const ex = p.exemplars;
          if (ex === undefined) {
            for (let j = 0; j <= nb; j++) out += `${head}${le[j]}${fmt(cum[j]!)}\n`;
          } else {
            for (let j = 0; j <= nb; j++) {
              const e = ex[j] ?? undefined;
              out +=
                e === undefined
                  ? `${head}${le[j]}${fmt(cum[j]!)}\n`
                  : `${head}${le[j]}${fmt(cum[j]!)}${exemplarSuffix(e)}\n`;
            }
          }
          // OpenMetrics groups a MetricPoint's samples: buckets, then count and sum, then created.
          const lbl = t === '' ? ' ' : `{${t}} `;
          out += `${count}${lbl}${fmt(p.count)}\n${sum}${lbl}${fmt(p.sum)}\n`;
          if (created) out += `${created_}${lbl}${fmt(p.created)}\n`;
          if (out.length >= limit) {
            yield flatten(out);
            out = '';
          }
        }
        break;
      }
      case 'summary': {
        const frag = cachedWriter(fragmenter(family), use?.entriesFor(family, '', ''));
        out += `# TYPE ${base} summary\n${meta}`;
        const open = `${base}{`;
        const sum = `${base}_sum`;
        const count = `${base}_count`;
        const created_ = `${base}_created`;
        const ranks = family.quantiles;
        const nq = ranks.length;
        const q: string[] = new Array(nq);
        for (let j = 0; j < nq; j++) q[j] = `quantile="${fmt(ranks[j]!)}"} `;
        const points = family.points;
        for (let i = 0; i < points.length; i++) {
          const p = points[i]!;
          const t = frag(p.labels, i);
          const head = t === '' ? open : `${open}${t},`;
          const values = p.values;
          for (let j = 0; j < nq; j++) out += `${head}${q[j]}${fmt(values[j]!)}\n`;
          const lbl = t === '' ? ' ' : `{${t}} `;
          out += `${count}${lbl}${fmt(p.count)}\n${sum}${lbl}${fmt(p.sum)}\n`;
          if (created) out += `${created_}${lbl}${fmt(p.created)}\n`;
          if (out.length >= limit) {
            yield flatten(out);
            out = '';
          }
        }
        break;
      }
      case 'info':
        out += `# TYPE ${base} info\n${meta}${infoSamples(family)}`;
        break;
      case 'stateset':
        out += `# TYPE ${base} stateset\n${meta}${stateSetSamples(family)}`;
        break;
    }
  }
  use?.finish();
  yield flatten(`${out}# EOF\n`);
}

/**
 * Encodes families in OpenMetrics 1.0 as one string ending with `# EOF\n` (see
 * {@link encodeOpenMetricsChunks} for the mapping). An empty list gives `'# EOF\n'`.
 *
 * @example
 * ```ts
 * res.setHeader('Content-Type', CONTENT_TYPES.openmetrics);
 * res.end(encodeOpenMetrics(await registry.gather(), { created: false }));
 * ```
 */
export function encodeOpenMetrics(
  families: readonly MetricFamily[],
  options: Omit<OpenMetricsOptions, 'chunkSize'> = {},
): string {
  const cache = resolveTextCache(options.cache);
  let out = '';
  const created = options.created === true;
  const use = cache && new CacheUse(cache);
  // Built from flattened 64 KiB chunks rather than one rope: see `flatten`.
  for (const chunk of openMetricsChunks(families, DEFAULT_CHUNK_SIZE, created, use)) out += chunk;
  return out;
}
