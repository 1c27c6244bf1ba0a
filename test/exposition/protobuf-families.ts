// The families behind the protobuf golden files: every classic family of the text goldens plus hand-built native histograms.
import type { HistogramFamily, MetricFamily } from '../../src/metrics/model.js';
import { exemplar, labels } from './fixtures.js';
import { GOLDEN_FAMILIES } from './golden-families.js';

const T0 = 1_700_000_000.25;

/**
 * A histogram with classic buckets and native ones (schema 0: bucket i is (2^(i-1), 2^i]),
 * holding the observations 0, 0.3, 0.75, 3 and -1.5: 0 in the zero bucket, 0.3 in bucket -1,
 * 0.75 in bucket 0, 3 in bucket 2, and -1.5 in negative bucket 1.
 */
export const NATIVE_WITH_CLASSIC: HistogramFamily = {
  type: 'histogram',
  name: 'native_latency_seconds',
  help: 'Latency, classic and native buckets.',
  unit: 'seconds',
  buckets: [0.1, 1],
  points: [
    {
      labels: labels({ route: '/a' }),
      cumulative: [2, 4, 5],
      sum: 2.55,
      count: 5,
      created: T0,
      exemplars: [null, exemplar(0.75, 1_700_000_010.5, 'n1'), exemplar(3, 1_700_000_011, 'n2')],
      native: {
        schema: 0,
        zeroThreshold: 2 ** -128,
        zeroCount: 1,
        positiveSpans: [
          { offset: -1, length: 2 },
          { offset: 1, length: 1 },
        ],
        positiveCounts: [1, 1, 1],
        negativeSpans: [{ offset: 1, length: 1 }],
        negativeCounts: [1],
      },
    },
  ],
};

/** A native-only histogram (no classic buckets), fine schema, a far-off span, falling counts. */
export const NATIVE_ONLY: HistogramFamily = {
  type: 'histogram',
  name: 'native_only_seconds',
  help: 'Native buckets only.',
  unit: 'seconds',
  buckets: [],
  points: [
    {
      labels: labels(),
      cumulative: [14],
      sum: 14.5,
      count: 14,
      created: T0,
      exemplars: [exemplar(1.01, 1_700_000_020.125, 'n3')],
      native: {
        schema: 8,
        zeroThreshold: 0.001,
        zeroCount: 0,
        positiveSpans: [{ offset: 1000, length: 3 }],
        positiveCounts: [5, 2, 7],
        negativeSpans: [],
        negativeCounts: [],
      },
    },
    {
      // No observation yet, zero threshold 0: only the no-op span marks it native.
      labels: labels({ idle: 'yes' }),
      cumulative: [0],
      sum: 0,
      count: 0,
      created: T0 + 1,
      native: {
        schema: 3,
        zeroThreshold: 0,
        zeroCount: 0,
        positiveSpans: [],
        positiveCounts: [],
        negativeSpans: [],
        negativeCounts: [],
      },
    },
  ],
};

/** Everything in the protobuf golden files, sorted by name as a gather returns families. */
export const PROTOBUF_FAMILIES: MetricFamily[] = [
  ...GOLDEN_FAMILIES,
  NATIVE_WITH_CLASSIC,
  NATIVE_ONLY,
].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
