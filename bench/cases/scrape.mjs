// The longest event-loop block in a server process while it answers a 100,000-series scrape over
// HTTP (or 10 concurrent ones), for one fixture shape. The registry is real and gathered per scrape:
// before each scrape the server adds to its first series, and the client checks every body's
// totals against that, so a cached body fails. The client runs in a worker thread; the server
// thread's loop is watched with monitorEventLoopDelay at 1 ms resolution, reset before each scrape.
// `--series=N` changes the series count (default 100,000 counters or 10,000 histograms; the
// 1,000,000-series case is `--shape=unique --series=1000000`: 10 families of 100,000).
// Usage: node ... bench/cases/scrape.mjs --lib=ID [--kind=counters|histograms] [--shape=shared|one-family|...] [--series=N] [--concurrency=1] [--reps=7] [--warmup=2]
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { othersMeter } from '../cpu.mjs';
import { loadLib } from '../libs/index.mjs';
import { median, parseArgs, report } from './args.mjs';
import { BUMP_OBSERVATION, workload } from './data.mjs';

const args = parseArgs();
const reps = Number(args.reps ?? 7);
const warmup = Number(args.warmup ?? 2);
const kind = args.kind ?? 'counters';
const shape = args.shape ?? 'shared';
const concurrency = Number(args.concurrency ?? 1);
const lib = await loadLib(args.lib);
const w = workload(shape, kind, args.series === undefined ? undefined : Number(args.series));
const t0 = performance.now();
const built = kind === 'counters' ? lib.buildCounters(w) : lib.buildHistograms(w);
const buildMs = performance.now() - t0;
// Memory after the build (no forced gc: this case is about time), to show what the series cost.
const { heapUsed, external } = process.memoryUsage();
const server = await lib.serve(built);
const worker = new Worker(new URL('./scrape-client.mjs', import.meta.url));

let bumps = 0;
/** Updates the registry (outside the measured window), then scrapes and checks the new totals. */
function scrape() {
  built.bump(BUMP_OBSERVATION);
  bumps++;
  const expected =
    kind === 'counters'
      ? { total: w.total + bumps, count: 0 }
      : { total: w.total + bumps * BUMP_OBSERVATION, count: w.count + bumps };
  return new Promise((resolve, reject) => {
    worker.once('message', (m) => (m.error ? reject(new Error(m.error)) : resolve(m)));
    worker.postMessage({ url: server.url, kind, series: w.series, concurrency, ...expected });
  });
}

const eld = monitorEventLoopDelay({ resolution: 1 });

let first;
for (let i = 0; i < warmup; i++) {
  const m = await scrape();
  first ??= m;
}
const others = othersMeter();
const samples = [];
const scrapeMs = [];
// Idle baseline: what the histogram reports with nothing to do (the timer's own period and jitter).
eld.reset();
eld.enable();
await sleep(200);
eld.disable();
const idleMaxMs = eld.max / 1e6;

// Cross-check: a plain 1 ms interval timer's longest gap between two ticks.
let lastTick = 0;
let maxGap = 0;
const gaps = [];
for (let r = 0; r < reps; r++) {
  eld.reset();
  eld.enable();
  lastTick = performance.now();
  maxGap = 0;
  const tick = setInterval(() => {
    const now = performance.now();
    if (now - lastTick > maxGap) maxGap = now - lastTick;
    lastTick = now;
  }, 1);
  // The histogram records the gap between two of its ticks, so it needs a first tick before the
  // scrape starts: give both timers a few idle milliseconds.
  await sleep(20);
  const m = await scrape();
  await sleep(5);
  clearInterval(tick);
  eld.disable();
  samples.push(eld.max / 1e6);
  gaps.push(maxGap);
  scrapeMs.push(m.ms);
}
const othersCpu = others();
await worker.terminate();
await server.close();
report({
  lib: args.lib,
  case: 'scrape-block',
  kind,
  shape,
  series: w.series,
  concurrency,
  unit: 'ms',
  samples,
  median: median(samples),
  worst: Math.max(...samples),
  idleMaxMs,
  intervalGapMs: median(gaps),
  scrapeMs: median(scrapeMs),
  bytes: first.bytes,
  contentType: first.contentType,
  buildMs,
  builtMB: (heapUsed + external) / 2 ** 20,
  othersCpu,
});
