// Measures the longest event-loop block of one scrape of a real registry of 100,000 series, served by createMetricsServer and scraped by a separate process. Not a test.
// Run: node --conditions=telltale-source --import tsx test/server/scrape-block.bench.ts [gauge|counter|histogram]
import { spawn } from 'node:child_process';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { createRegistry, type Registry } from '../../src/metrics/index.js';
import { createMetricsServer } from '../../src/server/index.js';

const SERIES = 100_000;
const SCRAPES = 12;
const kind = process.argv[2] ?? 'gauge';

/** 100,000 series in one family, each updated once, as a service's registry holds them. */
function fill(registry: Registry): void {
  const labelNames = ['shard', 'id'] as const;
  const labels = (i: number) => ({ shard: `s${i % 100}`, id: `series-${i}` });
  if (kind === 'gauge') {
    const g = registry.gauge({ name: 'bench_value', help: 'A gauge.', labelNames });
    for (let i = 0; i < SERIES; i++) g.set(labels(i), i * 1.5);
  } else if (kind === 'counter') {
    const c = registry.counter({ name: 'bench_events', help: 'A counter.', labelNames });
    for (let i = 0; i < SERIES; i++) c.inc(labels(i), i);
  } else if (kind === 'histogram') {
    // 10,000 label sets: with the default 11 buckets, +Inf, _sum and _count, 140,000 samples.
    const h = registry.histogram({ name: 'bench_seconds', help: 'A histogram.', labelNames });
    for (let i = 0; i < SERIES / 10; i++) h.observe(labels(i), (i % 100) / 50);
  } else throw new Error(`unknown kind ${kind}: use gauge, counter or histogram`);
}

const registry = createRegistry({ maxSeries: SERIES });
fill(registry);
const server = await createMetricsServer({ registry, port: 0, selfMetrics: false });
if (!server.enabled) throw new Error('unreachable');

// Per scrape, from the request's arrival to the response's last byte: the longest gap between
// 1 ms interval ticks (wall time), the CPU time this process used during that gap, and
// monitorEventLoopDelay's max. On a busy machine other processes stretch a gap's wall time but
// not its CPU time, so the CPU figure is the block an idle machine would see.
const hist = monitorEventLoopDelay({ resolution: 1 });
hist.enable();
let last = performance.now();
let lastCpu = process.cpuUsage();
let windowGap = 0;
let windowGapCpu = 0;
const tick = setInterval(() => {
  const now = performance.now();
  const used = process.cpuUsage(lastCpu);
  if (now - last > windowGap) {
    windowGap = now - last;
    windowGapCpu = (used.user + used.system) / 1000;
  }
  last = now;
  lastCpu = process.cpuUsage();
}, 1);
interface Row {
  gzip: boolean;
  gapMs: number;
  cpuMs: number;
  histMs: number;
  totalMs: number;
}
const rows: Row[] = [];
server.server.prependListener('request', (req, res) => {
  const t0 = performance.now();
  windowGap = 0;
  windowGapCpu = 0;
  hist.reset();
  res.once('finish', () => {
    rows.push({
      gzip: (req.headers['accept-encoding'] ?? '').includes('gzip'),
      gapMs: windowGap,
      cpuMs: windowGapCpu,
      histMs: hist.max / 1e6,
      totalMs: performance.now() - t0,
    });
  });
});

// The client: another process, so its parsing and decoding are not measured. It scrapes SCRAPES
// times as text, then as gzip, with a quiet 300 ms between scrapes.
const client = `
const http = require('node:http');
const get = (gzip) => new Promise((resolve, reject) => {
  http.get(${JSON.stringify(server.url)}, { headers: gzip ? { 'accept-encoding': 'gzip' } : {} }, (res) => {
    let n = 0; res.on('data', (c) => { n += c.length; }); res.on('end', () => resolve(n));
  }).on('error', reject);
});
(async () => {
  for (const gzip of [false, true]) for (let i = 0; i < ${SCRAPES}; i++) {
    const n = await get(gzip);
    if (i === 0) console.log((gzip ? 'gzip' : 'text') + ' body bytes ' + n);
    await new Promise((r) => setTimeout(r, 300));
  }
})();
`;
await new Promise<void>((resolve, reject) => {
  const child = spawn(process.execPath, ['-e', client], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  child.on('error', reject);
  child.on('exit', () => resolve());
});

// gather() alone, synchronously measured: the part of a scrape that is one block today.
// Also its CPU time, which other processes on a busy machine do not inflate.
const gathers: number[] = [];
const gatherCpu: number[] = [];
for (let i = 0; i < 5; i++) {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  await registry.gather();
  const c = process.cpuUsage(c0);
  gathers.push(performance.now() - t0);
  gatherCpu.push((c.user + c.system) / 1000);
}
clearInterval(tick);
hist.disable();
await server.close();

const summary = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return `min ${s[0]?.toFixed(1)}, median ${s[Math.floor(s.length / 2)]?.toFixed(1)}, max ${s[s.length - 1]?.toFixed(1)} ms`;
};
console.log(
  `${kind}: ${kind === 'histogram' ? SERIES / 10 : SERIES} label sets in one family, node ${process.version}`,
);
for (const gzip of [false, true]) {
  const r = rows.filter((x) => x.gzip === gzip);
  const [first, ...rest] = r;
  console.log(
    `${gzip ? 'gzip' : 'text'}: first scrape longest block ${first?.gapMs.toFixed(1)} ms (its CPU ${first?.cpuMs.toFixed(1)} ms); ` +
      `later ${rest.length}: longest block ${summary(rest.map((x) => x.gapMs))}; its CPU ${summary(rest.map((x) => x.cpuMs))}; ` +
      `loop-delay max ${summary(rest.map((x) => x.histMs))}; scrape ${summary(rest.map((x) => x.totalMs))}`,
  );
}
console.log(
  `registry.gather() alone (after the scrapes): ${summary(gathers)}; CPU time ${summary(gatherCpu)}`,
);
