// Protobuf against text rendering of the same registry, for telltale only: the benchmark's 100k counters and 10k histograms.
//
// Usage (from the repository root):
//   node --conditions=telltale-source --import tsx bench/protobuf-render.mjs [--kind=counters|histograms] [--reps=60]
//
// Builds the render workload of bench/cases/data.mjs (10 families × 10,000 counter series, or
// 10 × 1,000 histogram series with default buckets and 10 observations each), then alternates a
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
import {
  COUNTER_FAMILIES,
  DEFAULT_BUCKETS,
  HISTOGRAM_FAMILIES,
  OBSERVATIONS_PER_SERIES,
  SERIES_A,
  SERIES_B,
  seriesIncrement,
  seriesObservation,
} from './cases/data.mjs';

function arg(name, fallback) {
  const hit = process.argv.find((a) => a.startsWith(`--${name}=`));
  return hit === undefined ? fallback : hit.slice(name.length + 3);
}
const kind = arg('kind', 'counters');
const reps = Number(arg('reps', 60));

const registry = createRegistry({ maxSeries: 10_000 });
if (kind === 'counters') {
  for (let f = 0; f < COUNTER_FAMILIES; f++) {
    const c = registry.counter({
      name: `bench_c${f}_total`,
      help: `Counter family ${f}.`,
      labelNames: ['instance', 'path'],
    });
    for (let a = 0; a < 100; a++) {
      for (let b = 0; b < 100; b++)
        c.inc({ instance: SERIES_A[a], path: SERIES_B[b] }, seriesIncrement(f, a * 100 + b));
    }
  }
} else {
  for (let f = 0; f < HISTOGRAM_FAMILIES; f++) {
    const h = registry.histogram({
      name: `bench_h${f}_seconds`,
      help: `Histogram family ${f}.`,
      labelNames: ['instance', 'path'],
      buckets: DEFAULT_BUCKETS,
    });
    for (let a = 0; a < 10; a++) {
      for (let b = 0; b < 100; b++) {
        for (let m = 0; m < OBSERVATIONS_PER_SERIES; m++)
          h.observe(
            { instance: SERIES_A[a], path: SERIES_B[b] },
            seriesObservation(f, a * 100 + b, m),
          );
      }
    }
  }
}

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
      format,
      reps: v.length,
      minMs: q(v, 0),
      p25Ms: q(v, 0.25),
      medianMs: q(v, 0.5),
      size: size[format],
    }),
  );
}
