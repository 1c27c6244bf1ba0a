// Shared plumbing for the runtime collectors: options checks, owned families, one reading per gather.

import { fail } from '../internal/errors.js';
import type { Registry } from '../metrics/index.js';
import { defaultRegistry } from '../metrics/registry.js';

/** Options every runtime collector takes. */
export interface CollectorOptions {
  /**
   * The registry the collector registers its families on. Default: `defaultRegistry()`, as for
   * every factory that records metrics ([telemetry.md](../../docs/telemetry.md)).
   */
  readonly registry?: Registry | undefined;
  /**
   * Prepended to every metric name this collector registers (after the registry's own prefix is
   * applied by the registry), such as `'myapp_'`. Default `''`.
   */
  readonly prefix?: string;
}

/** The keys of {@link CollectorOptions}, which every collector takes. */
export const COLLECTOR_OPTIONS = ['registry', 'prefix'] as const;

/** A running collector. */
export interface RuntimeCollector {
  /**
   * Stops the collector: disconnects its observers, disables its native histogram, and unregisters
   * the families it registered (so they leave the next gather). Idempotent; never throws.
   */
  stop(): void;
}

const PREFIX_RE = /^(?:[a-zA-Z_][a-zA-Z0-9_]*)?$/;

/** @internal What {@link checkOptions} resolved: the registry and the name prefix. */
export interface ResolvedCollector {
  readonly registry: Registry;
  readonly prefix: string;
}

/**
 * @internal Validates a collector's options argument once: an object (or omitted), its registry
 * (default `defaultRegistry()`) and its prefix.
 */
export function checkOptions(where: string, options: unknown): ResolvedCollector {
  if (options === undefined) return { registry: defaultRegistry(), prefix: '' };
  if (typeof options !== 'object' || options === null) {
    fail(
      'TT_INVALID_OPTION',
      `${where}: options must be an object, such as { registry: createRegistry() }`,
    );
  }
  if (typeof (options as { gather?: unknown }).gather === 'function') {
    // The positional form of before issue 12 (`startX(registry)`): without this check a registry
    // passed as the options would be read as empty options and record into defaultRegistry().
    fail(
      'TT_INVALID_OPTION',
      `${where}: takes an options object; pass the registry as ${where}({ registry })`,
    );
  }
  const given = (options as CollectorOptions).registry;
  const registry = given === undefined ? defaultRegistry() : checkRegistry(where, given);
  const prefix = (options as CollectorOptions).prefix ?? '';
  if (typeof prefix !== 'string' || !PREFIX_RE.test(prefix)) {
    fail(
      'TT_INVALID_OPTION',
      `${where}: prefix ${JSON.stringify(prefix)} must be a metric-name start such as "myapp_" (letters, digits, "_")`,
    );
  }
  return { registry, prefix };
}

/** @internal Checks that `value` is undefined or a function. */
export function checkFunction(where: string, name: string, value: unknown): void {
  if (value !== undefined && typeof value !== 'function') {
    fail('TT_INVALID_OPTION', `${where}: ${name} must be a function`);
  }
}

/** @internal Checks that `registry` looks like a telltale registry. */
export function checkRegistry(where: string, registry: unknown): Registry {
  const r = registry as Partial<Registry> | null;
  if (
    typeof r !== 'object' ||
    r === null ||
    typeof r.gauge !== 'function' ||
    typeof r.unregister !== 'function' ||
    typeof r.get !== 'function'
  ) {
    fail(
      'TT_INVALID_OPTION',
      `${where}: registry must be a telltale registry (createRegistry()), or omitted for defaultRegistry()`,
    );
  }
  return r as Registry;
}

/**
 * @internal The families one collector owns. Registration is checked up front so a collector
 * never adopts a family someone else registered (the registry returns an identical existing spec
 * without its collect callback, which would silently freeze it), and `stop()` unregisters only
 * the instruments this collector created.
 */
export class OwnedFamilies {
  private readonly _owned: { readonly name: string }[] = [];
  readonly registry: Registry;
  readonly prefix: string;
  private readonly _where: string;

  constructor(registry: Registry, prefix: string, where: string) {
    this.registry = registry;
    this.prefix = prefix;
    this._where = where;
  }

  /** The full declared name (prefix + name). */
  name(name: string): string {
    return this.prefix + name;
  }

  /**
   * Throws `TT_CONFLICTING_REGISTRATION` if any of these declared names is already registered.
   * Called before anything is registered, so a refused start leaves the registry untouched.
   */
  preflight(names: readonly string[]): void {
    for (const n of names) {
      const full = this.prefix + n;
      if (this.registry.get(full) !== undefined) {
        fail(
          'TT_CONFLICTING_REGISTRATION',
          `${this._where}: metric "${full}" is already registered on this registry (is another runtime collector running on it?); stop that collector first, or pass another prefix`,
        );
      }
    }
  }

  /** Records an instrument this collector created, and returns it. */
  own<T extends { readonly name: string }>(instrument: T): T {
    this._owned.push(instrument);
    return instrument;
  }

  /** Unregisters every owned instrument that is still the registered one. Idempotent. */
  unregisterAll(): void {
    for (const m of this._owned) {
      if ((this.registry.get(m.name) as unknown) === m) this.registry.unregister(m.name);
    }
    this._owned.length = 0;
  }
}

/**
 * @internal One reading shared by several families within one gather.
 *
 * A gather runs every collect callback synchronously, one after another, so the first family of a
 * collector to be collected takes the reading and the others reuse it: the families of one gather
 * agree (`process_cpu_seconds_total` is exactly user + system; every event-loop percentile comes
 * from the same histogram before the one reset). A family asking a second time means a new gather
 * started in the same tick, so it gets a fresh reading; a microtask drops the reading at the end
 * of the tick, so a later gather never sees an old one, even if it gathers only some families.
 *
 * @param read takes the reading (and may reset state, as the event-loop histogram does).
 * @returns `get(slot)`, where `slot` is a distinct small integer per family (0–30).
 */
export function sharedReading<T>(read: () => T): (slot: number) => T {
  let current: T | undefined;
  let consumed = 0;
  let clearQueued = false;
  const clear = (): void => {
    current = undefined;
    consumed = 0;
    clearQueued = false;
  };
  return (slot: number): T => {
    const bit = 1 << slot;
    if (current === undefined || (consumed & bit) !== 0) {
      current = read();
      consumed = 0;
      if (!clearQueued) {
        clearQueued = true;
        queueMicrotask(clear);
      }
    }
    consumed |= bit;
    return current;
  };
}

/** @internal Sets a counter (label-less) to `target` by adding the difference; never decreases it. */
export function advanceCounter(
  counter: { inc(value?: number): void; get(): number | undefined },
  target: number,
): void {
  const delta = target - (counter.get() ?? 0);
  if (delta > 0) counter.inc(delta);
}
