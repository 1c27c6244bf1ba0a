// Request ids and W3C traceparent/tracestate: accepted input, replaced bad input (tables), and a never-throws property.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  formatTraceparent,
  isValidRequestId,
  newSpanId,
  newTraceId,
  normalizeTracestate,
  parseTraceparent,
  resolveRequestId,
} from '../../src/trace/index.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT = '00f067aa0ba902b7';

describe('request ids', () => {
  it('accepts 1–128 characters from [A-Za-z0-9._:-] unchanged', () => {
    for (const id of ['a', 'req-42', 'A.b_c:d-e', '0', 'x'.repeat(128), crypto.randomUUID()]) {
      assert.equal(resolveRequestId(id), id);
      assert.ok(isValidRequestId(id));
    }
  });

  it('replaces oversized, injected, empty, array and non-string values with a new UUID', () => {
    const bad: unknown[] = [
      '',
      'x'.repeat(129),
      'x'.repeat(100_000),
      'abc\r\nSet-Cookie: a=b',
      'abc\n',
      'abc\r',
      'a"b',
      "a'b",
      'a b',
      ' abc',
      'abc\t',
      'a,b',
      'a;b',
      'a/b',
      'a=b',
      '<script>',
      'café',
      'a\u0000b',
      'a\u2028b',
      '{"x":1}',
      ['a', 'b'],
      ['a'],
      undefined,
      null,
      42,
      {},
    ];
    const seen = new Set<string>();
    for (const v of bad) {
      const id = resolveRequestId(v);
      assert.match(id, UUID, `replaced ${JSON.stringify(v)}`);
      assert.ok(!seen.has(id));
      seen.add(id);
      assert.equal(isValidRequestId(v), false);
    }
  });

  it('uses options.generate for replacements', () => {
    assert.equal(resolveRequestId('bad id', { generate: () => 'gen-1' }), 'gen-1');
    assert.equal(resolveRequestId('good', { generate: () => 'gen-1' }), 'good');
  });

  it('any string: either kept as is (and header-safe) or replaced by a UUID; never throws (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.string({ maxLength: 300 })),
        (s) => {
          const id = resolveRequestId(s);
          if (id === s) return /^[A-Za-z0-9._:-]{1,128}$/.test(s);
          return UUID.test(id);
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('ids', () => {
  it('trace ids are 32 and span ids 16 lowercase hex, distinct', () => {
    const traces = new Set<string>();
    const spans = new Set<string>();
    for (let i = 0; i < 5000; i++) {
      const t = newTraceId();
      const s = newSpanId();
      assert.match(t, /^[0-9a-f]{32}$/);
      assert.match(s, /^[0-9a-f]{16}$/);
      traces.add(t);
      spans.add(s);
    }
    assert.equal(traces.size, 5000);
    assert.equal(spans.size, 5000);
  });
});

describe('traceparent', () => {
  it('parses version 00 with sampled and unsampled flags', () => {
    assert.deepEqual(parseTraceparent(`00-${TRACE}-${PARENT}-01`), {
      version: '00',
      traceId: TRACE,
      parentId: PARENT,
      flags: 1,
      sampled: true,
    });
    assert.equal(parseTraceparent(`00-${TRACE}-${PARENT}-00`)?.sampled, false);
    // Other flag bits are kept but only bit 0 means sampled.
    assert.deepEqual(
      { ...parseTraceparent(`00-${TRACE}-${PARENT}-fe`) },
      { version: '00', traceId: TRACE, parentId: PARENT, flags: 0xfe, sampled: false },
    );
  });

  it('parses a future version leniently: the first four fields, anything after a dash', () => {
    assert.equal(parseTraceparent(`01-${TRACE}-${PARENT}-01`)?.traceId, TRACE);
    assert.equal(
      parseTraceparent(`cc-${TRACE}-${PARENT}-01-what-the-future-will-be-like`)?.parentId,
      PARENT,
    );
    assert.equal(parseTraceparent(`cc-${TRACE}-${PARENT}-01what`), undefined);
  });

  const invalid: [string, unknown][] = [
    ['empty', ''],
    ['all-zero trace id', `00-${'0'.repeat(32)}-${PARENT}-01`],
    ['all-zero parent id', `00-${TRACE}-${'0'.repeat(16)}-01`],
    ['version ff', `ff-${TRACE}-${PARENT}-01`],
    ['uppercase trace id', `00-${TRACE.toUpperCase()}-${PARENT}-01`],
    ['uppercase parent id', `00-${TRACE}-00F067AA0BA902B7-01`],
    ['uppercase flags', `00-${TRACE}-${PARENT}-0A`],
    ['uppercase version', `0A-${TRACE}-${PARENT}-01`],
    ['short trace id', `00-${TRACE.slice(1)}-${PARENT}-01`],
    ['long trace id', `00-${TRACE}a-${PARENT}-01`],
    ['short parent id', `00-${TRACE}-${PARENT.slice(1)}-01`],
    ['long parent id', `00-${TRACE}-${PARENT}0-01`],
    ['one-digit flags', `00-${TRACE}-${PARENT}-1`],
    ['three-digit flags', `00-${TRACE}-${PARENT}-001`],
    ['one-digit version', `0-${TRACE}-${PARENT}-01`],
    ['missing flags', `00-${TRACE}-${PARENT}`],
    ['missing parent id', `00-${TRACE}-01`],
    ['missing version', `${TRACE}-${PARENT}-01`],
    ['extra part for version 00', `00-${TRACE}-${PARENT}-01-extra`],
    ['trailing dash for version 00', `00-${TRACE}-${PARENT}-01-`],
    ['non-hex trace id', `00-${TRACE.slice(0, 31)}g-${PARENT}-01`],
    ['non-hex flags', `00-${TRACE}-${PARENT}-0x`],
    ['underscores for dashes', `00_${TRACE}_${PARENT}_01`],
    ['leading space', ` 00-${TRACE}-${PARENT}-01`],
    ['trailing CRLF', `00-${TRACE}-${PARENT}-01\r\n`],
    ['two headers joined', `00-${TRACE}-${PARENT}-01, 00-${TRACE}-${PARENT}-01`],
    ['array', [`00-${TRACE}-${PARENT}-01`]],
    ['undefined', undefined],
    ['number', 1],
    ['future version shorter than 55', `01-${TRACE}-${PARENT}-0`],
  ];
  for (const [what, header] of invalid) {
    it(`invalid (new trace): ${what}`, () => {
      assert.equal(parseTraceparent(header), undefined);
    });
  }

  it('any string: a valid parse that round-trips the fields, or undefined; never throws (fast-check)', () => {
    const hex = (n: number) =>
      fc.string({
        unit: fc.constantFrom(...'0123456789abcdefABCDEF-'),
        minLength: n,
        maxLength: n,
      });
    const nearValid = fc
      .tuple(hex(2), hex(32), hex(16), hex(2), fc.constantFrom('', '-', '-x', 'x'))
      .map(([v, t, p, f, tail]) => `${v}-${t}-${p}-${f}${tail}`);
    fc.assert(
      fc.property(
        fc.oneof(fc.string(), fc.string({ unit: 'binary', maxLength: 80 }), nearValid),
        (s) => {
          const r = parseTraceparent(s);
          if (r === undefined) return true;
          return (
            /^[0-9a-f]{2}$/.test(r.version) &&
            r.version !== 'ff' &&
            /^[0-9a-f]{32}$/.test(r.traceId) &&
            /^[0-9a-f]{16}$/.test(r.parentId) &&
            !/^0+$/.test(r.traceId) &&
            !/^0+$/.test(r.parentId) &&
            s.slice(3, 35) === r.traceId &&
            s.slice(36, 52) === r.parentId &&
            (r.version !== '00' || s.length === 55)
          );
        },
      ),
      { numRuns: 5000 },
    );
  });

  it('formatTraceparent writes version 00 with the span id as parent, and parses back', () => {
    const tp = formatTraceparent({ traceId: TRACE, spanId: PARENT, sampled: true });
    assert.equal(tp, `00-${TRACE}-${PARENT}-01`);
    assert.equal(
      formatTraceparent({ traceId: TRACE, spanId: PARENT, sampled: false }).slice(-2),
      '00',
    );
    assert.deepEqual(parseTraceparent(tp)?.traceId, TRACE);
  });
});

describe('tracestate', () => {
  it('passes a valid-ish list on unchanged; joins repeated headers with commas', () => {
    assert.equal(
      normalizeTracestate('congo=t61rcWkgMzE,rojo=00f067aa0ba902b7'),
      'congo=t61rcWkgMzE,rojo=00f067aa0ba902b7',
    );
    assert.equal(normalizeTracestate('a=1 , b=2'), 'a=1 , b=2');
    assert.equal(normalizeTracestate(['a=1', 'b=2']), 'a=1,b=2');
  });
  it('drops control characters, oversized values, members without "=", empty and non-strings', () => {
    for (const v of [
      'a=1\r\nx: y',
      'x'.repeat(600),
      'a=1,novalue',
      '=x',
      '',
      ',',
      ['a=1', 2],
      5,
      undefined,
      'a=é',
    ]) {
      assert.equal(normalizeTracestate(v), undefined, JSON.stringify(v));
    }
  });
  it('never throws on any string (fast-check)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        const r = normalizeTracestate(s);
        return r === undefined || r === s;
      }),
    );
  });
});
