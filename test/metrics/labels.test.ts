// Label keys are injective (unlike prom-client's '|'-joined keys) and label fragments parse back to their values.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { createRegistry } from '../../src/metrics/index.js';
import { labelKey } from '../../src/metrics/labels.js';
import { read, silenceWarnings } from './helpers.js';

silenceWarnings();

// Strings rich in the characters that break naive encodings: separators, digits, escapes.
const tricky = fc.oneof(
  fc.string({
    unit: fc.constantFrom('|', ':', '0', '1', '9', ',', '=', '"', '\\', 'n', '\n', 'x', ''),
  }),
  fc.string(),
  fc.string({ unit: 'grapheme' }),
  fc.constant(''),
);

describe('labelKey', () => {
  it('the prom-client collision ["x|", ""] vs ["x", "|"] gives distinct keys', () => {
    assert.notEqual(labelKey(['x|', '']), labelKey(['x', '|']));
    assert.notEqual(labelKey(['1:a', '']), labelKey(['1', 'a']));
    assert.notEqual(labelKey(['']), labelKey([]));
    assert.notEqual(labelKey(['', '']), labelKey(['']));
  });

  it('distinct value tuples give distinct keys (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.array(tricky, { maxLength: 5 }),
        fc.array(tricky, { maxLength: 5 }),
        (a, b) => {
          const same = a.length === b.length && a.every((v, i) => v === b[i]);
          return (labelKey(a) === labelKey(b)) === same;
        },
      ),
      { numRuns: 5000 },
    );
  });

  it('near-miss tuples, built by moving characters across a boundary, give distinct keys (fast-check)', () => {
    fc.assert(
      fc.property(tricky, tricky, fc.nat(), (x, y, k) => {
        const joined = x + y;
        const cut = joined.length === 0 ? 0 : k % (joined.length + 1);
        const a = [x, y];
        const b = [joined.slice(0, cut), joined.slice(cut)];
        const same = a[0] === b[0] && a[1] === b[1];
        return (labelKey(a) === labelKey(b)) === same;
      }),
      { numRuns: 5000 },
    );
  });

  it('the series table does not collide on the prom-client example', () => {
    const r = createRegistry();
    const c = r.counter({ name: 'c', help: 'C.', labelNames: ['a', 'b'] });
    c.inc({ a: 'x|', b: '' });
    c.inc({ a: 'x', b: '|' }, 2);
    assert.deepEqual(read(r, 'c'), { 'a="x|",b=""': 1, 'a="x",b="|"': 2 });
  });
});

describe('label sets', () => {
  it('a series keeps its exact values for any value (fast-check, through a registry)', () => {
    const r = createRegistry({ maxLabelValueLength: 10_000 });
    const c = r.counter({ name: 'c', help: 'C.', labelNames: ['a', 'b'], maxSeries: 100_000 });
    fc.assert(
      fc.property(tricky, tricky, (a, b) => {
        const p = c.labels(a, b);
        p.inc();
        const wf = (s: string) => s.toWellFormed();
        const point = c.point({ a, b });
        assert.deepEqual(point?.labels, { a: wf(a), b: wf(b) });
        assert.deepEqual(Object.keys(point?.labels ?? {}), ['a', 'b']);
      }),
      { numRuns: 1000 },
    );
  });
});
