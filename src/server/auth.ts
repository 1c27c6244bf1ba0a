// Optional bearer or basic authentication for the metrics endpoint, compared in constant time.
import { createHash, timingSafeEqual } from 'node:crypto';
import { fail } from '../internal/errors.js';
import { checkOptionKeys } from '../internal/option-keys.js';

/**
 * Authentication for the metrics path: a bearer token (`Authorization: Bearer <token>`) or HTTP
 * basic credentials (RFC 7617). Prometheus supports both in `scrape_configs`
 * (`authorization: {credentials: …}` / `basic_auth: {username, password}`).
 *
 * @example
 * ```ts
 * await createMetricsServer({ registry, auth: { bearer: process.env.METRICS_TOKEN! } });
 * await createMetricsServer({ registry, auth: { basic: { username: 'prometheus', password } } });
 * ```
 */
export type MetricsAuth =
  | { readonly bearer: string }
  | { readonly basic: { readonly username: string; readonly password: string } };

/** The keys of `auth.basic`. */
const BASIC_AUTH_OPTIONS = ['username', 'password'] as const;

/** A compiled check: `true` when the request's `Authorization` header is acceptable. */
export interface AuthCheck {
  /** Tests one `Authorization` header value. */
  readonly check: (authorization: string | undefined) => boolean;
  /** The `WWW-Authenticate` challenge sent with a 401. */
  readonly challenge: string;
}

// Hashing both sides first makes the comparison constant-time regardless of length: timingSafeEqual
// needs equal lengths, and comparing lengths directly would leak the secret's length.
function digest(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

function safeEqual(expected: Buffer, actual: string): boolean {
  return timingSafeEqual(expected, digest(actual));
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Validates an `auth` option and compiles it into a check. Called once, at construction; `where`
 * names the factory in an unknown-key error.
 *
 * @throws {TelltaleError} `TT_INVALID_OPTION` when the shape is wrong: not exactly one of
 *   `bearer` / `basic`, a key of `basic` other than `username` and `password`, an empty token, an empty username or one containing `:`, an empty password.
 */
export function compileAuth(where: string, auth: unknown): AuthCheck {
  if (!isRecord(auth)) {
    fail(
      'TT_INVALID_OPTION',
      'auth must be { bearer: token } or { basic: { username, password } }',
    );
  }
  const keys = Object.keys(auth);
  if (keys.length !== 1 || (keys[0] !== 'bearer' && keys[0] !== 'basic')) {
    fail(
      'TT_INVALID_OPTION',
      `auth must have exactly one key, "bearer" or "basic" (got ${JSON.stringify(keys)})`,
    );
  }
  if ('bearer' in auth) {
    const token = auth['bearer'];
    if (typeof token !== 'string' || token.length === 0) {
      fail('TT_INVALID_OPTION', 'auth.bearer must be a non-empty string token');
    }
    const expected = digest(token);
    return {
      challenge: 'Bearer realm="metrics"',
      check(header) {
        if (header === undefined) return false;
        const m = /^bearer[ \t]+(.*?)[ \t]*$/i.exec(header);
        if (m === null) return false;
        return safeEqual(expected, m[1] ?? '');
      },
    };
  }
  const basic = auth['basic'];
  if (!isRecord(basic)) {
    fail('TT_INVALID_OPTION', 'auth.basic must be { username, password }');
  }
  checkOptionKeys(
    where,
    basic as Extract<MetricsAuth, { basic: unknown }>['basic'],
    BASIC_AUTH_OPTIONS,
    'auth.basic.',
  );
  const { username, password } = basic;
  if (typeof username !== 'string' || username.length === 0 || username.includes(':')) {
    fail(
      'TT_INVALID_OPTION',
      'auth.basic.username must be a non-empty string without ":" (RFC 7617 forbids it)',
    );
  }
  if (typeof password !== 'string' || password.length === 0) {
    fail('TT_INVALID_OPTION', 'auth.basic.password must be a non-empty string');
  }
  const expectedUser = digest(username);
  const expectedPass = digest(password);
  return {
    challenge: 'Basic realm="metrics", charset="UTF-8"',
    check(header) {
      if (header === undefined) return false;
      const m = /^basic[ \t]+([A-Za-z0-9+/=]+)[ \t]*$/i.exec(header);
      if (m === null) return false;
      const decoded = Buffer.from(m[1] ?? '', 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon < 0) return false;
      // Compare both parts, always, so the time does not tell which one was wrong.
      const userOk = safeEqual(expectedUser, decoded.slice(0, colon));
      const passOk = safeEqual(expectedPass, decoded.slice(colon + 1));
      return userOk && passOk;
    },
  };
}
