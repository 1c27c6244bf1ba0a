// Option validation shared by the metrics handler, server and configuration readers: coded errors, once, at construction.
import { fail } from '../internal/errors.js';

/**
 * Validates an optional number option: finite, at least `min`, at most `max`, an integer when
 * asked. Returns the default when the value is `undefined`.
 *
 * @throws {TelltaleError} `TT_INVALID_OPTION` naming the option, the value and the accepted range.
 */
export function numberOption(
  name: string,
  value: unknown,
  fallback: number,
  rule: { readonly min: number; readonly max?: number; readonly integer?: boolean },
): number {
  if (value === undefined) return fallback;
  const max = rule.max ?? Number.MAX_SAFE_INTEGER;
  const ok =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    value >= rule.min &&
    value <= max &&
    (rule.integer !== true || Number.isInteger(value));
  if (!ok) {
    const kind = rule.integer === true ? 'an integer' : 'a number';
    const range = rule.max === undefined ? `>= ${rule.min}` : `from ${rule.min} to ${rule.max}`;
    fail(
      'TT_INVALID_OPTION',
      `${name} must be ${kind} ${range}, got ${describeValue(value)}; omit it for the default of ${fallback}`,
    );
  }
  return value;
}

/**
 * Validates the metrics path: a string starting with `/`, without `?`, `#` or whitespace
 * (Prometheus's `metrics_path` must not contain `?` either).
 *
 * @throws {TelltaleError} `TT_INVALID_OPTION`.
 */
export function pathOption(name: string, value: unknown, fallback: string): string {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !value.startsWith('/') || /[?#\s]/.test(value)) {
    fail(
      'TT_INVALID_OPTION',
      `${name} must be a path starting with "/" and without "?", "#" or spaces, got ${describeValue(value)}; for example "/metrics"`,
    );
  }
  return value;
}

/** Validates an optional non-empty string option. @throws {TelltaleError} `TT_INVALID_OPTION`. */
export function stringOption(name: string, value: unknown, fallback: string): string {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || value.trim() === '') {
    fail('TT_INVALID_OPTION', `${name} must be a non-empty string, got ${describeValue(value)}`);
  }
  return value;
}

/** Validates an optional boolean option. @throws {TelltaleError} `TT_INVALID_OPTION`. */
export function booleanOption(name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') {
    fail('TT_INVALID_OPTION', `${name} must be true or false, got ${describeValue(value)}`);
  }
  return value;
}

/** A short, safe rendering of a bad option value for an error message. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string')
    return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
  if (
    typeof value === 'number' ||
    typeof value === 'boolean' ||
    value === null ||
    value === undefined
  ) {
    return String(value);
  }
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}
