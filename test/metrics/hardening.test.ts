// Regression tests for the metrics-core items of issue 10 (hardening): error messages, gather names, lint, HELP, no-op reads, self-metric labels.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeOpenMetrics, encodeText } from '../../src/exposition/index.js';
import {
  type AnyInstrument,
  createNoopRegistry,
  createRegistry,
  lintMetricName,
  mergeRegistries,
  type Registry,
} from '../../src/metrics/index.js';
import { parseOpenMetrics, parseText } from '../../src/testing/parse.js';
import { captureWarnings, silenceWarnings, text, throwsCode } from './helpers.js';

/** Asserts that `p` rejects with a TelltaleError `code` whose message contains `mention`. */
async function rejectsCode(p: Promise<unknown>, code: string, mention: string): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof Error && 'code' in err, String(err));
    assert.equal(err.code, code);
    assert.ok(err.message.includes(mention), err.message);
    return true;
  });
}

silenceWarnings();

describe('error messages name the real method', () => {
  it('each factory called without options names itself, as spelled on the registry', () => {
    const r = createRegistry();
    const methods = ['counter', 'gauge', 'histogram', 'summary', 'info', 'stateSet'] as const;
    for (const m of methods) {
      assert.equal(typeof r[m], 'function', m);
      const call = r[m] as (o: unknown) => unknown;
      const err = throwsCode(() => call.call(r, null), 'TT_INVALID_OPTION');
      assert.equal(
        err.message,
        `TT_INVALID_OPTION: registry.${m}(): options must be an object with name and help`,
      );
    }
  });

  it('registry.stateSet() with options that are not an object', () => {
    const r: Registry = createRegistry();
    throwsCode(() => r.stateSet(42 as never), 'TT_INVALID_OPTION', 'registry.stateSet()');
  });
});

describe('gather({ names }) takes any iterable of strings', () => {
  function registry(): Registry {
    const r = createRegistry();
    r.counter({ name: 'a_total', help: 'A.' }).inc();
    r.gauge({ name: 'b', help: 'B.' }).set(2);
    r.histogram({ name: 'c_seconds', help: 'C.' }).observe(1);
    return r;
  }
  const names = (fs: readonly { name: string }[]) => fs.map((f) => f.name);

  it('an array, a Set, a generator and an empty array select the same way', async () => {
    const r = registry();
    assert.deepEqual(names(await r.gather({ names: ['a_total', 'c_seconds_bucket'] })), [
      'a',
      'c_seconds',
    ]);
    assert.deepEqual(names(await r.gather({ names: new Set(['b']) })), ['b']);
    function* gen() {
      yield 'b';
      yield 'a';
    }
    assert.deepEqual(names(await r.gather({ names: gen() })), ['a', 'b']);
    assert.deepEqual(names(await r.gather({ names: [] })), ['a', 'b', 'c_seconds']);
    assert.deepEqual(names(r.gatherSync({ names: ['c_seconds'] })), ['c_seconds']);
    assert.deepEqual(names(await r.gather({ names: ['nothing'] })), []);
  });

  it('mergeRegistries reads a one-shot iterable once and passes it to every registry', async () => {
    const one = createRegistry({ defaultLabels: { r: '1' } });
    const two = createRegistry({ defaultLabels: { r: '2' } });
    one.gauge({ name: 'g', help: 'G.' }).set(1);
    two.gauge({ name: 'g', help: 'G.' }).set(2);
    two.gauge({ name: 'h', help: 'H.' }).set(3);
    const merged = mergeRegistries(one, two);
    const fs = await merged.gather({ names: ['g'].values() });
    assert.deepEqual(
      fs.map((f) => [f.name, f.points.map((p) => text(p.labels))]),
      [['g', ['r="1"', 'r="2"']]],
    );
  });

  it('anything else is TT_INVALID_OPTION naming the problem', async () => {
    const r = registry();
    await rejectsCode(
      r.gather({ names: 'a_total' as never }),
      'TT_INVALID_OPTION',
      'wrap it in an array',
    );
    await rejectsCode(r.gather({ names: 42 as never }), 'TT_INVALID_OPTION', 'got number');
    await rejectsCode(r.gather({ names: null as never }), 'TT_INVALID_OPTION', 'got null');
    await rejectsCode(r.gather({ names: {} as never }), 'TT_INVALID_OPTION', 'got object');
    await rejectsCode(r.gather({ names: ['a', 7] as never }), 'TT_INVALID_OPTION', 'got number 7');
    await rejectsCode(
      r.gather({ names: new Set([7]) as never }),
      'TT_INVALID_OPTION',
      'got number 7',
    );
    await rejectsCode(r.gather(5 as never), 'TT_INVALID_OPTION', 'registry.gather(): options');
    throwsCode(
      () => r.gatherSync({ names: 'b' as never }),
      'TT_INVALID_OPTION',
      'registry.gatherSync()',
    );
    await rejectsCode(
      mergeRegistries(r).gather({ names: 3 as never }),
      'TT_INVALID_OPTION',
      'mergeRegistries().gather()',
    );
  });

  it('mergeRegistries refuses an argument that is not a gatherer when it is called, not at gather time', () => {
    const r = createRegistry();
    throwsCode(
      () => mergeRegistries(r, 5 as never),
      'TT_INVALID_OPTION',
      'mergeRegistries: argument 2 must be a registry or another gatherer (with gather()), got number',
    );
    throwsCode(() => mergeRegistries(null as never), 'TT_INVALID_OPTION', 'got null');
  });
});

describe('lintMetricName(name, type, declared = name)', () => {
  it('the documented two-argument calls return exactly the documented findings', () => {
    assert.deepEqual(lintMetricName('request_ms', 'histogram'), [
      {
        metric: 'request_ms',
        message:
          'use base unit "seconds" instead of "ms" (rename to "request_seconds" and observe seconds)',
      },
    ]);
    assert.deepEqual(lintMetricName('http_requests_total', 'counter'), []);
    assert.deepEqual(lintMetricName('queue_total', 'gauge'), [
      { metric: 'queue_total', message: 'non-counter metrics should not have "_total" suffix' },
    ]);
  });

  it('two arguments find what registration warns about, for each rule', () => {
    const cases = [
      ['request_ms', 'histogram'],
      ['http_requests_total', 'counter'],
      ['latency_ms_total', 'counter'],
      ['queue_total', 'gauge'],
      ['queueDepth', 'gauge'],
      ['job:rate', 'gauge'],
      ['cache_kilobytes', 'gauge'],
      ['build_info', 'info'],
    ] as const;
    for (const [name, type] of cases) {
      const { warnings } = captureWarnings(() => {
        const r = createRegistry();
        if (type === 'counter') r.counter({ name, help: 'X.' });
        else if (type === 'gauge') r.gauge({ name, help: 'X.' });
        else if (type === 'histogram') r.histogram({ name, help: 'X.' });
        else r.info({ name, help: 'X.' });
      });
      assert.deepEqual(
        lintMetricName(name, type).map(
          (f) => `TT_NAMING_CONVENTION: metric "${f.metric}": ${f.message}`,
        ),
        warnings.map((w) => w.message),
        name,
      );
    }
  });

  it('the third argument only names the metric in the findings', () => {
    assert.deepEqual(lintMetricName('x_ms', 'gauge', 'svc_x_ms'), [
      { metric: 'svc_x_ms', message: 'use base unit "seconds" instead of "ms"' },
    ]);
  });

  it('bad arguments are coded errors', () => {
    throwsCode(
      () => lintMetricName(3 as never, 'gauge'),
      'TT_INVALID_METRIC_NAME',
      'lintMetricName',
    );
    throwsCode(() => lintMetricName('x', 'gauges' as never), 'TT_INVALID_OPTION', '"gauges"');
  });
});

describe('HELP text: as given and escaped, trimmed at both ends, well-formed', () => {
  /** The HELP lines of a body. */
  const helpLines = (body: string) => body.split('\n').filter((l) => l.startsWith('# HELP'));

  it('exact HELP lines in both formats, and what the strict parsers read back', () => {
    const r = createRegistry({ prefix: 'shop_' });
    r.counter({ name: 'orders_total', help: ' \t Orders placed.\r\n' }).inc();
    r.gauge({ name: 'g', help: 'Line one\nline "two" \\ end\t' }).set(1);
    r.histogram({ name: 'h_seconds', help: 'In\tside\rkept.', buckets: [1] }).observe(1);
    const fams = r.gatherSync();
    assert.deepEqual(
      fams.map((f) => f.help),
      ['Line one\nline "two" \\ end', 'In\tside\rkept.', 'Orders placed.'],
    );
    const text = encodeText(fams);
    const om = encodeOpenMetrics(fams);
    assert.deepEqual(helpLines(text), [
      '# HELP shop_g Line one\\nline "two" \\\\ end',
      '# HELP shop_h_seconds In\tside\rkept.',
      '# HELP shop_orders_total Orders placed.',
    ]);
    assert.deepEqual(helpLines(om), [
      '# HELP shop_g Line one\\nline \\"two\\" \\\\ end',
      '# HELP shop_h_seconds In\tside\rkept.',
      '# HELP shop_orders Orders placed.',
    ]);
    for (const parsed of [parseText(text), parseOpenMetrics(om)]) {
      assert.deepEqual(
        parsed.map((f) => f.help),
        fams.map((f) => f.help),
      );
    }
  });

  it('a lone surrogate becomes U+FFFD, so both bodies stay valid UTF-8 and parse back', () => {
    const r = createRegistry();
    const g = r.gauge({ name: 'g', help: 'Half \ud800 a pair.' });
    g.set(1);
    assert.equal(g.help, 'Half \ufffd a pair.');
    const fams = r.gatherSync();
    assert.equal(parseText(encodeText(fams))[0]!.help, 'Half \ufffd a pair.');
    assert.equal(parseOpenMetrics(encodeOpenMetrics(fams))[0]!.help, 'Half \ufffd a pair.');
  });

  it('help that differs only in the trimmed whitespace is the same spec', () => {
    const r = createRegistry();
    const a = r.gauge({ name: 'g', help: 'G.' });
    assert.equal(r.gauge({ name: 'g', help: '  G.\n' }), a);
    throwsCode(
      () => r.gauge({ name: 'g', help: ' H. ' }),
      'TT_CONFLICTING_REGISTRATION',
      'help "G." vs "H."',
    );
    throwsCode(() => r.gauge({ name: 'blank', help: ' \n\t ' }), 'TT_INVALID_HELP', 'blank');
  });
});

describe('no-op instruments read like real ones before their first update', () => {
  /** Plain data of a read (LabelView → plain; NaN kept distinguishable from null). */
  const plain = (v: unknown) =>
    v === undefined
      ? 'undefined'
      : JSON.stringify(v, (_k, x) => (typeof x === 'number' && Number.isNaN(x) ? 'NaN' : x));

  type Reg = ReturnType<typeof createRegistry>;
  const specs: [string, (r: Reg) => AnyInstrument][] = [
    ['counter', (r) => r.counter({ name: 'c_total', help: ' C. ' })],
    ['counter with labels', (r) => r.counter({ name: 'cl', help: 'C.', labelNames: ['a'] })],
    ['gauge', (r) => r.gauge({ name: 'g', help: 'G.' })],
    ['gauge with labels', (r) => r.gauge({ name: 'gl', help: 'G.', labelNames: ['a'] })],
    ['histogram', (r) => r.histogram({ name: 'h_seconds', help: 'H.', buckets: [0.1, 1] })],
    [
      'histogram, default buckets',
      (r) => r.histogram({ name: 'hd', help: 'H.', labelNames: ['a'] }),
    ],
    [
      'native histogram',
      (r) => r.histogram({ name: 'n_seconds', help: 'N.', native: { schema: 3 } }),
    ],
    [
      'native histogram with labels and classic buckets',
      (r) =>
        r.histogram({
          name: 'nb_seconds',
          help: 'N.',
          labelNames: ['a'],
          buckets: [0.5],
          native: { zeroThreshold: 0.001 },
        }),
    ],
    ['summary', (r) => r.summary({ name: 's', help: 'S.' })],
    [
      'summary with labels',
      (r) => r.summary({ name: 'sl', help: 'S.', labelNames: ['a'], quantiles: [0.5] }),
    ],
    ['info', (r) => r.info({ name: 'build_info', help: 'B.', labelNames: ['v'] })],
    ['info without labels', (r) => r.info({ name: 'i', help: 'I.' })],
    ['stateset', (r) => r.stateSet({ name: 'st', help: 'S.', states: ['a', 'b'] })],
    [
      'stateset with labels',
      (r) => r.stateSet({ name: 'stl', help: 'S.', states: ['x'], labelNames: ['a'] }),
    ],
  ];

  for (const [what, make] of specs) {
    it(what, () => {
      // now: 0, so a real series' `created` is 0, as a no-op point's is.
      const real = make(createRegistry({ now: () => 0 })) as unknown as Record<string, unknown>;
      const noop = make(createNoopRegistry() as Reg) as unknown as Record<string, unknown>;
      for (const k of [
        'type',
        'name',
        'help',
        'unit',
        'labelNames',
        'seriesCount',
        'buckets',
        'quantiles',
        'states',
      ]) {
        assert.equal(plain(noop[k]), plain(real[k]), k);
      }
      const labelled = (real['labelNames'] as string[]).length > 0;
      const args = labelled ? [{ a: 'x' }] : [];
      for (const k of ['get', 'point'] as const) {
        const r = real[k] as ((...a: unknown[]) => unknown) | undefined;
        if (r === undefined) continue;
        assert.equal(
          plain((noop[k] as (...a: unknown[]) => unknown)(...args)),
          plain(r.apply(real, args)),
          k,
        );
      }
      if (real['type'] === 'info') return;
      const rh = (real['labels'] as (...a: unknown[]) => { get(): unknown }).apply(
        real,
        labelled ? ['x'] : [],
      );
      const nh = (noop['labels'] as (...a: unknown[]) => { get(): unknown })(
        ...(labelled ? ['x'] : []),
      );
      const rv = rh.get();
      // A no-op handle's point carries no labels; everything else is the real empty value.
      const expected =
        labelled && typeof rv === 'object' && rv !== null && 'labels' in rv
          ? { ...rv, labels: {} }
          : rv;
      assert.equal(plain(nh.get()), plain(expected), 'handle get()');
    });
  }

  it('the reads that were wrong: exact values', () => {
    const r = createNoopRegistry();
    assert.equal(r.counter({ name: 'c', help: 'C.' }).get(), 0);
    assert.equal(r.gauge({ name: 'g', help: 'G.' }).get(), 0);
    assert.equal(r.counter({ name: 'c_total', help: 'C.' }).name, 'c');
    assert.deepEqual(
      r
        .histogram({ name: 'h', help: 'H.', buckets: [1, 2] })
        .labels()
        .get().cumulative,
      [0, 0, 0],
    );
    assert.deepEqual(r.summary({ name: 's', help: 'S.' }).point()?.values, [
      Number.NaN,
      Number.NaN,
      Number.NaN,
    ]);
    assert.equal(
      r.histogram({ name: 'hl', help: 'H.', labelNames: ['a'] }).point({ a: 'x' }),
      undefined,
    );
  });
});

describe('the metric label of telltale self-metrics is the exposed name', () => {
  it('overflow, truncation, PII and collect errors name each type as exposition writes it', async () => {
    const r = createRegistry({ maxSeries: 1, maxLabelValueLength: 4, piiGuard: true });
    const updates: ((k: string) => void)[] = [
      (k) => r.counter({ name: 'jobs_total', help: 'J.', labelNames: ['k'] }).inc({ k }),
      (k) => r.counter({ name: 'bare', help: 'B.', labelNames: ['k'] }).inc({ k }),
      (k) => r.gauge({ name: 'depth', help: 'D.', labelNames: ['k'] }).set({ k }, 1),
      (k) => r.histogram({ name: 'lat_seconds', help: 'L.', labelNames: ['k'] }).observe({ k }, 1),
      (k) => r.summary({ name: 'size_bytes', help: 'S.', labelNames: ['k'] }).observe({ k }, 1),
      (k) => r.info({ name: 'build_info', help: 'B.', labelNames: ['k'] }).set({ k }),
      (k) =>
        r
          .stateSet({ name: 'phase', help: 'P.', labelNames: ['k'], states: ['on'] })
          .set({ k }, 'on'),
    ];
    for (const update of updates) {
      update('a'); // the one series the cap allows
      update('b'); // folded: overflow
      update('a-long-value'); // truncated, then folded
      update('me@example.com'); // PII, then folded
    }
    r.gauge({ name: 'broken', help: 'B.', collect: () => Promise.reject(new Error('no')) });
    r.counter({ name: 'flaky_total', help: 'F.', collect: () => Promise.reject(new Error('no')) });
    await r.gather();
    const exposed = [
      'jobs_total',
      'bare_total',
      'depth',
      'lat_seconds',
      'size_bytes',
      'build_info',
      'phase',
    ];
    const metricLabels = (name: string) =>
      (r.gatherSync({ names: [name] })[0]?.points ?? []).map((p) => p.labels['metric']);
    assert.deepEqual(metricLabels('telltale_series_overflow_total'), exposed);
    assert.deepEqual(metricLabels('telltale_label_values_truncated_total'), exposed);
    assert.deepEqual(metricLabels('telltale_pii_rejected_total'), exposed);
    assert.deepEqual(metricLabels('telltale_collect_errors_total'), ['broken', 'flaky_total']);
    // With a prefix: the prefixed name, as exposed.
    const p = createRegistry({ prefix: 'shop_', maxSeries: 1 });
    const orders = p.counter({ name: 'orders', help: 'O.', labelNames: ['k'] });
    orders.inc({ k: 'a' });
    orders.inc({ k: 'b' });
    assert.deepEqual(
      p.gatherSync({ names: ['telltale_series_overflow'] })[0]?.points.map((x) => text(x.labels)),
      ['metric="shop_orders_total"'],
    );
    // Each value is a name the text format writes in a TYPE line, and a sample name in OpenMetrics.
    const fams = r.gatherSync({ names: exposed });
    const lines = encodeText(fams).split('\n');
    const om = encodeOpenMetrics(fams).split('\n');
    for (const name of exposed) {
      assert.ok(
        lines.some((l) => l.startsWith(`# TYPE ${name} `)),
        name,
      );
      assert.ok(
        om.some((l) => l.startsWith(`${name}{`) || l.startsWith(`${name}_bucket{`)),
        name,
      );
    }
  });
});
