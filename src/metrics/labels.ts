// Label values: normalisation (well-formed UTF-16, length bound, PII guard) and the injective label key.

import { fail, warnOnce } from '../internal/errors.js';
import '../internal/well-formed.js';

/** A label value as callers may pass it. Numbers are converted with `String(n)`. */
export type LabelValue = string | number;

/** Label values keyed by declared label name. */
export type Labels<L extends string> = { readonly [K in L]: LabelValue };

/** What happens to a label value longer than the limit. */
export type LongLabelValuePolicy = 'truncate' | 'throw';

/** The kinds of personal data the PII guard recognises. */
export type PiiKind = 'uuid' | 'email' | 'ip';

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;
const EMAIL = /[^\s@]+@[^\s@]+\.[a-z]{2,}/i;
const IPV4 =
  /(?:^|[^0-9.])(?:25[0-5]|2[0-4]\d|1?\d?\d)(?:\.(?:25[0-5]|2[0-4]\d|1?\d?\d)){3}(?:$|[^0-9.])/;
/** Maximal runs of hex digits, colons and dots that contain a colon: IPv6 candidates. */
const IPV6_RUN = /[0-9a-f:.]*:[0-9a-f:.]*/gi;
const HEX_GROUP = /^[0-9a-f]{1,4}$/i;
const IPV4_EXACT = /^(?:25[0-5]|2[0-4]\d|1?\d?\d)(?:\.(?:25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;

/**
 * Whether a run is an IPv6 address: eight groups, or `::` with two to seven groups, the last
 * optionally an IPv4 address (two groups). A single regex either missed compressed forms such
 * as `2001:db8::1` or took times (`12:30:45`) for addresses. One-group forms (`::1`, `d::` in
 * `std::vector`) are not treated as personal data.
 */
function isIpv6(run: string): boolean {
  const t = run.replace(/^\.+|\.+$/g, ''); // a sentence's full stop is not part of it
  const halves = t.split('::');
  if (halves.length > 2) return false;
  const parts: string[] = [];
  for (const h of halves) if (h !== '') parts.push(...h.split(':'));
  let groups = 0;
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i]!;
    if (HEX_GROUP.test(p)) groups++;
    else if (i === parts.length - 1 && IPV4_EXACT.test(p)) groups += 2;
    else return false;
  }
  return halves.length === 2 ? groups >= 2 && groups <= 7 : groups === 8;
}

function hasIpv6(value: string): boolean {
  for (const m of value.matchAll(IPV6_RUN)) if (isIpv6(m[0])) return true;
  return false;
}

/** Returns the kind of personal data `value` looks like, or `undefined`. */
export function detectPii(value: string): PiiKind | undefined {
  if (UUID.test(value)) return 'uuid';
  if (EMAIL.test(value)) return 'email';
  if (IPV4.test(value) || (value.includes(':') && hasIpv6(value))) return 'ip';
  return undefined;
}

/** How far past the length limit the PII guard looks, in UTF-16 units. */
const PII_WINDOW_PAST_LIMIT = 256;

/** The value a PII-guarded label takes instead of the rejected one. */
export const REDACTED_LABEL_VALUE = '[redacted]';

/** The value every label of the overflow series takes. */
export const OVERFLOW_LABEL_VALUE = '__overflow__';

/** Per-metric settings for label-value normalisation. */
export interface LabelPolicy {
  readonly metric: string;
  readonly maxLength: number;
  readonly onLong: LongLabelValuePolicy;
  readonly piiGuard: boolean;
  /** Called when a value was truncated. */
  readonly onTruncate: () => void;
  /** Called when the PII guard replaced a value. */
  readonly onPii: (kind: PiiKind) => void;
}

/**
 * Turns a caller's label value into the stored one: numbers to strings, lone surrogates to
 * U+FFFD (so the UTF-8 exposition stays valid and two different inputs never render the same
 * text as two series), values over `maxLength` UTF-16 units truncated (never splitting a
 * surrogate pair) or rejected, and PII replaced by `[redacted]` when the guard is on (checked
 * on the value before truncation, so PII cut in two is still found).
 * @throws TelltaleError `TT_INVALID_LABEL_VALUE`, `TT_MISSING_LABEL`, `TT_LABEL_VALUE_TOO_LONG`
 */
export function normalizeLabelValue(name: string, raw: unknown, policy: LabelPolicy): string {
  let v: string;
  if (typeof raw === 'string') v = raw;
  else if (typeof raw === 'number') v = String(raw);
  else if (raw === undefined) {
    return fail(
      'TT_MISSING_LABEL',
      `metric "${policy.metric}": label "${name}" is missing; pass a value for every declared label`,
    );
  } else {
    return fail(
      'TT_INVALID_LABEL_VALUE',
      `metric "${policy.metric}": label "${name}" has a ${raw === null ? 'null' : typeof raw} value; pass a string or a number`,
    );
  }
  if (!v.isWellFormed()) v = v.toWellFormed();
  if (v.length > policy.maxLength && policy.onLong === 'throw') {
    fail(
      'TT_LABEL_VALUE_TOO_LONG',
      `metric "${policy.metric}": label "${name}" value is ${v.length} characters, over the limit of ${policy.maxLength}; shorten it or raise maxLabelValueLength`,
    );
  }
  if (policy.piiGuard) {
    // Checked before truncation: cut in two (an email's domain, a UUID's tail), PII no longer
    // matches, and its first half would be stored. The window past the limit covers anything
    // that straddles the cut (256 > the longest domain name); what lies wholly past it is cut off.
    const window = PII_WINDOW_PAST_LIMIT + policy.maxLength;
    const kind = detectPii(v.length > window ? v.slice(0, window) : v);
    if (kind !== undefined) {
      policy.onPii(kind);
      warnOnce(
        'TT_PII_LABEL_VALUE',
        `${policy.metric}:${name}:${kind}`,
        `metric "${policy.metric}": label "${name}" got a value that looks like ${kind === 'ip' ? 'an IP address' : kind === 'email' ? 'an email address' : 'a UUID'}; it was replaced by "${REDACTED_LABEL_VALUE}" (counted in telltale_pii_rejected_total)`,
      );
      return REDACTED_LABEL_VALUE;
    }
  }
  if (v.length > policy.maxLength) {
    let cut = policy.maxLength;
    const c = v.charCodeAt(cut - 1);
    if (c >= 0xd800 && c <= 0xdbff) cut--; // keep surrogate pairs whole
    v = v.slice(0, cut);
    policy.onTruncate();
    warnOnce(
      'TT_LABEL_VALUE_TRUNCATED',
      policy.metric,
      `metric "${policy.metric}": label "${name}" got a value longer than ${policy.maxLength} characters; it was truncated (counted in telltale_label_values_truncated_total)`,
    );
  }
  return v;
}

/**
 * Encodes label values into one string key, injectively: each value is prefixed with its
 * length, so `["x|", ""]` and `["x", "|"]` (which collide in prom-client's `|`-joined keys)
 * get different keys. Used off the hot path (the hot path walks nested maps and builds no key).
 */
export function labelKey(values: readonly string[]): string {
  let out = '';
  for (const v of values) out += `${v.length}:${v}`;
  return out;
}
