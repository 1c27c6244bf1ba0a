// The families behind the reviewed golden files in test/golden/: every family type, awkward label values, special numbers.
import type { MetricFamily } from '../../src/metrics/model.js';
import { exemplar, labels } from './fixtures.js';

const T0 = 1_700_000_000.25;

/** Label values that stress escaping: quote, backslash, newline, CR, tab, non-ASCII, astral. */
export const AWKWARD = {
  quote: 'say "hi"',
  backslash: 'C:\\dir\\file',
  newline: 'line1\nline2',
  mixed: '\\"\n\\n',
  unicode: 'Zürich ☃ 🚀 日本',
  control: 'tab\there\rcr',
};

export const GOLDEN_FAMILIES: MetricFamily[] = [
  {
    type: 'info',
    name: 'build',
    help: 'Build information.',
    unit: '',
    points: [{ labels: labels({ version: '1.2.3', revision: 'abc123' }) }],
  },
  {
    type: 'counter',
    name: 'data_sent_bytes',
    help: 'Bytes sent.',
    unit: 'bytes',
    points: [{ labels: labels(), value: 1e21, created: T0 }],
  },
  {
    type: 'stateset',
    name: 'feature_state',
    help: 'Lifecycle state of a feature.',
    unit: '',
    states: ['starting', 'ready', 'draining'],
    points: [
      { labels: labels(), enabled: [false, true, false] },
      { labels: labels({ service: 'api' }), enabled: [true, false, false] },
    ],
  },
  {
    type: 'counter',
    name: 'http_requests',
    help: 'Requests handled, by "method" and path.\nA second line with a backslash \\ too.',
    unit: '',
    points: [
      {
        labels: labels({ method: 'GET', path: '/' }),
        value: 1027,
        created: T0,
        exemplar: exemplar(1, 1_700_000_123.5, '4bf92f3577b34da6a3ce929d0e0e4736'),
      },
      { labels: labels({ method: 'POST', path: AWKWARD.quote }), value: 0, created: T0 + 1 },
      { labels: labels({ method: 'PUT', path: AWKWARD.backslash }), value: 3.5, created: T0 + 2 },
    ],
  },
  {
    type: 'counter',
    name: 'jobs_processed',
    help: 'Jobs processed.',
    unit: '',
    points: [{ labels: labels(), value: 12, created: T0, exemplar: exemplar(2, T0, 'job-7') }],
  },
  {
    type: 'unknown',
    name: 'legacy_value',
    help: 'A value of unknown type.',
    unit: '',
    points: [{ labels: labels(), value: 3.5 }],
  },
  {
    type: 'gauge',
    name: 'queue_depth',
    help: 'Items queued (no series yet).',
    unit: '',
    points: [],
  },
  {
    type: 'histogram',
    name: 'request_duration_seconds',
    help: 'Request latency.',
    unit: 'seconds',
    buckets: [0.005, 0.01, 0.1, 1, 2.5],
    points: [
      {
        labels: labels(),
        cumulative: [0, 0, 0, 0, 0, 0],
        sum: 0,
        count: 0,
        created: T0,
      },
      {
        labels: labels({ route: '/users/:id' }),
        cumulative: [1, 3, 7, 9, 9, 10],
        sum: 4.25,
        count: 10,
        created: T0,
        exemplars: [
          exemplar(0.003, 1_700_000_001, 't1'),
          null,
          exemplar(0.05, 1_700_000_002.5, 't2'),
          null,
          null,
          exemplar(3.2, 1_700_000_003, 't3'),
        ],
      },
    ],
  },
  {
    type: 'summary',
    name: 'rpc_duration_seconds',
    help: 'RPC latency.',
    unit: 'seconds',
    quantiles: [0.5, 0.9, 0.99],
    points: [
      {
        labels: labels({ service: 'a' }),
        values: [0.012, 0.05, 0.1],
        sum: 1.5,
        count: 42,
        created: T0,
      },
      {
        labels: labels({ service: 'idle' }),
        values: [Number.NaN, Number.NaN, Number.NaN],
        sum: 0,
        count: 0,
        created: T0,
      },
    ],
  },
  {
    type: 'gauge',
    name: 'temperature_celsius',
    help: 'Temperatures; unit in the name.',
    unit: 'celsius',
    points: [
      { labels: labels({ sensor: AWKWARD.newline }), value: 21.5 },
      { labels: labels({ sensor: AWKWARD.mixed }), value: Number.NaN },
      { labels: labels({ sensor: AWKWARD.unicode }), value: Number.POSITIVE_INFINITY },
      { labels: labels({ sensor: AWKWARD.control }), value: Number.NEGATIVE_INFINITY },
      { labels: labels({ sensor: 'negzero' }), value: -0 },
      { labels: labels({ sensor: 'tiny' }), value: 1e-7 },
      { labels: labels({ sensor: 'sum' }), value: 0.1 + 0.2 },
      { labels: labels({ sensor: 'empty', zone: '' }), value: -40 },
    ],
  },
];
