// The cost of one update that folds into the overflow series, with and without seriesTtlSeconds, for telltale only.
//
// Usage (from the repository root):
//   node --conditions=telltale-source --import tsx bench/ttl-overflow.mjs [--cap=10000] [--reps=7] [--updates=200000]
//
// A counter is filled to its series cap (`maxSeries`), then every timed update brings a label set
// the metric has never stored, so each one takes the cap path and folds into the overflow series.
// The TTL (one hour) is long enough that nothing is ever evicted: the case measures what the TTL
// bookkeeping adds to an overflowing metric. Prints the median ns per update of `reps` batches
// for each configuration, as JSON lines, then a ratio. No timing is asserted anywhere.
import { createRegistry } from '../src/metrics/index.ts';

function arg(name, fallback) {
  const hit = process.argv.find((a) => a.startsWith(`--${name}=`));
  return hit === undefined ? fallback : Number(hit.slice(name.length + 3));
}
const cap = arg('cap', 10_000);
const reps = arg('reps', 7);
const updates = arg('updates', 200_000);

// New label values, made up front so the loop times the update, not string building. Folded
// label sets are never stored, so cycling through them keeps every update on the cap path.
const fresh = Array.from({ length: 50_000 }, (_, i) => `new-${i}`);

function measure(ttl) {
  const registry = createRegistry(
    ttl === undefined ? { maxSeries: cap } : { maxSeries: cap, seriesTtlSeconds: ttl },
  );
  const c = registry.counter({ name: 'requests_total', help: 'Requests.', labelNames: ['user'] });
  for (let i = 0; i < cap; i++) c.inc({ user: `u${i}` });
  const run = (n) => {
    for (let i = 0; i < n; i++) c.inc({ user: fresh[i % fresh.length] });
  };
  run(updates); // warm-up: optimise the cap path
  const samples = [];
  for (let r = 0; r < reps; r++) {
    const t0 = process.hrtime.bigint();
    run(updates);
    samples.push(Number(process.hrtime.bigint() - t0) / updates);
  }
  // Read back: every timed update folded (none evicted, none created).
  const folded = c.get({ user: '__overflow__' });
  const expected = updates * (reps + 1);
  if (c.seriesCount !== cap + 1 || folded !== expected) {
    throw new Error(
      `check failed: ${c.seriesCount} series, ${folded} folded (expected ${cap + 1}, ${expected})`,
    );
  }
  samples.sort((a, b) => a - b);
  return {
    ttl: ttl ?? 'off',
    cap,
    updates,
    reps,
    medianNs: samples[samples.length >> 1],
    minNs: samples[0],
    maxNs: samples[samples.length - 1],
  };
}

const off = measure(undefined);
const on = measure(3600);
console.log(JSON.stringify(off));
console.log(JSON.stringify(on));
console.log(JSON.stringify({ ratio: on.medianNs / off.medianNs }));
