// snapshot(): a plain-object view of gathered families, keyed by name, for heartbeats and tests.

import { formatNumber } from '../internal/format.js';
import type { MetricFamily, MetricType } from './model.js';

/** One series in a {@link Snapshot}. Fields present depend on the family type. */
export interface SnapshotSeries {
  /** All labels (default labels included). */
  readonly labels: Readonly<Record<string, string>>;
  /** Counter, gauge and unknown value; 1 for info. */
  readonly value?: number;
  /** Histogram: cumulative counts keyed by the `le` text (`"0.1"`, …, `"+Inf"`). */
  readonly buckets?: Readonly<Record<string, number>>;
  /** Summary: estimates keyed by quantile text (`"0.5"`). */
  readonly quantiles?: Readonly<Record<string, number>>;
  /** Histogram and summary. */
  readonly sum?: number;
  /** Histogram and summary. */
  readonly count?: number;
  /** Stateset: each state's flag. */
  readonly states?: Readonly<Record<string, boolean>>;
}

/** A family in a {@link Snapshot}. */
export interface SnapshotFamily {
  readonly type: MetricType;
  readonly help: string;
  readonly unit: string;
  readonly series: readonly SnapshotSeries[];
}

/** Every family by exposed name (a counter's without `_total`). */
export type Snapshot = Readonly<Record<string, SnapshotFamily>>;

function labelsOf(l: {
  readonly names: readonly string[];
  readonly values: readonly string[];
}): Record<string, string> {
  const out: Record<string, string> = {};
  const values = l.values;
  l.names.forEach((n, i) => {
    out[n] = values[i]!;
  });
  return out;
}

/** Converts gathered families into a {@link Snapshot}. */
export function toSnapshot(families: readonly MetricFamily[]): Snapshot {
  const out: Record<string, SnapshotFamily> = {};
  for (const f of families) {
    let series: SnapshotSeries[];
    switch (f.type) {
      case 'counter':
      case 'gauge':
      case 'unknown':
        series = f.points.map((p) => ({ labels: labelsOf(p.labels), value: p.value }));
        break;
      case 'histogram':
        series = f.points.map((p) => {
          const buckets: Record<string, number> = {};
          f.buckets.forEach((b, i) => {
            buckets[formatNumber(b)] = p.cumulative[i]!;
          });
          buckets['+Inf'] = p.count;
          return { labels: labelsOf(p.labels), buckets, sum: p.sum, count: p.count };
        });
        break;
      case 'summary':
        series = f.points.map((p) => {
          const quantiles: Record<string, number> = {};
          f.quantiles.forEach((q, i) => {
            quantiles[formatNumber(q)] = p.values[i]!;
          });
          return { labels: labelsOf(p.labels), quantiles, sum: p.sum, count: p.count };
        });
        break;
      case 'info':
        series = f.points.map((p) => ({ labels: labelsOf(p.labels), value: 1 }));
        break;
      case 'stateset':
        series = f.points.map((p) => {
          const states: Record<string, boolean> = {};
          f.states.forEach((s, i) => {
            states[s] = p.enabled[i]!;
          });
          return { labels: labelsOf(p.labels), states };
        });
        break;
    }
    out[f.name] = { type: f.type, help: f.help, unit: f.unit, series };
  }
  return out;
}
