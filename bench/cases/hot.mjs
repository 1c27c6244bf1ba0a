// One hot-path case for one library, in this process only: calibrate, warm up, time, read back.
// Usage: node --expose-gc --conditions=telltale-source --import tsx bench/cases/hot.mjs --lib=ID --case=NAME [--reps=5]
import { othersMeter } from '../cpu.mjs';
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

// Warm up and calibrate together: double the batch while one takes under 20 ms, and keep going
// for at least `warmupMs` (the first batches run in the interpreter and say nothing about the
// batch size). Then size batches to about `repMs` from the last batch, and warm up at that size
// so the timed batches run the same optimised code.
let n = 128;
let ns = timed(n);
const warmStart = performance.now();
while (ns < 20e6 || performance.now() - warmStart < warmupMs / 2) {
  if (ns < 20e6) n *= 2;
  ns = timed(n);
}
const batch = Math.max(1000, Math.round((n * repMs * 1e6) / ns));
const warm2 = performance.now();
do timed(batch);
while (performance.now() - warm2 < warmupMs / 2);

const others = othersMeter();
const samples = [];
for (let r = 0; r < reps; r++) samples.push(timed(batch) / batch);
const othersCpu = others();

await bench.check(ops, lastN, runs);
report({
  lib: args.lib,
  case: args.case,
  unit: 'ns',
  samples,
  median: median(samples),
  batch,
  ops,
  othersCpu,
});
