// Heap bytes per series after gc, after the build and after one scrape. Needs --expose-gc.
// Usage: node --expose-gc ... bench/cases/heap.mjs --lib=ID --kind=counters|histograms
import { loadLib } from '../libs/index.mjs';
import { parseArgs, report } from './args.mjs';
import {
  COUNTER_FAMILIES,
  COUNTER_SERIES,
  DEFAULT_BUCKETS,
  expectedCounterTotal,
  expectedHistogramSum,
  HISTOGRAM_FAMILIES,
  HISTOGRAM_SERIES,
  OBSERVATIONS_PER_SERIES,
} from './data.mjs';
import { asText, checkCounterText, checkHistogramText } from './parse.mjs';

if (typeof globalThis.gc !== 'function') throw new Error('run with --expose-gc');
const args = parseArgs();
const lib = await loadLib(args.lib);
const counters = args.kind === 'counters';
const series = counters ? COUNTER_SERIES : HISTOGRAM_SERIES;
// Everything the measurement should not count is computed before the baseline.
const expectedTotal = counters ? expectedCounterTotal() : expectedHistogramSum();

function settledHeap() {
  for (let i = 0; i < 4; i++) globalThis.gc();
  return process.memoryUsage().heapUsed;
}

const before = settledHeap();
const built = counters
  ? lib.buildCounters(COUNTER_FAMILIES)
  : lib.buildHistograms(HISTOGRAM_FAMILIES, OBSERVATIONS_PER_SERIES);
const afterBuild = settledHeap();
// One scrape, checked. In a function, so the rendered text is unreachable once it returns (a
// block-scoped variable at a module's top level can outlive its block in the module's context).
async function scrapeOnce() {
  const text = asText(await built.render());
  if (counters) checkCounterText(text, series, expectedTotal);
  else
    checkHistogramText(
      text,
      series,
      series * OBSERVATIONS_PER_SERIES,
      expectedTotal,
      DEFAULT_BUCKETS.length,
    );
}
await scrapeOnce();
const afterScrape = settledHeap();
// Keep the registry alive until after the last measurement.
if (built.render === undefined) throw new Error('unreachable');
report({
  lib: args.lib,
  case: `heap-${args.kind}`,
  unit: 'B',
  series,
  afterBuild: (afterBuild - before) / series,
  afterScrape: (afterScrape - before) / series,
});
