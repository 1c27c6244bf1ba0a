// Type-level contract: label names are literal unions, so wrong, missing or absent labels are compile errors (checked by tsc over test/).
//
// Each `@ts-expect-error` fails the type check if the line below it compiles. The same calls run
// here too, to show they are also refused at run time for untyped callers.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type Counter,
  createRegistry,
  type Histogram,
  type LabelValue,
  type StateSet,
  TelltaleError,
} from '../../src/metrics/index.js';

const refused = (fn: () => unknown, code: string) =>
  assert.throws(fn, (e) => e instanceof TelltaleError && e.code === code);

describe('label types', () => {
  const r = createRegistry();
  const c = r.counter({ name: 'http_requests_total', help: 'R.', labelNames: ['method', 'code'] });
  const solo = r.counter({ name: 'solo_total', help: 'S.' });
  const h = r.histogram({ name: 'lat_seconds', help: 'L.', labelNames: ['route'] });
  const st = r.stateSet({ name: 'phase', help: 'P.', states: ['idle', 'busy'] });

  it('the declared label names are inferred as a literal tuple', () => {
    const names: readonly ['method', 'code'] = c.labelNames;
    const typed: Counter<readonly ['method', 'code']> = c;
    const hist: Histogram<readonly ['route']> = h;
    const states: StateSet<readonly [], 'idle' | 'busy'> = st;
    const v: LabelValue = 200;
    c.inc({ method: 'GET', code: v });
    c.labels('GET', 200).inc();
    solo.inc();
    solo.inc(2);
    st.set('busy');
    assert.deepEqual(names, ['method', 'code']);
    assert.equal(typed.get({ method: 'GET', code: '200' }), 2);
    assert.equal(hist.buckets.length, 11);
    assert.deepEqual(states.states, ['idle', 'busy']);
  });

  it('a wrong label name is a compile error', () => {
    // @ts-expect-error: "methd" is not a declared label.
    refused(() => c.inc({ methd: 'GET', code: '200' }), 'TT_UNKNOWN_LABEL');
    // A new label set, so it is refused at run time too (outside strict mode an extra key on an
    // existing set takes the fast path unchecked).
    // @ts-expect-error: "extra" is not a declared label.
    refused(() => c.labels({ method: 'PUT', code: '201', extra: 'x' }).inc(), 'TT_UNKNOWN_LABEL');
    // @ts-expect-error: "path" is not a declared label of the histogram.
    refused(() => h.observe({ path: '/' }, 1), 'TT_UNKNOWN_LABEL');
  });

  it('a missing label is a compile error', () => {
    // @ts-expect-error: "code" is missing.
    refused(() => c.inc({ method: 'GET' }), 'TT_MISSING_LABEL');
    // @ts-expect-error: "code" is missing.
    refused(() => c.labels({ method: 'GET' }), 'TT_MISSING_LABEL');
    // @ts-expect-error: one positional value for two labels.
    refused(() => c.labels('GET'), 'TT_LABEL_COUNT');
  });

  it('a value passed to a labelled counter without labels is a compile error', () => {
    // @ts-expect-error: a labelled counter needs its labels first.
    refused(() => c.inc(5), 'TT_MISSING_LABEL');
    // @ts-expect-error: a labelled counter needs its labels.
    refused(() => c.inc(), 'TT_MISSING_LABEL');
    // @ts-expect-error: a labelled histogram needs its labels first.
    refused(() => h.observe(0.5), 'TT_MISSING_LABEL');
  });

  it('label-less metrics take no labels, and label values are strings or numbers', () => {
    // @ts-expect-error: a label-less counter takes no labels object.
    refused(() => solo.inc({ method: 'GET' }), 'TT_UNKNOWN_LABEL');
    // @ts-expect-error: booleans are not label values.
    refused(() => c.inc({ method: 'GET', code: true }), 'TT_INVALID_LABEL_VALUE');
    // @ts-expect-error: "done" is not a declared state.
    refused(() => st.set('done'), 'TT_INVALID_STATE');
    // @ts-expect-error: a counter increment is a number.
    refused(() => solo.inc('1'), 'TT_INVALID_VALUE');
    assert.equal(solo.get(), 3);
  });
});
