// W3C Trace Context: parse and format the traceparent header, and pass tracestate on.

/** A parsed `traceparent` header. */
export interface Traceparent {
  /** The version byte as 2 lowercase hex characters (`00` today). */
  readonly version: string;
  /** 32 lowercase hex characters, not all zeros. */
  readonly traceId: string;
  /** The caller's span id: 16 lowercase hex characters, not all zeros. */
  readonly parentId: string;
  /** The trace flags byte (0–255). Bit 0 is `sampled`. */
  readonly flags: number;
  /** Bit 0 of `flags`. */
  readonly sampled: boolean;
}

const ZERO_TRACE_ID = '00000000000000000000000000000000';
const ZERO_SPAN_ID = '0000000000000000';

/** Whether `s[from, to)` is lowercase hex only (the spec allows no uppercase). */
function isLowerHex(s: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}

/**
 * Parses a W3C `traceparent` header (Trace Context Level 1, §3.2). Returns `undefined` for
 * anything invalid, so the caller starts a new trace; never throws, whatever the input.
 *
 * Rules: `version-traceid-parentid-flags`, all lowercase hex. Version `ff` is invalid. Version
 * `00` must be exactly 55 characters (no extra fields). A higher version is parsed leniently as
 * the spec asks: at least 55 characters, the first four fields as for `00`, and anything after
 * them must start with `-`. The trace id must not be all zeros, nor the parent id. An array
 * (repeated header) is invalid.
 *
 * @example
 * ```ts
 * parseTraceparent('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01');
 * // { version: '00', traceId: '4bf9…4736', parentId: '00f0…02b7', flags: 1, sampled: true }
 * parseTraceparent('00-00000000000000000000000000000000-00f067aa0ba902b7-01'); // undefined
 * ```
 */
export function parseTraceparent(header: unknown): Traceparent | undefined {
  if (typeof header !== 'string') return undefined;
  const len = header.length;
  if (len < 55) return undefined;
  if (
    header.charCodeAt(2) !== 45 ||
    header.charCodeAt(35) !== 45 ||
    header.charCodeAt(52) !== 45 ||
    !isLowerHex(header, 0, 2)
  ) {
    return undefined;
  }
  const version = header.slice(0, 2);
  if (version === 'ff') return undefined;
  if (version === '00' ? len !== 55 : len > 55 && header.charCodeAt(55) !== 45) return undefined;
  if (!isLowerHex(header, 3, 35) || !isLowerHex(header, 36, 52) || !isLowerHex(header, 53, 55)) {
    return undefined;
  }
  const traceId = header.slice(3, 35);
  const parentId = header.slice(36, 52);
  if (traceId === ZERO_TRACE_ID || parentId === ZERO_SPAN_ID) return undefined;
  const flags = Number.parseInt(header.slice(53, 55), 16);
  return { version, traceId, parentId, flags, sampled: (flags & 1) === 1 };
}

/** What {@link formatTraceparent} needs: a trace id, a span id and the sampled flag. */
export interface TraceparentSource {
  readonly traceId: string;
  readonly spanId: string;
  readonly sampled: boolean;
}

/**
 * Formats the `traceparent` header for an outgoing call made inside `ctx`: version `00`, the
 * context's trace id, its span id as the parent id, and flags `01` (sampled) or `00`.
 *
 * @example
 * ```ts
 * formatTraceparent(currentContext()!); // '00-<trace id>-<span id>-01'
 * ```
 */
export function formatTraceparent(ctx: TraceparentSource): string {
  return `00-${ctx.traceId}-${ctx.spanId}-${ctx.sampled ? '01' : '00'}`;
}

/** The longest `tracestate` telltale passes on (32 list members of up to 256 characters are allowed, but vendors SHOULD propagate at least 512). */
export const MAX_TRACESTATE_LENGTH = 512;

/**
 * The `tracestate` header to pass on, or `undefined` to drop it. A header that is "valid-ish" is
 * kept unchanged: printable ASCII only (no CR/LF or other controls), at most
 * {@link MAX_TRACESTATE_LENGTH} characters, and every non-empty comma-separated member has a
 * `=`. Repeated headers (an array) are joined with `,`, as the spec allows. Never throws.
 *
 * @example
 * ```ts
 * normalizeTracestate('congo=t61rcWkgMzE,rojo=00f067aa0ba902b7'); // unchanged
 * normalizeTracestate('bad\r\nheader'); // undefined
 * ```
 */
export function normalizeTracestate(header: unknown): string | undefined {
  let s: string;
  if (typeof header === 'string') s = header;
  else if (Array.isArray(header) && header.every((h) => typeof h === 'string'))
    s = header.join(',');
  else return undefined;
  if (s.length === 0 || s.length > MAX_TRACESTATE_LENGTH) return undefined;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) return undefined;
  }
  let members = 0;
  for (const member of s.split(',')) {
    const m = member.trim();
    if (m === '') continue;
    if (m.indexOf('=') <= 0) return undefined;
    members++;
  }
  return members === 0 ? undefined : s;
}
