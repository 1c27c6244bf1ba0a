// Labels-object lookups: they need no code generation, and every path (dedicated copy, generic walk) keeps the documented semantics.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createRegistry } from '../../src/metrics/index.js';
import { LookupPool } from '../../src/metrics/lookup.js';
import { LOOKUP_COPIES } from '../../src/metrics/lookup-copies.js';
import { runCommand } from '../helpers/child.js';
import { silenceWarnings, throwsCode } from './helpers.js';

silenceWarnings();

/** The text exposition test/metrics/fixtures/no-codegen.ts prints for each registry. */
const EXPECTED = [
  '# HELP lat_seconds Latency.',
  '# TYPE lat_seconds histogram',
  'lat_seconds_bucket{route="/x",method="GET",code="200",le="0.1"} 1',
  'lat_seconds_bucket{route="/x",method="GET",code="200",le="1"} 2',
  'lat_seconds_bucket{route="/x",method="GET",code="200",le="+Inf"} 2',
  'lat_seconds_sum{route="/x",method="GET",code="200"} 0.55',
  'lat_seconds_count{route="/x",method="GET",code="200"} 2',
  'lat_seconds_bucket{route="/y",method="POST",code="201",le="0.1"} 0',
  'lat_seconds_bucket{route="/y",method="POST",code="201",le="1"} 0',
  'lat_seconds_bucket{route="/y",method="POST",code="201",le="+Inf"} 1',
  'lat_seconds_sum{route="/y",method="POST",code="201"} 2',
  'lat_seconds_count{route="/y",method="POST",code="201"} 1',
  '# HELP req_total Requests.',
  '# TYPE req_total counter',
  'req_total{method="GET",code="200"} 7',
  'req_total{method="POST",code="500"} 1',
  'req_total{method="PUT",code="201"} 1',
  '# HELP size_bytes Sizes.',
  '# TYPE size_bytes summary',
  'size_bytes{a="1",b="2",c="3",d="4",e="5",f="6",g="7",quantile="0.5"} 2',
  'size_bytes_sum{a="1",b="2",c="3",d="4",e="5",f="6",g="7"} 10',
  'size_bytes_count{a="1",b="2",c="3",d="4",e="5",f="6",g="7"} 4',
  'size_bytes{a="1",b="2",c="3",d="4",e="x",f="6",g="7",quantile="0.5"} 10',
  'size_bytes_sum{a="1",b="2",c="3",d="4",e="x",f="6",g="7"} 10',
  'size_bytes_count{a="1",b="2",c="3",d="4",e="x",f="6",g="7"} 1',
  '# HELP t0_total T.',
  '# TYPE t0_total counter',
  't0_total{x0="a",y="b",z="c"} 2',
  '# HELP t1_total T.',
  '# TYPE t1_total counter',
  't1_total{x1="a",y="b",z="c"} 3',
  '# HELP t10_total T.',
  '# TYPE t10_total counter',
  't10_total{x10="a",y="b",z="c"} 12',
  '# HELP t11_total T.',
  '# TYPE t11_total counter',
  't11_total{x11="a",y="b",z="c"} 13',
  '# HELP t12_total T.',
  '# TYPE t12_total counter',
  't12_total{x12="a",y="b",z="c"} 14',
  '# HELP t13_total T.',
  '# TYPE t13_total counter',
  't13_total{x13="a",y="b",z="c"} 15',
  '# HELP t14_total T.',
  '# TYPE t14_total counter',
  't14_total{x14="a",y="b",z="c"} 16',
  '# HELP t15_total T.',
  '# TYPE t15_total counter',
  't15_total{x15="a",y="b",z="c"} 17',
  '# HELP t2_total T.',
  '# TYPE t2_total counter',
  't2_total{x2="a",y="b",z="c"} 4',
  '# HELP t3_total T.',
  '# TYPE t3_total counter',
  't3_total{x3="a",y="b",z="c"} 5',
  '# HELP t4_total T.',
  '# TYPE t4_total counter',
  't4_total{x4="a",y="b",z="c"} 6',
  '# HELP t5_total T.',
  '# TYPE t5_total counter',
  't5_total{x5="a",y="b",z="c"} 7',
  '# HELP t6_total T.',
  '# TYPE t6_total counter',
  't6_total{x6="a",y="b",z="c"} 8',
  '# HELP t7_total T.',
  '# TYPE t7_total counter',
  't7_total{x7="a",y="b",z="c"} 9',
  '# HELP t8_total T.',
  '# TYPE t8_total counter',
  't8_total{x8="a",y="b",z="c"} 10',
  '# HELP t9_total T.',
  '# TYPE t9_total counter',
  't9_total{x9="a",y="b",z="c"} 11',
  '# HELP temp Temperature.',
  '# TYPE temp gauge',
  'temp{room="a"} 22',
  'temp{room="b"} -3',
  '',
].join('\n');

describe('labels-object lookups', () => {
  it('labelled metrics of every kind work under --disallow-code-generation-from-strings', async () => {
    const fixture = join(import.meta.dirname, 'fixtures', 'no-codegen.ts');
    const res = await runCommand(
      process.execPath,
      [
        '--disallow-code-generation-from-strings',
        '--conditions=telltale-source',
        '--import',
        'tsx',
        fixture,
      ],
      { timeoutMs: 30_000 },
    );
    assert.equal(res.stderr, '');
    assert.equal(res.exitCode, 0);
    assert.equal(res.stdout, `--- strict=false\n${EXPECTED}--- strict=true\n${EXPECTED}`);
  });

  it('a registry hands out one copy per label-name tuple, then none', () => {
    const pool = new LookupPool();
    const n = LOOKUP_COPIES[3]!.length;
    assert.equal(n, 16);
    for (let i = 0; i < n; i++) assert.equal(pool.assign([`a${i}`, 'b', 'c']), i);
    assert.equal(pool.assign(['a0', 'b', 'c']), 0); // the same names share their copy
    assert.equal(pool.assign(['late', 'b', 'c']), -1); // the rest take the generic lookup
    assert.equal(pool.assign(['x']), 0); // each label count has its own copies
    assert.equal(pool.assign(['a', 'b', 'c', 'd', 'e', 'f', 'g']), -1); // none for seven labels
  });

  // Metric 0 gets the registry's first copy for three labels; the seventeenth tuple the generic
  // walk. Both must behave the same.
  for (const which of [0, LOOKUP_COPIES[3]!.length]) {
    it(`same semantics on the ${which === 0 ? 'dedicated copy' : 'generic walk'}: order, numbers, extra keys, strict`, () => {
      for (const strict of [false, true]) {
        const r = createRegistry({ strict });
        const ms = Array.from({ length: LOOKUP_COPIES[3]!.length + 1 }, (_, i) =>
          r.counter({ name: `m${i}`, help: 'M.', labelNames: [`a${i}`, 'b', 'c'] }),
        );
        const m = ms[which]!;
        const a = `a${which}`;
        m.inc({ [a]: 'x', b: 'y', c: 200 });
        m.inc({ c: '200', b: 'y', [a]: 'x' }, 2);
        assert.equal(m.get({ [a]: 'x', b: 'y', c: '200' }), 3);
        // An extra key on a new label set is rejected (the slow path), in both modes.
        throwsCode(
          () => m.inc({ [a]: 'new', b: 'y', c: 'z', d: 'extra' } as never),
          'TT_UNKNOWN_LABEL',
          '"d"',
        );
        // On a known label set it is ignored outside strict mode and rejected in strict mode.
        const extra = () => m.inc({ [a]: 'x', b: 'y', c: '200', d: 'extra' } as never);
        if (strict) throwsCode(extra, 'TT_UNKNOWN_LABEL', '"d"');
        else extra();
        const reordered = () => m.inc({ d: 'extra', c: '200', b: 'y', [a]: 'x' } as never);
        if (strict) throwsCode(reordered, 'TT_UNKNOWN_LABEL', '"d"');
        else reordered();
        assert.equal(m.get({ [a]: 'x', b: 'y', c: '200' }), strict ? 3 : 5);
        // Missing and non-string values take the slow path and are rejected there.
        throwsCode(() => m.inc({ [a]: 'x', b: 'y' } as never), 'TT_MISSING_LABEL');
        throwsCode(() => m.inc({ [a]: 'x', b: 'y', c: {} } as never), 'TT_INVALID_LABEL_VALUE');
        assert.equal(m.seriesCount, 1);
      }
    });
  }
});
