// The options-object check public factories share: an object, not null, a primitive or an array.
import { fail } from './errors.js';

/**
 * Throws `TT_INVALID_OPTION` naming `factory` unless `options` is a plain options object: not
 * `null`, not a primitive, not an array. `example` shows a valid call in the message.
 */
export function checkOptionsObject(
  factory: string,
  options: unknown,
  example?: string,
): asserts options is object {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    const got = options === null ? 'null' : Array.isArray(options) ? 'an array' : typeof options;
    fail(
      'TT_INVALID_OPTION',
      `${factory}: options must be an object${example === undefined ? '' : `, such as ${example}`}, got ${got}`,
    );
  }
}
