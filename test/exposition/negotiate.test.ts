// Content negotiation: the exact headers Prometheus 2.42 sends, q-values, specificity, protobuf parameters, malformed input, gzip.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ExpositionFormat } from '../../src/exposition/format.js';
import { acceptsGzip, negotiate } from '../../src/exposition/negotiate.js';

const PB = 'application/vnd.google.protobuf';
const PB_DELIMITED = `${PB};proto=io.prometheus.client.MetricFamily;encoding=delimited`;

// Captured from Prometheus 2.42 scrapes (docs: /work/shared/notes/real-consumers.md, section c).
const PROMETHEUS_DEFAULT =
  'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';
const PROMETHEUS_NATIVE_HISTOGRAMS =
  'application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited,application/openmetrics-text;version=1.0.0;q=0.8,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';

describe('negotiate', () => {
  it('Prometheus 2.42 default header → openmetrics', () => {
    assert.equal(negotiate(PROMETHEUS_DEFAULT), 'openmetrics');
  });

  it('Prometheus 2.42 with native histograms (protobuf first, no q-value) → protobuf', () => {
    assert.equal(negotiate(PROMETHEUS_NATIVE_HISTOGRAMS), 'protobuf');
  });

  it('no header, empty header, or only empty list elements → text', () => {
    assert.equal(negotiate(undefined), 'text');
    assert.equal(negotiate(''), 'text');
    assert.equal(negotiate(' , ,'), 'text');
  });

  const cases: [string, ExpositionFormat][] = [
    ['text/plain', 'text'],
    ['text/plain;version=0.0.4', 'text'],
    ['text/plain; version=0.0.4; charset=utf-8', 'text'],
    ['*/*', 'text'],
    ['text/*', 'text'],
    ['application/openmetrics-text', 'openmetrics'],
    ['application/openmetrics-text; version=1.0.0; charset=utf-8', 'openmetrics'],
    ['application/openmetrics-text;version=0.0.1', 'openmetrics'],
    ['application/openmetrics-text;version="1.0.0"', 'openmetrics'],
    ['APPLICATION/OpenMetrics-Text;Version=1.0.0', 'openmetrics'],
    ['application/*', 'openmetrics'],
    // Prometheus 3 adds an escaping parameter; our names are valid under any escaping.
    [
      'application/openmetrics-text;version=1.0.0;escaping=allow-utf-8,text/plain;version=1.0.0;q=0.5,*/*;q=0.1',
      'openmetrics',
    ],
    // Unsupported versions do not match; the wildcard still does.
    ['application/openmetrics-text;version=2.0.0,*/*;q=0.1', 'text'],
    ['text/plain;version=1.0.0', 'text'],
    // Highest q wins, wherever it is listed.
    ['text/plain;q=0.5,application/openmetrics-text', 'openmetrics'],
    ['application/openmetrics-text;q=0.4,text/plain;q=0.5', 'text'],
    ['application/openmetrics-text;Q=0.6,text/plain;q=0.5', 'openmetrics'],
    // Ties go to the first listed.
    ['text/plain,application/openmetrics-text', 'text'],
    ['application/openmetrics-text,text/plain', 'openmetrics'],
    ['application/openmetrics-text;q=0.5,text/plain;q=0.500', 'openmetrics'],
    // q=0 means "not acceptable".
    ['application/openmetrics-text;q=0,text/plain;q=0.1', 'text'],
    ['text/plain;q=0,application/openmetrics-text;q=0.001', 'openmetrics'],
    ['application/openmetrics-text;q=0', 'text'],
    ['text/plain;q=0', 'text'],
    // The most specific range decides (RFC 9110 §12.5.1): text/plain;q=0 beats */*.
    ['text/plain;q=0,*/*', 'openmetrics'],
    ['*/*;q=0.1,text/plain;q=0', 'openmetrics'],
    ['application/openmetrics-text;version=1.0.0;q=0,application/*', 'text'],
    ['application/openmetrics-text;q=0.2,application/*;q=0.9,text/plain;q=0.5', 'text'],
    // Delimited protobuf, exactly as Prometheus names it.
    [PB_DELIMITED, 'protobuf'],
    [`${PB}; proto=io.prometheus.client.MetricFamily; encoding=delimited`, 'protobuf'],
    [`${PB};encoding=delimited;proto=io.prometheus.client.MetricFamily`, 'protobuf'],
    [`${PB};proto="io.prometheus.client.MetricFamily";encoding="delimited"`, 'protobuf'],
    [
      `APPLICATION/VND.GOOGLE.PROTOBUF;PROTO=io.prometheus.client.MetricFamily;Encoding=delimited`,
      'protobuf',
    ],
    // Prometheus 3 adds escaping=…; it does not change the body we send.
    [`${PB_DELIMITED};escaping=underscores,application/openmetrics-text;q=0.8`, 'protobuf'],
    // q-values rank protobuf like any other type; ties go to the first listed.
    [`${PB_DELIMITED};q=0.5,application/openmetrics-text;q=0.8`, 'openmetrics'],
    [`application/openmetrics-text;q=0.5,${PB_DELIMITED};q=0.8`, 'protobuf'],
    [`text/plain,${PB_DELIMITED}`, 'text'],
    [`${PB_DELIMITED},text/plain`, 'protobuf'],
    [`${PB_DELIMITED};q=0,text/plain;q=0.1`, 'text'],
    [`${PB_DELIMITED};q=0`, 'text'],
    // Another message, another framing, or a parameter missing: not our protobuf. The next
    // acceptable range decides, never a broken body.
    [
      `${PB};proto=io.prometheus.client.Metric;encoding=delimited,application/openmetrics-text;q=0.8`,
      'openmetrics',
    ],
    [
      `${PB};proto=io.prometheus.client.MetricFamily;encoding=text,application/openmetrics-text;q=0.8`,
      'openmetrics',
    ],
    [
      `${PB};proto=io.prometheus.client.MetricFamily;encoding=compact-text,text/plain;q=0.5`,
      'text',
    ],
    [
      `${PB};proto=io.prometheus.client.MetricFamily;encoding=DELIMITED,application/openmetrics-text;q=0.1`,
      'openmetrics',
    ],
    [
      `${PB};proto=io.prometheus.client.metricfamily;encoding=delimited,application/openmetrics-text;q=0.1`,
      'openmetrics',
    ],
    [
      `${PB};proto=io.prometheus.client.MetricFamily,application/openmetrics-text;q=0.8`,
      'openmetrics',
    ],
    [`${PB};encoding=delimited,application/openmetrics-text;q=0.8`, 'openmetrics'],
    [`${PB},application/openmetrics-text;q=0.8`, 'openmetrics'],
    [`${PB};proto=io.prometheus.client.MetricFamily;encoding=text`, 'text'],
    [`application/x-protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited`, 'text'],
    // Wildcards never select protobuf (see `application/*` and `*/*` above).
    // Only things we do not serve → fall back to text.
    ['application/json', 'text'],
    ['image/png;q=1,application/openmetrics-text;q=0.001', 'openmetrics'],
    // Whitespace is allowed around ";" and ",".
    [' application/openmetrics-text ; version=1.0.0 ; q=0.9 ,\ttext/plain ; q=0.5 ', 'openmetrics'],
  ];
  for (const [accept, expected] of cases) {
    it(`${JSON.stringify(accept)} → ${expected}`, () => {
      assert.equal(negotiate(accept), expected);
    });
  }

  const malformed = [
    'application/openmetrics-text;q=2',
    'application/openmetrics-text;q=0.5000',
    'application/openmetrics-text;q=abc',
    'application/openmetrics-text;q=-1',
    'application/openmetrics-text;q=',
    'application/openmetrics-text;version',
    'application/openmetrics-text;version="1.0.0',
    'application/openmetrics-text,text',
    'application/openmetrics-text;version = 1.0.0',
    'application/openmetrics-text extra',
    '*/plain',
    'application/openmetrics-text/x',
    'application/openmetrics-text;;q=1',
    '/',
    'application/openmetrics-text\u00e9',
  ];
  for (const accept of malformed) {
    it(`malformed ${JSON.stringify(accept)} → text`, () => {
      assert.equal(negotiate(accept), 'text');
    });
  }

  it('handles a long header quickly (no quadratic blow-up)', () => {
    const long = `${'a/b;q=0.1,'.repeat(1500)}application/openmetrics-text`;
    const t0 = performance.now();
    assert.equal(negotiate(long), 'openmetrics');
    assert.ok(performance.now() - t0 < 200);
  });
});

describe('acceptsGzip', () => {
  const cases: [string | undefined, boolean][] = [
    ['gzip', true], // What Prometheus 2.42 sends.
    ['gzip, deflate, br', true],
    ['GZIP', true],
    ['x-gzip', true],
    ['gzip;q=0.5', true],
    ['gzip;q=0', false],
    ['gzip;q=0.000', false],
    ['*', true],
    ['*;q=0', false],
    ['gzip;q=0, *', false],
    ['*, gzip;q=0', false],
    ['br, *;q=0.1', true],
    ['deflate, br', false],
    ['identity', false],
    ['', false],
    [undefined, false],
    ['gzip;q=2', false],
    ['gzip;;', false],
    ['gzip/x', false],
  ];
  for (const [header, expected] of cases) {
    it(`${JSON.stringify(header)} → ${expected}`, () => {
      assert.equal(acceptsGzip(header), expected);
    });
  }
});
