// Label pairs for the protobuf encoder: LabelPair bytes from names and values, and the per-server cache that keeps them between scrapes.
import type { LabelSet, LabelShape } from '../metrics/model.js';
import { utf8Length, varintSize, Writer } from './wire.js';

// Metric.label (field 1) and LabelPair's name (1) and value (2), all length-delimited.
const METRIC_LABEL = 0x0a;
const PAIR_NAME = 0x0a;
const PAIR_VALUE = 0x12;

/** Bytes of a length-delimited field with a one-byte tag around `n` bytes of body. */
function field(n: number): number {
  return 1 + varintSize(n) + n;
}

/**
 * A cache of encoded label pairs for the protobuf encoder, made by {@link createProtobufCache}
 * and passed as `cache` to every encode of one server (the metrics handler keeps one). Opaque.
 */
export interface ProtobufCache {
  /** Identifies the object as a protobuf label cache; its entries are not reachable. */
  readonly kind: 'telltale.protobufCache';
}

/**
 * What identifies a label set in the cache: the label set object itself when its family carries
 * the registry's label shape (the series' own record, the same object in every gather, so
 * comparing it is by pointer), else its JSON (equal names and values give equal keys, so cloned
 * or hand-built families hit too). A string and an object never collide.
 */
export type LabelKey = LabelSet | string;

/** The cache key of label set `set` of a family whose label shape is `shape` (if any). */
function keyOf(shape: LabelShape | undefined, set: LabelSet): LabelKey {
  return shape !== undefined ? set : JSON.stringify(set);
}

/**
 * One generation of the cache: label text → slot, and each slot's bytes in one arena (no object
 * per entry). Never shrinks; a compaction builds a new generation, so an encode that is still
 * running keeps reading the one it started with.
 */
class Generation {
  readonly index = new Map<LabelKey, number>();
  /**
   * Per family name, the keys and slots of its points in the order the last encode met them.
   * A series keeps its place from one gather to the next, so most lookups are a comparison with
   * the same string (identical, so by pointer) rather than a hash lookup.
   */
  readonly order = new Map<string, Order>();
  /** The arena: every slot's `label` fields, back to back. */
  readonly arena: Writer;
  off: Int32Array;
  len: Int32Array;
  /** The epoch of the last encode that used each slot. */
  seen: Int32Array;
  slots = 0;

  constructor(bytes: number, slots: number) {
    this.arena = new Writer(Math.max(bytes, 4096));
    const n = Math.max(slots, 256);
    this.off = new Int32Array(n);
    this.len = new Int32Array(n);
    this.seen = new Int32Array(n);
  }

  /** The slot for `set` (whose key is `key`), encoding it on first sight; marks it used in `epoch`. */
  slot(key: LabelKey, set: LabelSet, epoch: number): number {
    let s = this.index.get(key);
    if (s === undefined) s = this.add(key, Object.keys(set), Object.values(set));
    this.seen[s] = epoch;
    return s;
  }

  /** Encodes a label set's pairs into the arena under `key`. */
  add(key: LabelKey, names: readonly string[], values: readonly string[]): number {
    let size = 0;
    for (let j = 0; j < names.length; j++) {
      size += field(field(utf8Length(names[j]!)) + field(utf8Length(values[j] ?? '')));
    }
    return this.put(key, size, (w) => {
      for (let j = 0; j < names.length; j++) {
        const name = names[j]!;
        const value = values[j] ?? '';
        const nl = utf8Length(name);
        const vl = utf8Length(value);
        w.byte(METRIC_LABEL);
        w.varint(field(nl) + field(vl));
        w.stringField(PAIR_NAME, name, nl);
        w.stringField(PAIR_VALUE, value, vl);
      }
    });
  }

  /** Appends `size` bytes written by `write` as a new slot for `key`. */
  put(key: LabelKey, size: number, write: (w: Writer) => void): number {
    const a = this.arena;
    a.ensure(size);
    const start = a.pos;
    write(a);
    const s = this.slots++;
    if (s === this.off.length) {
      const grow = (x: Int32Array): Int32Array => {
        const next = new Int32Array(x.length * 2);
        next.set(x);
        return next;
      };
      this.off = grow(this.off);
      this.len = grow(this.len);
      this.seen = grow(this.seen);
    }
    this.off[s] = start;
    this.len[s] = a.pos - start;
    this.index.set(key, s);
    return s;
  }

  /** A new generation with only the slots used in epoch `since` or later. */
  compact(since: number): Generation {
    let bytes = 0;
    let live = 0;
    for (let s = 0; s < this.slots; s++) {
      if (this.seen[s]! >= since) {
        bytes += this.len[s]!;
        live++;
      }
    }
    const next = new Generation(bytes * 2, live * 2);
    const src = this.arena;
    for (const [key, s] of this.index) {
      const seen = this.seen[s]!;
      if (seen < since) continue;
      const off = this.off[s]!;
      const n = this.len[s]!;
      const t = next.put(key, n, (w) => w.copy(src, off, n));
      next.seen[t] = seen;
    }
    return next;
  }
}

/** The points of one family as the last encode met them: see `Generation.order`. */
interface Order {
  keys: LabelKey[];
  slots: Int32Array;
}

/** Unused slots must outnumber used ones before a compaction, and the cache hold this many. */
const COMPACT_MIN_SLOTS = 1024;

/**
 * Whole encoded Metric messages of one counter or gauge family, by position, as the last encode
 * that had to rebuild them wrote them: a point whose label key (and, for counters, created time)
 * is unchanged and that has no exemplar is copied from here with only its 8-byte value patched.
 * Immutable once published, so an encode still reading an older set stays correct.
 */
export interface Templates {
  /** What the messages are: see the `TEMPLATE_*` kinds. */
  readonly kind: number;
  /** Positions held. */
  readonly n: number;
  /** Per position, the label key the message was built for. */
  readonly keys: readonly LabelKey[];
  /** Per position, the created time it holds (NaN: never reuse, e.g. it carries an exemplar). */
  readonly created: Float64Array;
  /** Per position, where its bytes start in `arena`, and how many (the whole `metric` field). */
  readonly off: Int32Array;
  readonly len: Int32Array;
  /** Per position, where the 8-byte value sits within its bytes. */
  readonly at: Int32Array;
  readonly arena: Writer;
  /** The last encode epoch that used the set (for dropping families that went away). */
  used: number;
}

/** Template kinds: a counter with created timestamps, without, a gauge, an untyped family. */
export const TEMPLATE_COUNTER = 1;
export const TEMPLATE_COUNTER_NO_CREATED = 2;
export const TEMPLATE_GAUGE = 3;
export const TEMPLATE_UNTYPED = 4;

/** Collects the messages of one family as they are written, into a new {@link Templates}. */
export class TemplateBuilder {
  readonly keys: LabelKey[];
  readonly created: Float64Array;
  readonly off: Int32Array;
  readonly len: Int32Array;
  readonly at: Int32Array;
  readonly arena: Writer;

  constructor(n: number, bytes: number) {
    this.keys = new Array(n);
    this.created = new Float64Array(n);
    this.off = new Int32Array(n);
    this.len = new Int32Array(n);
    this.at = new Int32Array(n);
    this.arena = new Writer(Math.max(bytes, 64));
  }

  /** Records position `i`: the `n` bytes `from` wrote at `start`, its value at `start + at`. */
  add(
    i: number,
    key: LabelKey,
    created: number,
    from: Writer,
    start: number,
    n: number,
    at: number,
  ): void {
    const a = this.arena;
    a.ensure(n);
    this.off[i] = a.pos;
    this.len[i] = n;
    this.at[i] = at;
    this.keys[i] = key;
    this.created[i] = created;
    a.copy(from, start, n);
  }
}

/** Families whose templates no encode used for this many encodes are dropped. */
const TEMPLATE_IDLE_EPOCHS = 16;

class Cache implements ProtobufCache {
  readonly kind = 'telltale.protobufCache';
  gen = new Generation(0, 0);
  epoch = 0;
  /** Templates by family name. */
  readonly templates = new Map<string, Templates>();
  /** Slot count at which to check for a compaction next (doubles, so checks are amortised). */
  threshold = COMPACT_MIN_SLOTS;

  /**
   * Starts an encode: a new epoch, and when the cache has doubled since the last check and
   * most of its slots went unused in the last two encodes (series removed, label churn), a
   * compacted generation.
   */
  acquire(): [Generation, number] {
    const epoch = ++this.epoch;
    if (epoch % TEMPLATE_IDLE_EPOCHS === 0) {
      for (const [name, t] of this.templates) {
        if (t.used < epoch - TEMPLATE_IDLE_EPOCHS) this.templates.delete(name);
      }
    }
    const g = this.gen;
    if (g.slots >= this.threshold) {
      const since = epoch - 2;
      let live = 0;
      const seen = g.seen;
      for (let s = 0; s < g.slots; s++) if (seen[s]! >= since) live++;
      if (live * 2 <= g.slots) this.gen = g.compact(since);
      this.threshold = Math.max(COMPACT_MIN_SLOTS, 2 * this.gen.slots);
    }
    return [this.gen, epoch];
  }
}

/**
 * Creates a cache for {@link encodeProtobufChunks}, to pass as `cache` to every encode of one
 * server. With it, each series' label pairs are UTF-8 encoded once, on the first encode that sees
 * them, and copied as bytes afterwards; and a counter or gauge series whose label set (by its
 * text fragment) and created time are unchanged at the same position, with no exemplar, is copied
 * as a whole message with only its value patched. That made 100k counter series encode about 7×
 * faster than without a cache, on par with the text format. It costs about 140 bytes per counter
 * series (measured, heap and ArrayBuffers); entries unused by the last two encodes are dropped once
 * the cache has doubled since it last checked, a family's messages after 16 encodes without use.
 * Safe to share between concurrent encodes.
 *
 * @example
 * ```ts
 * const cache = createProtobufCache(); // once per server
 * for (const chunk of encodeProtobufChunks(await registry.gather(), { cache })) res.write(chunk);
 * ```
 */
export function createProtobufCache(): ProtobufCache {
  return new Cache();
}

/** Whether `v` is a cache made by {@link createProtobufCache}. */
export function isProtobufCache(v: unknown): v is ProtobufCache {
  return v instanceof Cache;
}

/**
 * The label pairs of one encode, family by family: {@link begin} for each family, then
 * {@link size} for every point in the sizing pass and {@link write} for every point in the
 * writing pass (a point may be written more than once, as a stateset's states are). Without a
 * cache the pairs are written straight from names and values: each name's `LabelPair` prefix is
 * encoded once per names array, each value's UTF-8 length is measured in the sizing pass; nothing
 * is allocated per series. With a cache, each point's pairs come from the cache's arena.
 */
export class Labels {
  private readonly gen: Generation | undefined;
  private readonly epoch: number;
  /** With a cache: the current family's point order in the cache. */
  private order: Order | undefined;
  /** Per point: its cache slot, or (no cache) where its value lengths start in `lens`. */
  private refs = new Int32Array(1024);
  /** No cache: each point's label names (the same array for points whose names match). */
  private readonly pointNames: (readonly string[])[] = [];
  /** No cache: the names `frags` was built for. */
  private names: readonly string[] | undefined;
  /** No cache: per name, `0x0a <len> <name> 0x12`, its LabelPair up to the value's length. */
  private frags: Uint8Array[] = [];
  /** No cache: UTF-8 lengths of label values, in the order the sizing pass met them. */
  private lens = new Int32Array(1024);
  private used = 0;

  /** The cache, when there is one. */
  private readonly cache: Cache | undefined;

  constructor(cache: ProtobufCache | undefined) {
    if (cache instanceof Cache) {
      this.cache = cache;
      [this.gen, this.epoch] = cache.acquire();
    } else {
      this.cache = undefined;
      this.gen = undefined;
      this.epoch = 0;
    }
  }

  /** The key that identifies point `i`'s label set `set` in the cache. */
  key(set: LabelSet): LabelKey {
    return keyOf(this.shape, set);
  }

  /** With a cache: family `name`'s templates of `kind`, if an earlier encode published them. */
  templates(name: string, kind: number): Templates | undefined {
    const t = this.cache?.templates.get(name);
    if (t === undefined || t.kind !== kind) return undefined;
    t.used = this.epoch;
    return t;
  }

  /** With a cache: a builder for a family of `n` points taking about `bytes`; else undefined. */
  builder(n: number, bytes: number): TemplateBuilder | undefined {
    return this.cache === undefined ? undefined : new TemplateBuilder(n, bytes);
  }

  /** Publishes what `b` collected as family `name`'s templates of `kind`. */
  publish(name: string, kind: number, b: TemplateBuilder, n: number): void {
    this.cache?.templates.set(name, {
      kind,
      n,
      keys: b.keys,
      created: b.created,
      off: b.off,
      len: b.len,
      at: b.at,
      arena: b.arena,
      used: this.epoch,
    });
  }

  /** The current family's label shape (see `LABEL_SHAPE`), set by {@link begin}. */
  private shape: LabelShape | undefined;

  /** Starts family `name` of `n` points, whose label shape is `shape` (if any). */
  begin(name: string, n: number, shape: LabelShape | undefined): void {
    this.shape = shape;
    if (this.refs.length < n) this.refs = new Int32Array(Math.max(n, this.refs.length * 2));
    this.used = 0;
    this.pointNames.length = 0;
    const gen = this.gen;
    if (gen === undefined) {
      this.order = undefined;
      return;
    }
    let order = gen.order.get(name);
    if (order === undefined) {
      order = { keys: [], slots: new Int32Array(Math.max(n, 16)) };
      gen.order.set(name, order);
    } else if (order.slots.length < n) {
      const slots = new Int32Array(Math.max(n, order.slots.length * 2));
      slots.set(order.slots);
      order.slots = slots;
    }
    if (order.keys.length > n) order.keys.length = n;
    this.order = order;
  }

  /** The size of point `i`'s `label` fields (its label set is `set`). */
  size(set: LabelSet, i: number): number {
    const gen = this.gen;
    if (gen !== undefined) {
      const order = this.order!;
      const key = keyOf(this.shape, set);
      let s: number;
      if (order.keys[i] === key) {
        s = order.slots[i]!;
        gen.seen[s] = this.epoch;
      } else {
        s = gen.slot(key, set, this.epoch);
        order.keys[i] = key;
        order.slots[i] = s;
      }
      this.refs[i] = s;
      return gen.len[s]!;
    }
    const names = this.namesOf(set);
    this.pointNames[i] = names;
    const frags = this.nameFrags(names);
    const k = names.length;
    let used = this.used;
    this.refs[i] = used;
    if (used + k > this.lens.length) {
      const next = new Int32Array(Math.max(this.lens.length * 2, used + k));
      next.set(this.lens.subarray(0, used));
      this.lens = next;
    }
    const lens = this.lens;
    let size = 0;
    for (let j = 0; j < k; j++) {
      const vl = utf8Length(set[names[j]!] ?? '');
      lens[used++] = vl;
      size += field(frags[j]!.length + varintSize(vl) + vl);
    }
    this.used = used;
    return size;
  }

  /** Writes point `i`'s `label` fields, as sized by {@link size}. */
  write(w: Writer, set: LabelSet, i: number): void {
    const gen = this.gen;
    if (gen !== undefined) {
      const s = this.refs[i]!;
      w.copy(gen.arena, gen.off[s]!, gen.len[s]!);
      return;
    }
    const names = this.pointNames[i]!;
    const frags = this.nameFrags(names);
    const lens = this.lens;
    let li = this.refs[i]!;
    for (let j = 0; j < names.length; j++) {
      const f = frags[j]!;
      const vl = lens[li++]!;
      w.byte(METRIC_LABEL);
      w.varint(f.length + varintSize(vl) + vl);
      w.bytes(f);
      w.varint(vl);
      w.utf8(set[names[j]!] ?? '', vl);
    }
  }

  /**
   * The label names of `set` in its key order: the last names seen when they match (checked
   * without allocating, so the points of one family share one array), else a new `Object.keys`.
   */
  private namesOf(set: LabelSet): readonly string[] {
    if (this.shape !== undefined) return this.shape.names;
    const last = this.names;
    if (last !== undefined) {
      let j = 0;
      let same = true;
      for (const k in set) {
        if (j >= last.length || last[j] !== k) {
          same = false;
          break;
        }
        j++;
      }
      if (same && j === last.length) return last;
    }
    return Object.keys(set);
  }

  /**
   * The LabelPair prefixes for `names`, memoised on the last names seen: a metric's series share
   * one names array, and when they do not (a hand-built family), equal names still hit.
   */
  private nameFrags(names: readonly string[]): Uint8Array[] {
    const last = this.names;
    if (names === last) return this.frags;
    if (last !== undefined && last.length === names.length) {
      let same = true;
      for (let k = 0; k < names.length; k++) {
        if (names[k] !== last[k]) {
          same = false;
          break;
        }
      }
      if (same) return this.frags;
    }
    const frags: Uint8Array[] = new Array(names.length);
    for (let k = 0; k < names.length; k++) {
      const name = names[k]!;
      const nl = utf8Length(name);
      const w = new Writer(field(nl) + 1);
      w.stringField(PAIR_NAME, name, nl);
      w.byte(PAIR_VALUE);
      frags[k] = w.buf;
    }
    this.names = names;
    this.frags = frags;
    return frags;
  }
}
