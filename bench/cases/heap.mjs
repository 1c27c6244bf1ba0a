// Bytes per series after gc, on the JS heap and off it, after the build and after one scrape. Needs --expose-gc.
// Usage: node --expose-gc ... bench/cases/heap.mjs --lib=ID --kind=counters|histograms [--shape=shared|unique|one-family|many-families]
import { loadLib } from '../libs/index.mjs';
import { parseArgs, report } from './args.mjs';
import { DEFAULT_BUCKETS, workload } from './data.mjs';
import { asText, checkCounterText, checkHistogramText } from './parse.mjs';

if (typeof globalThis.gc !== 'function') throw new Error('run with --expose-gc');
const args = parseArgs();
const lib = await loadLib(args.lib);
const counters = args.kind === 'counters';
const shape = args.shape ?? 'shared';
// Everything the measurement should not count (the label value strings, the expected totals) is
// built before the baseline.
const w = workload(shape, counters ? 'counters' : 'histograms');

/**
 * The JS heap (`heapUsed`) and off-heap memory (`external`: memory held by JS objects outside the
 * V8 heap; it includes `arrayBuffers`, every ArrayBuffer and Buffer backing store) after gc.
 */
function settled() {
  for (let i = 0; i < 4; i++) globalThis.gc();
  const m = process.memoryUsage();
  return { heap: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers };
}

const before = settled();
const built = counters ? lib.buildCounters(w) : lib.buildHistograms(w);
const afterBuild = settled();
// One scrape, checked. In a function, so the rendered text is unreachable once it returns (a
// block-scoped variable at a module's top level can outlive its block in the module's context).
async function scrapeOnce() {
  const text = asText(await built.render());
  if (counters) checkCounterText(text, w.series, w.total);
  else checkHistogramText(text, w.series, w.count, w.total, DEFAULT_BUCKETS.length);
}
await scrapeOnce();
const afterScrape = settled();
// Keep the registry alive until after the last measurement.
if (built.render === undefined) throw new Error('unreachable');
const per = (m) => ({
  heap: (m.heap - before.heap) / w.series,
  offHeap: (m.external - before.external) / w.series,
  arrayBuffers: (m.arrayBuffers - before.arrayBuffers) / w.series,
  total: (m.heap - before.heap + m.external - before.external) / w.series,
});
const build = per(afterBuild);
const scrape = per(afterScrape);
report({
  lib: args.lib,
  case: `heap-${args.kind}`,
  shape,
  unit: 'B',
  series: w.series,
  build,
  scrape,
  afterBuild: build.total,
  afterScrape: scrape.total,
});
