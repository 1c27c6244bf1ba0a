// HTTP method folding: the nine standard methods keep their name, everything else becomes `OTHER`, so the method label is bounded.

/** The methods that keep their own label value (RFC 9110 section 9 plus PATCH, RFC 5789). */
export const STANDARD_METHODS = Object.freeze([
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'DELETE',
  'PATCH',
  'OPTIONS',
  'CONNECT',
  'TRACE',
] as const);

/** A standard method name, or `OTHER`. */
export type MethodLabel = (typeof STANDARD_METHODS)[number] | 'OTHER';

/** The label value every non-standard method (`PURGE`, `PROPFIND`, `get`, …) is folded into. */
export const OTHER_METHOD = 'OTHER';

/**
 * Folds a request method into the bounded `method` label: one of {@link STANDARD_METHODS}, or
 * `OTHER`. Case-sensitive like HTTP itself (RFC 9110 section 9.1): `get` is not `GET`.
 *
 * A `switch` on the string, which V8 compiles to a few comparisons; no allocation.
 *
 * @example
 * ```ts
 * foldMethod('GET');   // 'GET'
 * foldMethod('PURGE'); // 'OTHER'
 * ```
 */
export function foldMethod(method: string | undefined): MethodLabel {
  switch (method) {
    case 'GET':
    case 'HEAD':
    case 'POST':
    case 'PUT':
    case 'DELETE':
    case 'PATCH':
    case 'OPTIONS':
    case 'CONNECT':
    case 'TRACE':
      return method;
    default:
      return OTHER_METHOD;
  }
}
