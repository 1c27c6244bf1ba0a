// OpenTelemetry: @opentelemetry/sdk-metrics 2 with the Prometheus exporter's serializer (OTel has
// no summary instrument and no bound instruments; the "bound" cases reuse one attributes object).
import { createServer } from 'node:http';
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import {
  DEFAULT_BUCKETS,
  PAIRS,
  seriesIncrement,
  seriesObservation,
  TRIPLES,
  VALUES,
} from '../cases/data.mjs';
import { expectClose, expectEqual, expectedLastGaugeValues, observedSum } from './check.mjs';

/** A meter provider read by a Prometheus exporter (no server), with the 2000-series cap lifted. */
function setup() {
  const exporter = new PrometheusExporter({ preventServerStart: true });
  const provider = new MeterProvider({
    readers: [exporter],
    // The SDK's default cardinality limit is 2000 series per instrument; the exposition cases need 10,000.
    views: [{ instrumentName: '*', aggregationCardinalityLimit: 1_000_000 }],
  });
  const meter = provider.getMeter('bench');
  const serializer = new PrometheusSerializer();
  return { exporter, meter, serializer };
}

async function points(exporter, name) {
  const { resourceMetrics, errors } = await exporter.collect();
  if (errors.length) throw errors[0];
  const metric = resourceMetrics.scopeMetrics
    .flatMap((s) => s.metrics)
    .find((m) => m.descriptor.name === name);
  return metric.dataPoints;
}

const histogramAdvice = { advice: { explicitBucketBoundaries: DEFAULT_BUCKETS } };

export const hot = {
  'counter-bound': () => {
    const { exporter, meter } = setup();
    const c = meter.createCounter('bench_requests');
    const attrs = { a: 'x', b: 'y', c: 'z' };
    return {
      run(n) {
        for (let i = 0; i < n; i++) c.add(1, attrs);
      },
      async check(ops) {
        const dp = await points(exporter, 'bench_requests');
        expectEqual('series', dp.length, 1);
        expectEqual('counter total', dp[0].value, ops);
      },
    };
  },
  'counter-labels': () => {
    const { exporter, meter } = setup();
    const c = meter.createCounter('bench_requests');
    return {
      run(n) {
        let j = 0;
        for (let i = 0; i < n; i++) {
          const t = TRIPLES[j];
          c.add(1, { a: t[0], b: t[1], c: t[2] });
          if (++j === 100) j = 0;
        }
      },
      async check(ops) {
        const dp = await points(exporter, 'bench_requests');
        expectEqual('series', dp.length, 100);
        expectEqual(
          'counter total',
          dp.reduce((s, p) => s + p.value, 0),
          ops,
        );
      },
    };
  },
  'gauge-labels': () => {
    const { exporter, meter } = setup();
    const g = meter.createGauge('bench_gauge');
    return {
      run(n) {
        let j = 0;
        for (let i = 0; i < n; i++) {
          const p = PAIRS[j];
          g.record(VALUES[i & 1023], { a: p[0], b: p[1] });
          if (++j === 100) j = 0;
        }
      },
      async check(_ops, lastN) {
        const dp = await points(exporter, 'bench_gauge');
        expectEqual('series', dp.length, 100);
        for (const [k, v] of expectedLastGaugeValues(lastN, VALUES)) {
          const got = dp.find(
            (x) => x.attributes.a === PAIRS[k][0] && x.attributes.b === PAIRS[k][1],
          );
          expectEqual(`gauge ${PAIRS[k]}`, got?.value, v);
        }
      },
    };
  },
  'histogram-labels': () => {
    const { exporter, meter } = setup();
    const h = meter.createHistogram('bench_seconds', histogramAdvice);
    return {
      run(n) {
        let j = 0;
        for (let i = 0; i < n; i++) {
          const p = PAIRS[j];
          h.record(VALUES[i & 1023], { a: p[0], b: p[1] });
          if (++j === 100) j = 0;
        }
      },
      async check(ops, _lastN, runs) {
        const dp = await points(exporter, 'bench_seconds');
        expectEqual('series', dp.length, 100);
        expectEqual(
          'histogram count',
          dp.reduce((s, p) => s + p.value.count, 0),
          ops,
        );
        expectClose(
          'histogram sum',
          dp.reduce((s, p) => s + p.value.sum, 0),
          observedSum(runs, VALUES),
        );
      },
    };
  },
  'histogram-bound': () => {
    const { exporter, meter } = setup();
    const h = meter.createHistogram('bench_seconds', histogramAdvice);
    const attrs = { a: 'x', b: 'y' };
    return {
      run(n) {
        for (let i = 0; i < n; i++) h.record(VALUES[i & 1023], attrs);
      },
      async check(ops, _lastN, runs) {
        const dp = await points(exporter, 'bench_seconds');
        expectEqual('histogram count', dp[0].value.count, ops);
        expectClose('histogram sum', dp[0].value.sum, observedSum(runs, VALUES));
      },
    };
  },
  'counter-plain': () => {
    const { exporter, meter } = setup();
    const c = meter.createCounter('plain');
    return {
      run(n) {
        for (let i = 0; i < n; i++) c.add(1);
      },
      async check(ops) {
        const dp = await points(exporter, 'plain');
        expectEqual('counter total', dp[0].value, ops);
      },
    };
  },
};

async function render(exporter, serializer) {
  const { resourceMetrics, errors } = await exporter.collect();
  if (errors.length) throw errors[0];
  return serializer.serialize(resourceMetrics);
}

/**
 * The counter workload `w` (cases/data.mjs `workload`): one counter per family, every series
 * incremented once. `bump()` adds 1 to the first series (the scrape case's freshness check).
 */
export function buildCounters(w) {
  const { exporter, meter, serializer } = setup();
  let bump;
  w.families.forEach((fam, f) => {
    const [k0, k1] = fam.labelNames;
    const c = meter.createCounter(fam.otelName, { description: fam.help });
    fam.values.forEach(([v0, v1], s) => {
      c.add(seriesIncrement(f, s), { [k0]: v0, [k1]: v1 });
    });
    if (f === 0) {
      const first = { [k0]: fam.values[0][0], [k1]: fam.values[0][1] };
      bump = () => c.add(1, first);
    }
  });
  return { render: () => render(exporter, serializer), exporter, bump };
}

/** The histogram workload `w`: one histogram per family (default buckets), `w.perSeries` observations per series. */
export function buildHistograms(w) {
  const { exporter, meter, serializer } = setup();
  let bump;
  w.families.forEach((fam, f) => {
    const [k0, k1] = fam.labelNames;
    const h = meter.createHistogram(fam.otelName, { description: fam.help, ...histogramAdvice });
    fam.values.forEach(([v0, v1], s) => {
      const attrs = { [k0]: v0, [k1]: v1 };
      for (let m = 0; m < w.perSeries; m++) h.record(seriesObservation(f, s, m), attrs);
    });
    if (f === 0) {
      const first = { [k0]: fam.values[0][0], [k1]: fam.values[0][1] };
      bump = (v) => h.record(v, first);
    }
  });
  return { render: () => render(exporter, serializer), exporter, bump };
}

/** The exporter's own request handler, mounted in a node:http server on an ephemeral port. */
export async function serve(built) {
  const server = createServer((req, res) => built.exporter.getMetricsRequestHandler(req, res));
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}/metrics`,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}
