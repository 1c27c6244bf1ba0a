// Unit tests for the text and OpenMetrics encoders and the format dispatcher: naming, edge cases, chunking, options.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatNumber } from '../../src/exposition/common.js';
import { CONTENT_TYPES, type ExpositionFormat, encodeChunks } from '../../src/exposition/format.js';
import * as api from '../../src/exposition/index.js';
import { encodeOpenMetrics, encodeOpenMetricsChunks } from '../../src/exposition/openmetrics.js';
import { encodeProtobuf } from '../../src/exposition/protobuf.js';
import { encodeText, encodeTextChunks } from '../../src/exposition/text.js';
import { TelltaleError } from '../../src/internal/errors.js';
import type { MetricFamily } from '../../src/metrics/model.js';
import { parseOpenMetrics, parseText } from '../../src/testing/parse.js';
import { exemplar, labels, manyCounters, manyHistograms } from './fixtures.js';

const counter = (points: number, name = 'c'): MetricFamily => ({
  type: 'counter',
  name,
  help: 'h',
  unit: '',
  points: Array.from({ length: points }, (_, i) => ({
    labels: labels({ i: String(i) }),
    value: i,
    created: 1.5,
  })),
});

describe('formatNumber', () => {
  it('spells special values as both formats require', () => {
    assert.equal(formatNumber(Number.NaN), 'NaN');
    assert.equal(formatNumber(Number.POSITIVE_INFINITY), '+Inf');
    assert.equal(formatNumber(Number.NEGATIVE_INFINITY), '-Inf');
    assert.equal(formatNumber(-0), '0');
    assert.equal(formatNumber(0.005), '0.005');
    assert.equal(formatNumber(1), '1');
    assert.equal(formatNumber(-2.5), '-2.5');
    assert.equal(formatNumber(1e21), '1e+21');
    assert.equal(formatNumber(Number.MAX_VALUE), '1.7976931348623157e+308');
    assert.equal(formatNumber(5e-324), '5e-324');
  });

  it('round-trips every finite double', () => {
    for (const n of [0.1 + 0.2, 1 / 3, 2 ** 53 + 2, -1e-300, 123456789.123]) {
      assert.equal(Number(formatNumber(n)), n);
    }
  });
});

describe('encodeText', () => {
  it('renders an empty list as an empty string', () => {
    assert.equal(encodeText([]), '');
    assert.deepEqual([...encodeTextChunks([])], []);
  });

  it('renders a family without series as HELP and TYPE only', () => {
    const f: MetricFamily = { type: 'gauge', name: 'g', help: 'x', unit: '', points: [] };
    assert.equal(encodeText([f]), '# HELP g x\n# TYPE g gauge\n');
  });

  it('names counters <name>_total, with HELP and TYPE on the _total name', () => {
    const f: MetricFamily = {
      type: 'counter',
      name: 'jobs',
      help: 'Jobs.',
      unit: '',
      points: [{ labels: labels(), value: 2, created: 1, exemplar: exemplar(1, 2) }],
    };
    assert.equal(
      encodeText([f]),
      '# HELP jobs_total Jobs.\n# TYPE jobs_total counter\njobs_total 2\n',
    );
  });

  it('escapes only backslash and newline in HELP (a \\" would be a parse error for expfmt)', () => {
    const f: MetricFamily = {
      type: 'gauge',
      name: 'g',
      help: 'a "b" \\ c\nd',
      unit: 'x',
      points: [],
    };
    assert.equal(encodeText([f]), '# HELP g a "b" \\\\ c\\nd\n# TYPE g gauge\n');
  });

  it('writes no # UNIT, # EOF, _created or exemplars', () => {
    const out = encodeText(manyHistograms(3, 1));
    assert.doesNotMatch(out, /# UNIT|# EOF|_created| # \{/);
  });

  it('chunks at about chunkSize, on series boundaries', () => {
    const families = manyCounters(1000, 2);
    const whole = encodeText(families);
    const chunks = [...encodeTextChunks(families, { chunkSize: 1000 })];
    assert.equal(chunks.join(''), whole);
    assert.ok(chunks.length > 10);
    for (const c of chunks) {
      assert.ok(c.endsWith('\n'), 'a chunk ends on a line boundary');
      assert.ok(c.length < 1200, `chunk of ${c.length} exceeds chunkSize by more than a series`);
    }
  });

  it('uses 64 KiB chunks by default', () => {
    const chunks = [...encodeTextChunks(manyCounters(20_000))];
    assert.ok(chunks.length > 1);
    assert.ok(chunks.slice(0, -1).every((c) => c.length >= 65_536 && c.length < 65_536 + 200));
  });
});

describe('encodeOpenMetrics', () => {
  it('renders an empty list as # EOF', () => {
    assert.equal(encodeOpenMetrics([]), '# EOF\n');
    assert.deepEqual([...encodeOpenMetricsChunks([])], ['# EOF\n']);
  });

  it('puts each _created right after its _total (MetricPoint grouping)', () => {
    const out = encodeOpenMetrics([counter(2)], { created: true });
    assert.equal(
      out,
      '# TYPE c counter\n# HELP c h\nc_total{i="0"} 0\nc_created{i="0"} 1.5\nc_total{i="1"} 1\nc_created{i="1"} 1.5\n# EOF\n',
    );
    parseOpenMetrics(out);
  });

  it('escapes backslash, quote and newline in HELP', () => {
    const f: MetricFamily = {
      type: 'gauge',
      name: 'g',
      help: 'a "b" \\ c\nd',
      unit: '',
      points: [],
    };
    assert.equal(encodeOpenMetrics([f]), '# TYPE g gauge\n# HELP g a \\"b\\" \\\\ c\\nd\n# EOF\n');
  });

  it('writes # UNIT only when the unit is set', () => {
    const f: MetricFamily = {
      type: 'gauge',
      name: 'g_seconds',
      help: '',
      unit: 'seconds',
      points: [],
    };
    assert.match(
      encodeOpenMetrics([f]),
      /^# TYPE g_seconds gauge\n# UNIT g_seconds seconds\n# HELP g_seconds \n/,
    );
    assert.doesNotMatch(encodeOpenMetrics([counter(1)]), /# UNIT/);
  });

  it('escapes exemplar label values', () => {
    const f: MetricFamily = {
      type: 'counter',
      name: 'c',
      help: '',
      unit: '',
      points: [
        {
          labels: labels(),
          value: 1,
          created: 0,
          exemplar: { labels: { a: 'x"y\\z\n', b: '' }, value: 0.5, timestamp: 1.25 },
        },
      ],
    };
    const out = encodeOpenMetrics([f]);
    assert.match(out, /^c_total 1 # \{a="x\\"y\\\\z\\n",b=""\} 0\.5 1\.25$/m);
    const [fam] = parseOpenMetrics(out);
    assert.deepEqual(fam?.samples[0]?.exemplar, {
      labels: { a: 'x"y\\z\n', b: '' },
      value: 0.5,
      timestamp: 1.25,
    });
  });

  it('ends the last chunk with # EOF and keeps chunks near chunkSize', () => {
    const families = manyHistograms(500, 3);
    const chunks = [...encodeOpenMetricsChunks(families, { chunkSize: 2000, created: true })];
    assert.equal(chunks.join(''), encodeOpenMetrics(families, { created: true }));
    assert.ok(chunks.at(-1)?.endsWith('# EOF\n'));
    for (const c of chunks.slice(0, -1)) assert.ok(c.length < 3000);
  });
});

describe('options and dispatch', () => {
  it('rejects a bad chunkSize with TT_INVALID_OPTION, at the call', () => {
    for (const chunkSize of [0, -1, 1.5, Number.NaN]) {
      for (const run of [
        () => encodeTextChunks([], { chunkSize }),
        () => encodeOpenMetricsChunks([], { chunkSize }),
        () => encodeChunks([], 'text', { chunkSize }),
      ]) {
        assert.throws(
          run,
          (e: unknown) => e instanceof TelltaleError && e.code === 'TT_INVALID_OPTION',
        );
      }
    }
  });

  it('has the exact content types', () => {
    assert.equal(CONTENT_TYPES.text, 'text/plain; version=0.0.4; charset=utf-8');
    assert.equal(
      CONTENT_TYPES.openmetrics,
      'application/openmetrics-text; version=1.0.0; charset=utf-8',
    );
    assert.equal(
      CONTENT_TYPES.protobuf,
      'application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited',
    );
    assert.ok(Object.isFrozen(CONTENT_TYPES));
  });

  it('encodeChunks dispatches on the format and passes the options on', () => {
    const families = [counter(3)];
    assert.equal([...encodeChunks(families, 'text')].join(''), encodeText(families));
    assert.equal(
      [...encodeChunks(families, 'openmetrics', { created: true, chunkSize: 10 })].join(''),
      encodeOpenMetrics(families, { created: true }),
    );
    parseText([...encodeChunks(families, 'text', { created: true })].join(''));
    assert.deepEqual(
      Buffer.concat([...encodeChunks(families, 'protobuf', { chunkSize: 10 })]),
      Buffer.from(encodeProtobuf(families)),
    );
    assert.throws(
      () => encodeChunks(families, 'protobuf2' as ExpositionFormat),
      (e: unknown) => e instanceof TelltaleError && e.code === 'TT_INVALID_OPTION',
    );
  });

  it('the index exports the public API', () => {
    assert.deepEqual(Object.keys(api).sort(), [
      'CONTENT_TYPES',
      'DEFAULT_CHUNK_SIZE',
      'acceptsGzip',
      'createProtobufCache',
      'createTextCache',
      'encodeChunks',
      'encodeOpenMetrics',
      'encodeOpenMetricsChunks',
      'encodeProtobuf',
      'encodeProtobufChunks',
      'encodeText',
      'encodeTextChunks',
      'formatNumber',
      'negotiate',
    ]);
  });

  it('does not mutate its input', () => {
    const families = manyHistograms(5, 2);
    const copy = structuredClone(families);
    encodeText(families);
    encodeOpenMetrics(families, { created: true });
    assert.deepEqual(families, copy);
  });
});
