// Native histogram buckets (the pure module): bucket indexes at and around boundaries, the zero bucket, spans, the bucket limit, resets, options, and properties against a slow reference.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  type BucketList,
  DEFAULT_NATIVE_ZERO_THRESHOLD,
  NativeConfig,
  type NativeHistogramOptions,
  NativeSeries,
  nativeBucketUpperBound,
  resolveNativeOptions,
} from '../../src/metrics/native.js';
import { throwsCode } from './helpers.js';

// ---- slow, obvious references -----------------------------------------------------------------

/** `x · 2^e` in steps that stay exact (never through an overflowing or subnormal power). */
function scale(x: number, e: number): number {
  while (e > 512) {
    x *= 2 ** 512;
    e -= 512;
  }
  while (e < -512) {
    x *= 2 ** -512;
    e += 512;
  }
  return x * 2 ** e;
}

/** frexp for v > 0 by search: v = frac · 2^exp with frac in [0.5, 1). */
function frexp(v: number): [number, number] {
  let exp = Math.floor(Math.log2(v)) + 1;
  while (scale(v, -exp) >= 1) exp++;
  while (scale(v, -exp) < 0.5) exp--;
  return [scale(v, -exp), exp];
}

/** client_golang's formula with a binary search (sort.SearchFloat64s) over the schema's bounds. */
function refKey(v: number, schema: number): number {
  const [frac, exp] = frexp(Math.abs(v));
  if (schema > 0) {
    const n = 2 ** schema;
    // The bounds as frexp fractions: bucket k's upper bound at exponent 1 is 2·bounds[k].
    const bounds = Array.from({ length: n }, (_, k) => nativeBucketUpperBound(k, schema) / 2);
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (bounds[mid]! < frac) lo = mid + 1;
      else hi = mid;
    }
    return lo + (exp - 1) * n;
  }
  let key = exp;
  if (frac === 0.5) key--;
  return Math.ceil(key / 2 ** -schema) + 0; // + 0: no -0
}

/** Spans the obvious way: sorted indexes, a new span after more than 2 empty buckets. */
function refSpans(counts: Map<number, number>): {
  spans: { offset: number; length: number }[];
  counts: number[];
} {
  const keys = [...counts.keys()].sort((a, b) => a - b);
  const spans: { offset: number; length: number }[] = [];
  const out: number[] = [];
  let end = 0; // index after the last bucket of the previous span
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    if (i > 0 && k - end <= 2) {
      while (end < k) {
        out.push(0);
        spans[spans.length - 1]!.length++;
        end++;
      }
    } else spans.push({ offset: k - end, length: 0 });
    out.push(counts.get(k)!);
    spans[spans.length - 1]!.length++;
    end = k + 1;
  }
  return { spans, counts: out };
}

function bits(x: number): bigint {
  const dv = new DataView(new ArrayBuffer(8));
  dv.setFloat64(0, x);
  return dv.getBigUint64(0);
}
function fromBits(b: bigint): number {
  const dv = new DataView(new ArrayBuffer(8));
  dv.setBigUint64(0, b);
  return dv.getFloat64(0);
}
/** The next float above x > 0. */
const up = (x: number) => fromBits(bits(x) + 1n);
/** The next float below x > 0. */
const down = (x: number) => fromBits(bits(x) - 1n);

function config(o: NativeHistogramOptions, now: () => number = () => 0): NativeConfig {
  return new NativeConfig(resolveNativeOptions('histogram "t"', o), now);
}

function series(o: NativeHistogramOptions, now: () => number = () => 0): NativeSeries {
  return new NativeSeries(config(o, now), now());
}

/** client_golang's nativeHistogramBounds for schema 3, copied from histogram.go. */
const GO_SCHEMA_3 = [
  0.5, 0.5452538663326288, 0.5946035575013605, 0.6484197773255048, 0.7071067811865475,
  0.7711054127039704, 0.8408964152537144, 0.9170040432046711,
];

// ---- bucket indexes ---------------------------------------------------------------------------

describe('native bucket index', () => {
  it('schema 0: 1 → 0, 2 → 1, 1.5 → 1, 0.5 → -1; a power of two is the upper bound of its bucket', () => {
    const c = config({ schema: 0 });
    const cases: [number, number][] = [
      [1, 0],
      [2, 1],
      [1.5, 1],
      [0.5, -1],
      [0.75, 0],
      [down(1), 0],
      [up(1), 1],
      [down(2), 1],
      [up(2), 2],
      [4, 2],
      [1024, 10],
      [0.001, -9], // 2^-10 < 0.001 ≤ 2^-9
      [Number.MAX_VALUE, 1024],
      [2 ** -1022, -1022], // the smallest normal number
      [down(2 ** -1022), -1022], // the largest subnormal: (2^-1023, 2^-1022]
      [2 ** -1023, -1023], // a subnormal power of two
      [Number.MIN_VALUE, -1074], // 2^-1074
      [3 * Number.MIN_VALUE, -1072], // (2^-1073, 2^-1072]
    ];
    for (const [v, k] of cases) assert.equal(c.key(v, 0), k, `key(${v}, 0)`);
  });

  it("schema 3: boundaries are client_golang's table; a bound is in its bucket, the next float in the next", () => {
    const c = config({ schema: 3 });
    for (let k = 0; k < 8; k++) {
      const bound = GO_SCHEMA_3[k]! * 2; // upper bound of bucket k (exponent 1)
      assert.equal(nativeBucketUpperBound(k, 3), bound, `upper bound of bucket ${k}`);
      assert.equal(c.key(bound, 3), k, `key(${bound})`);
      assert.equal(c.key(up(bound), 3), k + 1, `key(up(${bound}))`);
      assert.equal(c.key(down(bound), 3), k, `key(down(${bound}))`);
      // The same fraction at other exponents shifts the index by 8 per power of two.
      assert.equal(c.key(bound * 2 ** 10, 3), k + 80);
      assert.equal(c.key(bound * 2 ** -10, 3), k - 80);
    }
    assert.equal(c.key(1, 3), 0);
    assert.equal(c.key(2, 3), 8);
    assert.equal(c.key(0.5, 3), -8);
    assert.equal(c.key(1.5, 3), 5); // 2^(4/8) ≈ 1.414 < 1.5 ≤ 2^(5/8) ≈ 1.542
    assert.equal(c.key(Number.MIN_VALUE, 3), -8592); // 2^-1074 is bucket -1074·8's upper bound
    assert.equal(nativeBucketUpperBound(-8592, 3), Number.MIN_VALUE);
    assert.equal(c.key(Number.MAX_VALUE, 3), 8192);
    assert.equal(nativeBucketUpperBound(8192, 3), Number.MAX_VALUE);
    assert.equal(nativeBucketUpperBound(8191, 3), scale(GO_SCHEMA_3[7]!, 1024));
  });

  it('schema 8 and the negative schemas', () => {
    const c = config({ schema: 8 });
    assert.equal(c.key(1, 8), 0);
    assert.equal(c.key(up(1), 8), 1);
    assert.equal(c.key(2, 8), 256);
    // The table's √½ is 0.7071067811865475, an ulp below the nearest double (Math.SQRT1_2), so
    // bucket 128 ends an ulp below Math.SQRT2 and Math.SQRT2 itself is in bucket 129.
    assert.equal(nativeBucketUpperBound(128, 8), down(Math.SQRT2));
    assert.equal(c.key(down(Math.SQRT2), 8), 128);
    assert.equal(c.key(Math.SQRT2, 8), 129);
    const m = config({ schema: -4 });
    // schema -1: base 4; schema -4: base 65536
    for (const [v, s, k] of [
      [1, -1, 0],
      [2, -1, 1],
      [4, -1, 1],
      [up(4), -1, 2],
      [0.5, -1, 0],
      [0.25, -1, -1],
      [1, -4, 0],
      [up(1), -4, 1],
      [65536, -4, 1],
      [65537, -4, 2],
      [2 ** -16, -4, -1],
      [up(2 ** -16), -4, 0],
      [Number.MAX_VALUE, -4, 64],
      [Number.MIN_VALUE, -4, -67], // ceil(-1074 / 16)
    ] as const) {
      assert.equal(m.key(v, s), k, `key(${v}, ${s})`);
    }
    assert.equal(nativeBucketUpperBound(64, -4), Number.MAX_VALUE);
    assert.equal(nativeBucketUpperBound(1, -4), 65536);
    assert.equal(nativeBucketUpperBound(-1, -2), 1 / 16);
  });

  it('equals a binary search of the bounds for every bound and its neighbours, at every schema, across the exponent range', () => {
    const c = config({ schema: 8 });
    const exps = [-1074, -1073, -1060, -1023, -1022, -1021, -100, -3, 0, 1, 2, 50, 1000, 1023];
    for (let s = -4; s <= 8; s++) {
      const n = s > 0 ? 2 ** s : 1;
      for (const e of exps) {
        for (let k = 0; k < n; k++) {
          const b = scale(s > 0 ? nativeBucketUpperBound(k, s) / 2 : 0.5, e);
          if (!(b > 0) || !Number.isFinite(b)) continue;
          for (const v of [b, up(b), b > Number.MIN_VALUE ? down(b) : b]) {
            if (!Number.isFinite(v)) continue;
            assert.equal(c.key(v, s), refKey(v, s), `key(${v}, ${s})`);
          }
        }
      }
    }
  });

  it('2 ** e is exact for every exponent, so upper bounds are the table times a power of two', () => {
    for (let e = -1074; e <= 1023; e++) {
      const expected = e >= -1022 ? BigInt(e + 1023) << 52n : 1n << BigInt(e + 1074);
      assert.equal(bits(2 ** e), expected, `2 ** ${e}`);
    }
  });

  it('the table halves into every lower schema: key(v, s - 1) = ceil(key(v, s) / 2)', () => {
    const c = config({ schema: 8 });
    fc.assert(
      fc.property(
        fc.double({ min: Number.MIN_VALUE, max: Number.MAX_VALUE, noNaN: true }),
        fc.integer({ min: -3, max: 8 }),
        (v, s) => c.key(v, s - 1) === Math.ceil(c.key(v, s) / 2),
      ),
      { numRuns: 2000 },
    );
  });
});

describe('native bucket index: the lookup table edges', () => {
  /** The float whose high and low 32-bit words are `hi` and `lo`. */
  const fromWords = (hi: number, lo: number) => fromBits((BigInt(hi) << 32n) | BigInt(lo));
  /** The float's high and low 32-bit words. */
  const words = (x: number): [number, number] => {
    const b = bits(x);
    return [Number(b >> 32n), Number(b & 0xffffffffn)];
  };
  // Exponents that keep a fraction in [0.5, 1) normal, from the smallest normal to the largest finite.
  const EXPS = [-1021, -1020, -200, -1, 0, 1, 2, 100, 1023, 1024];

  it("a value sharing a bound's high 20 mantissa bits is decided by its low 32 bits, at every schema from 0 to 8", () => {
    const c = config({ schema: 8 });
    let checked = 0;
    for (let s = 0; s <= 8; s++) {
      for (let k = 0; k < 2 ** s; k++) {
        const frac = nativeBucketUpperBound(k, s) / 2; // the bound as a fraction in [0.5, 1)
        for (const e of EXPS) {
          const b = scale(frac, e);
          const [hi, lo] = words(b);
          const lows = [0, 1, lo - 1, lo, lo + 1, 0xfffffffe, 0xffffffff];
          for (const l of lows) {
            if (l < 0 || l > 0xffffffff) continue;
            const v = fromWords(hi, l);
            assert.equal(c.key(v, s), refKey(v, s), `key(${v}, ${s}) (bound ${k}, low word ${l})`);
            checked++;
          }
        }
      }
    }
    assert.ok(checked > 30_000, `${checked} values`);
  });

  it('every cell start of the table, the float below and the float above it, at every schema from 0 to 8', () => {
    const c = config({ schema: 8 });
    for (let s = 0; s <= 8; s++) {
      for (let cell = 0; cell < 4 << s; cell++) {
        const start = 0.5 + cell * 2 ** -(s + 3);
        for (const e of [-1021, 0, 1, 1024]) {
          const b = scale(start, e);
          for (const v of [b, up(b), down(b)]) {
            assert.equal(c.key(v, s), refKey(v, s), `key(${v}, ${s}) (cell ${cell})`);
          }
        }
      }
    }
  });

  it('the largest mantissa (a fraction just below 1) is in the bucket that ends at the next power of two', () => {
    const c = config({ schema: 8 });
    for (let s = -4; s <= 8; s++) {
      for (const v of [down(1), down(2), down(2 ** -1021), Number.MAX_VALUE, down(2 ** 1023)]) {
        assert.equal(c.key(v, s), refKey(v, s), `key(${v}, ${s})`);
      }
    }
    assert.equal(c.key(down(1), 3), 0);
    assert.equal(c.key(down(1), 8), 0);
    assert.equal(c.key(down(2), 8), 256);
  });

  it('through the series (the hot path), both signs: bounds, their neighbours, subnormals and huge values land where the reference puts them, at schemas -4, 0, 3 and 8', () => {
    const values: number[] = [];
    for (const k of [0, 1, 37, 64, 127, 128, 129, 200, 255]) {
      for (const e of [-1000, -10, -1, 0, 1, 3, 10, 1000]) {
        const b = scale(nativeBucketUpperBound(k, 8), e);
        values.push(b, up(b), down(b));
      }
    }
    values.push(
      Number.MIN_VALUE,
      2 * Number.MIN_VALUE,
      3 * Number.MIN_VALUE,
      2 ** -1073,
      2 ** -1050,
      up(2 ** -1050),
      down(2 ** -1022),
      2 ** -1022,
      up(2 ** -1022),
      2 ** 1023,
      up(2 ** 1023),
      down(Number.MAX_VALUE),
      Number.MAX_VALUE,
      1e300,
      1e-300,
    );
    for (const schema of [-4, 0, 3, 8]) {
      const s = series({ schema, zeroThreshold: 0, maxBucketCount: 1e6 });
      const pos = new Map<number, number>();
      const neg = new Map<number, number>();
      // Each value three times (a bucket's first observation takes the slow path, the next ones
      // the hot path), alternating signs.
      for (let r = 0; r < 3; r++) {
        for (const v of values) {
          for (const x of [v, -v]) {
            s.observe(x);
            const m = x > 0 ? pos : neg;
            const k = refKey(x, schema);
            m.set(k, (m.get(k) ?? 0) + 1);
          }
        }
      }
      const b = s.buckets();
      assert.equal(b.schema, schema);
      assert.equal(b.zeroCount, 0);
      assert.deepEqual({ spans: b.positiveSpans, counts: b.positiveCounts }, refSpans(pos));
      assert.deepEqual({ spans: b.negativeSpans, counts: b.negativeCounts }, refSpans(neg));
    }
  });

  it("through the series at the default threshold: values in the zero threshold's bucket compare exactly against it", () => {
    for (const schema of [-4, 0, 3, 8]) {
      const s = series({ schema, maxBucketCount: 1e6 });
      const t = DEFAULT_NATIVE_ZERO_THRESHOLD;
      const values = [t, down(t), up(t), up(up(t)), 2 * t, Number.MIN_VALUE, 0];
      let zero = 0;
      const pos = new Map<number, number>();
      for (let r = 0; r < 3; r++) {
        for (const v of values) {
          s.observe(v);
          if (v <= t) zero++;
          else {
            const k = refKey(v, schema);
            pos.set(k, (pos.get(k) ?? 0) + 1);
          }
        }
      }
      const b = s.buckets();
      assert.equal(b.zeroCount, zero, `schema ${schema}`);
      assert.deepEqual({ spans: b.positiveSpans, counts: b.positiveCounts }, refSpans(pos));
    }
  });
});

// ---- series -----------------------------------------------------------------------------------

function total(s: NativeSeries): number {
  const b = s.buckets();
  const sum = (a: readonly number[]) => a.reduce((x, y) => x + y, 0);
  return sum(b.positiveCounts) + sum(b.negativeCounts) + b.zeroCount;
}

describe('native series', () => {
  it('the zero bucket takes |v| ≤ threshold (0, -0, ±threshold); just above goes to a bucket', () => {
    const s = series({ schema: 0, zeroThreshold: 0.25 });
    for (const v of [0, -0, 0.25, -0.25, 0.1, up(0.25), -up(0.25)]) s.observe(v);
    assert.deepEqual(s.buckets(), {
      schema: 0,
      zeroThreshold: 0.25,
      zeroCount: 5,
      positiveSpans: [{ offset: -1, length: 1 }], // (0.25, 0.5] is bucket -1
      positiveCounts: [1],
      negativeSpans: [{ offset: -1, length: 1 }],
      negativeCounts: [1],
    });
  });

  it('default threshold 2^-128: 2^-128 is in the zero bucket, the next float is not', () => {
    const s = series({ schema: 0 });
    assert.equal(DEFAULT_NATIVE_ZERO_THRESHOLD, 2 ** -128);
    s.observe(2 ** -128);
    s.observe(up(2 ** -128));
    const b = s.buckets();
    assert.equal(b.zeroThreshold, 2 ** -128);
    assert.equal(b.zeroCount, 1);
    assert.deepEqual(b.positiveSpans, [{ offset: -127, length: 1 }]);
  });

  it('threshold 0: only zeros count as zero; subnormals get buckets', () => {
    const s = series({ schema: 0, zeroThreshold: 0 });
    for (const v of [0, -0, Number.MIN_VALUE, -Number.MIN_VALUE]) s.observe(v);
    const b = s.buckets();
    assert.equal(b.zeroCount, 2);
    assert.deepEqual(b.positiveSpans, [{ offset: -1074, length: 1 }]);
    assert.deepEqual(b.negativeSpans, [{ offset: -1074, length: 1 }]);
  });

  it('negatives mirror positives: -v lands in the index of v, on the negative side', () => {
    const s = series({ schema: 1 });
    for (const v of [1, 1.5, 3, -1, -1.5, -1.5, -3, -100]) s.observe(v);
    // schema 1 (base √2): 1 → 0, 1.5 → 2 (√2 < 1.5 ≤ 2), 3 → 4 (2√2 < 3 ≤ 4), 100 → 14 (2^6.5 < 100 ≤ 2^7)
    assert.deepEqual(s.buckets(), {
      schema: 1,
      zeroThreshold: 2 ** -128,
      zeroCount: 0,
      positiveSpans: [{ offset: 0, length: 5 }],
      positiveCounts: [1, 0, 1, 0, 1],
      negativeSpans: [
        { offset: 0, length: 5 },
        { offset: 9, length: 1 },
      ],
      negativeCounts: [1, 0, 2, 0, 1, 1],
    });
  });

  it('spans: up to 2 empty buckets stay inside a span, 3 start a new one; offsets count the gap', () => {
    const s = series({ schema: 0 });
    // indexes 3, 4 | gap 1 | 6 | gap 2 | 9 | gap 3 | 13 | gap 4 | 18
    for (const k of [3, 4, 6, 9, 13, 18, 18]) s.observe(2 ** k);
    const b = s.buckets();
    assert.deepEqual(b.positiveSpans, [
      { offset: 3, length: 7 },
      { offset: 3, length: 1 },
      { offset: 4, length: 1 },
    ]);
    assert.deepEqual(b.positiveCounts, [1, 1, 0, 1, 0, 0, 1, 1, 2]);
    // A first span may start below zero.
    const n = series({ schema: 0 });
    n.observe(2 ** -5);
    n.observe(2 ** 5);
    assert.deepEqual(n.buckets().positiveSpans, [
      { offset: -5, length: 1 },
      { offset: 9, length: 1 },
    ]);
  });

  it('far-apart buckets (beyond a dense window) are kept exactly, in order', () => {
    const s = series({ schema: 8, zeroThreshold: 0, maxBucketCount: 1000 });
    const values = [1, 1e300, 1e-300, 1.5, 1e300, 2, 1e-300, 1e-300, 1e100, 3, -1e200, -1];
    for (const v of values) s.observe(v);
    assert.notEqual(s._px, null, 'the outliers went to the overflow map');
    const pos = new Map<number, number>();
    const neg = new Map<number, number>();
    for (const v of values) {
      const m = v > 0 ? pos : neg;
      const k = refKey(v, 8);
      m.set(k, (m.get(k) ?? 0) + 1);
    }
    const b = s.buckets();
    assert.deepEqual({ spans: b.positiveSpans, counts: b.positiveCounts }, refSpans(pos));
    assert.deepEqual({ spans: b.negativeSpans, counts: b.negativeCounts }, refSpans(neg));
    assert.equal(s.bucketCount, pos.size + neg.size);
  });

  it('a bucket kept in the Map moves into the window once the window may grow over it', () => {
    const s = series({ schema: 0, zeroThreshold: 0, maxBucketCount: 1000 });
    s.observe(1); // bucket 0: a 16-slot window around it
    s.observe(2 ** 100); // bucket 100: 128 slots would be needed, more than 64 or 8 per bucket
    assert.deepEqual([...(s._px ?? [])], [[100, 1]]);
    // Fill in buckets 1…16: with 18 populated, 8 per bucket allows the 128-slot window, which
    // the next miss (bucket 100 again) grows to, taking bucket 100 out of the Map.
    for (let k = 1; k <= 16; k++) s.observe(2 ** k);
    assert.equal(s._px?.size, 1);
    s.observe(2 ** 100);
    assert.equal(s._px?.size, 0, 'the Map is empty: bucket 100 is in the window');
    assert.equal(s._pc.length, 128);
    const b = s.buckets();
    assert.deepEqual(b.positiveSpans, [
      { offset: 0, length: 17 },
      { offset: 83, length: 1 },
    ]);
    assert.deepEqual(b.positiveCounts, [...Array(17).fill(1), 2]);
    assert.equal(s.bucketCount, 18);
  });

  it('over maxBucketCount: the schema drops by one and pairs of buckets merge (exact)', () => {
    const s = series({ schema: 2, maxBucketCount: 4 });
    // schema 2 (base 2^¼): 1 → 0, 1.1 → 1, 1.3 → 2, 1.5 → 3, 1.7 → 4
    for (const v of [1, 1.1, 1.3, 1.5]) assert.equal(s.observe(v), false);
    assert.equal(s.schema, 2);
    assert.equal(s.bucketCount, 4);
    s.observe(1.7); // a fifth bucket: schema 1, buckets 0 | 1, 2 | 3, 4 → 0, 1, 2
    assert.equal(s.schema, 1);
    s.observe(2); // schema 1 (base √2): 2 → 2
    assert.deepEqual(s.buckets(), {
      schema: 1,
      zeroThreshold: 2 ** -128,
      zeroCount: 0,
      positiveSpans: [{ offset: 0, length: 3 }],
      positiveCounts: [1, 2, 3],
      negativeSpans: [],
      negativeCounts: [],
    });
  });

  it('lowers the resolution as many times as needed within one observation', () => {
    const s = series({ schema: 3, maxBucketCount: 1 });
    s.observe(1.5); // schema 3: 5
    s.observe(3); // 13; then 3, 7 | 2, 4 | 1, 2 | 1, 1 at schema -1, where (1, 4] holds both
    assert.deepEqual(s.buckets(), {
      schema: -1,
      zeroThreshold: 2 ** -128,
      zeroCount: 0,
      positiveSpans: [{ offset: 1, length: 1 }],
      positiveCounts: [2],
      negativeSpans: [],
      negativeCounts: [],
    });
  });

  it('negative and positive buckets count together against the limit; the zero bucket does not', () => {
    const s = series({ schema: 0, maxBucketCount: 2 });
    s.observe(0);
    s.observe(3); // 2
    s.observe(-3); // negative 2: two buckets, within the limit
    assert.equal(s.schema, 0);
    // negative 3: three buckets → schema -1: positive 2 → 1, negative 2 → 1 and 3 → 2, still three
    // → schema -2 (base 16): positive 1 → 1, negative 1, 2 → 1: two buckets.
    s.observe(-5);
    const b = s.buckets();
    assert.equal(b.schema, -2);
    assert.deepEqual(b.positiveSpans, [{ offset: 1, length: 1 }]);
    assert.deepEqual(b.positiveCounts, [1]);
    assert.deepEqual(b.negativeSpans, [{ offset: 1, length: 1 }]);
    assert.deepEqual(b.negativeCounts, [2]);
    assert.equal(b.zeroCount, 1);
  });

  it('at schema -4 it stays over the limit and keeps counting', () => {
    const s = series({ schema: -3, maxBucketCount: 1 });
    for (const v of [1, 2, 2, 100000]) s.observe(v);
    const b = s.buckets();
    // schema -4 (base 65536): 1 → 0, 2 → 1, 100000 → 2
    assert.equal(b.schema, -4);
    assert.deepEqual(b.positiveSpans, [{ offset: 0, length: 3 }]);
    assert.deepEqual(b.positiveCounts, [1, 2, 1]);
    assert.equal(s.bucketCount, 3);
  });

  it('maxZeroThreshold: the zero bucket widens over the lowest buckets before the schema drops', () => {
    const s = series({ schema: 0, maxBucketCount: 2, maxZeroThreshold: 0.5 });
    s.observe(0.25); // -2
    s.observe(-0.25); // negative -2
    s.observe(4); // 2: three buckets → the zero bucket widens to 0.25, taking both -2 buckets
    assert.equal(s.zeroThreshold, 0.25);
    assert.equal(s.zeroCount, 2);
    assert.equal(s.schema, 0);
    s.observe(0.3); // -1 (0.25 < 0.3 ≤ 0.5)
    assert.equal(s.bucketCount, 2);
    s.observe(8); // 3: three buckets → widen to 0.5, taking -1
    assert.equal(s.zeroThreshold, 0.5);
    assert.equal(s.zeroCount, 3);
    s.observe(0.5); // now in the zero bucket
    s.observe(16); // 4: three buckets; 0.5 is the maximum already → schema -1: 2 → 1, 3 → 2, 4 → 2
    assert.deepEqual(s.buckets(), {
      schema: -1,
      zeroThreshold: 0.5,
      zeroCount: 4,
      positiveSpans: [{ offset: 1, length: 2 }],
      positiveCounts: [1, 2],
      negativeSpans: [],
      negativeCounts: [],
    });
  });

  it('the zero bucket does not widen past maxZeroThreshold: the schema drops instead', () => {
    const s = series({ schema: 0, maxBucketCount: 1, maxZeroThreshold: 0.3 });
    s.observe(0.4); // -1, upper bound 0.5 > 0.3
    s.observe(1); // 0
    assert.equal(s.zeroThreshold, 2 ** -128);
    assert.equal(s.schema, -1); // -1 → 0, 0 → 0
    assert.deepEqual(s.buckets().positiveCounts, [2]);
  });

  it('minResetDurationSeconds: over the limit at least that long after creation, the series resets and keeps the latest observation', () => {
    let now = 1_000_000;
    const s = series({ schema: 0, maxBucketCount: 2, minResetDurationSeconds: 60 }, () => now);
    assert.equal(s.lastResetMs, 1_000_000);
    s.observe(1);
    s.observe(2);
    now += 60_000;
    assert.equal(s.observe(4), true, 'reset reported');
    assert.equal(s.lastResetMs, 1_060_000);
    assert.deepEqual(s.buckets(), {
      schema: 0,
      zeroThreshold: 2 ** -128,
      zeroCount: 0,
      positiveSpans: [{ offset: 2, length: 1 }],
      positiveCounts: [1],
      negativeSpans: [],
      negativeCounts: [],
    });
  });

  it('minResetDurationSeconds: over the limit sooner, it reduces and resets when the duration is up (next observation or read)', () => {
    let now = 1_000_000;
    const s = series({ schema: 0, maxBucketCount: 2, minResetDurationSeconds: 60 }, () => now);
    s.observe(1);
    s.observe(2);
    now += 59_999;
    assert.equal(s.observe(4), false);
    assert.equal(s.schema, -1);
    assert.equal(s.resetDueMs, 1_060_000);
    now = 1_059_999;
    assert.equal(s.observe(4), false, 'not due yet');
    assert.equal(total(s), 4);
    now = 1_070_000;
    // Due: the reset happens as of when it was due, then 0.5 is recorded at the initial schema.
    assert.equal(s.observe(0.5), true);
    assert.equal(s.lastResetMs, 1_060_000);
    assert.equal(s.resetDueMs, Number.POSITIVE_INFINITY);
    assert.deepEqual(s.buckets(), {
      schema: 0,
      zeroThreshold: 2 ** -128,
      zeroCount: 0,
      positiveSpans: [{ offset: -1, length: 1 }],
      positiveCounts: [1],
      negativeSpans: [],
      negativeCounts: [],
    });
    // Over the limit again, only 10 s after that reset: reduce and schedule, then a read applies it.
    s.observe(1);
    now = 1_070_001;
    s.observe(2);
    assert.equal(s.schema, -1);
    assert.equal(s.resetDueMs, 1_120_000);
    assert.equal(s.sync(1_119_999), false);
    assert.equal(s.sync(1_120_000), true);
    assert.equal(total(s), 0);
    assert.equal(s.schema, 0);
    assert.equal(s.lastResetMs, 1_120_000);
  });

  it('minResetDurationSeconds 0 (the default): a lowered resolution stays, nothing resets', () => {
    let now = 0;
    const s = series({ schema: 0, maxBucketCount: 1 }, () => now);
    s.observe(1.5); // 1
    s.observe(3); // 2 → schema -1, where (1, 4] holds both
    now = 1e12;
    assert.equal(s.observe(1.5), false);
    assert.equal(s.sync(now), false);
    assert.equal(s.schema, -1);
    assert.equal(total(s), 3);
    assert.equal(s.resetDueMs, Number.POSITIVE_INFINITY);
  });

  it('clear() empties the series and restores the initial schema and threshold', () => {
    const s = series({ schema: 1, maxBucketCount: 1, maxZeroThreshold: 4 });
    for (const v of [1, 3, -7, 0]) s.observe(v);
    s.clear(5);
    assert.deepEqual(s.buckets(), {
      schema: 1,
      zeroThreshold: 2 ** -128,
      zeroCount: 0,
      positiveSpans: [],
      positiveCounts: [],
      negativeSpans: [],
      negativeCounts: [],
    });
    assert.equal(s.lastResetMs, 5);
    assert.equal(s.bucketCount, 0);
    s.observe(3);
    assert.deepEqual(s.buckets().positiveSpans, [{ offset: 4, length: 1 }]);
  });
});

// ---- options ----------------------------------------------------------------------------------

describe('native options', () => {
  it('defaults: schema 3, threshold 2^-128, 160 buckets, no reset, no widening', () => {
    assert.deepEqual(resolveNativeOptions('histogram "t"', {}), {
      schema: 3,
      zeroThreshold: 2 ** -128,
      maxBucketCount: 160,
      minResetDurationMs: 0,
      maxZeroThreshold: 0,
    });
    assert.deepEqual(
      resolveNativeOptions('histogram "t"', {
        schema: -4,
        zeroThreshold: 0,
        maxBucketCount: 1,
        minResetDurationSeconds: 1.5,
        maxZeroThreshold: 1e-3,
      }),
      {
        schema: -4,
        zeroThreshold: 0,
        maxBucketCount: 1,
        minResetDurationMs: 1500,
        maxZeroThreshold: 1e-3,
      },
    );
  });

  it('a bad option is TT_INVALID_OPTION naming the metric, the option and the range', () => {
    const bad: [unknown, string, string][] = [
      [{ schema: 9 }, 'native.schema', 'from -4 to 8'],
      [{ schema: -5 }, 'native.schema', 'from -4 to 8'],
      [{ schema: 1.5 }, 'native.schema', 'integer'],
      [{ schema: '3' }, 'native.schema', 'integer'],
      [{ schema: Number.NaN }, 'native.schema', 'integer'],
      [{ zeroThreshold: -1e-9 }, 'native.zeroThreshold', '≥ 0'],
      [{ zeroThreshold: Number.NaN }, 'native.zeroThreshold', 'finite'],
      [{ zeroThreshold: Number.POSITIVE_INFINITY }, 'native.zeroThreshold', 'finite'],
      [{ zeroThreshold: '0' }, 'native.zeroThreshold', 'finite'],
      [{ maxBucketCount: 0 }, 'native.maxBucketCount', 'integer ≥ 1'],
      [{ maxBucketCount: 2.5 }, 'native.maxBucketCount', 'integer ≥ 1'],
      [{ maxBucketCount: Number.POSITIVE_INFINITY }, 'native.maxBucketCount', 'integer ≥ 1'],
      [{ minResetDurationSeconds: -1 }, 'native.minResetDurationSeconds', '≥ 0'],
      [{ minResetDurationSeconds: Number.NaN }, 'native.minResetDurationSeconds', 'finite'],
      [
        { minResetDurationSeconds: Number.POSITIVE_INFINITY },
        'native.minResetDurationSeconds',
        'finite',
      ],
      [{ minResetDurationSeconds: '60' }, 'native.minResetDurationSeconds', 'seconds'],
      [{ maxZeroThreshold: -1 }, 'native.maxZeroThreshold', '≥ 0'],
      [{ maxZeroThreshold: Number.POSITIVE_INFINITY }, 'native.maxZeroThreshold', 'finite'],
      [{ maxBuckets: 10 }, '"maxBuckets" is unknown', 'maxBucketCount'],
      [null, 'native must be an object', 'null'],
      [3, 'native must be an object', 'number'],
      [[], 'native must be an object', 'an array'],
      [true, 'native must be an object', 'boolean'],
    ];
    for (const [o, what, range] of bad) {
      throwsCode(
        () => resolveNativeOptions('histogram "t"', o),
        'TT_INVALID_OPTION',
        'histogram "t"',
        what,
        range,
      );
    }
  });
});

// ---- properties -------------------------------------------------------------------------------

/** Observations that hit boundaries, zeros, subnormals, huge and tiny values, both signs. */
const observation = fc.oneof(
  fc.double({ min: -1e6, max: 1e6, noNaN: true }),
  fc.double({ min: -Number.MAX_VALUE, max: Number.MAX_VALUE, noNaN: true }),
  fc.integer({ min: -1074, max: 1023 }).map((e) => 2 ** e),
  fc
    .tuple(
      fc.integer({ min: 0, max: 255 }),
      fc.integer({ min: -60, max: 60 }),
      fc.integer({ min: -1, max: 1 }),
    )
    .map(([k, e, d]) => {
      const b = scale(nativeBucketUpperBound(k, 8), e);
      return d < 0 ? down(b) : d > 0 ? up(b) : b;
    }),
  fc.constantFrom(0, -0, Number.MIN_VALUE, -Number.MIN_VALUE, 2 ** -128, up(2 ** -128), 1, -1),
);

describe('native properties (fast-check)', () => {
  it('without a limit: every value lands in a bucket whose bounds contain it, and buckets + zero = count', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -4, max: 8 }),
        fc.constantFrom(0, 2 ** -128, 1e-3, 1),
        fc.array(observation, { maxLength: 60 }),
        (schema, zeroThreshold, values) => {
          const s = series({ schema, zeroThreshold, maxBucketCount: 1e6 });
          const pos = new Map<number, number>();
          const neg = new Map<number, number>();
          let zero = 0;
          for (const v of values) {
            s.observe(v);
            if (Math.abs(v) <= zeroThreshold) {
              zero++;
              continue;
            }
            const k = s.cfg.key(Math.abs(v), schema);
            assert.equal(k, refKey(v, schema), `key(${v}, ${schema})`);
            const lower = nativeBucketUpperBound(k - 1, schema);
            const upper = nativeBucketUpperBound(k, schema);
            assert.ok(Math.abs(v) <= upper, `|${v}| ≤ ${upper}`);
            // Below the normal range a lower bound can round up onto the value (2^-1074.5 → 2^-1074).
            if (lower >= 2 ** -1022) assert.ok(lower < Math.abs(v), `${lower} < |${v}|`);
            const m = v > 0 ? pos : neg;
            m.set(k, (m.get(k) ?? 0) + 1);
          }
          const b = s.buckets();
          assert.equal(b.schema, schema);
          assert.equal(b.zeroCount, zero);
          assert.deepEqual({ spans: b.positiveSpans, counts: b.positiveCounts }, refSpans(pos));
          assert.deepEqual({ spans: b.negativeSpans, counts: b.negativeCounts }, refSpans(neg));
          assert.equal(total(s), values.length);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('with a limit: the schema is the highest within it (or -4), and the buckets are all values merged into it', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -4, max: 8 }),
        fc.integer({ min: 1, max: 40 }),
        fc.array(observation, { maxLength: 80 }),
        (schema, maxBucketCount, values) => {
          const s = series({ schema, maxBucketCount });
          for (const v of values) s.observe(v);
          const at = (sc: number) => {
            const pos = new Map<number, number>();
            const neg = new Map<number, number>();
            for (const v of values) {
              if (Math.abs(v) <= 2 ** -128) continue;
              const m = v > 0 ? pos : neg;
              const k = refKey(v, sc);
              m.set(k, (m.get(k) ?? 0) + 1);
            }
            return { pos, neg, n: pos.size + neg.size };
          };
          let expected = schema;
          while (expected > -4 && at(expected).n > maxBucketCount) expected--;
          const b = s.buckets();
          assert.equal(b.schema, expected);
          const { pos, neg, n } = at(expected);
          assert.equal(s.bucketCount, n);
          assert.deepEqual({ spans: b.positiveSpans, counts: b.positiveCounts }, refSpans(pos));
          assert.deepEqual({ spans: b.negativeSpans, counts: b.negativeCounts }, refSpans(neg));
          assert.equal(total(s), values.length);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('with zero-bucket widening: buckets + zero = count, the limit holds unless at schema -4, the threshold stays within its maximum', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -4, max: 8 }),
        fc.integer({ min: 1, max: 20 }),
        fc.constantFrom(0, 1e-6, 0.01, 1, 1e10),
        fc.array(observation, { maxLength: 80 }),
        (schema, maxBucketCount, maxZeroThreshold, values) => {
          const s = series({ schema, maxBucketCount, maxZeroThreshold });
          for (const v of values) s.observe(v);
          assert.equal(total(s), values.length);
          assert.ok(s.bucketCount <= maxBucketCount || s.schema === -4);
          assert.ok(s.zeroThreshold <= Math.max(2 ** -128, maxZeroThreshold));
          const b = s.buckets();
          const list = (spans: typeof b.positiveSpans, counts: readonly number[]): BucketList => {
            const keys: number[] = [];
            let k = 0;
            for (const sp of spans) {
              k += sp.offset;
              for (let i = 0; i < sp.length; i++) keys.push(k++);
            }
            return { keys, counts: [...counts] };
          };
          // Every bucket is above the zero bucket: its lower bound is at or above the threshold.
          for (const l of [
            list(b.positiveSpans, b.positiveCounts),
            list(b.negativeSpans, b.negativeCounts),
          ]) {
            for (let i = 0; i < l.keys.length; i++) {
              if (l.counts[i] === 0) continue;
              assert.ok(nativeBucketUpperBound(l.keys[i]!, b.schema) > b.zeroThreshold);
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
