// Quick local timing of the encoders against the render targets (not a test; numbers vary by machine).
// Run: node --conditions=telltale-source --import tsx test/exposition/timing.ts
import { encodeOpenMetricsChunks } from '../../src/exposition/openmetrics.js';
import { encodeTextChunks } from '../../src/exposition/text.js';
import { drain, type MetricFamily, manyCounters, manyHistograms } from './fixtures.js';

function time(label: string, families: MetricFamily[], encode: (f: MetricFamily[]) => number) {
  for (let i = 0; i < 5; i++) encode(families);
  const runs: number[] = [];
  let size = 0;
  for (let i = 0; i < 15; i++) {
    const t0 = process.hrtime.bigint();
    size = encode(families);
    runs.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  runs.sort((a, b) => a - b);
  const median = runs[Math.floor(runs.length / 2)]!;
  console.log(
    `${label.padEnd(44)} median ${median.toFixed(2)} ms  min ${runs[0]!.toFixed(2)} ms  ${(size / 1e6).toFixed(2)} M chars`,
  );
}

// Writing a chunk to a socket flattens it; do the same here so ropes are not left unflattened.
const flat = (chunks: Iterable<string>) => {
  let n = 0;
  for (const c of chunks) n += Buffer.byteLength(c);
  return n;
};

const counters = manyCounters(100_000);
const histograms = manyHistograms(10_000);
time('text, 100k counters (chunks, lengths)', counters, (f) => drain(encodeTextChunks(f)));
time('text, 100k counters (chunks, to UTF-8)', counters, (f) => flat(encodeTextChunks(f)));
time('text, 10k histograms (chunks, lengths)', histograms, (f) => drain(encodeTextChunks(f)));
time('text, 10k histograms (chunks, to UTF-8)', histograms, (f) => flat(encodeTextChunks(f)));
time('openmetrics, 100k counters (to UTF-8)', counters, (f) => flat(encodeOpenMetricsChunks(f)));
time('openmetrics, 10k histograms (to UTF-8)', histograms, (f) => flat(encodeOpenMetricsChunks(f)));
time('openmetrics+created, 100k counters (to UTF-8)', counters, (f) =>
  flat(encodeOpenMetricsChunks(f, { created: true })),
);
