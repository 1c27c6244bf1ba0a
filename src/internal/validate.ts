// Option checks more than one module shares: each failure is a TT_INVALID_OPTION naming the option.
import { fail } from './errors.js';

/** Returns `v` when it is a finite number ≥ `min` (default 0), else throws `TT_INVALID_OPTION` naming `what`. */
export function finiteAtLeast(what: string, v: unknown, min = 0): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min) {
    fail('TT_INVALID_OPTION', `${what} must be a finite number ≥ ${min}, got ${String(v)}`);
  }
  return v;
}
