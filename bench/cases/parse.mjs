// Checks a rendered text exposition: the series count and the totals must match what was recorded.
import { expectClose, expectEqual } from '../libs/check.mjs';

const decoder = new TextDecoder();
/** The exposition as a string, whatever the library returned (string, Buffer, Uint8Array or chunks). */
export function asText(out) {
  if (typeof out === 'string') return out;
  if (out instanceof Uint8Array) return decoder.decode(out);
  if (Array.isArray(out)) return out.map(asText).join('');
  throw new Error(`unexpected render output ${typeof out}`);
}
export const byteLength = (out) =>
  typeof out === 'string' ? Buffer.byteLength(out) : Buffer.byteLength(asText(out));

const sampleLine = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)/;

/**
 * V8 keeps the subject of the last successful regexp match (the legacy `RegExp.input`). A line
 * split from a rendered exposition is a slice of it, so that would keep megabytes alive and
 * spoil the heap measurement: match an empty string to let go.
 */
const releaseLastMatch = () => /^$/.exec('');

/** Counter exposition: `series` lines named bench_c*_total whose values sum to `total`. */
export function checkCounterText(text, series, total) {
  let lines = 0;
  let sum = 0;
  for (const line of text.split('\n')) {
    const m = sampleLine.exec(line);
    if (!m || !/^bench_c\d+_total$/.test(m[1])) continue;
    lines++;
    sum += Number(m[3]);
  }
  releaseLastMatch();
  expectEqual('rendered counter series', lines, series);
  expectEqual('rendered counter total', sum, total);
}

/** Histogram exposition: `series` _count lines summing to `count`, matching +Inf buckets and sums. */
export function checkHistogramText(text, series, count, sumTotal, bounds) {
  let counts = 0;
  let countSum = 0;
  let inf = 0;
  let buckets = 0;
  let sum = 0;
  for (const line of text.split('\n')) {
    const m = sampleLine.exec(line);
    if (!m?.[1].startsWith('bench_h')) continue;
    const v = Number(m[3]);
    if (m[1].endsWith('_count')) {
      counts++;
      countSum += v;
    } else if (m[1].endsWith('_sum')) sum += v;
    else if (m[1].endsWith('_bucket')) {
      buckets++;
      if (m[2].includes('le="+Inf"')) inf += v;
    }
  }
  releaseLastMatch();
  expectEqual('rendered histogram series', counts, series);
  expectEqual('rendered histogram count', countSum, count);
  expectEqual('rendered +Inf buckets', inf, count);
  expectEqual('rendered bucket lines', buckets, series * (bounds + 1));
  expectClose('rendered histogram sum', sum, sumTotal);
}
