// Random W3C trace and span ids, cut from one pooled block of random hex.

import { randomFillSync } from 'node:crypto';

/**
 * 2 KiB of random bytes per refill, hex-encoded once. Measured on the CI machine (Node 20, 2
 * cores, best of several runs): a 16-hex span id costs about 20 ns this way, against 64 ns for
 * `buf.toString('hex', a, b)` per id and 69 ns for a byte-to-hex lookup table.
 * Ids are slices of the pool string; V8 may keep the 4 KiB pool string alive as long as such a
 * slice lives, so long-lived copies (exemplars) are flattened with {@link detachString}.
 *
 * The pool is module-level on purpose, and shared by every telemetry (docs/architecture.md,
 * "Module-level state"): it holds CSPRNG output that is handed out once and never again, so what
 * one telemetry takes tells nothing about the ids another gets, and no setting lives in it. A
 * per-telemetry pool would cost 4 KiB each and the same ~20 ns per id.
 */
const POOL_BYTES = 2048;
const bytes = Buffer.allocUnsafe(POOL_BYTES);
let pool = '';
let pos = 0;

function take(n: number): string {
  if (pos + n > pool.length) {
    randomFillSync(bytes);
    pool = bytes.toString('hex');
    pos = 0;
  }
  const s = pool.slice(pos, pos + n);
  pos += n;
  return s;
}

const ZERO_TRACE_ID = '00000000000000000000000000000000';
const ZERO_SPAN_ID = '0000000000000000';

/**
 * A new W3C trace id: 32 lowercase hex characters from a CSPRNG, never all zeros.
 *
 * @example
 * ```ts
 * newTraceId(); // '4bf92f3577b34da6a3ce929d0e0e4736'
 * ```
 */
export function newTraceId(): string {
  let id = take(32);
  while (id === ZERO_TRACE_ID) id = take(32);
  return id;
}

/**
 * A new W3C span (parent) id: 16 lowercase hex characters from a CSPRNG, never all zeros.
 *
 * @example
 * ```ts
 * newSpanId(); // '00f067aa0ba902b7'
 * ```
 */
export function newSpanId(): string {
  let id = take(16);
  while (id === ZERO_SPAN_ID) id = take(16);
  return id;
}

/** A flat copy of `s`, so a long-lived value does not keep the id pool string alive. */
export function detachString(s: string): string {
  return Buffer.from(s, 'latin1').toString('latin1');
}
