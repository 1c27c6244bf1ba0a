// A minimal protobuf wire-format writer: varints, zigzag, little-endian doubles and UTF-8 into Uint8Array chunks.

/** 2^32, to split a number into 32-bit words. */
const TWO_32 = 4_294_967_296;
/** 2^64: a uint64 varint holds integers below this. */
const TWO_64 = 2 ** 64;

/** Whether `n` fits a protobuf uint64 exactly: a non-negative integer below 2^64. */
export function isUint64(n: number): boolean {
  return Number.isInteger(n) && n >= 0 && n < TWO_64;
}

/** Bytes the varint of a non-negative integer `n` (below 2^64) takes. */
export function varintSize(n: number): number {
  // Small and branchy so it inlines; the rare large values go to a loop.
  if (n < 0x80) return 1;
  if (n < 0x4000) return 2;
  if (n < 0x200000) return 3;
  if (n < 0x10000000) return 4;
  return largeVarintSize(n);
}

/** {@link varintSize} for `n` ≥ 2^28: 7 bits per byte, 10 bytes at most. */
function largeVarintSize(n: number): number {
  let size = 5;
  let rest = Math.floor(n / 0x800000000);
  while (rest > 0 && size < 10) {
    size++;
    rest = Math.floor(rest / 128);
  }
  return size;
}

/** Bytes an `int64` varint of the integer `n` takes: negatives are ten bytes (two's complement). */
export function int64Size(n: number): number {
  return n < 0 ? 10 : varintSize(n);
}

/** The zigzag encoding of a (safe) integer, as `sint32`/`sint64` fields carry it. */
export function zigzag(n: number): number {
  return n >= 0 ? n * 2 : -n * 2 - 1;
}

/** Below this magnitude `zigzag(n)` (about 2|n|) is still an exact double. */
const ZIGZAG_EXACT = 2 ** 52;

/** The zigzag words (low, high 32 bits) of a 64-bit integer `n`, for magnitudes past 2^52. */
function zigzagWords(n: number): [lo: number, hi: number] {
  // Two's complement words of n (exact for any integer-valued double), then (n << 1) ^ (n >> 63).
  const lo = n >>> 0;
  const hi = Math.floor(n / TWO_32) | 0;
  const sign = hi >> 31;
  return [((lo << 1) ^ sign) >>> 0, (((hi << 1) | (lo >>> 31)) ^ sign) >>> 0];
}

/** Bytes a `sint64` of the integer `n` (|n| < 2^63) takes. */
export function sint64Size(n: number): number {
  if (Math.abs(n) < ZIGZAG_EXACT) return varintSize(zigzag(n));
  const [lo, hi] = zigzagWords(n);
  // Past 32 bits: seven bits per byte of the significant bits.
  return hi === 0 ? varintSize(lo) : Math.ceil((64 - Math.clz32(hi)) / 7);
}

/**
 * The UTF-8 length of `s` as `TextEncoder` writes it: a lone surrogate becomes U+FFFD (3 bytes),
 * a surrogate pair 4 bytes.
 */
export function utf8Length(s: string): number {
  const len = s.length;
  let n = len;
  for (let i = 0; i < len; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) n += 1;
    else if (c < 0xd800 || c > 0xdbff || i + 1 === len) n += 2;
    else if ((s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      // A pair: two code units, four bytes.
      n += 2;
      i++;
    } else n += 2;
  }
  return n;
}

/** Node's Buffer, when present: its `allocUnsafe` skips zero-filling memory we overwrite anyway. */
const NodeBuffer = (globalThis as { Buffer?: { allocUnsafe(size: number): Uint8Array } }).Buffer;

/**
 * A new byte array of `size` bytes, not zero-filled under Node (a fresh zeroed 64 KiB chunk per
 * chunk measured 4× slower). Only the bytes a writer writes are ever read or handed out.
 */
function alloc(size: number): Uint8Array {
  return NodeBuffer === undefined ? new Uint8Array(size) : NodeBuffer.allocUnsafe(size);
}

/** A DataView over exactly `buf` (a pooled Buffer starts inside a larger ArrayBuffer). */
function viewOf(buf: Uint8Array): DataView {
  return new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
}

/**
 * A growable byte buffer with protobuf primitives. Callers size each message before writing it
 * (see the `*Size` helpers) and reserve room with {@link Writer.ensure}, so the primitives
 * themselves never check bounds.
 */
export class Writer {
  /** The current chunk; bytes `[0, pos)` are written. */
  buf: Uint8Array;
  /** A view on `buf` for little-endian doubles. */
  view: DataView;
  /** The write position in `buf`. */
  pos = 0;
  /** Encodes non-ASCII strings. */
  private readonly encoder = new TextEncoder();

  constructor(capacity: number) {
    this.buf = alloc(capacity);
    this.view = viewOf(this.buf);
  }

  /** Bytes of room left in the current chunk. */
  room(): number {
    return this.buf.length - this.pos;
  }

  /** Grows the current chunk (copying what is written) so at least `n` more bytes fit. */
  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let cap = Math.max(this.buf.length * 2, 1024);
    while (cap < this.pos + n) cap *= 2;
    const next = alloc(cap);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = viewOf(next);
  }

  /**
   * Returns the written bytes and starts a fresh chunk of `capacity` bytes. The returned view is
   * never written again, so it can be handed to a socket that sends it later.
   */
  take(capacity: number): Uint8Array {
    const out = this.buf.subarray(0, this.pos);
    this.buf = alloc(capacity);
    this.view = viewOf(this.buf);
    this.pos = 0;
    return out;
  }

  /** One byte (a tag whose field number is below 16, or a small value). */
  byte(b: number): void {
    this.buf[this.pos++] = b;
  }

  /** A varint of a non-negative integer below 2^64. */
  varint(n: number): void {
    const buf = this.buf;
    let pos = this.pos;
    let v = n;
    // Above 2^31 the bit operators would wrap: peel 7 bits at a time with arithmetic first.
    while (v > 0x7fffffff) {
      buf[pos++] = (v % 128) | 0x80;
      v = Math.floor(v / 128);
    }
    while (v >= 0x80) {
      buf[pos++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    buf[pos++] = v;
    this.pos = pos;
  }

  /** An `int64` varint: a negative integer is written as its 64-bit two's complement. */
  int64(n: number): void {
    if (n >= 0) {
      this.varint(n);
      return;
    }
    this.words(n >>> 0, Math.floor(n / TWO_32) >>> 0);
  }

  /** A `sint64` (zigzag varint) of the integer `n` (|n| < 2^63), exact past 2^53 too. */
  sint64(n: number): void {
    if (Math.abs(n) < ZIGZAG_EXACT) {
      this.varint(zigzag(n));
      return;
    }
    const [lo, hi] = zigzagWords(n);
    this.words(lo, hi);
  }

  /** A varint of the unsigned 64-bit integer whose low and high 32-bit words are `lo0` and `hi0`. */
  private words(lo0: number, hi0: number): void {
    let lo = lo0;
    let hi = hi0;
    const buf = this.buf;
    let pos = this.pos;
    while (hi !== 0) {
      buf[pos++] = (lo & 0x7f) | 0x80;
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi >>>= 7;
    }
    while (lo > 0x7f) {
      buf[pos++] = (lo & 0x7f) | 0x80;
      lo >>>= 7;
    }
    buf[pos++] = lo;
    this.pos = pos;
  }

  /** A little-endian IEEE 754 double (fixed64 wire type). */
  double(v: number): void {
    this.view.setFloat64(this.pos, v, true);
    this.pos += 8;
  }

  /** Raw bytes. */
  bytes(b: Uint8Array): void {
    const n = b.length;
    const buf = this.buf;
    const pos = this.pos;
    // A loop beats `set` for the short label runs this copies most.
    if (n < 64) for (let i = 0; i < n; i++) buf[pos + i] = b[i]!;
    else buf.set(b, pos);
    this.pos = pos + n;
  }

  /** `n` bytes of `src`'s buffer from `start`: four at a time (measured 2–3× a byte loop). */
  copy(src: Writer, start: number, n: number): void {
    const sv = src.view;
    const dv = this.view;
    const pos = this.pos;
    let i = 0;
    for (; i + 4 <= n; i += 4) dv.setUint32(pos + i, sv.getUint32(start + i, true), true);
    const sb = src.buf;
    const db = this.buf;
    for (; i < n; i++) db[pos + i] = sb[start + i]!;
    this.pos = pos + n;
  }

  /** The UTF-8 bytes of `s`, whose UTF-8 length (from {@link utf8Length}) is `byteLength`. */
  utf8(s: string, byteLength: number): void {
    const len = s.length;
    if (byteLength === len) {
      const buf = this.buf;
      const pos = this.pos;
      for (let i = 0; i < len; i++) buf[pos + i] = s.charCodeAt(i);
      this.pos = pos + len;
      return;
    }
    this.encoder.encodeInto(s, this.buf.subarray(this.pos, this.pos + byteLength));
    this.pos += byteLength;
  }

  /** A length-delimited string field: tag byte, length, bytes. */
  stringField(tag: number, s: string, byteLength: number): void {
    this.buf[this.pos++] = tag;
    this.varint(byteLength);
    this.utf8(s, byteLength);
  }
}

// google.protobuf.Timestamp: seconds 1 (int64), nanos 2 (int32).
const TS_SECONDS = 0x08;
const TS_NANOS = 0x10;
/** Seconds beyond which `t * 1e6` is no longer an exact count of microseconds. */
const MICROS_EXACT = 9e9;
/** int64 seconds range of google.protobuf.Timestamp (well beyond year 9999, as a bound). */
const MAX_SECONDS = 9.2e18;

/** Whole seconds of `t` at the encoder's resolution: microseconds below 9e9 s, seconds beyond. */
function secondsOf(t: number): number {
  return Math.abs(t) < MICROS_EXACT ? Math.floor(Math.round(t * 1e6) / 1e6) : Math.floor(t);
}

/** Nanoseconds past `s = secondsOf(t)` (whole microseconds; 0 beyond 9e9 s). */
function nanosOf(t: number, s: number): number {
  return Math.abs(t) < MICROS_EXACT ? (Math.round(t * 1e6) - s * 1e6) * 1000 : 0;
}

/** The body size of a Timestamp of `s` seconds and `ns` nanoseconds (zero fields are omitted). */
function timestampBody(s: number, ns: number): number {
  return (s !== 0 ? 1 + int64Size(s) : 0) + (ns !== 0 ? 1 + varintSize(ns) : 0);
}

/**
 * The body size of a google.protobuf.Timestamp for `t` (Unix seconds, fractional), or -1 when
 * `t` cannot be one (not finite, or beyond int64 seconds). Microsecond resolution: `t * 1e6` is
 * an exact integer up to 9e9 s (year 2255); beyond that whole seconds are written.
 */
export function timestampSize(t: number): number {
  if (!(Math.abs(t) < MAX_SECONDS)) return -1;
  const s = secondsOf(t);
  return timestampBody(s, nanosOf(t, s));
}

/** Writes field `tag` as a google.protobuf.Timestamp for `t`, unless {@link timestampSize} is -1. */
export function writeTimestamp(w: Writer, tag: number, t: number): void {
  if (!(Math.abs(t) < MAX_SECONDS)) return;
  const s = secondsOf(t);
  const ns = nanosOf(t, s);
  w.byte(tag);
  // At most 1 + 10 + 1 + 5 = 17 bytes: a one-byte length.
  w.byte(timestampBody(s, ns));
  if (s !== 0) {
    w.byte(TS_SECONDS);
    w.int64(s);
  }
  if (ns !== 0) {
    w.byte(TS_NANOS);
    w.varint(ns);
  }
}
