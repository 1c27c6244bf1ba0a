// Protobuf against text rendering of the same registry, for telltale only: the benchmark's 100k counters and 10k histograms.
//
// Usage (from the repository root):
//   node --conditions=telltale-source --import tsx bench/protobuf-render.mjs [--kind=counters|histograms] [--shape=shared|unique|one-family|many-families] [--reps=60]
//
// Builds the render workload of bench/cases/data.mjs for one fixture shape (default `shared`:
// 10 families × 10,000 counter series, or 10 × 1,000 histogram series with default buckets and
// 5 observations each; 10 before 2026-12-02), then alternates a
// text render and a protobuf render (`encodeTextChunks`, `encodeProtobufChunks` with one
// `createProtobufCache()`, as the metrics handler does), each on a fresh gather that is not timed.
// The first 3 pairs are warm-up. Prints min, p25 and median ms per render for both, and the body
// sizes (UTF-16 code units of text, bytes of protobuf), as JSON lines. No timing is asserted.
import {
  createProtobufCache,
  encodeProtobufChunks,
  encodeTextChunks,
} from '../src/exposition/index.ts';
import { createRegistry } from '../src/metrics/index.ts';
import { DEFAULT_BUCKETS, seriesIncrement, seriesObservation, workload } from './cases/data.mjs';

function arg(name, fallback) {
  const hit = process.argv.find((a) => a.startsWith(`--${name}=`));
  return hit === undefined ? fallback : hit.slice(name.length + 3);
}
const kind = arg('kind', 'counters');
const shape = arg('shape', 'shared');
const reps = Number(arg('reps', 60));

// The same fixture as bench/cases/render.mjs for this shape (cases/data.mjs `workload`).
const w = workload(shape, kind);
const registry = createRegistry({ maxSeries: 100_000 });
w.families.forEach((fam, f) => {
  const [k0, k1] = fam.labelNames;
  if (kind === 'counters') {
    const c = registry.counter({ name: fam.name, help: fam.help, labelNames: fam.labelNames });
    fam.values.forEach(([v0, v1], s) => {
      c.inc({ [k0]: v0, [k1]: v1 }, seriesIncrement(f, s));
    });
  } else {
    const h = registry.histogram({
      name: fam.name,
      help: fam.help,
      labelNames: fam.labelNames,
      buckets: DEFAULT_BUCKETS,
    });
    fam.values.forEach(([v0, v1], s) => {
      for (let m = 0; m < w.perSeries; m++)
        h.observe({ [k0]: v0, [k1]: v1 }, seriesObservation(f, s, m));
    });
  }
});

const cache = createProtobufCache();
const samples = { text: [], protobuf: [] };
const size = { text: 0, protobuf: 0 };
for (let i = 0; i < reps + 3; i++) {
  for (const format of ['text', 'protobuf']) {
    const families = await registry.gather();
    const t0 = performance.now();
    let n = 0;
    const chunks =
      format === 'text' ? encodeTextChunks(families) : encodeProtobufChunks(families, { cache });
    for (const c of chunks) n += c.length;
    const ms = performance.now() - t0;
    size[format] = n;
    if (i >= 3) samples[format].push(ms);
  }
}
const q = (v, p) => [...v].sort((x, y) => x - y)[Math.floor(p * (v.length - 1))];
for (const format of ['text', 'protobuf']) {
  const v = samples[format];
  console.log(
    JSON.stringify({
      kind,
      shape,
      format,
      reps: v.length,
      minMs: q(v, 0),
      p25Ms: q(v, 0.25),
      medianMs: q(v, 0.5),
      size: size[format],
    }),
  );
}
