// Builders for gathered families in tests and the timing script: plain model data, no registry.
import type {
  CounterFamily,
  Exemplar,
  HistogramFamily,
  LabelSet,
  MetricFamily,
} from '../../src/metrics/model.js';

/** A label set as plain data (its family has no label shape: encoders escape its values themselves). */
export function labels(pairs: Record<string, string> = {}): LabelSet {
  return { ...pairs };
}

/** An exemplar with a trace id. */
export function exemplar(value: number, timestamp: number, traceId = 'abc'): Exemplar {
  return { labels: { trace_id: traceId }, value, timestamp };
}

/** `families` counter families with `series` series spread over them, two labels each. */
export function manyCounters(series: number, families = 10): CounterFamily[] {
  const out: CounterFamily[] = [];
  const per = Math.ceil(series / families);
  for (let f = 0; f < families; f++) {
    const points = [];
    for (let i = 0; i < per && f * per + i < series; i++) {
      points.push({
        labels: labels({ method: i % 2 === 0 ? 'GET' : 'POST', route: `/api/v1/items/${i}` }),
        value: i * 7 + 0.5 * (i % 3),
        created: 1_700_000_000.25,
      });
    }
    out.push({
      type: 'counter',
      name: `app_requests_${f}`,
      help: 'Requests handled.',
      unit: '',
      points,
    });
  }
  return out;
}

/** Default prom-client buckets: 11 bounds, 12 lines with `+Inf`. */
export const DEFAULT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** `families` histogram families with `series` series spread over them, two labels each. */
export function manyHistograms(series: number, families = 10): HistogramFamily[] {
  const out: HistogramFamily[] = [];
  const per = Math.ceil(series / families);
  for (let f = 0; f < families; f++) {
    const points = [];
    for (let i = 0; i < per && f * per + i < series; i++) {
      const cumulative: number[] = [];
      let c = 0;
      for (let j = 0; j <= DEFAULT_BUCKETS.length; j++) {
        c += (i + j) % 5;
        cumulative.push(c);
      }
      points.push({
        labels: labels({ method: i % 2 === 0 ? 'GET' : 'POST', route: `/api/v1/items/${i}` }),
        cumulative,
        sum: c * 0.125,
        count: c,
        created: 1_700_000_000.25,
      });
    }
    out.push({
      type: 'histogram',
      name: `app_latency_seconds_${f}`,
      help: 'Request latency.',
      unit: '',
      buckets: DEFAULT_BUCKETS,
      points,
    });
  }
  return out;
}

/** Sum of chunk lengths, so a timing loop cannot be optimised away. */
export function drain(chunks: Iterable<string>): number {
  let n = 0;
  for (const c of chunks) n += c.length;
  return n;
}

export type { MetricFamily };
