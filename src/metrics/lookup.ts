// Labels-object lookups without code generation: a dedicated function literal per label-name tuple, a generic walk otherwise.

import { countKeys, type Find, LOOKUP_COPIES, type Node, type Slow } from './lookup-copies.js';

/**
 * Hands out the lookup copies of one registry (`src/metrics/lookup-copies.ts`): each distinct
 * tuple of label names (1 to 6 labels) gets a copy of its own, the same copy every time it comes
 * back (metrics with the same label names share one, which stays monomorphic). Once the copies of
 * a label count are all taken, further tuples get the generic lookup, never a taken copy (sharing
 * a copy between different names would slow down the metrics already using it). @internal
 */
export class LookupPool {
  private readonly _byNames = new Map<string, number>();
  private readonly _used: number[] = [];

  /** The copy index for these label names, or -1 when none is left (or there is none for the count). */
  assign(names: readonly string[]): number {
    const copies = LOOKUP_COPIES[names.length];
    if (copies === undefined || copies.length === 0) return -1;
    // Label names are identifiers, so a comma cannot occur inside one: the key is injective.
    const key = names.join(',');
    const known = this._byNames.get(key);
    if (known !== undefined) return known;
    const used = this._used[names.length] ?? 0;
    if (used >= copies.length) return -1;
    this._used[names.length] = used + 1;
    this._byNames.set(key, used);
    return used;
  }
}

/**
 * Builds a metric's labels-object lookup: a dedicated copy from `pool` when one is free, else
 * {@link genericFind}. Both read only a value that is a string (or a number, converted with
 * `String`) and leave everything else to `slow`, which validates and creates. A labels object
 * with an extra key reaches `slow` (which rejects it) on every first use of a label set and on
 * any miss; with `strict`, on every call.
 */
export function makeFind(
  names: readonly string[],
  root: Node,
  slow: Slow,
  strict: boolean,
  pool: LookupPool,
): Find {
  const copy = pool.assign(names);
  if (copy >= 0) return LOOKUP_COPIES[names.length]![copy]!(names, root, slow, strict);
  return genericFind(names, root, slow, strict);
}

/**
 * The lookup for any number of labels. A `for…in` walk reads the labels in the object's own
 * order; while that order is the declared one it needs no keyed load by name (V8 reads each value
 * through the enumeration cache, whatever the object's shape and however many metrics share this
 * code). An object in another order, with fewer or more keys, takes the keyed loop by name, which
 * ignores extra keys outside strict mode, as the copies do. @internal
 */
export function genericFind(
  names: readonly string[],
  root: Node,
  slow: Slow,
  strict: boolean,
): Find {
  const len = names.length;
  const byName = (r: Record<string, unknown>): number => {
    let n: unknown = root;
    for (let i = 0; i < len; i++) {
      let v = r[names[i]!];
      if (typeof v !== 'string') {
        if (typeof v !== 'number') return slow(r);
        v = String(v);
      }
      n = (n as Node).get(v as string);
      if (n === undefined) return slow(r);
    }
    if (strict && countKeys(r) !== len) return slow(r);
    return n as number;
  };
  return (rec) => {
    if (typeof rec !== 'object' || rec === null) return slow(rec);
    const r = rec as Record<string, unknown>;
    let n: unknown = root;
    let i = 0;
    for (const k in r) {
      if (i === len || k !== names[i]) return byName(r);
      let v = r[k];
      if (typeof v !== 'string') {
        if (typeof v !== 'number') return slow(r);
        v = String(v);
      }
      n = (n as Node).get(v as string);
      if (n === undefined) return slow(r);
      i++;
    }
    if (i !== len) return byName(r);
    return n as number;
  };
}
