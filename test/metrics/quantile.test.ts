import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TelltaleError } from '../../src/internal/errors.js';
import { QuantileWindow, type QuantileWindowOptions } from '../../src/metrics/quantile.js';

/** A seeded PRNG (mulberry32), so failures reproduce. */
function prng(seed: number): () => number {
  let a = seed | 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A clock the test moves by hand, in milliseconds. */
function manualClock(start = 0): { now: () => number; set: (t: number) => void } {
  let t = start;
  return { now: () => t, set: (x) => (t = x) };
}

/** First index in sorted `a` holding a value ≥ x. */
function lowerBound(a: Float64Array, x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const m = (lo + hi) >>> 1;
    if (a[m]! < x) lo = m + 1;
    else hi = m;
  }
  return lo;
}

/**
 * How far (in ranks) `value`'s true rank among `sorted` is from `goal`. With ties a value holds a
 * range of ranks [first, last] (1-based); the distance is to the nearest of them.
 */
function rankError(sorted: Float64Array, value: number, goal: number): number {
  const first = lowerBound(sorted, value) + 1;
  const last = upperBound(sorted, value);
  assert.ok(first <= last, `estimate ${value} is not one of the observed values`);
  if (goal < first) return first - goal;
  if (goal > last) return goal - last;
  return 0;
}

/** Index after the last value ≤ x in sorted `a` (the 1-based rank of its last copy). */
function upperBound(a: Float64Array, x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const m = (lo + hi) >>> 1;
    if (a[m]! <= x) lo = m + 1;
    else hi = m;
  }
  return lo;
}

/** Observes `values` into a window that never rotates, then checks every estimate's true rank. */
function assertWithinError(opts: QuantileWindowOptions, values: Float64Array): void {
  const w = new QuantileWindow({ ...opts, now: () => 0 });
  for (const v of values) w.observe(v);
  const est = w.query();
  const sorted = Float64Array.from(values).sort();
  const n = values.length;
  assert.equal(w.count, n);
  w.quantiles.forEach((q, i) => {
    const eps = w.errors[i]!;
    const err = rankError(sorted, est[i]!, q * n);
    assert.ok(
      err <= eps * n,
      `q=${q}: estimate ${est[i]} is ${err} ranks from ${q * n}, allowed ${eps * n}`,
    );
  });
}

/**
 * The documented per-stream bound on stored tuples (see `storedSamples`): 2 plus twice the rank
 * space divided by the invariant f, summed over the targets that constrain.
 */
function documentedBound(quantiles: readonly number[], errors: readonly number[]): number {
  let s = 0;
  quantiles.forEach((phi, i) => {
    const eps = errors[i]!;
    if (phi <= eps || phi + eps >= 1) return;
    const L = 1 - phi + eps;
    const R = phi - eps;
    s += (L / (2 * eps)) * Math.log(1 / L) + (R / (2 * eps)) * Math.log(1 / R);
  });
  return Math.ceil(2 * s) + 2;
}

const MANY = {
  quantiles: [0, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 0.999, 1],
  errors: [0.01, 0.001, 0.01, 0.02, 0.02, 0.02, 0.01, 0.001, 0.0001, 0.01],
};

describe('QuantileWindow accuracy', () => {
  it('estimates 100,000 uniform values within the stated rank error', () => {
    const rnd = prng(1);
    const values = new Float64Array(100_000);
    for (let i = 0; i < values.length; i++) values[i] = rnd();
    assertWithinError({ quantiles: [0.5, 0.9, 0.99] }, values);
    assertWithinError(MANY, values);
  });

  it('uses the default errors 0.05, 0.01, 0.001 for 0.5, 0.9, 0.99 and 0.01 otherwise', () => {
    const w = new QuantileWindow({ quantiles: [0.5, 0.75, 0.9, 0.99] });
    assert.deepEqual(w.errors, [0.05, 0.01, 0.01, 0.001]);
  });

  it('stays within the error on sorted, reverse-sorted and tied data', () => {
    const n = 100_000;
    const asc = new Float64Array(n);
    const desc = new Float64Array(n);
    const ties = new Float64Array(n);
    const rnd = prng(2);
    for (let i = 0; i < n; i++) {
      asc[i] = i;
      desc[i] = n - i;
      ties[i] = Math.floor(rnd() * 20);
    }
    for (const values of [asc, desc, ties]) {
      assertWithinError({ quantiles: [0.5, 0.9, 0.99] }, values);
      assertWithinError(MANY, values);
    }
  });

  it('is exact while there are few observations, and always for 0 and 1', () => {
    const w = new QuantileWindow({ quantiles: [0, 0.5, 0.9, 0.99, 1], now: () => 0 });
    for (let v = 10; v >= 1; v--) w.observe(v);
    assert.deepEqual(w.query(), [1, 5, 9, 10, 10]);
    const rnd = prng(3);
    let min = Number.POSITIVE_INFINITY;
    let max = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < 200_000; i++) {
      const v = rnd() * 1000 - 500;
      min = Math.min(min, v);
      max = Math.max(max, v);
      w.observe(v);
    }
    const q = w.query();
    assert.equal(q[0], Math.min(min, 1));
    assert.equal(q[4], Math.max(max, 10));
  });

  it('ignores NaN and handles infinities', () => {
    const w = new QuantileWindow({ quantiles: [0, 0.5, 1], now: () => 0 });
    w.observe(Number.NaN);
    assert.equal(w.count, 0);
    w.observe(Number.NEGATIVE_INFINITY);
    w.observe(3);
    w.observe(4);
    w.observe(Number.POSITIVE_INFINITY);
    w.observe(5);
    // The median's rank is 2.5: 3 (rank 2) and 4 (rank 3) are equally close; the lower one wins.
    assert.deepEqual(w.query(), [Number.NEGATIVE_INFINITY, 3, Number.POSITIVE_INFINITY]);
  });
});

describe('QuantileWindow window', () => {
  it('returns NaN for every quantile when the window is empty', () => {
    const w = new QuantileWindow({ quantiles: [0.5, 0.9, 0.99], now: () => 0 });
    assert.deepEqual(w.query(), [Number.NaN, Number.NaN, Number.NaN]);
    assert.equal(w.count, 0);
    assert.deepEqual(new QuantileWindow({ quantiles: [] }).query(), []);
  });

  it('fills the array it is given', () => {
    const w = new QuantileWindow({ quantiles: [0.5, 1], now: () => 0 });
    w.observe(7);
    const out = [0, 0];
    assert.equal(w.query(out), out);
    assert.deepEqual(out, [7, 7]);
  });

  it('forgets observations older than maxAge', () => {
    const clock = manualClock();
    const w = new QuantileWindow({ quantiles: [0, 0.5, 1], maxAgeSeconds: 600, now: clock.now });
    for (let v = 1; v <= 100; v++) w.observe(v);
    clock.set(599_999);
    w.observe(1000);
    assert.equal(w.count, 101);
    const [min, median, max] = w.query();
    assert.equal(min, 1);
    assert.ok(Math.abs(median! - 50.5) <= 0.05 * 101, `median ${median}`);
    assert.equal(max, 1000);
    clock.set(600_000);
    assert.equal(w.count, 1);
    assert.deepEqual(w.query(), [1000, 1000, 1000]);
    // Streams are cleared every 120 s; the last one cleared before 599.999 s (at 480 s) is the
    // head from 960 s to 1080 s: 1000 stays for maxAge - maxAge/ageBuckets at least.
    clock.set(1_079_999);
    assert.deepEqual(w.query(), [1000, 1000, 1000]);
    clock.set(1_080_000);
    assert.deepEqual(w.query(), [Number.NaN, Number.NaN, Number.NaN]);
  });

  it('keeps an observation for between maxAge·(1 - 1/ageBuckets) and maxAge', () => {
    const clock = manualClock();
    const w = new QuantileWindow({
      quantiles: [0.5],
      maxAgeSeconds: 10,
      ageBuckets: 5,
      now: clock.now,
    });
    clock.set(3_000); // Inside the second 2 s step.
    w.observe(42);
    clock.set(11_999); // The stream cleared at 2 s is the head from 10 s until 12 s.
    assert.deepEqual(w.query(), [42]);
    clock.set(12_000);
    assert.deepEqual(w.query(), [Number.NaN]);
  });

  it('merges buffered observations before an expiry clears them', () => {
    const clock = manualClock();
    const w = new QuantileWindow({ quantiles: [0.5], maxAgeSeconds: 10, now: clock.now });
    w.observe(1); // Stays in the buffer (no flush, no query) until the clock moves.
    clock.set(9_000);
    w.observe(2); // Expiry: 1 is merged first, then the stream cleared at 2 s drops it.
    assert.equal(w.count, 2);
    clock.set(10_000);
    assert.equal(w.count, 1);
    assert.deepEqual(w.query(), [2]);
  });

  it('skips ahead after a long idle period and tolerates a clock going back', () => {
    const clock = manualClock(1_000_000);
    const w = new QuantileWindow({ quantiles: [0.5], maxAgeSeconds: 60, now: clock.now });
    w.observe(5);
    clock.set(1_000_000 + 86_400_000 * 365); // A year later.
    assert.deepEqual(w.query(), [Number.NaN]);
    w.observe(6);
    assert.deepEqual(w.query(), [6]);
    clock.set(0); // Backwards: nothing expires, nothing breaks.
    w.observe(7);
    assert.equal(w.count, 2);
  });

  it('reset forgets every observation', () => {
    const clock = manualClock();
    const w = new QuantileWindow({ quantiles: [0.5, 0.99], now: clock.now });
    for (let i = 0; i < 10_000; i++) w.observe(i);
    w.reset();
    assert.equal(w.count, 0);
    assert.deepEqual(w.query(), [Number.NaN, Number.NaN]);
    assert.deepEqual(w.storedSamples(), [0, 0, 0, 0, 0]);
    w.observe(3);
    assert.deepEqual(w.query(), [3, 3]);
  });
});

describe('QuantileWindow memory', () => {
  it('documents 111 tuples per stream for the default targets', () => {
    assert.equal(documentedBound([0.5, 0.9, 0.99], [0.05, 0.01, 0.001]), 111);
  });

  for (const [name, opts] of [
    ['default targets', { quantiles: [0.5, 0.9, 0.99] }],
    ['ten targets', MANY],
  ] as const) {
    for (const [kind, draw] of [
      ['continuous', (r: () => number) => -Math.log(r())],
      ['tied', (r: () => number) => Math.floor(r() * 50)],
    ] as const) {
      it(`keeps each stream under the documented bound over 1,000,000 ${kind} observations (${name})`, () => {
        const clock = manualClock();
        // 1 ms per observation: the 600 s window rotates every 120,000 observations.
        const w = new QuantileWindow({ ...opts, now: clock.now });
        const bound = documentedBound(w.quantiles, w.errors);
        const rnd = prng(4);
        let most = 0;
        for (let i = 0; i < 1_000_000; i++) {
          clock.set(i);
          w.observe(draw(rnd));
          if (i % 500 === 0) most = Math.max(most, ...w.storedSamples());
        }
        most = Math.max(most, ...w.storedSamples());
        assert.ok(most <= bound, `a stream held ${most} tuples, bound ${bound}`);
        assert.ok(w.count >= 480_000 && w.count <= 600_000, `window holds ${w.count}`);
      });
    }
  }

  it('grows for a while after an abrupt shift in the data, then settles under the bound', () => {
    // Not covered by the documented bound: values that suddenly pile into one gap between stored
    // tuples inherit that gap's rank uncertainty and cannot be merged until the window has grown.
    for (const shifted of [
      (r: () => number) => 0.995 + r() * 1e-9,
      (r: () => number) => Math.floor(r() * 50) / 10,
    ]) {
      const w = new QuantileWindow({ quantiles: [0.5, 0.9, 0.99], ageBuckets: 1, now: () => 0 });
      const rnd = prng(9);
      let most = 0;
      for (let i = 0; i < 1_000_000; i++) {
        w.observe(i < 500_000 ? rnd() : shifted(rnd));
        if (i % 500 === 499) most = Math.max(most, w.storedSamples()[0]!);
      }
      assert.ok(most <= 3 * 500, `peak ${most} tuples`);
      assert.ok(w.storedSamples()[0]! <= 111, `settled at ${w.storedSamples()[0]} tuples`);
    }
  });

  it('keeps a single stream bounded when it sees all 1,000,000 observations', () => {
    const w = new QuantileWindow({ quantiles: [0.5, 0.9, 0.99], ageBuckets: 1, now: () => 0 });
    const rnd = prng(5);
    let most = 0;
    const values = new Float64Array(1_000_000);
    for (let i = 0; i < values.length; i++) {
      const v = rnd();
      values[i] = v;
      w.observe(v);
      if (i % 500 === 0) most = Math.max(most, w.storedSamples()[0]!);
    }
    assert.ok(most <= 111, `the stream held ${most} tuples`);
    // And the estimates are still within their error.
    const sorted = values.sort();
    const est = w.query();
    w.quantiles.forEach((q, i) => {
      const err = rankError(sorted, est[i]!, q * sorted.length);
      assert.ok(err <= w.errors[i]! * sorted.length, `q=${q} off by ${err} ranks`);
    });
  });
});

describe('QuantileWindow options', () => {
  const cases: [string, unknown, string][] = [
    ['rank above 1', { quantiles: [0.5, 1.5] }, 'TT_INVALID_QUANTILES'],
    ['negative rank', { quantiles: [-0.1] }, 'TT_INVALID_QUANTILES'],
    ['NaN rank', { quantiles: [Number.NaN] }, 'TT_INVALID_QUANTILES'],
    ['non-number rank', { quantiles: ['0.5'] }, 'TT_INVALID_QUANTILES'],
    ['unsorted ranks', { quantiles: [0.9, 0.5] }, 'TT_INVALID_QUANTILES'],
    ['duplicate ranks', { quantiles: [0.5, 0.5] }, 'TT_INVALID_QUANTILES'],
    ['missing quantiles', {}, 'TT_INVALID_QUANTILES'],
    ['no options', undefined, 'TT_INVALID_OPTION'],
    ['errors of the wrong length', { quantiles: [0.5], errors: [0.1, 0.1] }, 'TT_INVALID_OPTION'],
    ['zero error', { quantiles: [0.5], errors: [0] }, 'TT_INVALID_OPTION'],
    ['error too small', { quantiles: [0.5], errors: [0.00001] }, 'TT_INVALID_OPTION'],
    ['error above 0.5', { quantiles: [0.5], errors: [0.6] }, 'TT_INVALID_OPTION'],
    ['zero maxAgeSeconds', { quantiles: [0.5], maxAgeSeconds: 0 }, 'TT_INVALID_OPTION'],
    ['infinite maxAgeSeconds', { quantiles: [0.5], maxAgeSeconds: Infinity }, 'TT_INVALID_OPTION'],
    ['zero ageBuckets', { quantiles: [0.5], ageBuckets: 0 }, 'TT_INVALID_OPTION'],
    ['fractional ageBuckets', { quantiles: [0.5], ageBuckets: 1.5 }, 'TT_INVALID_OPTION'],
    ['too many ageBuckets', { quantiles: [0.5], ageBuckets: 101 }, 'TT_INVALID_OPTION'],
    ['tiny bufferSize', { quantiles: [0.5], bufferSize: 8 }, 'TT_INVALID_OPTION'],
    ['now not a function', { quantiles: [0.5], now: 5 }, 'TT_INVALID_OPTION'],
  ];
  for (const [name, opts, code] of cases) {
    it(`rejects ${name} with ${code}`, () => {
      assert.throws(
        () => new QuantileWindow(opts as QuantileWindowOptions),
        (err: unknown) => err instanceof TelltaleError && err.code === code,
      );
    });
  }

  it('accepts the edges', () => {
    const w = new QuantileWindow({
      quantiles: [0, 1],
      errors: [0.0001, 0.5],
      maxAgeSeconds: 0.001,
      ageBuckets: 100,
      bufferSize: 16,
    });
    w.observe(1);
    assert.equal(w.query().length, 2);
  });
});
