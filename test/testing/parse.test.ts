// The strict exposition parser of the test kit: what it accepts, and every rule it enforces, for both formats.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TelltaleError } from '../../src/metrics/index.js';
import {
  ExpositionParseError,
  parseExposition,
  parseOpenMetrics,
  parseText,
} from '../../src/testing/parse.js';

const rejects = (parse: (b: string) => unknown, body: string, pattern: RegExp) => {
  assert.throws(
    () => parse(body),
    (e: unknown) => {
      assert.ok(e instanceof ExpositionParseError, String(e));
      assert.ok(e instanceof TelltaleError);
      assert.equal(e.code, 'TT_INVALID_EXPOSITION');
      assert.match(e.message, pattern);
      return true;
    },
    JSON.stringify(body),
  );
};

describe('parseText', () => {
  it('parses families, help, labels, values and timestamps', () => {
    const body =
      '# HELP a_total Things \\\\ done.\\nReally.\n# TYPE a_total counter\na_total{x="1",y="q\\"\\\\\\n"} 3 1700000000000\n' +
      '# A free comment\n\n  b{} NaN\nc +Inf\nc_bucket -Inf\n';
    assert.deepEqual(parseText(body), [
      {
        name: 'a_total',
        type: 'counter',
        help: 'Things \\ done.\nReally.',
        unit: '',
        samples: [
          {
            name: 'a_total',
            labels: { x: '1', y: 'q"\\\n' },
            value: 3,
            timestamp: 1_700_000_000_000,
          },
        ],
      },
      {
        name: 'b',
        type: 'untyped',
        help: '',
        unit: '',
        samples: [{ name: 'b', labels: {}, value: Number.NaN }],
      },
      {
        name: 'c',
        type: 'untyped',
        help: '',
        unit: '',
        samples: [{ name: 'c', labels: {}, value: Number.POSITIVE_INFINITY }],
      },
      {
        name: 'c_bucket',
        type: 'untyped',
        help: '',
        unit: '',
        samples: [{ name: 'c_bucket', labels: {}, value: Number.NEGATIVE_INFINITY }],
      },
    ]);
  });

  it('accepts what the format allows: trailing comma, blanks in labels, tabs, empty body, HELP with a raw quote', () => {
    assert.deepEqual(parseText(''), []);
    const [f] = parseText('# HELP m say "hi"\nm { a = "1" , }\t2\n');
    assert.equal(f?.help, 'say "hi"');
    assert.deepEqual(f?.samples[0]?.labels, { a: '1' });
  });

  it('groups histogram and summary samples under their family', () => {
    const body =
      '# TYPE h histogram\nh_bucket{le="1"} 1\nh_bucket{le="+Inf"} 2\nh_sum 3\nh_count 2\n' +
      '# TYPE s summary\ns{quantile="0.5"} 1\ns_sum 1\ns_count 1\n';
    const families = parseText(body);
    assert.deepEqual(
      families.map((f) => [f.name, f.type, f.samples.length]),
      [
        ['h', 'histogram', 4],
        ['s', 'summary', 3],
      ],
    );
  });

  const bad: [string, string, RegExp][] = [
    ['no final newline', 'a 1', /end with a newline/],
    ['CRLF', '# TYPE a gauge\r\na 1\r\n', /unknown metric type|invalid value/],
    ['bad escape in a label value', 'a{x="\\q"} 1\n', /invalid escape/],
    ['bad escape in HELP', '# HELP a x\\"y\na 1\n', /invalid escape/],
    ['unterminated label value', 'a{x="1} 1\n', /unterminated/],
    ['unquoted label value', 'a{x=1} 1\n', /expected "\\""/],
    ['duplicate label names', 'a{x="1",x="2"} 1\n', /duplicate label name x/],
    ['reserved label name', 'a{__x="1"} 1\n', /reserved/],
    ['invalid metric name', '1a 1\n', /metric name/],
    ['invalid metric name in HELP', '# HELP a-b x\n', /invalid metric name/],
    ['unknown type', '# TYPE a info\n', /unknown metric type/],
    ['second HELP', '# HELP a x\n# HELP a y\n', /second HELP/],
    ['second TYPE', '# TYPE a gauge\n# TYPE a gauge\n', /second TYPE/],
    ['TYPE after samples', 'a 1\n# TYPE a gauge\n', /contiguous|metadata/],
    ['duplicate series', 'a 1\na 2\n', /duplicate series/],
    [
      'duplicate series, labels reordered',
      'a{x="1",y="2"} 1\na{y="2",x="1"} 2\n',
      /duplicate series/,
    ],
    ['non-contiguous family', 'a 1\nb 1\na{x="1"} 2\n', /contiguous/],
    [
      'non-contiguous histogram',
      '# TYPE h histogram\nh_bucket{le="+Inf"} 1\nb 1\nh_sum 1\n',
      /contiguous/,
    ],
    ['exemplar', '# TYPE a_total counter\na_total 1 # {t="1"} 1\n', /exemplars/],
    ['float timestamp', 'a 1 1700000000.5\n', /integer timestamp/],
    ['junk after the timestamp', 'a 1 2 3\n', /after the timestamp/],
    ['non-numeric value', 'a x\n', /invalid value/],
    ['hex value', 'a 0x10\n', /invalid value/],
    ['negative counter', '# TYPE a_total counter\na_total -1\n', /non-negative/],
    ['missing +Inf', '# TYPE h histogram\nh_bucket{le="1"} 1\nh_count 1\n', /\+Inf/],
    [
      'non-cumulative buckets',
      '# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\n',
      /cumulative/,
    ],
    [
      'le out of order',
      '# TYPE h histogram\nh_bucket{le="2"} 1\nh_bucket{le="1"} 1\nh_bucket{le="+Inf"} 1\n',
      /increasing/,
    ],
    [
      'count differs from +Inf',
      '# TYPE h histogram\nh_bucket{le="+Inf"} 2\nh_count 3\n',
      /does not match/,
    ],
    ['bucket without le', '# TYPE h histogram\nh_bucket 1\n', /missing its "le"/],
    ['bad le', '# TYPE h histogram\nh_bucket{le="x"} 1\n', /invalid le/],
    [
      'le on _sum',
      '# TYPE h histogram\nh_bucket{le="+Inf"} 1\nh_sum{le="1"} 1\n',
      /must not have an le/,
    ],
    ['quantile out of range', '# TYPE s summary\ns{quantile="1.5"} 1\n', /quantile/],
    ['summary sample without quantile', '# TYPE s summary\ns 1\n', /missing its "quantile"/],
    ['lone surrogate', 'a{x="\uD800"} 1\n', /surrogate/],
  ];
  for (const [what, body, pattern] of bad) {
    it(`rejects: ${what}`, () => rejects(parseText, body, pattern));
  }
});

describe('parseOpenMetrics', () => {
  it('parses every OpenMetrics type with units, exemplars and timestamps', () => {
    const body = [
      '# TYPE a_seconds counter',
      '# UNIT a_seconds seconds',
      '# HELP a_seconds Time \\"spent\\".',
      'a_seconds_total{x="1"} 3 1.5 # {trace_id="t"} 0.5 1.25',
      'a_seconds_created{x="1"} 1',
      'a_seconds_total{x="2"} 1 # {} 1',
      '# TYPE i info',
      'i_info{v="1"} 1',
      '# TYPE st stateset',
      'st{st="a"} 1',
      'st{st="b"} 0',
      '# TYPE gh gaugehistogram',
      'gh_bucket{le="+Inf"} 1',
      'gh_gcount 1',
      'gh_gsum 1',
      'u 1',
      '# EOF',
      '',
    ].join('\n');
    const families = parseOpenMetrics(body);
    assert.deepEqual(
      families.map((f) => [f.name, f.type, f.unit, f.samples.length]),
      [
        ['a_seconds', 'counter', 'seconds', 3],
        ['i', 'info', '', 1],
        ['st', 'stateset', '', 2],
        ['gh', 'gaugehistogram', '', 3],
        ['u', 'unknown', '', 1],
      ],
    );
    assert.equal(families[0]?.help, 'Time "spent".');
    assert.deepEqual(families[0]?.samples[0], {
      name: 'a_seconds_total',
      labels: { x: '1' },
      value: 3,
      timestamp: 1.5,
      exemplar: { labels: { trace_id: 't' }, value: 0.5, timestamp: 1.25 },
    });
    assert.deepEqual(families[0]?.samples[2]?.exemplar, { labels: {}, value: 1 });
  });

  it('accepts # EOF without a final newline, and an empty exposition', () => {
    assert.deepEqual(parseOpenMetrics('# EOF'), []);
    assert.deepEqual(parseOpenMetrics('# EOF\n'), []);
    assert.equal(parseOpenMetrics('# TYPE a gauge\na 1\n# EOF').length, 1);
  });

  const bad: [string, string, RegExp][] = [
    ['missing # EOF', '# TYPE a gauge\na 1\n', /missing # EOF/],
    ['empty body', '', /missing # EOF/],
    ['content after # EOF', 'a 1\n# EOF\na 2\n', /after # EOF/],
    ['blank line after # EOF', '# EOF\n\n', /after # EOF/],
    ['blank line', 'a 1\n\n# EOF\n', /blank lines/],
    ['free comment', '# hello\n# EOF\n', /invalid line/],
    ['CRLF', 'a 1\r\n# EOF\n', /invalid value/],
    ['two spaces', 'a  1\n# EOF\n', /invalid value/],
    ['tab separator', 'a\t1\n# EOF\n', /expected " "/],
    ['untyped', '# TYPE a untyped\n# EOF\n', /invalid TYPE/],
    ['counter sample without _total', '# TYPE a counter\na 1\n# EOF\n', /contiguous|clashes/],
    ['raw quote in HELP', '# HELP a say "hi"\n# EOF\n', /unescaped "/],
    ['bad escape', 'a{x="\\t"} 1\n# EOF\n', /invalid escape/],
    ['trailing comma', 'a{x="1",} 1\n# EOF\n', /label name/],
    ['blank in labels', 'a{x= "1"} 1\n# EOF\n', /expected "\\""/],
    ['duplicate label', 'a{x="1",x="1"} 1\n# EOF\n', /duplicate label/],
    ['duplicate series', 'a 1\na 1\n# EOF\n', /duplicate series/],
    ['non-contiguous family', 'a 1\nb 1\na{x="1"} 1\n# EOF\n', /contiguous/],
    [
      'split MetricPoint',
      '# TYPE a counter\na_total{x="1"} 1\na_total{x="2"} 1\na_created{x="1"} 1\n# EOF\n',
      /MetricPoint/,
    ],
    [
      'counter MetricPoint without _total',
      '# TYPE a counter\na_created 1\n# EOF\n',
      /without a _total/,
    ],
    ['negative counter', '# TYPE a counter\na_total -1\n# EOF\n', /non-negative/],
    ['NaN counter', '# TYPE a counter\na_total NaN\n# EOF\n', /non-negative/],
    [
      'exemplar on a gauge',
      '# TYPE a gauge\na 1 # {t="1"} 1\n# EOF\n',
      /exemplars are only allowed/,
    ],
    [
      'exemplar on _count',
      '# TYPE h histogram\nh_bucket{le="+Inf"} 1 # {a="1"} 1\nh_count 1 # {a="1"} 1\n# EOF\n',
      /exemplars are only allowed/,
    ],
    [
      'long exemplar labels',
      `# TYPE a counter\na_total 1 # {t="${'x'.repeat(128)}"} 1\n# EOF\n`,
      /128/,
    ],
    [
      'bucket after _count',
      '# TYPE h histogram\nh_bucket{le="1"} 1\nh_count 1\nh_bucket{le="+Inf"} 1\n# EOF\n',
      /after the _count/,
    ],
    ['missing +Inf', '# TYPE h histogram\nh_bucket{le="1"} 1\n# EOF\n', /\+Inf/],
    ['info value 2', '# TYPE i info\ni_info 2\n# EOF\n', /value 1/],
    ['stateset value 2', '# TYPE s stateset\ns{s="a"} 2\n# EOF\n', /0 or 1/],
    ['stateset without its label', '# TYPE s stateset\ns{x="a"} 1\n# EOF\n', /missing its "s"/],
    ['unit not a suffix', '# TYPE a gauge\n# UNIT a seconds\n# EOF\n', /must end with _seconds/],
    ['unit on info', '# TYPE a_x info\n# UNIT a_x x\n# EOF\n', /must not have a unit/],
    ['second UNIT', '# TYPE a_x gauge\n# UNIT a_x x\n# UNIT a_x x\n# EOF\n', /second UNIT/],
    ['integer-only timestamp violated', 'a 1 NaN\n# EOF\n', /invalid timestamp/],
    [
      'junk after exemplar',
      '# TYPE a counter\na_total 1 # {} 1 2 3\n# EOF\n',
      /after the exemplar/,
    ],
  ];
  for (const [what, body, pattern] of bad) {
    it(`rejects: ${what}`, () => rejects(parseOpenMetrics, body, pattern));
  }
});

describe('parser input and errors', () => {
  it('reads UTF-8 bytes and rejects invalid UTF-8', () => {
    assert.equal(parseText(Buffer.from('a{x="ü"} 1\n'))[0]?.samples[0]?.labels['x'], 'ü');
    assert.throws(
      () =>
        parseText(Buffer.from([0x61, 0x7b, 0x78, 0x3d, 0x22, 0xff, 0x22, 0x7d, 0x20, 0x31, 0x0a])),
      /not valid UTF-8/,
    );
  });

  it('names the line at fault', () => {
    try {
      parseText('a 1\nb 2\nc x\n');
      assert.fail('expected a parse error');
    } catch (e) {
      assert.ok(e instanceof ExpositionParseError);
      assert.equal(e.line, 3);
      assert.equal(e.name, 'ExpositionParseError');
      assert.equal(e.code, 'TT_INVALID_EXPOSITION');
      assert.match(e.message, /^TT_INVALID_EXPOSITION: line 3: invalid value "x"/);
    }
  });

  it('parseExposition dispatches on the format', () => {
    assert.equal(parseExposition('a 1\n', 'text').length, 1);
    assert.equal(parseExposition('a 1\n# EOF\n', 'openmetrics').length, 1);
    assert.throws(() => parseExposition('a 1\n', 'openmetrics'), ExpositionParseError);
  });
});
