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

/** Per-series increment for the exposition cases (so values are not all 1). */
export const seriesIncrement = (family, series) => 1 + ((family * 7919 + series) % 1000);

/**
 * The observation value for the m-th observation of a histogram series in the exposition cases:
 * consecutive m land in different buckets (VALUES is scrambled over every default bucket).
 */
export const seriesObservation = (family, series, m) =>
  VALUES[(family * 131 + series * 7 + m) & 1023];

/** Observations per histogram series, spread over the buckets by `seriesObservation`. */
export const OBSERVATIONS_PER_SERIES = 5;
/** Series in every counter workload and in every histogram workload, whatever the shape. */
export const COUNTER_SERIES = 100_000;
export const HISTOGRAM_SERIES = 10_000;

/**
 * A flat (sequential) copy of `s`. A template literal longer than 12 characters is a V8 rope (a
 * cons string); the first library to hash or read it flattens it, allocating the flat copy then,
 * inside that library's measurement. Every label value is flattened here, before any baseline,
 * so no library is charged for the fixture's strings (measured: 40 B per series, charged to
 * whichever library hashed a path first).
 */
const flat = (s) => {
  s.charCodeAt(0);
  return s;
};
const INSTANCES = Array.from({ length: 1_000 }, (_, i) => flat(`instance-${i}`));
const PATHS = Array.from({ length: 100_000 }, (_, i) => flat(`/api/v1/resource/${i}`));

/**
 * The fixture shapes of the exposition, memory and scrape cases, the same for every library. Each
 * describes how `series` series are spread over families and label values:
 * - `shared`: 10 families; every label value is shared by many series (the old fixture);
 * - `unique`: 10 families; the first label (a path) is unique per series within its family;
 * - `one-family`: one family holds every series, first label unique per series;
 * - `many-families`: 1,000 small families with shared values.
 */
export const SHAPES = {
  shared: {
    title: '10 families, shared values',
    counters: { families: 10, labels: ['instance', 'path'], a: 100, b: 100, unique: false },
    histograms: { families: 10, labels: ['instance', 'path'], a: 10, b: 100, unique: false },
  },
  unique: {
    title: '10 families, unique first label',
    counters: { families: 10, labels: ['path', 'instance'], unique: true },
    histograms: { families: 10, labels: ['path', 'instance'], unique: true },
  },
  'one-family': {
    title: 'one family, unique first label',
    counters: { families: 1, labels: ['path', 'instance'], unique: true },
    histograms: { families: 1, labels: ['path', 'instance'], unique: true },
  },
  'many-families': {
    title: '1,000 small families, shared values',
    counters: { families: 1_000, labels: ['instance', 'path'], a: 10, b: 10, unique: false },
    histograms: { families: 1_000, labels: ['instance', 'path'], a: 2, b: 5, unique: false },
  },
};

/**
 * The workload for one shape and kind (and optionally another series count than the default
 * 100,000 counters or 10,000 histograms; the scrape case's 1,000,000 counters are the `unique`
 * shape at 100,000 series per family): per family its name, help, two label names and, per series,
 * the two label values (pre-built strings, so a memory case can create them before its baseline).
 * Unique first labels are paths; the second label then cycles over 10 instances.
 */
export function workload(shapeId, kind, seriesCount) {
  const shape = SHAPES[shapeId];
  if (!shape) throw new Error(`unknown shape ${shapeId} (${Object.keys(SHAPES).join(', ')})`);
  const counters = kind === 'counters';
  const spec = counters ? shape.counters : shape.histograms;
  const series = seriesCount ?? (counters ? COUNTER_SERIES : HISTOGRAM_SERIES);
  const perFamily = series / spec.families;
  // Every series of a family must get its own label values, or series would merge.
  const distinct = spec.unique ? PATHS.length : spec.a * spec.b;
  if (!Number.isInteger(perFamily) || perFamily > distinct) {
    throw new Error(
      `shape ${shapeId} cannot hold ${series} ${kind} series (${spec.families} families, at most ${distinct} distinct label sets each)`,
    );
  }
  const families = [];
  for (let f = 0; f < spec.families; f++) {
    const values = [];
    for (let s = 0; s < perFamily; s++) {
      if (spec.unique) values.push([PATHS[s], INSTANCES[s % 10]]);
      else values.push([INSTANCES[Math.floor(s / spec.b) % spec.a], PATHS[s % spec.b]]);
    }
    families.push({
      name: counters ? `bench_c${f}_total` : `bench_h${f}_seconds`,
      // OpenTelemetry adds the _total suffix itself.
      otelName: counters ? `bench_c${f}` : `bench_h${f}_seconds`,
      help: `${counters ? 'Counter' : 'Histogram'} family ${f}.`,
      labelNames: spec.labels,
      values,
    });
  }
  let total = 0;
  for (let f = 0; f < families.length; f++) {
    for (let s = 0; s < perFamily; s++) {
      if (counters) total += seriesIncrement(f, s);
      else for (let m = 0; m < OBSERVATIONS_PER_SERIES; m++) total += seriesObservation(f, s, m);
    }
  }
  return {
    shape: shapeId,
    kind,
    series,
    families,
    perSeries: OBSERVATIONS_PER_SERIES,
    /** Counters: the sum of every series' value. Histograms: the sum of every observation. */
    total,
    count: counters ? series : series * OBSERVATIONS_PER_SERIES,
  };
}

/** The value the scrape case adds to the first series before each scrape (a fresh gather shows it). */
export const BUMP_OBSERVATION = 0.5;
