// The keys a telltale logger writes itself, and the rule that renames a caller's field of the same name so that a line cannot be forged.

/**
 * The top-level keys a telltale logger writes itself on a JSON line: `level`, `time`, `pid`,
 * `hostname`, `name` and `msg`. A field with one of these names that comes from anywhere else
 * (the call's object, `.child()` bindings, `base`, the context provider, a `mixin`) is written
 * under {@link RENAMED_FIELD_PREFIX} + its name, so a parser always reads the logger's own value.
 * The set is fixed: it does not depend on the options (`base: null`, a logger without a name).
 */
export const LOGGER_FIELDS: readonly string[] = Object.freeze([
  'level',
  'time',
  'pid',
  'hostname',
  'name',
  'msg',
]);

/**
 * What is put in front of a caller's field named like one of {@link LOGGER_FIELDS}: `level`
 * becomes `fields.level` (logrus's rule for the same clash). When the object also has a
 * `fields.level` key, the prefix is added again (`fields.fields.level`) until the key is free, so
 * no value is lost.
 */
export const RENAMED_FIELD_PREFIX = 'fields.';

// Whether `key` is one of LOGGER_FIELDS. It runs for every top-level key of every enabled line,
// so it compares the length, then at most two strings.
function isLoggerField(key: string): boolean {
  switch (key.length) {
    case 3:
      return key === 'pid' || key === 'msg';
    case 4:
      return key === 'time' || key === 'name';
    case 5:
      return key === 'level';
    case 8:
      return key === 'hostname';
    default:
      return false;
  }
}

/**
 * The object pino will write, with every key of {@link LOGGER_FIELDS} renamed by
 * {@link RENAMED_FIELD_PREFIX}. Returns `obj` itself when it has none (the common case: one
 * key lookup per field, no copy), else a copy in the same key order; `obj` is never mutated.
 * Only own enumerable keys with a defined value count, as pino writes only those.
 */
export function renameLoggerFields(obj: Record<string, unknown>): Record<string, unknown> {
  for (const key in obj) {
    if (isLoggerField(key) && obj[key] !== undefined && Object.hasOwn(obj, key)) {
      return renamedCopy(obj);
    }
  }
  return obj;
}

function renamedCopy(obj: Record<string, unknown>): Record<string, unknown> {
  // An ordinary object: pino calls `bindings.hasOwnProperty`.
  const out: Record<string, unknown> = {};
  for (const key in obj) {
    if (!Object.hasOwn(obj, key)) continue;
    const value = obj[key];
    if (!isLoggerField(key)) {
      // Never overwrites a renamed field: a renamed key is one the object does not have.
      if (key === '__proto__') define(out, key, value);
      else out[key] = value;
      continue;
    }
    if (value === undefined) continue;
    let renamed = RENAMED_FIELD_PREFIX + key;
    while (Object.hasOwn(obj, renamed)) renamed = RENAMED_FIELD_PREFIX + renamed;
    out[renamed] = value;
  }
  return out;
}

// A caller key `__proto__` is a field like any other (pino writes it), not the prototype.
function define(out: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * Bindings for `.child()` / `setBindings()` with logger fields renamed; anything that is not a
 * plain object (pino rejects or ignores it) is passed through for pino to handle.
 */
export function renameBindingFields<T>(bindings: T): T {
  if (typeof bindings !== 'object' || bindings === null) return bindings;
  return renameLoggerFields(bindings as Record<string, unknown>) as T;
}
