// In-process cases of the service benchmark (2: exemplars, 3: disabled log call, 4b: runtime
// metrics scrape), one case per process, driven by bench/service/run.mjs. Prints one JSON line.
//
// Run (from the repo root):
//   node --conditions=telltale-source --import tsx bench/service/micro.mjs --case=exemplars|log|scrape [--rounds=N]
//
// Timing: per-op cases use process.cpuUsage() around a batch calibrated to ~40 ms (CPU time, so
// preemption by other jobs does not count), variants alternate within each round (order reversed
// every other round), and every round gives one ns/op per variant. The scrape case times each
// scrape with performance.now() and also reports process CPU per scrape.
import { performance } from 'node:perf_hooks';

const src = (p) => new URL(`../../src/${p}`, import.meta.url).href;
const arg = (k, d) => new RegExp(`--${k}=([^\\s]+)`).exec(process.argv.join(' '))?.[1] ?? d;
const which = arg('case');
const ROUNDS = Number(arg('rounds', '15'));

function cpuUs() {
  const c = process.cpuUsage();
  return c.user + c.system;
}

/** Calibrates n so one batch takes ~targetMs of CPU. */
function calibrate(fn, targetMs = 40) {
  let n = 10_000;
  for (;;) {
    const t0 = cpuUs();
    fn(n);
    const us = cpuUs() - t0;
    if (us >= 10_000) return Math.max(1, Math.round((n * targetMs * 1000) / us));
    n *= 4;
  }
}

/**
 * variants: [{ id, run(n), before?(), after?() }]. Returns { id: [ns/op per round] } and the ops
 * done per variant (for the read-back).
 */
function alternate(variants, rounds) {
  const ns = Object.fromEntries(variants.map((v) => [v.id, []]));
  const ops = Object.fromEntries(variants.map((v) => [v.id, 0]));
  const sizes = {};
  for (const v of variants) {
    v.before?.();
    v.run(10_000); // warm up
    ops[v.id] += 10_000;
    sizes[v.id] = calibrate((n) => {
      v.run(n);
      ops[v.id] += n;
    });
    v.after?.();
  }
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? variants : [...variants].reverse();
    for (const v of order) {
      const n = sizes[v.id];
      v.before?.();
      const t0 = cpuUs();
      v.run(n);
      const us = cpuUs() - t0;
      v.after?.();
      ops[v.id] += n;
      ns[v.id].push((us * 1000) / n);
    }
  }
  return { ns, ops, sizes };
}

function expectEqual(what, got, want) {
  if (got !== want) throw new Error(`read-back failed: ${what} is ${got}, expected ${want}`);
}

async function exemplars() {
  const { createRegistry } = await import(src('metrics/index.ts'));
  const { encodeOpenMetrics } = await import(src('exposition/index.ts'));
  const { createTelemetry } = await import(src('trace/index.ts'));
  const r = createRegistry();
  // Exemplars on for this registry: its source is live only while one of `tel`'s spans is open.
  const tel = createTelemetry({ registry: r, tracing: { exemplars: true } });
  const c = r.counter({ name: 'bench_ops_total', help: 'h', labelNames: ['a'] });
  const h = r.histogram({ name: 'bench_seconds', help: 'h', labelNames: ['a'] });
  const ch = {
    off: c.labels('off'),
    aa: c.labels('aa'),
    on: c.labels('on'),
    span: c.labels('span'),
  };
  const hh = {
    off: h.labels('off'),
    aa: h.labels('aa'),
    on: h.labels('on'),
    span: h.labels('span'),
  };
  const VALUES = Float64Array.from({ length: 1024 }, (_, i) => (i % 64) * 0.02);
  const incLoop = (handle, n) => {
    for (let i = 0; i < n; i++) handle.inc();
  };
  const obsLoop = (handle, n) => {
    for (let i = 0; i < n; i++) handle.observe(VALUES[i & 1023]);
  };
  // Same loop functions for every variant, so the JIT state is shared: only the series and the
  // active span differ (`*-on-nospan`: exemplars on for the registry, no span open). `*-off-aa`
  // is an A/A control: a second series measured exactly like `*-off`, to show the noise between
  // two identical variants.
  const variants = [
    { id: 'counter-off', run: (n) => incLoop(ch.off, n) },
    { id: 'counter-off-aa', run: (n) => incLoop(ch.aa, n) },
    { id: 'counter-on-nospan', run: (n) => incLoop(ch.on, n) },
    { id: 'counter-on-span', run: (n) => tel.span('bench', () => incLoop(ch.span, n)) },
    { id: 'histogram-off', run: (n) => obsLoop(hh.off, n) },
    { id: 'histogram-off-aa', run: (n) => obsLoop(hh.aa, n) },
    { id: 'histogram-on-nospan', run: (n) => obsLoop(hh.on, n) },
    { id: 'histogram-on-span', run: (n) => tel.span('bench', () => obsLoop(hh.span, n)) },
  ];
  const res = alternate(variants, ROUNDS);
  // Read back: every increment and observation landed; exemplars only where a span was active.
  const suffix = { off: 'off', aa: 'off-aa', on: 'on-nospan', span: 'on-span' };
  for (const [k, v] of Object.entries(suffix)) {
    expectEqual(`counter ${k}`, c.get({ a: k }), res.ops[`counter-${v}`]);
    expectEqual(`histogram ${k} count`, h.point({ a: k }).count, res.ops[`histogram-${v}`]);
  }
  const om = encodeOpenMetrics(await r.gather());
  const exemplarLines = om.split('\n').filter((l) => l.includes('# {trace_id='));
  const withEx = (a) => exemplarLines.filter((l) => l.includes(`a="${a}"`)).length;
  if (withEx('span') === 0) throw new Error('read-back failed: no exemplar on the in-span series');
  if (withEx('off') + withEx('aa') + withEx('on') !== 0)
    throw new Error('read-back failed: exemplar outside a span');
  return {
    ns: res.ns,
    ops: res.ops,
    exemplarLines: { span: withEx('span'), off: withEx('off'), on: withEx('on') },
  };
}

async function log() {
  const { createLogger } = await import(src('log/index.ts'));
  const pino = (await import('pino')).default;
  let lines = 0;
  const sink = {
    write() {
      lines++;
      return true;
    },
  };
  const logger = createLogger({ level: 'info', destination: sink, env: {} });
  const p = pino({ level: 'info' }, sink);
  let acc = 0;
  const floor = new Float64Array(1);
  const variants = [
    {
      id: 'floor',
      run: (n) => {
        for (let i = 0; i < n; i++) floor[0] += 1;
      },
    },
    {
      id: 'telltale-debug',
      run: (n) => {
        for (let i = 0; i < n; i++) logger.debug('x');
      },
    },
    {
      id: 'pino-debug',
      run: (n) => {
        for (let i = 0; i < n; i++) p.debug('x');
      },
    },
    {
      id: 'telltale-debug-fields',
      run: (n) => {
        for (let i = 0; i < n; i++) logger.debug({ i }, 'x');
      },
    },
  ];
  const res = alternate(variants, ROUNDS);
  // Read back: nothing was written at the disabled level, and the logger does write at info.
  expectEqual('lines written at debug', lines, 0);
  logger.info('written');
  p.info('written');
  expectEqual('lines written at info', lines, 2);
  acc += floor[0];
  return { ns: res.ns, ops: res.ops, level: logger.level, floorSum: acc };
}

async function scrape() {
  const { createRegistry } = await import(src('metrics/index.ts'));
  const { encodeText } = await import(src('exposition/index.ts'));
  const { startRuntimeMetrics } = await import(src('runtime/index.ts'));
  const registry = createRegistry();
  const runtime = startRuntimeMetrics({ registry });
  await new Promise((r) => setTimeout(r, 200));
  for (let i = 0; i < 50; i++) encodeText(await registry.gather()); // warm up
  const N = Number(arg('scrapes', '200'));
  const wall = [];
  let bytes = 0;
  let body = '';
  let cpu = 0;
  for (let i = 0; i < N; i++) {
    // One loop turn between scrapes, as between real scrapes (not timed).
    await new Promise((r) => setImmediate(r));
    const c0 = cpuUs();
    const t0 = performance.now();
    body = encodeText(await registry.gather());
    wall.push(performance.now() - t0);
    cpu += cpuUs() - c0;
    bytes = body.length;
  }
  runtime.stop();
  // Read back: the exposition really holds the runtime families.
  const families = body.split('\n').filter((l) => l.startsWith('# TYPE ')).length;
  const series = body.split('\n').filter((l) => l !== '' && !l.startsWith('#')).length;
  for (const name of ['process_cpu_seconds_total', 'process_resident_memory_bytes']) {
    if (!body.includes(`\n${name} `) && !body.startsWith(`${name} `)) {
      if (!body.includes(name)) throw new Error(`read-back failed: ${name} missing`);
    }
  }
  if (families < 10) throw new Error(`read-back failed: only ${families} families`);
  return { wallMs: wall, cpuUsPerScrape: cpu / N, bytes, families, series, scrapes: N };
}

const cases = { exemplars, log, scrape };
if (!(which in cases)) throw new Error(`--case= one of ${Object.keys(cases)}`);
const out = await cases[which]();
console.log(JSON.stringify({ case: which, ...out }));
