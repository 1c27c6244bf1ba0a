// Read-back checks: every case proves its work was done, so nothing can be optimised away.

/** Throws (failing the whole benchmark run) unless `actual === expected`. */
export function expectEqual(what, actual, expected) {
  if (actual !== expected) {
    throw new Error(`read-back check failed: ${what}: got ${actual}, expected ${expected}`);
  }
}

/** Throws unless `actual` is within a relative `tolerance` of `expected` (float sums). */
export function expectClose(what, actual, expected, tolerance = 1e-6) {
  if (!(Math.abs(actual - expected) <= tolerance * Math.abs(expected))) {
    throw new Error(
      `read-back check failed: ${what}: got ${actual}, expected ${expected} (±${tolerance})`,
    );
  }
}

/**
 * The value each of the 100 series holds after the last run of the gauge case: series k was last
 * set at the largest i < n with i % 100 === k, to VALUES[i & 1023].
 */
export function expectedLastGaugeValues(n, values) {
  const out = new Map();
  for (let i = Math.max(0, n - 100); i < n; i++) out.set(i % 100, values[i & 1023]);
  return out;
}

/**
 * The sum of the observations that calls `run(n)` for each n in `runs` made (each run observes
 * VALUES[i & 1023] for i < n). Computed in closed form; compare with `expectClose`.
 */
export function observedSum(runs, values) {
  const prefix = new Float64Array(1025);
  for (let i = 0; i < 1024; i++) prefix[i + 1] = prefix[i] + values[i];
  let sum = 0;
  for (const n of runs) sum += Math.floor(n / 1024) * prefix[1024] + prefix[n % 1024];
  return sum;
}
