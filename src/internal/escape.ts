// Escaping shared by the metrics core (preformatted label fragments) and the encoders.

const NEEDS_LABEL_ESCAPE = /[\\"\n]/;

/**
 * Escapes a label value for both the Prometheus text format 0.0.4 and OpenMetrics 1.0:
 * `\` → `\\`, `"` → `\"`, line feed → `\n`. Other characters (including CR and non-ASCII) are
 * written as they are; both formats accept any UTF-8 inside quotes.
 */
export function escapeLabelValue(value: string): string {
  if (!NEEDS_LABEL_ESCAPE.test(value)) return value;
  return escapeSlow(value);
}

/** Whether {@link escapeLabelValue} changes `value` (it holds a `\\`, `"` or line feed). */
export function needsEscape(value: string): boolean {
  return NEEDS_LABEL_ESCAPE.test(value);
}

function escapeSlow(value: string): string {
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 92) out += '\\\\';
    else if (c === 34) out += '\\"';
    else if (c === 10) out += '\\n';
    else out += value[i];
  }
  return out;
}

/**
 * Escapes HELP text for the Prometheus text format 0.0.4, which knows only `\\` and `\n` in
 * HELP (a `\"` there is a parse error for expfmt).
 */
export function escapeHelpText(help: string): string {
  return help.replace(/[\\\n]/g, (c) => (c === '\\' ? '\\\\' : '\\n'));
}

/** Escapes HELP text for OpenMetrics 1.0, where HELP is an escaped string like a label value. */
export function escapeHelpOpenMetrics(help: string): string {
  return escapeLabelValue(help);
}

/**
 * Builds the label fragment `a="x",b="y"` (no braces) of a label record, in its key order.
 * Names are assumed valid; values are escaped.
 */
export function labelSetFragment(set: Readonly<Record<string, string>>): string {
  let out = '';
  for (const k in set) {
    if (out !== '') out += ',';
    out += `${k}="${escapeLabelValue(set[k] ?? '')}"`;
  }
  return out;
}
