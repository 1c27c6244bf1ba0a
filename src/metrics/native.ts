// Native (sparse exponential) histogram buckets: bucket indexes, per-series storage, the bucket limit and its reduction, and the model's spans.

import type { Clock } from '../internal/clock.js';
import { fail } from '../internal/errors.js';
import type { BucketSpan, NativeBuckets } from './model.js';

/**
 * Options of a native histogram: `registry.histogram({ name, help, native: { … } })`. Every field
 * is optional; `native: {}` takes the defaults. See docs/metrics.md, "Native histograms".
 */
export interface NativeHistogramOptions {
  /**
   * Resolution: each power of two is split into `2^schema` buckets, so a bucket's upper bound is
   * `2^(2^-schema)` times its lower bound (schema 3: about 1.09). An integer from −4 to 8.
   * Default 3.
   */
  readonly schema?: number;
  /**
   * Observations with `|v| <= zeroThreshold` count into the zero bucket. Finite and ≥ 0 (0: only
   * exact zeros). Default 2^-128 (`2.938735877055719e-39`, client_golang's default, a bucket
   * boundary at every schema).
   */
  readonly zeroThreshold?: number;
  /**
   * The most populated buckets a series keeps (positive and negative together; the zero bucket
   * does not count). Past it the series resets (see `minResetDurationSeconds`) or lowers its
   * resolution. An integer ≥ 1. Default 160.
   */
  readonly maxBucketCount?: number;
  /**
   * Seconds. When a series goes over `maxBucketCount` and its last reset (or creation) is at least
   * this long ago, it resets (counts, sum, classic and native buckets; the created timestamp moves)
   * instead of lowering its resolution; a series whose resolution was lowered resets this long
   * after its last reset. 0 (the default) never resets: a lowered resolution stays. Finite, ≥ 0.
   */
  readonly minResetDurationSeconds?: number;
  /**
   * Before lowering the resolution, the zero bucket may widen (absorbing the buckets closest to
   * zero) up to this threshold. Finite, ≥ 0. Default 0: it never widens (any value at or below
   * `zeroThreshold` means the same).
   */
  readonly maxZeroThreshold?: number;
}

/** Native histogram options, validated and with defaults applied. */
export interface NativeSpec {
  readonly schema: number;
  readonly zeroThreshold: number;
  readonly maxBucketCount: number;
  /** In milliseconds (the option is in seconds). */
  readonly minResetDurationMs: number;
  readonly maxZeroThreshold: number;
}

/**
 * The native buckets of a series with no observation (a removed handle's point, a no-op
 * histogram's): the schema and zero threshold, no zero count, no spans. Frozen.
 */
export function emptyNativeBuckets(schema: number, zeroThreshold: number): NativeBuckets {
  return Object.freeze({
    schema,
    zeroThreshold,
    zeroCount: 0,
    positiveSpans: Object.freeze([]),
    positiveCounts: Object.freeze([]),
    negativeSpans: Object.freeze([]),
    negativeCounts: Object.freeze([]),
  });
}

/** The lowest schema (growth factor 2^16 = 65,536). */
export const NATIVE_SCHEMA_MIN = -4;
/** The highest schema (growth factor 2^(1/256) ≈ 1.0027). */
export const NATIVE_SCHEMA_MAX = 8;
/** The default zero threshold, 2^-128: a bucket boundary at every schema (client_golang's). */
export const DEFAULT_NATIVE_ZERO_THRESHOLD = 2.938735877055719e-39;
/** The default schema (each power of two in 8 buckets). */
export const DEFAULT_NATIVE_SCHEMA = 3;
/** The default maximum number of populated buckets per series. */
export const DEFAULT_NATIVE_MAX_BUCKET_COUNT = 160;

const OPTION_KEYS: readonly string[] = [
  'schema',
  'zeroThreshold',
  'maxBucketCount',
  'minResetDurationSeconds',
  'maxZeroThreshold',
];

/**
 * Validates `native` options and applies the defaults.
 * @param where Names the metric in messages, such as `histogram "rpc_seconds"`.
 * @throws TelltaleError `TT_INVALID_OPTION` naming the option and its accepted range.
 */
export function resolveNativeOptions(where: string, o: unknown): NativeSpec {
  if (typeof o !== 'object' || o === null || Array.isArray(o)) {
    fail(
      'TT_INVALID_OPTION',
      `${where}: native must be an object such as { schema: 3 } (or {} for the defaults), got ${o === null ? 'null' : Array.isArray(o) ? 'an array' : typeof o}`,
    );
  }
  const r = o as Record<string, unknown>;
  for (const k of Object.keys(r)) {
    if (!OPTION_KEYS.includes(k)) {
      fail(
        'TT_INVALID_OPTION',
        `${where}: native option "${k}" is unknown; the options are ${OPTION_KEYS.join(', ')}`,
      );
    }
  }
  // One option: `r[key]` (`fallback` when absent), accepted by `ok`, else an error saying it must be `what`.
  const option = (key: string, fallback: number, ok: (v: number) => boolean, what: string) => {
    const v = r[key] ?? fallback;
    if (typeof v !== 'number' || !ok(v)) {
      fail('TT_INVALID_OPTION', `${where}: native.${key} must be ${what}, got ${String(v)}`);
    }
    return v;
  };
  const nonNegative = (v: number) => Number.isFinite(v) && v >= 0;
  const schema = option(
    'schema',
    DEFAULT_NATIVE_SCHEMA,
    (v) => Number.isInteger(v) && v >= NATIVE_SCHEMA_MIN && v <= NATIVE_SCHEMA_MAX,
    `an integer from ${NATIVE_SCHEMA_MIN} to ${NATIVE_SCHEMA_MAX}`,
  );
  const zeroThreshold = option(
    'zeroThreshold',
    DEFAULT_NATIVE_ZERO_THRESHOLD,
    nonNegative,
    'a finite number ≥ 0',
  );
  const maxBucketCount = option(
    'maxBucketCount',
    DEFAULT_NATIVE_MAX_BUCKET_COUNT,
    (v) => Number.isInteger(v) && v >= 1,
    'an integer ≥ 1',
  );
  const minReset = option(
    'minResetDurationSeconds',
    0,
    nonNegative,
    'a finite number of seconds ≥ 0 (0: never reset)',
  );
  const maxZeroThreshold = option(
    'maxZeroThreshold',
    0,
    nonNegative,
    'a finite number ≥ 0 (0: never widen the zero bucket)',
  );
  return {
    schema,
    // -0 and 0 are the same threshold; keep the spec key stable.
    zeroThreshold: zeroThreshold === 0 ? 0 : zeroThreshold,
    maxBucketCount,
    minResetDurationMs: minReset * 1000,
    maxZeroThreshold,
  };
}

/**
 * The upper bounds of schema 8's buckets between 0.5 and 1, `2^(k/256) / 2` for k = 0…255: the
 * fractions (as `frexp` returns them) that bound every native bucket; schema s uses every
 * `2^(8-s)`-th entry. These are client_golang's `nativeHistogramBounds` values (Apache-2.0), which
 * Prometheus uses too. They are data, not recomputed: some differ by an ulp or more from a
 * correctly rounded `2^(k/256) / 2` (0.7071067811865475 for √½, whose nearest double is …476),
 * and bucket boundaries must match the rest of the ecosystem bit for bit.
 */
// biome-ignore format: a table, four bounds per row.
const FRAC_BOUNDS_8: readonly number[] = Object.freeze([
  0.5, 0.5013556375251013, 0.5027149505564014, 0.5040779490592088,
  0.5054446430258502, 0.5068150424757447, 0.5081891574554764, 0.509566998038869,
  0.5109485743270583, 0.5123338964485679, 0.5137229745593818, 0.5151158188430205,
  0.5165124395106142, 0.5179128468009786, 0.5193170509806894, 0.520725062344158,
  0.5221368912137069, 0.5235525479396449, 0.5249720429003435, 0.526395386502313,
  0.5278225891802786, 0.5292536613972564, 0.5306886136446309, 0.5321274564422321,
  0.5335702003384117, 0.5350168559101208, 0.5364674337629877, 0.5379219445313954,
  0.5393803988785598, 0.5408428074966075, 0.5423091811066545, 0.5437795304588847,
  0.5452538663326288, 0.5467321995364429, 0.5482145409081883, 0.549700901315111,
  0.5511912916539204, 0.5526857228508706, 0.5541842058618393, 0.5556867516724088,
  0.5571933712979462, 0.5587040757836845, 0.5602188762048033, 0.5617377836665098,
  0.5632608093041209, 0.564787964283144, 0.5663192597993595, 0.5678547070789026,
  0.5693943173783458, 0.5709381019847808, 0.572486072215902, 0.5740382394200894,
  0.5755946149764913, 0.5771552102951081, 0.5787200368168754, 0.5802891060137493,
  0.5818624293887887, 0.5834400184762408, 0.585021884841625, 0.5866080400818185,
  0.5881984958251406, 0.5897932637314379, 0.5913923554921704, 0.5929957828304968,
  0.5946035575013605, 0.5962156912915756, 0.5978321960199137, 0.5994530835371903,
  0.6010783657263515, 0.6027080545025619, 0.6043421618132907, 0.6059806996384005,
  0.6076236799902344, 0.6092711149137041, 0.6109230164863786, 0.6125793968185725,
  0.6142402680534349, 0.6159056423670379, 0.6175755319684665, 0.6192499490999082,
  0.620928906036742, 0.622612415087629, 0.6243004885946023, 0.6259931389331581,
  0.6276903785123455, 0.6293922197748583, 0.6310986751971253, 0.6328097572894031,
  0.6345254785958666, 0.6362458516947014, 0.637970889198196, 0.6397006037528346,
  0.6414350080393891, 0.6431741147730128, 0.6449179367033329, 0.6466664866145447,
  0.6484197773255048, 0.6501778216898253, 0.6519406325959679, 0.6537082229673385,
  0.6554806057623822, 0.6572577939746774, 0.659039800633032, 0.6608266388015788,
  0.6626183215798706, 0.6644148621029772, 0.6662162735415805, 0.6680225691020727,
  0.6698337620266515, 0.6716498655934177, 0.6734708931164728, 0.6752968579460171,
  0.6771277734684463, 0.6789636531064505, 0.6808045103191123, 0.6826503586020058,
  0.6845012114872953, 0.6863570825438342, 0.688217985377265, 0.690083933630119,
  0.6919549409819159, 0.6938310211492645, 0.6957121878859629, 0.6975984549830999,
  0.6994898362691555, 0.7013863456101023, 0.7032879969095076, 0.7051948041086352,
  0.7071067811865475, 0.7090239421602076, 0.7109463010845827, 0.7128738720527471,
  0.7148066691959849, 0.7167447066838943, 0.718687998724491, 0.7206365595643126,
  0.7225904034885232, 0.7245495448210174, 0.7265139979245261, 0.7284837772007218,
  0.7304588970903234, 0.7324393720732029, 0.7344252166684908, 0.7364164454346837,
  0.7384130729697496, 0.7404151139112358, 0.7424225829363761, 0.7444354947621984,
  0.7464538641456323, 0.7484777058836176, 0.7505070348132126, 0.7525418658117031,
  0.7545822137967112, 0.7566280937263048, 0.7586795205991071, 0.7607365094544071,
  0.762799075372269, 0.7648672334736434, 0.7669409989204777, 0.7690203869158282,
  0.7711054127039704, 0.7731960915705107, 0.7752924388424999, 0.7773944698885442,
  0.7795022001189185, 0.7816156449856788, 0.7837348199827764, 0.7858597406461707,
  0.7879904225539431, 0.7901268813264122, 0.7922691326262467, 0.7944171921585818,
  0.7965710756711334, 0.7987307989543135, 0.8008963778413465, 0.8030678282083853,
  0.805245165974627, 0.8074284071024302, 0.8096175675974316, 0.8118126635086642,
  0.8140137109286738, 0.8162207259936375, 0.8184337248834821, 0.820652723822003,
  0.8228777390769823, 0.8251087869603088, 0.8273458838280969, 0.8295890460808079,
  0.8318382901633681, 0.8340936325652911, 0.8363550898207981, 0.8386226785089391,
  0.8408964152537144, 0.8431763167241966, 0.8454623996346523, 0.8477546807446661,
  0.8500531768592616, 0.8523579048290255, 0.8546688815502312, 0.8569861239649629,
  0.8593096490612387, 0.8616394738731368, 0.8639756154809185, 0.8663180910111553,
  0.8686669176368529, 0.871022112577578, 0.8733836930995842, 0.8757516765159389,
  0.8781260801866495, 0.8805069215187917, 0.8828942179666361, 0.8852879870317771,
  0.8876882462632604, 0.890095013257712, 0.8925083056594671, 0.8949281411607002,
  0.8973545375015533, 0.8997875124702672, 0.9022270839033115, 0.9046732696855155,
  0.9071260877501991, 0.909585556079304, 0.9120516927035263, 0.9145245157024483,
  0.9170040432046711, 0.9194902933879467, 0.9219832844793128, 0.9244830347552253,
  0.9269895625416926, 0.92950288621441, 0.9320230241988943, 0.9345499949706191,
  0.9370838170551498, 0.93962450902828, 0.9421720895161669, 0.9447265771954693,
  0.9472879907934827, 0.9498563490882775, 0.9524316709088368, 0.9550139751351947,
  0.9576032806985735, 0.9601996065815236, 0.9628029718180622, 0.9654133954938133,
  0.9680308967461471, 0.9706554947643201, 0.9732872087896164, 0.9759260581154889,
  0.9785720620876999, 0.9812252401044634, 0.9838856116165875, 0.9865531961276168,
  0.9892280131939752, 0.9919100824251095, 0.9945994234836328, 0.9972960560854698,
]);

/**
 * Scratch for reading a float's bits: one float64 and its two 32-bit words. The one module-level
 * mutable object here, on purpose: it is written and read within one synchronous call and carries
 * nothing from one call to the next, and as a module constant V8 compiles its accesses to fixed
 * addresses (reached through the config object instead, the lookup measured 2 ns slower).
 */
const SCRATCH_F64 = new Float64Array(1);
const SCRATCH_U32 = new Uint32Array(SCRATCH_F64.buffer);
/** Index of a float64's high 32-bit word in a Uint32Array view over it (platform byte order). */
const HI = new Uint32Array(new Float64Array([1]).buffer)[1] === 0x3ff00000 ? 1 : 0;
/** Index of the low 32-bit word. */
const LO = 1 - HI;
/** 2^64, to scale a subnormal into the normal range (exactly). */
const TWO_64 = 2 ** 64;
/**
 * An empty lookup table: the negative schemas' (they use none) and those above a histogram's initial
 * schema (its series never reach them). See {@link NativeConfig}.
 */
const NO_TABLE = new Uint32Array(0);
/** A window no series has allocated yet (length 0, so nothing can be written into it). */
const NO_WINDOW = new Float64Array(0);
/** A gate no bucket index passes (the largest small integer; indexes stay within ±2^20). */
const GATE_CLOSED = 0x3fffffff;
/** Length of a series' first bucket window. */
const FIRST_WINDOW = 16;
/** A window may always grow to this many slots… */
const FREE_WINDOW = 64;
/** …and beyond that to this many slots per populated bucket; farther buckets go to a Map. */
const WINDOW_PER_BUCKET = 8;

/** `f · 2^e`, exact unless the result is subnormal (then rounded once), like Go's `math.Ldexp`. */
function ldexp(f: number, e: number): number {
  if (e > 1023) return f * 2 ** 1023 * 2 ** (e - 1023);
  if (e < -1022) return f * 2 ** -1022 * 2 ** (e + 1022);
  return f * 2 ** e;
}

/**
 * The upper bound of native bucket `index` at `schema` (inclusive; the lower bound, exclusive, is
 * the upper bound of `index - 1`). Bucket 0 ends at 1. The last bucket of finite numbers ends at
 * `Number.MAX_VALUE` rather than at its formal bound (which is above it), as in client_golang's
 * `getLe`. For negative observations the bucket with the same index mirrors it: `[-upper, -lower)`.
 */
export function nativeBucketUpperBound(index: number, schema: number): number {
  if (schema <= 0) {
    const exp = index * 2 ** -schema;
    if (exp === 1024) return Number.MAX_VALUE;
    return ldexp(1, exp);
  }
  const frac = FRAC_BOUNDS_8[(index & ((1 << schema) - 1)) << (8 - schema)]!;
  const exp = (index >> schema) + 1;
  if (frac === 0.5 && exp === 1025) return Number.MAX_VALUE;
  return ldexp(frac, exp);
}

/**
 * A native histogram's per-metric configuration and lookup tables, shared by its series. For each
 * schema s ≥ 0, one table (see {@link bucketKey}): first a cell per value of the top `s + 2`
 * mantissa bits, holding the first fraction bound at or above that cell's start packed as
 * `(bound's high 20 mantissa bits) << 9 | bound index` (an index is at most 2^8, the sentinel bound
 * 1, whose high bits are 2^20), then the bounds' low 32 mantissa bits by bound index. A cell is
 * narrower than the gap between two bounds, so one comparison finishes the lookup: the same index
 * as a binary search of the bounds (client_golang's `sort.SearchFloat64s`), without the search.
 * Schema 0 has one bound, 0.5 (a power of two ends its bucket). The comparison is on mantissa bits
 * (integers), as writing a float's bits and reading it back as a float stalls the CPU (a 64-bit
 * load after a 32-bit store cannot be forwarded): measured 15–17 ns against 3–5 ns.
 */
export class NativeConfig {
  /** The initial schema of every series (a series lowers its own when over the bucket limit). */
  readonly schema: number;
  readonly zeroThreshold: number;
  readonly maxBucketCount: number;
  readonly minResetDurationMs: number;
  readonly maxZeroThreshold: number;
  /** The registry's clock: ms since the epoch. */
  readonly now: Clock['now'];
  /** @internal By schema 0…8: the lookup table (see above); empty above the initial schema. */
  readonly _tabs: Uint32Array[] = [];

  constructor(spec: NativeSpec, now: Clock['now']) {
    this.schema = spec.schema;
    this.zeroThreshold = spec.zeroThreshold;
    this.maxBucketCount = spec.maxBucketCount;
    this.minResetDurationMs = spec.minResetDurationMs;
    this.maxZeroThreshold = spec.maxZeroThreshold;
    this.now = now;
    // A series only ever lowers its schema, so tables above the initial one are never read.
    for (let s = 0; s <= NATIVE_SCHEMA_MAX; s++) {
      if (s > spec.schema) {
        this._tabs.push(NO_TABLE);
        continue;
      }
      const n = 1 << s;
      const b = new Float64Array(n + 1);
      for (let i = 0; i < n; i++) b[i] = FRAC_BOUNDS_8[i << (8 - s)]!;
      b[n] = 1;
      const cellCount = 4 << s;
      const tab = new Uint32Array(cellCount + n + 1);
      const bhi = new Uint32Array(n + 1);
      for (let i = 0; i < n; i++) {
        SCRATCH_F64[0] = b[i]!;
        bhi[i] = SCRATCH_U32[HI]! & 0xfffff;
        tab[cellCount + i] = SCRATCH_U32[LO]!;
      }
      bhi[n] = 0x100000; // the sentinel 1: above every mantissa; its low bits (0) are never read
      const width = 2 ** -(s + 3);
      let i = 0;
      for (let c = 0; c < cellCount; c++) {
        const start = 0.5 + c * width;
        while (b[i]! < start) i++;
        tab[c] = (bhi[i]! << 9) | i;
      }
      this._tabs.push(tab);
    }
  }

  /** @internal The lookup table of `schema` (an empty one below 0, where none is used). */
  _table(schema: number): Uint32Array {
    return schema < 0 ? NO_TABLE : this._tabs[schema]!;
  }

  /**
   * The bucket index of `v > 0` (finite) at `schema`: `frexp(v) = frac · 2^exp`, then for
   * schema > 0 the first fraction bound ≥ frac plus `(exp - 1) · 2^schema`, and for schema ≤ 0 the
   * exponent (one less for an exact power of two) shifted right by `-schema`, rounding up.
   */
  key(v: number, schema: number): number {
    return bucketKey(v, schema, this._table(schema));
  }
}

/**
 * The bucket index of a finite `v > 0` at `schema`, given the schema's table (see
 * {@link NativeConfig}): `frexp(v) = frac · 2^exp` read off the float's bits, then the first
 * fraction bound ≥ frac plus `(exp - 1) · 2^schema`. frac and the bounds share the exponent, so
 * comparing mantissas compares the fractions: the cell gives the only bound that can be in the
 * way, and its high 20 bits decide unless they equal frac's (then the low 32 bits do). Subnormals
 * and the negative schemas are out of line ({@link otherKey}). Kept small, and without a branch
 * on the (unpredictable) comparison, so V8 inlines it into the labelled observe path too (at 238
 * bytecodes it did not fit V8's inlining budget there, and was called).
 */
function bucketKey(v: number, schema: number, tab: Uint32Array): number {
  SCRATCH_F64[0] = v;
  const hi = SCRATCH_U32[HI]!;
  if (hi < 0x100000 || schema < 0) return otherKey(v, schema, tab);
  const m = hi & 0xfffff;
  const t = tab[m >>> (18 - schema)]!;
  const bh = t >>> 9;
  // bh - m is negative exactly when m > bh (both below 2^21): past the bound, one more.
  let i = (t & 0x1ff) + ((bh - m) >>> 31);
  if (m === bh && SCRATCH_U32[LO]! > tab[(4 << schema) + i]!) i++;
  // The biased exponent e: frexp's exponent is e - 1022 (v = 1.m · 2^(e-1023) = 0.1m · 2^(e-1022)).
  return (i + (((hi >>> 20) - 1023) << schema)) | 0;
}

/**
 * {@link bucketKey} of a subnormal `v` (below 2^-1022), or at a negative schema. A subnormal is
 * scaled by 2^64 into the normal range, where the index is the scaled value's minus 64 powers of
 * two. A negative schema takes frexp's exponent (one less for an exact power of two, an upper
 * bound) shifted right by `-schema`, rounding up.
 */
function otherKey(v: number, schema: number, tab: Uint32Array): number {
  SCRATCH_F64[0] = v;
  const hi = SCRATCH_U32[HI]!;
  if (hi < 0x100000) {
    const k = bucketKey(v * TWO_64, schema, tab);
    return schema >= 0 ? k - (64 << schema) : k - (64 >> -schema);
  }
  let k = (hi >>> 20) - 1022;
  if ((hi & 0xfffff) === 0 && SCRATCH_U32[LO] === 0) k--; // frac is exactly 0.5
  return (k + (1 << -schema) - 1) >> -schema;
}

/** A sign's populated buckets, ascending by index. */
export interface BucketList {
  readonly keys: number[];
  readonly counts: number[];
}

/**
 * One series' native buckets. Counts of each sign live in a Float64Array window indexed by
 * `bucket index - offset`, grown (doubling) to cover new indexes as long as it stays dense: at
 * most {@link FREE_WINDOW} slots, or {@link WINDOW_PER_BUCKET} slots per populated bucket.
 * Buckets too far out for that go to a Map, so a few outliers cannot make a series allocate
 * megabytes. An observation into the window allocates nothing.
 *
 * Count and sum are the caller's (the histogram keeps them with its classic buckets); this keeps
 * the schema, zero bucket and sparse buckets, and enforces the bucket limit.
 */
export class NativeSeries {
  // The fields the hot path reads come first (V8 lays them out in this order), and none of them is
  // a double: a double field is a pointer to a boxed number, one more dependent load.
  /** @internal */
  readonly cfg: NativeConfig;
  /**
   * @internal The hot path's gate: a positive value whose bucket index is above it is above the
   * zero threshold, and no reset is pending. The zero threshold's own index (values in that bucket
   * take the slow path, which compares exactly), or {@link GATE_CLOSED} while a reset is pending.
   */
  _zk = 0;
  /** @internal The current schema's lookup table (see {@link NativeConfig}), cached here. */
  _tab: Uint32Array;
  /** Current schema: the initial one, or lower after reductions. Set with {@link _setSchema}. */
  schema: number;
  /** @internal Positive window and the bucket index of its slot 0. */
  _pc: Float64Array = NO_WINDOW;
  /** @internal */
  _po = 0;
  /** Current zero threshold: the initial one, or wider after zero-bucket widening. */
  zeroThreshold: number;
  /** Observations in the zero bucket. */
  zeroCount = 0;
  /** @internal Populated positive / negative buckets. */
  _pn = 0;
  /** @internal */
  _nn = 0;
  /** @internal Negative window and its offset. */
  _nc: Float64Array = NO_WINDOW;
  /** @internal */
  _no = 0;
  /** @internal Positive / negative buckets outside the window, or null. */
  _px: Map<number, number> | null = null;
  /** @internal */
  _nx: Map<number, number> | null = null;
  /** Time (ms) of the last reset, or of creation: the series' created timestamp. */
  lastResetMs: number;
  /** Time (ms) at which a scheduled reset is due, or `Infinity` when none is. */
  resetDueMs = Number.POSITIVE_INFINITY;

  constructor(cfg: NativeConfig, nowMs: number) {
    this.cfg = cfg;
    this.schema = cfg.schema;
    this._tab = cfg._table(cfg.schema);
    this.zeroThreshold = cfg.zeroThreshold;
    this.lastResetMs = nowMs;
    this._gate();
  }

  /** @internal Recomputes {@link _zk} after the schema, zero threshold or pending reset changed. */
  _gate(): void {
    if (this.resetDueMs !== Number.POSITIVE_INFINITY) this._zk = GATE_CLOSED;
    else if (this.zeroThreshold === 0) this._zk = -GATE_CLOSED;
    else this._zk = this._keyOf(this.zeroThreshold);
  }

  /** @internal Sets the schema and its cached tables. */
  _setSchema(schema: number): void {
    this.schema = schema;
    this._tab = this.cfg._table(schema);
  }

  /** @internal The bucket index of `v > 0` at the current schema. */
  _keyOf(v: number): number {
    return bucketKey(v, this.schema, this._tab);
  }

  /** Number of populated buckets, positive and negative (the zero bucket not counted). */
  get bucketCount(): number {
    return this._pn + this._nn;
  }

  /**
   * Records a finite observation (the caller has checked it). Returns true when the series was
   * reset before `v` was recorded (a due scheduled reset, or the bucket limit with the last reset
   * at least `minResetDurationSeconds` ago): the caller then resets its own part of the series
   * (count, sum, classic buckets) and moves the created timestamp to {@link lastResetMs} before
   * recording `v` there too.
   */
  observe(v: number): boolean {
    // The hot path, kept small so it inlines: a positive value into a populated bucket of the
    // window. Everything else is out of line, and rare enough in steady state that V8 does not
    // inline it here (inlined, it cost 3 ns per observation through a bound handle). A bucket's
    // first observation goes there too, so the hot path needs no bucket-count bookkeeping.
    if (v > 0) {
      const k = bucketKey(v, this.schema, this._tab);
      if (k > this._zk) {
        const j = k - this._po;
        const c = this._pc;
        if (j >= 0 && j < c.length) {
          const n = c[j]!;
          if (n !== 0) {
            c[j] = n + 1;
            return false;
          }
        }
      }
    }
    // `=== true`: the call's result is untyped to V8, and this compare is cheaper than its
    // generic truth test in the caller.
    return this._observeSlow(v) === true;
  }

  /**
   * {@link observe} for everything else: a new bucket outside the window, a negative or zero
   * value, a due scheduled reset. One method on purpose: V8 inlines small methods into the hot
   * path even when they are rarely taken, and the inlined slow path cost about 3 ns per
   * observation (measured); this one is too big to inline (V8's limit is 460 bytecodes).
   */
  private _observeSlow(v: number): boolean {
    let reset = false;
    if (this.resetDueMs !== Number.POSITIVE_INFINITY && this.cfg.now() >= this.resetDueMs) {
      this.clear(this.resetDueMs);
      reset = true;
    }
    const zt = this.zeroThreshold;
    let neg: boolean;
    let k: number;
    if (v > zt) {
      neg = false;
      k = this._keyOf(v);
    } else if (v < -zt) {
      neg = true;
      k = this._keyOf(-v);
    } else {
      this.zeroCount++;
      return reset;
    }
    let c = neg ? this._nc : this._pc;
    let off = neg ? this._no : this._po;
    let j = k - off;
    if (j < 0 || j >= c.length) {
      const pop = neg ? this._nn : this._pn;
      if (pop === 0) {
        // Nothing populated on this side: (re)centre the window on k.
        if (c.length === 0) c = new Float64Array(FIRST_WINDOW);
        off = k - (c.length >> 1);
        this._setWindow(neg, c, off);
      } else {
        // Grow the window (doubling) to cover k if it stays dense enough, else use the Map.
        const lo = Math.min(off, k);
        const hi = Math.max(off + c.length - 1, k);
        let len = c.length;
        while (len < hi - lo + 1) len *= 2;
        if (len <= Math.max(FREE_WINDOW, WINDOW_PER_BUCKET * (pop + 1))) {
          const noff = k < off ? hi - len + 1 : lo;
          const grown = new Float64Array(len);
          grown.set(c, off - noff);
          const m = neg ? this._nx : this._px;
          if (m !== null) {
            for (const [key, count] of m) {
              const x = key - noff;
              if (x >= 0 && x < len) {
                grown[x] = count;
                m.delete(key);
              }
            }
          }
          c = grown;
          off = noff;
          this._setWindow(neg, c, off);
        } else {
          let m = neg ? this._nx : this._px;
          if (m === null) {
            m = new Map();
            if (neg) this._nx = m;
            else this._px = m;
          }
          const was = m.get(k);
          m.set(k, (was ?? 0) + 1);
          if (was !== undefined) return reset;
          return this._added(neg, v) || reset;
        }
      }
      j = k - off;
    }
    const was = c[j]!;
    c[j] = was + 1;
    if (was !== 0) return reset;
    return this._added(neg, v) || reset;
  }

  /** A bucket of one sign was populated by `v`: count it, and enforce the limit. */
  private _added(neg: boolean, v: number): boolean {
    if (neg) this._nn++;
    else this._pn++;
    return this._pn + this._nn > this.cfg.maxBucketCount && this._limit(v);
  }

  /**
   * Applies a scheduled reset when it is due at `nowMs` (client_golang runs it on a timer; here it
   * runs on the next observation or read, as of the time it was due). Returns true when it did:
   * the caller resets its own part of the series, as after {@link observe}.
   */
  sync(nowMs: number): boolean {
    if (nowMs < this.resetDueMs) return false;
    this.clear(this.resetDueMs);
    return true;
  }

  /** Empties the series and restores the initial schema and zero threshold, as of `nowMs`. */
  clear(nowMs: number): void {
    this._setSchema(this.cfg.schema);
    this.zeroThreshold = this.cfg.zeroThreshold;
    this.zeroCount = 0;
    this._empty();
    this.lastResetMs = nowMs;
    this.resetDueMs = Number.POSITIVE_INFINITY;
    this._gate();
  }

  /** Drops every sparse bucket, keeping the windows' memory for reuse. */
  private _empty(): void {
    if (this._pn !== 0) this._pc.fill(0);
    if (this._nn !== 0) this._nc.fill(0);
    this._pn = 0;
    this._nn = 0;
    this._px = null;
    this._nx = null;
  }

  private _setWindow(neg: boolean, c: Float64Array, off: number): void {
    if (neg) {
      this._nc = c;
      this._no = off;
    } else {
      this._pc = c;
      this._po = off;
    }
  }

  /**
   * Over the bucket limit after recording `v`. client_golang's strategy, in its order: reset when
   * allowed (then record `v` again, so it is not lost); otherwise schedule a reset (when a minimum
   * reset duration is set), then widen the zero bucket while allowed, then halve the resolution,
   * until the series is within the limit or nothing more can be done (schema −4, zero bucket at
   * its maximum). client_golang takes one of those steps per observation and so converges to the
   * same buckets one observation at a time; here the limit holds after every observation.
   */
  private _limit(v: number): boolean {
    const cfg = this.cfg;
    if (cfg.minResetDurationMs > 0 && this.resetDueMs === Number.POSITIVE_INFINITY) {
      const now = cfg.now();
      if (now - this.lastResetMs >= cfg.minResetDurationMs) {
        this.clear(now);
        this._observeSlow(v); // one bucket now: within any limit
        return true;
      }
      this.resetDueMs = this.lastResetMs + cfg.minResetDurationMs;
    }
    while (this._pn + this._nn > cfg.maxBucketCount) {
      if (this._widenZeroBucket()) continue;
      if (this.schema <= NATIVE_SCHEMA_MIN) break;
      this._halve();
    }
    this._gate();
    return false;
  }

  /**
   * Widens the zero bucket to the upper bound of the populated bucket closest to zero (of either
   * sign; both when they share the index), merging it (them) into the zero bucket. False when the
   * zero bucket is at `maxZeroThreshold` already, there is no bucket, or the new threshold would
   * exceed the maximum.
   */
  private _widenZeroBucket(): boolean {
    const max = this.cfg.maxZeroThreshold;
    if (this.zeroThreshold >= max) return false;
    const kp = this._minKey(false);
    const kn = this._minKey(true);
    const k = Math.min(kp, kn);
    if (k === Number.POSITIVE_INFINITY) return false;
    const t = nativeBucketUpperBound(k, this.schema);
    if (t > max) return false;
    this.zeroThreshold = t;
    if (kp === k) this.zeroCount += this._take(k, false);
    if (kn === k) this.zeroCount += this._take(k, true);
    return true;
  }

  /** The lowest populated bucket index of one sign, or `Infinity`. */
  private _minKey(neg: boolean): number {
    let min = Number.POSITIVE_INFINITY;
    if ((neg ? this._nn : this._pn) === 0) return min;
    const c = neg ? this._nc : this._pc;
    const off = neg ? this._no : this._po;
    for (let j = 0; j < c.length; j++) {
      if (c[j] !== 0) {
        min = off + j;
        break;
      }
    }
    const m = neg ? this._nx : this._px;
    if (m !== null) for (const key of m.keys()) if (key < min) min = key;
    return min;
  }

  /** Removes bucket `k` of one sign and returns its count (0 when it was not populated). */
  private _take(k: number, neg: boolean): number {
    const c = neg ? this._nc : this._pc;
    const j = k - (neg ? this._no : this._po);
    let count = 0;
    if (j >= 0 && j < c.length) {
      count = c[j]!;
      c[j] = 0;
    } else {
      const m = neg ? this._nx : this._px;
      const x = m?.get(k);
      if (x !== undefined) {
        count = x;
        m!.delete(k);
      }
    }
    if (count !== 0) {
      if (neg) this._nn--;
      else this._pn--;
    }
    return count;
  }

  /**
   * Lowers the schema by one: bucket `i` merges into bucket `ceil(i / 2)` (client_golang's
   * `doubleBucketWidth`: for schema s, bucket i covers (b^(i-1), b^i] with b = 2^(2^-s); at
   * s - 1 bucket j covers (b^(2j-2), b^(2j)], which holds buckets 2j - 1 and 2j).
   */
  private _halve(): void {
    const pos = this._list(false);
    const neg = this._list(true);
    this._setSchema(this.schema - 1);
    this._empty();
    this._refill(false, pos);
    this._refill(true, neg);
  }

  /** Re-inserts one sign's buckets, merged into the (already lowered) schema. */
  private _refill(neg: boolean, list: BucketList): void {
    const { keys, counts } = list;
    if (keys.length === 0) return;
    const mk: number[] = [];
    const mc: number[] = [];
    for (let i = 0; i < keys.length; i++) {
      const k = (keys[i]! + 1) >> 1;
      if (mk.length > 0 && mk[mk.length - 1] === k) mc[mc.length - 1]! += counts[i]!;
      else {
        mk.push(k);
        mc.push(counts[i]!);
      }
    }
    this._layout(neg, mk, mc);
  }

  /**
   * Places one (emptied) sign's buckets: a window as long as the density rule allows (reusing the
   * current one when it is longer), over the run of buckets holding the most observations; the
   * buckets outside it go to the Map.
   */
  private _layout(neg: boolean, keys: readonly number[], counts: readonly number[]): void {
    const n = keys.length;
    let c = neg ? this._nc : this._pc;
    const allowed = Math.max(FREE_WINDOW, WINDOW_PER_BUCKET * (n + 1));
    const span = keys[n - 1]! - keys[0]! + 1;
    let len = Math.max(c.length, FIRST_WINDOW);
    while (len < span && len * 2 <= allowed) len *= 2;
    let best = 0;
    let bestSum = -1;
    let sum = 0;
    for (let a = 0, b = 0; b < n; b++) {
      sum += counts[b]!;
      while (keys[b]! - keys[a]! >= len) sum -= counts[a++]!;
      if (sum > bestSum) {
        bestSum = sum;
        best = a;
      }
    }
    let last = best;
    while (last + 1 < n && keys[last + 1]! - keys[best]! < len) last++;
    const off = keys[best]! - ((len - (keys[last]! - keys[best]! + 1)) >> 1);
    if (c.length !== len) c = new Float64Array(len);
    this._setWindow(neg, c, off);
    let m: Map<number, number> | null = null;
    for (let i = 0; i < n; i++) {
      const j = keys[i]! - off;
      if (j >= 0 && j < len) c[j] = counts[i]!;
      else {
        m ??= new Map();
        m.set(keys[i]!, counts[i]!);
      }
    }
    if (neg) {
      this._nx = m;
      this._nn = n;
    } else {
      this._px = m;
      this._pn = n;
    }
  }

  /** One sign's populated buckets, ascending. */
  _list(neg: boolean): BucketList {
    const keys: number[] = [];
    const counts: number[] = [];
    if ((neg ? this._nn : this._pn) === 0) return { keys, counts };
    const c = neg ? this._nc : this._pc;
    const off = neg ? this._no : this._po;
    const m = neg ? this._nx : this._px;
    let outside: [number, number][] = [];
    if (m !== null && m.size > 0) outside = [...m].sort((a, b) => a[0] - b[0]);
    let x = 0;
    while (x < outside.length && outside[x]![0] < off) {
      keys.push(outside[x]![0]);
      counts.push(outside[x]![1]);
      x++;
    }
    for (let j = 0; j < c.length; j++) {
      const n = c[j]!;
      if (n !== 0) {
        keys.push(off + j);
        counts.push(n);
      }
    }
    for (; x < outside.length; x++) {
      keys.push(outside[x]![0]);
      counts.push(outside[x]![1]);
    }
    return { keys, counts };
  }

  /** The series' buckets in the model's form: spans and absolute counts, per sign. */
  buckets(): NativeBuckets {
    const pos = toSpans(this._list(false));
    const neg = toSpans(this._list(true));
    return {
      schema: this.schema,
      zeroThreshold: this.zeroThreshold,
      zeroCount: this.zeroCount,
      positiveSpans: pos.spans,
      positiveCounts: pos.counts,
      negativeSpans: neg.spans,
      negativeCounts: neg.counts,
    };
  }
}

/** The largest run of empty buckets kept inside a span (client_golang's `makeBuckets`). */
export const MAX_SPAN_GAP = 2;

/**
 * Spans and absolute counts for populated buckets in ascending order. A gap of up to
 * {@link MAX_SPAN_GAP} empty buckets stays inside the span (as zero counts); a longer gap starts a
 * new span whose offset is the number of empty buckets skipped (the first span's offset is its
 * starting index). Empty input gives no spans.
 */
export function toSpans(list: BucketList): { spans: BucketSpan[]; counts: number[] } {
  const { keys, counts: src } = list;
  const spans: { offset: number; length: number }[] = [];
  const counts: number[] = [];
  let next = 0;
  for (let n = 0; n < keys.length; n++) {
    const k = keys[n]!;
    const gap = k - next;
    if (n === 0 || gap > MAX_SPAN_GAP) spans.push({ offset: gap, length: 0 });
    else {
      for (let g = 0; g < gap; g++) counts.push(0);
      spans[spans.length - 1]!.length += gap;
    }
    spans[spans.length - 1]!.length++;
    counts.push(src[n]!);
    next = k + 1;
  }
  return { spans, counts };
}
