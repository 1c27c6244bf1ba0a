// Measures the exemplar hook on the metrics hot path (bound counter inc / histogram observe, with and without a source and a span) and the cost of spans and request contexts. Not a test.
// Run: node --conditions=telltale-source --import tsx test/trace/overhead.bench.ts

import { runWithContext } from '../../src/context/index.js';
import { createRegistry } from '../../src/metrics/index.js';
import {
  createRequestContext,
  createTelemetry,
  span,
  startRequestSpan,
} from '../../src/trace/index.js';

type Call = (i: number) => void;

function timeNs(n: number, call: Call): number {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) call(i);
  return Number(process.hrtime.bigint() - t0) / n;
}

/** The best of `runs` timings, after a warm-up, so JIT and GC noise count against nobody. */
function best(n: number, call: Call, runs = 7): number {
  timeNs(Math.min(n, 1e6), call);
  let min = Number.POSITIVE_INFINITY;
  for (let r = 0; r < runs; r++) min = Math.min(min, timeNs(n, call));
  return min;
}

const registry = createRegistry();
const counter = registry.counter({ name: 'c', help: 'C.', labelNames: ['k'] }).labels('a');
const histogram = registry.histogram({ name: 'h_seconds', help: 'H.', buckets: [0.1, 1] });

// Exemplars on for this registry: the source is live only inside one of `tel`'s spans.
const tel = createTelemetry({ registry, tracing: { exemplars: true } });

const N = 20_000_000;
const rows: [string, number][] = [];
const run = (name: string, n: number, call: Call) => {
  rows.push([name, best(n, call)]);
};

// Alternate no-source and source rounds, so a drift in machine speed hits both sides.
for (let round = 0; round < 2; round++) {
  run(`[${round}] counter inc, no span`, N, () => counter.inc());
  run(`[${round}] histogram observe, no span`, N, () => histogram.observe(0.5));
  // The AsyncLocalStorage has not been used yet in round 0 (getStore is a flag check).
  run(
    `[${round}] counter inc, exemplars enabled, no span (source uninstalled)${round === 0 ? ' (ALS never used)' : ''}`,
    N,
    () => counter.inc(),
  );
  run(`[${round}] histogram observe, exemplars enabled, no span (source uninstalled)`, N, () =>
    histogram.observe(0.5),
  );
  // Enable the ALS for the rest of the process, as any server does.
  runWithContext(createRequestContext({}), () => {});
}

const M = 2_000_000;
tel.span('bench', () => {
  run('counter inc inside a span (exemplar attached)', M, () => counter.inc());
  run('histogram observe inside a span (exemplar attached)', M, () => histogram.observe(0.5));
});
run('span(name, fn) sync, no logger, no OpenTelemetry', M, () => span('x', () => 1));
run('startRequestSpan + run + end (no logger, no OTel)', M, (i) => {
  const s = startRequestSpan('GET /', { requestId: i & 1 ? 'req-1' : undefined });
  s.run(() => 1);
  s.end();
});
run('createRequestContext + runWithContext', M, () =>
  runWithContext(createRequestContext({}), () => 1),
);

const width = Math.max(...rows.map(([n]) => n.length));
console.log(`node ${process.version}, ${process.arch}; best of 7 runs, ns per call`);
for (const [name, ns] of rows)
  console.log(`${name.padEnd(width)}  ${ns.toFixed(1).padStart(7)} ns`);
