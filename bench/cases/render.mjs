// One exposition case for one library: build the registry for one fixture shape, then time full text renders.
// Usage: node ... bench/cases/render.mjs --lib=ID --kind=counters|histograms [--shape=shared|unique|one-family|many-families] [--reps=7] [--min-ms=1000]
import { othersMeter } from '../cpu.mjs';
import { loadLib } from '../libs/index.mjs';
import { median, parseArgs, report } from './args.mjs';
import { DEFAULT_BUCKETS, workload } from './data.mjs';
import { asText, byteLength, checkCounterText, checkHistogramText } from './parse.mjs';

const args = parseArgs();
// At least `reps` renders, and more (up to 40) until about a second of rendering was timed, so a
// fast library's median rests on more samples; GC pauses make single renders vary.
const reps = Number(args.reps ?? 7);
const minTimedMs = Number(args['min-ms'] ?? 1000);
const warmup = Number(args.warmup ?? 2);
const lib = await loadLib(args.lib);
const counters = args.kind === 'counters';
const shape = args.shape ?? 'shared';
const w = workload(shape, counters ? 'counters' : 'histograms');

const t0 = performance.now();
const built = counters ? lib.buildCounters(w) : lib.buildHistograms(w);
const buildMs = performance.now() - t0;

// First render: checked against what was recorded, so nothing is missing or optimised away.
const first = asText(await built.render());
if (counters) checkCounterText(first, w.series, w.total);
else checkHistogramText(first, w.series, w.count, w.total, DEFAULT_BUCKETS.length);
const bytes = Buffer.byteLength(first);

for (let i = 0; i < warmup; i++) await built.render();
const others = othersMeter();
const samples = [];
let sink = 0;
let timedMs = 0;
for (let r = 0; r < reps || (timedMs < minTimedMs && r < 40); r++) {
  const start = performance.now();
  const out = await built.render();
  const ms = performance.now() - start;
  samples.push(ms);
  timedMs += ms;
  sink += byteLength(out) === bytes ? 1 : 0;
}
const othersCpu = others();
if (sink !== samples.length) throw new Error('render output size changed between renders');
report({
  lib: args.lib,
  case: `render-${args.kind}`,
  shape,
  unit: 'ms',
  samples,
  median: median(samples),
  bytes,
  buildMs,
  othersCpu,
});
