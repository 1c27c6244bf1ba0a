// Shared, pre-built workload data, so every library gets exactly the same inputs.

/** prom-client's default histogram buckets, used by every library in every histogram case. */
export const DEFAULT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** 100 distinct label value triples (5 methods × 5 routes × 4 statuses), for case 2. */
export const TRIPLES = [];
for (let i = 0; i < 100; i++) {
  TRIPLES.push([`m${i % 5}`, `/route/${Math.floor(i / 5) % 5}`, `${200 + Math.floor(i / 25)}`]);
}

/** 100 distinct label value pairs (10 × 10), for the 2-label cases. */
export const PAIRS = [];
for (let i = 0; i < 100; i++) PAIRS.push([`a${i % 10}`, `b${Math.floor(i / 10)}`]);

/**
 * 1024 observation values spread log-uniformly over 0.001 s .. 20 s in a scrambled order, so
 * they land in every default bucket (and above the largest), not just the first.
 */
export const VALUES = new Float64Array(1024);
for (let i = 0; i < 1024; i++) VALUES[i] = 0.001 * 20000 ** ((i * 0.6180339887498949) % 1);

/** Label values for the exposition cases: 100 × 100 pairs = 10,000 series per family. */
export const SERIES_A = Array.from({ length: 100 }, (_, i) => `instance-${i}`);
export const SERIES_B = Array.from({ length: 100 }, (_, i) => `/api/v1/resource/${i}`);

/** Per-series increment for the exposition cases (so values are not all 1). */
export const seriesIncrement = (family, series) => 1 + ((family * 7919 + series) % 1000);

/** The observation value for the m-th observation of a histogram series in the exposition cases. */
export const seriesObservation = (family, series, m) =>
  VALUES[(family * 131 + series * 7 + m) & 1023];

/** Exposition workloads: 10 families × 10,000 counter series; 10 families × 1,000 histogram series. */
export const COUNTER_FAMILIES = 10;
export const COUNTER_SERIES = COUNTER_FAMILIES * 10_000;
export const HISTOGRAM_FAMILIES = 10;
export const HISTOGRAM_SERIES = HISTOGRAM_FAMILIES * 1_000;
/** Observations per histogram series, spread over the buckets by `seriesObservation`. */
export const OBSERVATIONS_PER_SERIES = 10;

/** The sum of every counter series' value after the build. */
export function expectedCounterTotal() {
  let total = 0;
  for (let f = 0; f < COUNTER_FAMILIES; f++)
    for (let s = 0; s < 10_000; s++) total += seriesIncrement(f, s);
  return total;
}

/** The sum of every observation made while building the histogram workload. */
export function expectedHistogramSum() {
  let total = 0;
  for (let f = 0; f < HISTOGRAM_FAMILIES; f++) {
    for (let s = 0; s < 1_000; s++)
      for (let m = 0; m < OBSERVATIONS_PER_SERIES; m++) total += seriesObservation(f, s, m);
  }
  return total;
}
