// Number formatting shared by the encoders and snapshots: how the exposition formats spell a value.

/**
 * Formats a sample value the way both formats spell it: `NaN`, `+Inf`, `-Inf`, otherwise the
 * shortest string that round-trips (`String(n)`: `0.005`, `1`, `1e+21`; `-0` becomes `0`).
 * Go's `strconv.ParseFloat` and Python's `float` read every string this produces.
 */
export function formatNumber(n: number): string {
  // Finite first: it is the common case, and a template is V8's fast number-to-string path
  // (with its small-integer cache). `n - n` is 0 for every finite number and NaN otherwise.
  if (n - n === 0) return `${n}`;
  if (Number.isNaN(n)) return 'NaN';
  return n > 0 ? '+Inf' : '-Inf';
}
