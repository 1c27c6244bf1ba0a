// The Prometheus text format 0.0.4 encoder: a pure function from gathered families to text.
import { escapeHelpText } from '../internal/escape.js';
import type { LabelSet, MetricFamily } from '../metrics/model.js';
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
 * Options for {@link encodeTextChunks}.
 *
 * @example
 * ```ts
 * encodeTextChunks(families, { chunkSize: 16_384 });
 * ```
 */
export interface TextOptions {
  /**
   * Roughly how many UTF-16 code units each yielded chunk holds (chunks end on a series
   * boundary, so one may run over by one series). A positive integer, or `Infinity` for a single
   * chunk. Default 65,536.
   */
  readonly chunkSize?: number | undefined;
  /**
   * A cache from `createTextCache()`, kept by the caller across encodes (the metrics handler
   * keeps one): each series' label text is built once and reused while the series lives.
   * Omit it to encode without one; the output is the same.
   */
  readonly cache?: TextCache | undefined;
}

/**
 * Encodes families in the Prometheus text format 0.0.4, yielding chunks of about
 * `options.chunkSize` UTF-16 code units so a server can yield to the event loop between them.
 * Concatenated, the chunks are exactly {@link encodeText}'s output.
 *
 * Mapping (as client_golang does): counters render as `<name>_total` (HELP and TYPE included),
 * info as a gauge `<name>_info` with value 1, a stateset as a gauge `<name>` with one sample per
 * state (label `<name>="<state>"`, value 1 or 0), unknown as `untyped`. No exemplars, `_created`,
 * `# UNIT` or `# EOF`: the format has none of them.
 *
 * @throws {TelltaleError} `TT_INVALID_OPTION` (at the call, not the first step) when `chunkSize`
 *   is not a positive integer or Infinity.
 * @example
 * ```ts
 * for (const chunk of encodeTextChunks(await registry.gather())) {
 *   if (!res.write(chunk)) await once(res, 'drain');
 * }
 * ```
 */
export function encodeTextChunks(
  families: readonly MetricFamily[],
  options: TextOptions = {},
): Generator<string, void, undefined> {
  // Validated here, not inside the generator, so a bad option throws at the call.
  const cache = resolveTextCache(options.cache);
  return textChunks(families, resolveChunkSize(options.chunkSize), cache && new CacheUse(cache));
}

function* textChunks(
  families: readonly MetricFamily[],
  limit: number,
  use: CacheUse | undefined,
): Generator<string, void, undefined> {
  // One accumulator: `+=` builds a V8 rope, flattened once per chunk (see `flatten`). Cheaper
  // than collecting lines in an array and joining them: no per-line array slots, one copy.
  let out = '';
  for (let f = 0; f < families.length; f++) {
    const family = families[f]!;
    const base = family.name;
    switch (family.type) {
      case 'counter':
      case 'gauge':
      case 'unknown': {
        // One sample per series; a counter's samples (and HELP/TYPE) carry `_total`.
        const name = family.type === 'counter' ? `${base}_total` : base;
        const type = family.type === 'unknown' ? 'untyped' : family.type;
        out += `# HELP ${name} ${escapeHelpText(family.help)}\n# TYPE ${name} ${type}\n`;
        const open = `${name}{`;
        const head = cachedWriter(
          labelWriter(family, open, '} ', `${name} `),
          use?.entriesFor(family, open, '} '),
        );
        const points: readonly { labels: LabelSet; value: number }[] = family.points;
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
        out += `# HELP ${base} ${escapeHelpText(family.help)}\n# TYPE ${base} histogram\n`;
        // Per family: `name_bucket{` and one `le="…"} ` fragment per bound, so a bucket line is
        // four appends: head, bound, count, newline.
        const bucket = `${base}_bucket{`;
        const sum = `${base}_sum`;
        const count = `${base}_count`;
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
          for (let j = 0; j <= nb; j++) out += `${head}${le[j]}${fmt(cum[j]!)}\n`;
          const lbl = t === '' ? ' ' : `{${t}} `;
          out += `${sum}${lbl}${fmt(p.sum)}\n${count}${lbl}${fmt(p.count)}\n`;
          if (out.length >= limit) {
            yield flatten(out);
            out = '';
          }
        }
        break;
      }
      case 'summary': {
        const frag = cachedWriter(fragmenter(family), use?.entriesFor(family, '', ''));
        out += `# HELP ${base} ${escapeHelpText(family.help)}\n# TYPE ${base} summary\n`;
        const open = `${base}{`;
        const sum = `${base}_sum`;
        const count = `${base}_count`;
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
          out += `${sum}${lbl}${fmt(p.sum)}\n${count}${lbl}${fmt(p.count)}\n`;
          if (out.length >= limit) {
            yield flatten(out);
            out = '';
          }
        }
        break;
      }
      case 'info': {
        const name = `${base}_info`;
        out += `# HELP ${name} ${escapeHelpText(family.help)}\n# TYPE ${name} gauge\n${infoSamples(family)}`;
        break;
      }
      case 'stateset':
        out += `# HELP ${base} ${escapeHelpText(family.help)}\n# TYPE ${base} gauge\n${stateSetSamples(family)}`;
        break;
    }
  }
  use?.finish();
  if (out !== '') yield flatten(out);
}

/**
 * Encodes families in the Prometheus text format 0.0.4 as one string (see
 * {@link encodeTextChunks} for the mapping). An empty list gives `''`; otherwise the output ends
 * with a newline.
 *
 * @example
 * ```ts
 * res.setHeader('Content-Type', CONTENT_TYPES.text);
 * res.end(encodeText(await registry.gather()));
 * ```
 */
export function encodeText(
  families: readonly MetricFamily[],
  options: Pick<TextOptions, 'cache'> = {},
): string {
  const cache = resolveTextCache(options.cache);
  let out = '';
  // Built from flattened 64 KiB chunks rather than one rope: see `flatten`.
  for (const chunk of textChunks(families, DEFAULT_CHUNK_SIZE, cache && new CacheUse(cache))) {
    out += chunk;
  }
  return out;
}
