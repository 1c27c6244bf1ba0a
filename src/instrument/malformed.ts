// Malformed percent-encoding in a request path: the check every adapter makes before the app runs, and the 400 it answers.

/** The status of a request whose path is not valid percent-encoding (RFC 9110 "Bad Request"). */
export const MALFORMED_PATH_STATUS = 400;

/** The body of that answer (plain text). */
export const MALFORMED_PATH_BODY = 'Bad Request';

/**
 * Whether a request path (without the query string) is malformed percent-encoding: a `%` not
 * followed by two hex digits (`/a/%ZZ`, `/a/%`), or escapes that do not decode to UTF-8
 * (`/a/%FF`). Exactly what `decodeURIComponent` rejects, and what Express (for parameters) and
 * Fastify (for the whole path) answer 400 to. A path without `%` costs one `indexOf`.
 *
 * @example
 * ```ts
 * isMalformedPath('/hello/%ZZ'); // true
 * isMalformedPath('/hello/caf%C3%A9'); // false
 * ```
 */
export function isMalformedPath(path: string): boolean {
  return path.indexOf('%') !== -1 && !decodes(path);
}

function decodes(path: string): boolean {
  try {
    decodeURIComponent(path);
    return true;
  } catch {
    return false;
  }
}
