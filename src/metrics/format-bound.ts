// Formats a bucket bound or quantile rank the way the exposition formats print them.

/** `+Inf`, `-Inf`, `NaN`, else JavaScript's shortest round-trip form (`0.005`, `1`, `2.5`). */
export function formatBound(n: number): string {
  if (n === Number.POSITIVE_INFINITY) return '+Inf';
  if (n === Number.NEGATIVE_INFINITY) return '-Inf';
  if (Number.isNaN(n)) return 'NaN';
  return String(n);
}
