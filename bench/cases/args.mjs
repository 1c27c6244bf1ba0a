// Parses `--key=value` arguments and prints the result line the orchestrator reads.

export function parseArgs(argv = process.argv.slice(2)) {
  const out = {};
  for (const a of argv) {
    const m = /^--([^=]+)=(.*)$/.exec(a);
    if (m) out[m[1]] = m[2];
  }
  return out;
}

/** The one line of stdout that bench/run.mjs parses. */
export function report(result) {
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
}

/** The arithmetic mean. */
export const mean = (xs) => xs.reduce((a, x) => a + x, 0) / xs.length;

/** The half-width of the mean's 95% confidence interval: 1.96 × sample standard deviation / √n. */
export const ci95 = (xs) => {
  const m = mean(xs);
  return 1.96 * Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1) / xs.length);
};

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
