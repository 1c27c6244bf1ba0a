// Helpers shared by the text and OpenMetrics encoders: number formatting and chunk-size options.

import { fail } from '../internal/errors.js';
import { escapeLabelValue, labelSetFragment } from '../internal/escape.js';
import {
  type InfoFamily,
  LABEL_SHAPE,
  type LabelSet,
  type MetricFamily,
  type StateSetFamily,
} from '../metrics/model.js';

/**
 * The default chunk size of the incremental encoders, in UTF-16 code units (64 KiB). Small enough
 * that one chunk takes well under a millisecond to build, large enough that per-chunk overhead
 * (a generator step, a socket write) is negligible.
 *
 * @example
 * ```ts
 * encodeTextChunks(families, { chunkSize: DEFAULT_CHUNK_SIZE / 4 }); // 16 KiB chunks
 * ```
 */
export const DEFAULT_CHUNK_SIZE = 65_536;

export { formatNumber } from '../internal/format.js';

/** Validates the `chunkSize` option once per encode: a positive integer, or `Infinity` for one chunk. */
export function resolveChunkSize(chunkSize: number | undefined): number {
  if (chunkSize === undefined) return DEFAULT_CHUNK_SIZE;
  if (chunkSize === Number.POSITIVE_INFINITY || (Number.isInteger(chunkSize) && chunkSize > 0)) {
    return chunkSize;
  }
  return fail(
    'TT_INVALID_OPTION',
    `chunkSize must be a positive integer or Infinity, got ${String(chunkSize)}; omit it for the default of ${DEFAULT_CHUNK_SIZE}`,
  );
}

/** Builds one point's label text from its label set (see {@link labelWriter}). */
export type LabelWriter = (set: LabelSet) => string;

/**
 * The label fragment builder for a family's points: `a="x",b="y"` (no braces; `''` for no
 * labels). See {@link labelWriter}.
 */
export function fragmenter(family: MetricFamily): LabelWriter {
  return labelWriter(family, '', '', '');
}

/**
 * A builder of each point's label text wrapped as `open` + `a="x",b="y"` + `close`, or `bare`
 * when the point has no labels: for a counter, `name{` … `} ` (and `name `), so a sample line is
 * the builder's result, the value and a newline, with no intermediate fragment string.
 *
 * With the registry's label shape hint (see `LABEL_SHAPE`) the names are known up front: each
 * label is a prefix made here once (`open` + `a="`, `",b="`) and the value read by name, escaped
 * only if some value needed it, with the common label counts unrolled. Without it (a family built
 * by hand, cloned or filtered), each point's names are read from its label set and every value is
 * escaped. Both give the same bytes.
 */
export function labelWriter(
  family: MetricFamily,
  open: string,
  close: string,
  bare: string,
): LabelWriter {
  const shape = family[LABEL_SHAPE];
  if (shape === undefined) {
    return (set) => {
      const t = labelSetFragment(set);
      return t === '' ? bare : `${open}${t}${close}`;
    };
  }
  const names = shape.names;
  const n = names.length;
  if (n === 0) return () => bare;
  const pre = names.map((k, j) => (j === 0 ? `${open}${k}="` : `",${k}="`));
  const end = `"${close}`;
  const k0 = names[0]!;
  const p0 = pre[0]!;
  if (!shape.clean) {
    return (set) => {
      let out = p0 + escapeLabelValue(set[k0]!);
      for (let j = 1; j < n; j++) out += pre[j]! + escapeLabelValue(set[names[j]!]!);
      return out + end;
    };
  }
  if (n === 1) return (set) => `${p0}${set[k0]}${end}`;
  const k1 = names[1]!;
  const p1 = pre[1]!;
  if (n === 2) return (set) => `${p0}${set[k0]}${p1}${set[k1]}${end}`;
  const k2 = names[2]!;
  const p2 = pre[2]!;
  if (n === 3) return (set) => `${p0}${set[k0]}${p1}${set[k1]}${p2}${set[k2]}${end}`;
  return (set) => {
    let out = `${p0}${set[k0]}${p1}${set[k1]}${p2}${set[k2]}`;
    for (let j = 3; j < n; j++) out += pre[j]! + set[names[j]!]!;
    return out + end;
  };
}

/**
 * Makes V8 flatten a rope (the cons-string that `+=` builds) into one sequential string, and
 * returns it. Reading a character of a rope flattens it. Done on each chunk as it is yielded, so
 * the rope's many small nodes die young; measured on 100,000 counter series, `encodeText` took
 * 45 ms (median) when it concatenated unflattened chunks and 15 ms when they were flattened.
 */
export function flatten(s: string): string {
  s.charCodeAt(0);
  return s;
}

/**
 * The sample lines of an info family, `name_info{…} 1`: the same in both formats. Info families
 * are small (build and version data), so they are rendered whole rather than in chunks.
 */
export function infoSamples(family: InfoFamily): string {
  const name = `${family.name}_info`;
  const frag = fragmenter(family);
  const points = family.points;
  let out = '';
  for (let i = 0; i < points.length; i++) {
    const t = frag(points[i]!.labels);
    out += t === '' ? `${name} 1\n` : `${name}{${t}} 1\n`;
  }
  return out;
}

/**
 * The sample lines of a stateset family, one per state with the state in a label named after the
 * family, after the series labels (`name{a="x",name="state"} 1`): the same in both formats.
 */
export function stateSetSamples(family: StateSetFamily): string {
  const base = family.name;
  const open = `${base}{`;
  const state = family.states.map((st) => `${base}="${escapeLabelValue(st)}"} `);
  const frag = fragmenter(family);
  const points = family.points;
  let out = '';
  for (let i = 0; i < points.length; i++) {
    const p = points[i]!;
    const t = frag(p.labels);
    const head = t === '' ? open : `${open}${t},`;
    const on = p.enabled;
    for (let j = 0; j < state.length; j++)
      out += `${head}${state[j]}${on[j] === true ? '1' : '0'}\n`;
  }
  return out;
}
