// Option checks shared by the lifecycle and the periodic task: each failure is a TT_INVALID_OPTION naming the option.
import { fail } from '../internal/errors.js';

export { finiteAtLeast } from '../internal/validate.js';

/** Returns `v` when it is a finite number > 0, else throws `TT_INVALID_OPTION`. */
export function positive(what: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
    fail('TT_INVALID_OPTION', `${what} must be a finite number > 0, got ${String(v)}`);
  }
  return v;
}

/** Returns `v` when it is a function, else throws `TT_INVALID_OPTION`. */
export function fn<F>(what: string, v: F): F {
  if (typeof v !== 'function') fail('TT_INVALID_OPTION', `${what} must be a function`);
  return v;
}

/** Returns `v` when it is a non-empty string, else throws `TT_INVALID_OPTION`. */
export function nonEmpty(what: string, v: unknown): string {
  if (typeof v !== 'string' || v.length === 0) {
    fail('TT_INVALID_OPTION', `${what} must be a non-empty string, got ${String(v)}`);
  }
  return v;
}
