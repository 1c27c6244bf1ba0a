// One hot-path case for one library, in this process only: calibrate, warm up, time, read back.
// Usage: node --expose-gc --conditions=telltale-source --import tsx bench/cases/hot.mjs --lib=ID --case=NAME [--reps=5]
import { loadLib } from '../libs/index.mjs';
import { median, parseArgs, report } from './args.mjs';

const args = parseArgs();
const reps = Number(args.reps ?? 5);
const repMs = Number(args['rep-ms'] ?? 100);
const warmupMs = Number(args['warmup-ms'] ?? 500);

const lib = await loadLib(args.lib);
const factory = lib.hot[args.case];
if (!factory) {
  report({ lib: args.lib, case: args.case, na: true });
  process.exit(0);
}
const bench = factory();

let ops = 0;
const runs = [];
let lastN = 0;
function timed(n) {
  const t0 = process.hrtime.bigint();
  bench.run(n);
  const ns = Number(process.hrtime.bigint() - t0);
  ops += n;
  runs.push(n);
  lastN = n;
  return ns;
}

// Calibrate: double the batch until one takes ≥ 10 ms, then size batches to about `repMs`.
let n = 128;
let ns = timed(n);
while (ns < 10e6) {
  n *= 2;
  ns = timed(n);
}
const batch = Math.max(100, Math.round((n * repMs * 1e6) / ns));
// Warm up at the batch size, so the timed runs see the same optimised code.
const warmStart = performance.now();
while (performance.now() - warmStart < warmupMs) timed(batch);

const samples = [];
for (let r = 0; r < reps; r++) samples.push(timed(batch) / batch);

await bench.check(ops, lastN, runs);
report({
  lib: args.lib,
  case: args.case,
  unit: 'ns',
  samples,
  median: median(samples),
  batch,
  ops,
});
