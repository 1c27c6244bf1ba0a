// telltale, driven through the same workloads as the peers. Its TypeScript sources are loaded
// through tsx from TELLTALE_SRC: bench/run.mjs points that at a snapshot of the committed src/
// (git archive), so edits in progress in the working tree never leak into a run. Without it,
// the working tree's src/ is used.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  DEFAULT_BUCKETS,
  PAIRS,
  seriesIncrement,
  seriesObservation,
  TRIPLES,
  VALUES,
} from '../cases/data.mjs';
import { expectClose, expectEqual, expectedLastGaugeValues, observedSum } from './check.mjs';

const srcDir = process.env.TELLTALE_SRC ?? join(import.meta.dirname, '..', '..', 'src');
const load = (path: string) => import(pathToFileURL(join(srcDir, path)).href);
const { createRegistry } = await load('metrics/index.ts');
const { createProtobufCache, createTextCache, encodeProtobuf, encodeProtobufChunks, encodeText } =
  await load('exposition/index.ts');
const { createMetricsServer } = await load('server/index.ts');

type Registry = ReturnType<typeof createRegistry>;
interface Built {
  registry: Registry;
  render(): Promise<string>;
}

const ABC = ['a', 'b', 'c'] as const;
const AB = ['a', 'b'] as const;
const PAIR_LABELS = PAIRS.map(([a, b]) => ({ a, b }));

export const hot = {
  // 1. counter inc through a bound handle (one series).
  'counter-bound': () => {
    const r = createRegistry();
    const c = r.counter({ name: 'bench_requests_total', help: 'h', labelNames: ABC });
    const handle = c.labels('x', 'y', 'z');
    return {
      run(n: number) {
        for (let i = 0; i < n; i++) handle.inc();
      },
      check(ops: number) {
        expectEqual('series', c.seriesCount, 1);
        expectEqual('counter total', c.get({ a: 'x', b: 'y', c: 'z' }), ops);
      },
    };
  },
  // 2. counter inc, 3 labels as an object literal, cycling 100 combinations.
  'counter-labels': () => {
    const r = createRegistry();
    const c = r.counter({ name: 'bench_requests_total', help: 'h', labelNames: ABC });
    return {
      run(n: number) {
        let j = 0;
        for (let i = 0; i < n; i++) {
          const t = TRIPLES[j];
          c.inc({ a: t[0], b: t[1], c: t[2] });
          if (++j === 100) j = 0;
        }
      },
      check(ops: number) {
        expectEqual('series', c.seriesCount, 100);
        let total = 0;
        for (const t of TRIPLES) total += c.get({ a: t[0], b: t[1], c: t[2] }) ?? Number.NaN;
        expectEqual('counter total', total, ops);
      },
    };
  },
  // 3. gauge set, 2 labels, 100 combinations.
  'gauge-labels': () => {
    const r = createRegistry();
    const g = r.gauge({ name: 'bench_gauge', help: 'h', labelNames: AB });
    return {
      run(n: number) {
        let j = 0;
        for (let i = 0; i < n; i++) {
          const p = PAIRS[j];
          g.set({ a: p[0], b: p[1] }, VALUES[i & 1023]);
          if (++j === 100) j = 0;
        }
      },
      check(_ops: number, lastN: number) {
        expectEqual('series', g.seriesCount, 100);
        for (const [k, v] of expectedLastGaugeValues(lastN, VALUES)) {
          expectEqual(`gauge ${PAIRS[k]}`, g.get(PAIR_LABELS[k]), v);
        }
      },
    };
  },
  // 4. histogram observe, 2 labels, 100 combinations, default buckets.
  'histogram-labels': () => {
    const r = createRegistry();
    const h = r.histogram({
      name: 'bench_seconds',
      help: 'h',
      labelNames: AB,
      buckets: DEFAULT_BUCKETS,
    });
    return {
      run(n: number) {
        let j = 0;
        for (let i = 0; i < n; i++) {
          const p = PAIRS[j];
          h.observe({ a: p[0], b: p[1] }, VALUES[i & 1023]);
          if (++j === 100) j = 0;
        }
      },
      check(ops: number, _lastN: number, runs: number[]) {
        expectEqual('series', h.seriesCount, 100);
        let count = 0;
        let sum = 0;
        for (const l of PAIR_LABELS) {
          const p = h.point(l);
          count += p?.count ?? Number.NaN;
          sum += p?.sum ?? Number.NaN;
        }
        expectEqual('histogram count', count, ops);
        expectClose('histogram sum', sum, observedSum(runs, VALUES));
      },
    };
  },
  // 5. histogram observe through a bound handle.
  'histogram-bound': () => {
    const r = createRegistry();
    const h = r.histogram({
      name: 'bench_seconds',
      help: 'h',
      labelNames: AB,
      buckets: DEFAULT_BUCKETS,
    });
    const handle = h.labels('x', 'y');
    return {
      run(n: number) {
        for (let i = 0; i < n; i++) handle.observe(VALUES[i & 1023]);
      },
      check(ops: number, _lastN: number, runs: number[]) {
        const p = handle.get();
        expectEqual('histogram count', p.count, ops);
        expectClose('histogram sum', p.sum, observedSum(runs, VALUES));
      },
    };
  },
  // 6. summary observe, 2 labels, 100 combinations (default quantiles and window).
  'summary-labels': () => {
    const r = createRegistry();
    const s = r.summary({ name: 'bench_summary_seconds', help: 'h', labelNames: AB });
    return {
      run(n: number) {
        let j = 0;
        for (let i = 0; i < n; i++) {
          const p = PAIRS[j];
          s.observe({ a: p[0], b: p[1] }, VALUES[i & 1023]);
          if (++j === 100) j = 0;
        }
      },
      check(ops: number, _lastN: number, runs: number[]) {
        let count = 0;
        let sum = 0;
        for (const l of PAIR_LABELS) {
          const p = s.point(l);
          count += p?.count ?? Number.NaN;
          sum += p?.sum ?? Number.NaN;
        }
        expectEqual('summary count', count, ops);
        expectClose('summary sum', sum, observedSum(runs, VALUES));
      },
    };
  },
  // 7. counter inc, no labels.
  'counter-plain': () => {
    const r = createRegistry();
    const c = r.counter({ name: 'plain_total', help: 'h' });
    return {
      run(n: number) {
        for (let i = 0; i < n; i++) c.inc();
      },
      check(ops: number) {
        expectEqual('counter total', c.get(), ops);
      },
    };
  },
  // 8. native histogram observe, 2 labels, 100 combinations (default native options: schema 3).
  'native-labels': () => {
    const r = createRegistry();
    const h = r.histogram({ name: 'bench_seconds', help: 'h', labelNames: AB, native: {} });
    return {
      run(n: number) {
        let j = 0;
        for (let i = 0; i < n; i++) {
          const p = PAIRS[j];
          h.observe({ a: p[0], b: p[1] }, VALUES[i & 1023]);
          if (++j === 100) j = 0;
        }
      },
      check(ops: number, _lastN: number, runs: number[]) {
        expectEqual('series', h.seriesCount, 100);
        let count = 0;
        let inBuckets = 0;
        let sum = 0;
        for (const l of PAIR_LABELS) {
          const p = h.point(l);
          count += p?.count ?? Number.NaN;
          sum += p?.sum ?? Number.NaN;
          inBuckets += nativeTotal(p?.native);
        }
        expectEqual('histogram count', count, ops);
        expectEqual('native buckets total', inBuckets, ops);
        expectClose('histogram sum', sum, observedSum(runs, VALUES));
      },
    };
  },
  // 9. native histogram observe through a bound handle.
  'native-bound': () => {
    const r = createRegistry();
    const h = r.histogram({ name: 'bench_seconds', help: 'h', labelNames: AB, native: {} });
    const handle = h.labels('x', 'y');
    return {
      run(n: number) {
        for (let i = 0; i < n; i++) handle.observe(VALUES[i & 1023]);
      },
      check(ops: number, _lastN: number, runs: number[]) {
        const p = handle.get();
        expectEqual('histogram count', p.count, ops);
        expectEqual('native buckets total', nativeTotal(p.native), ops);
        expectClose('histogram sum', p.sum, observedSum(runs, VALUES));
      },
    };
  },
};

/** Observations in a native histogram point's buckets (zero bucket included); NaN when absent. */
function nativeTotal(
  n: { zeroCount: number; positiveCounts: number[]; negativeCounts: number[] } | undefined,
): number {
  if (n === undefined) return Number.NaN;
  let total = n.zeroCount;
  for (const c of n.positiveCounts) total += c;
  for (const c of n.negativeCounts) total += c;
  return total;
}

/**
 * The text render of a built registry as the metrics handler does it: gather + `encodeText` with
 * one `createTextCache()` kept between renders (each series' label text built once). A snapshot
 * of an older commit (TELLTALE_SRC) without the cache renders without one.
 */
function textRenderer(r: Registry): () => Promise<string> {
  const cache = createTextCache?.();
  const options = cache === undefined ? {} : { cache };
  return async () => encodeText(await r.gather(), options);
}

/**
 * The protobuf renders of a built registry (telltale only; the peers have no protobuf
 * exposition): `plain` is gather + `encodeProtobuf` (one byte array); `cached` is gather +
 * `encodeProtobufChunks` with one `createProtobufCache()` kept between renders, as the metrics
 * handler does (its chunks, as a server would write them).
 */
export function protobufRenders(built: Built) {
  const cache = createProtobufCache();
  return {
    plain: async (): Promise<Uint8Array> => encodeProtobuf(await built.registry.gather()),
    cached: async (): Promise<Uint8Array[]> => [
      ...encodeProtobufChunks(await built.registry.gather(), { cache }),
    ],
  };
}

// telltale caps each metric at 1,000 series by default (new label sets then fold into an
// overflow series); the exposition workloads raise the cap to what they need (one family may hold
// all 100,000 series).
const EXPOSITION_REGISTRY = { maxSeries: 100_000 };

interface Workload {
  families: {
    name: string;
    help: string;
    labelNames: [string, string];
    values: [string, string][];
  }[];
  perSeries: number;
}

/**
 * The counter workload `w` (cases/data.mjs `workload`): one counter per family, every series
 * incremented once. `bump()` adds 1 to the first series (the scrape case's freshness check).
 */
export function buildCounters(w: Workload): Built & { bump(): void } {
  const r = createRegistry(EXPOSITION_REGISTRY);
  let bump = () => {};
  w.families.forEach((fam, f) => {
    const [k0, k1] = fam.labelNames;
    const c = r.counter({ name: fam.name, help: fam.help, labelNames: fam.labelNames });
    fam.values.forEach(([v0, v1], s) => {
      c.inc({ [k0]: v0, [k1]: v1 }, seriesIncrement(f, s));
    });
    if (f === 0) {
      const first = { [k0]: fam.values[0]![0], [k1]: fam.values[0]![1] };
      bump = () => c.inc(first, 1);
    }
  });
  return { registry: r, render: textRenderer(r), bump };
}

/** The histogram workload `w`: one histogram per family (default buckets), `w.perSeries` observations per series. */
export function buildHistograms(w: Workload): Built & { bump(v: number): void } {
  const r = createRegistry(EXPOSITION_REGISTRY);
  let bump = (_v: number) => {};
  w.families.forEach((fam, f) => {
    const [k0, k1] = fam.labelNames;
    const h = r.histogram({
      name: fam.name,
      help: fam.help,
      labelNames: fam.labelNames,
      buckets: DEFAULT_BUCKETS,
    });
    fam.values.forEach(([v0, v1], s) => {
      const labels = { [k0]: v0, [k1]: v1 };
      for (let m = 0; m < w.perSeries; m++) h.observe(labels, seriesObservation(f, s, m));
    });
    if (f === 0) {
      const first = { [k0]: fam.values[0]![0], [k1]: fam.values[0]![1] };
      bump = (v: number) => h.observe(first, v);
    }
  });
  return { registry: r, render: textRenderer(r), bump };
}

/** telltale's own metrics server, with its defaults, on an ephemeral loopback port. */
export async function serve(built: Built) {
  const server = await createMetricsServer({
    port: 0,
    host: '127.0.0.1',
    registry: built.registry,
  });
  if (!server.enabled) throw new Error('metrics server disabled');
  return { url: server.url, close: () => server.close() };
}
