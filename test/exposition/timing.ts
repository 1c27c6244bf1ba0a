// Quick local timing of the encoders against the render targets (not a test: numbers vary by machine and load).
// Run: node --conditions=telltale-source --import tsx test/exposition/timing.ts
import { encodeOpenMetrics, encodeOpenMetricsChunks } from '../../src/exposition/openmetrics.js';
import { encodeText, encodeTextChunks } from '../../src/exposition/text.js';
import { type MetricFamily, manyCounters, manyHistograms } from './fixtures.js';

function time(label: string, families: MetricFamily[], run: (f: MetricFamily[]) => number): void {
  for (let i = 0; i < 5; i++) run(families);
  const runs: number[] = [];
  let size = 0;
  for (let i = 0; i < 21; i++) {
    const t0 = process.hrtime.bigint();
    size = run(families);
    runs.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  runs.sort((a, b) => a - b);
  const median = runs[Math.floor(runs.length / 2)]!;
  console.log(
    `${label.padEnd(50)} median ${median.toFixed(2).padStart(6)} ms   min ${runs[0]!.toFixed(2).padStart(6)} ms   ${(size / 1e6).toFixed(2)} MB`,
  );
}

// What a server does with each chunk: `res.write(chunk)` flattens the rope and encodes UTF-8.
const toBytes = (chunks: Iterable<string>): number => {
  let n = 0;
  for (const c of chunks) n += Buffer.from(c, 'utf8').length;
  return n;
};
// Encoding only, as peers are usually measured (`registry.metrics()` returning a string).
const wholeString = (s: string): number => s.length;

const counters = manyCounters(100_000);
const histograms = manyHistograms(10_000);
console.log(`node ${process.version}; series spread over 10 families, 2 labels each`);
time('text: 100k counters, encodeText', counters, (f) => wholeString(encodeText(f)));
time('text: 100k counters, chunks → Buffer', counters, (f) => toBytes(encodeTextChunks(f)));
time('text: 10k histograms (11 buckets), encodeText', histograms, (f) =>
  wholeString(encodeText(f)),
);
time('text: 10k histograms (11 buckets), chunks → Buffer', histograms, (f) =>
  toBytes(encodeTextChunks(f)),
);
time('openmetrics: 100k counters, encodeOpenMetrics', counters, (f) =>
  wholeString(encodeOpenMetrics(f)),
);
time('openmetrics: 100k counters, chunks → Buffer', counters, (f) =>
  toBytes(encodeOpenMetricsChunks(f)),
);
time('openmetrics+created: 100k counters, chunks → Buffer', counters, (f) =>
  toBytes(encodeOpenMetricsChunks(f, { created: true })),
);
time('openmetrics: 10k histograms, chunks → Buffer', histograms, (f) =>
  toBytes(encodeOpenMetricsChunks(f)),
);
for (const chunkSize of [16_384, 262_144]) {
  time(`text: 10k histograms, chunks of ${chunkSize} → Buffer`, histograms, (f) =>
    toBytes(encodeTextChunks(f, { chunkSize })),
  );
}
