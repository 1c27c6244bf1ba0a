// The render cache of the text encoders: each series' label text, kept between scrapes by position and checked by the identity of the series' label set.
import { fail } from '../internal/errors.js';
import { LABEL_SHAPE, type LabelSet, type MetricFamily } from '../metrics/model.js';

/**
 * A cache of each series' label text for the text and OpenMetrics encoders, made by
 * {@link createTextCache} and passed as `cache` to every encode of one server (the metrics
 * handler keeps one). It holds one string per series it has rendered, so an encode writes a
 * series' line from its cached label text and its value instead of building the text again.
 * Opaque.
 *
 * It is a cache, never an identity: an entry is used only when the point's label set is the very
 * object it was made from (the registry hands out each series' own frozen record in every
 * gather), so a removed series, a new one in its place or a hand-built family can only miss.
 * Families not met in the last {@link TEXT_CACHE_KEEP_ENCODES} encodes that ran to the end are
 * dropped, and a family's entries never outnumber its points, so it holds at most one entry per
 * live series and label text shape.
 */
export interface TextCache {
  /** Identifies the object as a text cache; its entries are not reachable. */
  readonly kind: 'telltale.textCache';
}

/** How many finished encodes a family may be absent from before its entries are dropped. */
export const TEXT_CACHE_KEEP_ENCODES = 4;

/** One family's entries for one text shape, by point position. */
interface Entries {
  sets: (LabelSet | undefined)[];
  texts: string[];
  /** The last encode that used them. */
  seen: number;
}

class Cache implements TextCache {
  readonly kind = 'telltale.textCache' as const;
  /** By family type, name and the text around the labels (see `entriesFor`). */
  readonly families = new Map<string, Entries>();
  /** Encodes started. */
  epoch = 0;
}

/**
 * Creates a {@link TextCache}: keep one per server (or per scrape loop) and pass it to every
 * text or OpenMetrics encode, `encodeTextChunks(families, { cache })`. It makes repeated
 * encodes of the same registry faster at the cost of one string per series (about 16 bytes plus
 * the label text's length; docs/benchmarks.md measures both).
 *
 * @example
 * ```ts
 * const cache = createTextCache();
 * // per scrape:
 * for (const chunk of encodeTextChunks(await registry.gather(), { cache })) res.write(chunk);
 * ```
 */
export function createTextCache(): TextCache {
  return new Cache();
}

/** Whether `v` is a cache made by {@link createTextCache}. @internal */
export function isTextCache(v: unknown): v is TextCache {
  return v instanceof Cache;
}

/**
 * Validates a `cache` option once per encode: `undefined` or a {@link TextCache}.
 * @internal
 */
export function resolveTextCache(cache: unknown): Cache | undefined {
  if (cache === undefined || cache instanceof Cache) return cache;
  return fail(
    'TT_INVALID_OPTION',
    'cache must come from createTextCache(); omit it to encode without one',
  );
}

/**
 * One encode's use of a cache: call {@link entriesFor} per family, then {@link finish} when the
 * encode ran to the end. @internal
 */
export class CacheUse {
  readonly #cache: Cache;
  readonly #epoch: number;

  constructor(cache: Cache) {
    this.#cache = cache;
    this.#epoch = ++cache.epoch;
  }

  /**
   * The entries of `family` for label text wrapped in `open` … `close`, or `undefined` when the
   * family's label sets are not the registry's records (a hand-built, cloned or filtered family:
   * its label sets are new objects in every gather, so nothing would ever hit).
   */
  entriesFor(family: MetricFamily, open: string, close: string): Entries | undefined {
    if (family[LABEL_SHAPE] === undefined) return undefined;
    const key = `${family.type}\u0000${family.name}\u0000${open}\u0000${close}`;
    const families = this.#cache.families;
    let e = families.get(key);
    if (e === undefined) {
      e = { sets: [], texts: [], seen: this.#epoch };
      families.set(key, e);
    }
    e.seen = this.#epoch;
    // Never more entries than points (a family that shrank); the ones cut off can only miss.
    const n = family.points.length;
    if (e.sets.length > n) {
      e.sets.length = n;
      e.texts.length = n;
    }
    return e;
  }

  /** Drops the families not met in the last few finished encodes. */
  finish(): void {
    const oldest = this.#epoch - TEXT_CACHE_KEEP_ENCODES;
    for (const [key, e] of this.#cache.families)
      if (e.seen <= oldest) this.#cache.families.delete(key);
  }
}

/**
 * Wraps a label text builder with a family's cache entries: the text of point `i` is taken from
 * the entry when the entry was made from this very label set, otherwise built, flattened (so the
 * cache holds one sequential string, not a rope) and stored.
 * @internal
 */
export function cachedWriter(
  build: (set: LabelSet) => string,
  entries: Entries | undefined,
): (set: LabelSet, i: number) => string {
  if (entries === undefined) return build;
  const { sets, texts } = entries;
  return (set, i) => {
    if (sets[i] === set) return texts[i]!;
    const t = build(set);
    t.charCodeAt(0);
    sets[i] = set;
    texts[i] = t;
    return t;
  };
}
