// prom-client and @prometheus-io/client share one API, so both are driven by this module.
import { createServer } from 'node:http';
import {
  DEFAULT_BUCKETS,
  PAIRS,
  seriesIncrement,
  seriesObservation,
  TRIPLES,
  VALUES,
} from '../cases/data.mjs';
import { expectClose, expectEqual, expectedLastGaugeValues, observedSum } from './check.mjs';

const sumOf = (values, suffix) =>
  values
    .filter((v) => suffix === '' || v.metricName?.endsWith(suffix))
    .reduce((s, v) => s + v.value, 0);

/** Builds the library descriptor for the prom-client-style module `lib`. */
export function promLike(lib) {
  const hot = {
    // 1. counter inc through a labels() child bound to one series.
    'counter-bound': () => {
      const r = new lib.Registry();
      const c = new lib.Counter({
        name: 'bench_requests_total',
        help: 'h',
        labelNames: ['a', 'b', 'c'],
        registers: [r],
      });
      const child = c.labels('x', 'y', 'z');
      return {
        run(n) {
          for (let i = 0; i < n; i++) child.inc();
        },
        async check(ops) {
          const { values } = await c.get();
          expectEqual('series', values.length, 1);
          expectEqual('counter total', values[0].value, ops);
        },
      };
    },
    // 2. counter inc, 3 labels as an object literal, cycling 100 combinations.
    'counter-labels': () => {
      const r = new lib.Registry();
      const c = new lib.Counter({
        name: 'bench_requests_total',
        help: 'h',
        labelNames: ['a', 'b', 'c'],
        registers: [r],
      });
      return {
        run(n) {
          let j = 0;
          for (let i = 0; i < n; i++) {
            const t = TRIPLES[j];
            c.inc({ a: t[0], b: t[1], c: t[2] });
            if (++j === 100) j = 0;
          }
        },
        async check(ops) {
          const { values } = await c.get();
          expectEqual('series', values.length, 100);
          expectEqual('counter total', sumOf(values, ''), ops);
        },
      };
    },
    // 3. gauge set, 2 labels, 100 combinations.
    'gauge-labels': () => {
      const r = new lib.Registry();
      const g = new lib.Gauge({
        name: 'bench_gauge',
        help: 'h',
        labelNames: ['a', 'b'],
        registers: [r],
      });
      return {
        run(n) {
          let j = 0;
          for (let i = 0; i < n; i++) {
            const p = PAIRS[j];
            g.set({ a: p[0], b: p[1] }, VALUES[i & 1023]);
            if (++j === 100) j = 0;
          }
        },
        async check(_ops, lastN) {
          const { values } = await g.get();
          expectEqual('series', values.length, 100);
          const want = expectedLastGaugeValues(lastN, VALUES);
          for (const [k, v] of want) {
            const got = values.find(
              (x) => x.labels.a === PAIRS[k][0] && x.labels.b === PAIRS[k][1],
            );
            expectEqual(`gauge ${PAIRS[k]}`, got?.value, v);
          }
        },
      };
    },
    // 4. histogram observe, 2 labels, 100 combinations, default buckets.
    'histogram-labels': () => {
      const r = new lib.Registry();
      const h = new lib.Histogram({
        name: 'bench_seconds',
        help: 'h',
        labelNames: ['a', 'b'],
        buckets: DEFAULT_BUCKETS,
        registers: [r],
      });
      return {
        run(n) {
          let j = 0;
          for (let i = 0; i < n; i++) {
            const p = PAIRS[j];
            h.observe({ a: p[0], b: p[1] }, VALUES[i & 1023]);
            if (++j === 100) j = 0;
          }
        },
        async check(ops, _lastN, runs) {
          const { values } = await h.get();
          expectEqual('histogram count', sumOf(values, '_count'), ops);
          expectEqual('series', values.filter((v) => v.metricName.endsWith('_count')).length, 100);
          expectClose('histogram sum', sumOf(values, '_sum'), observedSum(runs, VALUES));
        },
      };
    },
    // 5. histogram observe through a labels() child.
    'histogram-bound': () => {
      const r = new lib.Registry();
      const h = new lib.Histogram({
        name: 'bench_seconds',
        help: 'h',
        labelNames: ['a', 'b'],
        buckets: DEFAULT_BUCKETS,
        registers: [r],
      });
      const child = h.labels('x', 'y');
      return {
        run(n) {
          for (let i = 0; i < n; i++) child.observe(VALUES[i & 1023]);
        },
        async check(ops, _lastN, runs) {
          const { values } = await h.get();
          expectEqual('histogram count', sumOf(values, '_count'), ops);
          expectClose('histogram sum', sumOf(values, '_sum'), observedSum(runs, VALUES));
        },
      };
    },
    // 6. summary observe, 2 labels, 100 combinations (default quantiles, no max age).
    'summary-labels': () => {
      const r = new lib.Registry();
      const s = new lib.Summary({
        name: 'bench_summary_seconds',
        help: 'h',
        labelNames: ['a', 'b'],
        registers: [r],
      });
      return {
        run(n) {
          let j = 0;
          for (let i = 0; i < n; i++) {
            const p = PAIRS[j];
            s.observe({ a: p[0], b: p[1] }, VALUES[i & 1023]);
            if (++j === 100) j = 0;
          }
        },
        async check(ops, _lastN, runs) {
          const { values } = await s.get();
          expectEqual('summary count', sumOf(values, '_count'), ops);
          expectClose('summary sum', sumOf(values, '_sum'), observedSum(runs, VALUES));
        },
      };
    },
    // 7. counter inc, no labels.
    'counter-plain': () => {
      const r = new lib.Registry();
      const c = new lib.Counter({ name: 'plain_total', help: 'h', registers: [r] });
      return {
        run(n) {
          for (let i = 0; i < n; i++) c.inc();
        },
        async check(ops) {
          const { values } = await c.get();
          expectEqual('counter total', values[0].value, ops);
        },
      };
    },
  };

  /**
   * The counter workload `w` (cases/data.mjs `workload`): one Counter per family, every series
   * incremented once. `bump()` adds 1 to the first series (the scrape case's freshness check).
   */
  function buildCounters(w) {
    const r = new lib.Registry();
    const first = [];
    w.families.forEach((fam, f) => {
      const [k0, k1] = fam.labelNames;
      const c = new lib.Counter({
        name: fam.name,
        help: fam.help,
        labelNames: fam.labelNames,
        registers: [r],
      });
      fam.values.forEach(([v0, v1], s) => {
        c.inc({ [k0]: v0, [k1]: v1 }, seriesIncrement(f, s));
      });
      if (f === 0) first.push(c, { [k0]: fam.values[0][0], [k1]: fam.values[0][1] });
    });
    return {
      render: () => r.metrics(),
      contentType: r.contentType,
      registry: r,
      bump: () => first[0].inc(first[1], 1),
    };
  }

  /** The histogram workload `w`: one Histogram per family (default buckets), `w.perSeries` observations per series. */
  function buildHistograms(w) {
    const r = new lib.Registry();
    const first = [];
    w.families.forEach((fam, f) => {
      const [k0, k1] = fam.labelNames;
      const h = new lib.Histogram({
        name: fam.name,
        help: fam.help,
        labelNames: fam.labelNames,
        buckets: DEFAULT_BUCKETS,
        registers: [r],
      });
      fam.values.forEach(([v0, v1], s) => {
        const labels = { [k0]: v0, [k1]: v1 };
        for (let m = 0; m < w.perSeries; m++) h.observe(labels, seriesObservation(f, s, m));
      });
      if (f === 0) first.push(h, { [k0]: fam.values[0][0], [k1]: fam.values[0][1] });
    });
    return {
      render: () => r.metrics(),
      contentType: r.contentType,
      registry: r,
      bump: (v) => first[0].observe(first[1], v),
    };
  }

  /** The idiomatic way to serve it: `registry.metrics()` in a node:http handler. */
  async function serve(built) {
    const server = createServer(async (_req, res) => {
      const body = await built.registry.metrics();
      res.writeHead(200, { 'content-type': built.contentType });
      res.end(body);
    });
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address();
    return {
      url: `http://127.0.0.1:${port}/metrics`,
      close: () => new Promise((resolve) => server.close(resolve)),
    };
  }

  return { hot, buildCounters, buildHistograms, serve };
}
