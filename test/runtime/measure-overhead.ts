// Local measurement (not a test): runtime gather+render time, and the steady CPU cost of the collectors with no scrape.
//
// Run: node --conditions=telltale-source --import tsx test/runtime/measure-overhead.ts [--seconds=60] [--renders=2000]
//        [--resolution=10] (the event-loop histogram's resolutionMs; 0 turns the event-loop collector off)
//        [--steady-only] [--idle-only]
//
// 1. Scrape cost: one registry with every runtime collector (agent names on); each iteration is
//    `encodeText(await registry.gather())`, timed with performance.now(); median, p99 and mean.
// 2. Steady cost: two child processes run side by side for `--seconds`, one with every collector
//    started and one without, both never scraped. Each reports its own process.cpuUsage() over
//    the window (after a 2 s settle). The difference, as a percentage of one core, is the cost.
//    Two scenarios: idle (nothing else runs), and light load (1 MB of short-lived garbage every
//    50 ms, so GCs happen and the GC observer has work).
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { encodeText } from '../../src/exposition/index.js';
import { createRegistry } from '../../src/metrics/index.js';
import { startRuntimeMetrics } from '../../src/runtime/index.js';

const args = new Map(
  process.argv.slice(2).map((a) => {
    const [k, v = 'true'] = a.replace(/^--/, '').split('=');
    return [k as string, v];
  }),
);
const SETTLE_MS = 2000;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function child(
  mode: string,
  seconds: number,
  load: boolean,
  resolutionMs: number,
): Promise<void> {
  const runtime =
    mode === 'collectors'
      ? startRuntimeMetrics({
          registry: createRegistry(),
          eventLoop: resolutionMs === 0 ? false : { resolutionMs },
        })
      : undefined;
  let sink = 0;
  const loader = load
    ? setInterval(() => {
        const a: number[][] = [];
        for (let i = 0; i < 1000; i++) a.push(new Array(128).fill(i));
        sink += a.length;
      }, 50)
    : undefined;
  await sleep(SETTLE_MS);
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await sleep(seconds * 1000);
  const c1 = process.cpuUsage(c0);
  const wall = performance.now() - t0;
  if (loader !== undefined) clearInterval(loader);
  runtime?.stop();
  console.log(JSON.stringify({ mode, cpuMs: (c1.user + c1.system) / 1000, wallMs: wall, sink }));
}

function runChild(
  mode: string,
  seconds: number,
  load: boolean,
  resolutionMs: number,
): Promise<{ cpuMs: number; wallMs: number }> {
  return new Promise((resolve, reject) => {
    const p = spawn(
      process.execPath,
      [
        ...process.execArgv,
        fileURLToPath(import.meta.url),
        `--child=${mode}`,
        `--seconds=${seconds}`,
        `--resolution=${resolutionMs}`,
        ...(load ? ['--load'] : []),
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    p.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    p.on('error', reject);
    p.on('exit', (code) => {
      if (code !== 0) reject(new Error(`${mode} child exited ${code}`));
      else
        resolve(
          JSON.parse(out.trim().split('\n').pop() as string) as { cpuMs: number; wallMs: number },
        );
    });
  });
}

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
}

async function scrapeCost(renders: number): Promise<void> {
  const registry = createRegistry();
  const runtime = startRuntimeMetrics({ registry });
  await sleep(100);
  for (let i = 0; i < 200; i++) encodeText(await registry.gather()); // warm up (JIT)
  const times: number[] = [];
  let bytes = 0;
  // Wall time per render is noisy on a shared machine (preemption); CPU time over all renders is not.
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < renders; i++) {
    const t0 = performance.now();
    const body = encodeText(await registry.gather());
    times.push(performance.now() - t0);
    bytes = body.length;
    if (i % 50 === 0) await sleep(1); // let the loop turn, as between real scrapes
  }
  const cpu = process.cpuUsage(cpu0);
  runtime.stop();
  times.sort((a, b) => a - b);
  const mean = times.reduce((a, b) => a + b, 0) / times.length;
  console.log(
    `gather + text render of the runtime metrics alone (${bytes} bytes, ${renders} renders): ` +
      `wall median ${(quantile(times, 0.5) * 1000).toFixed(0)} µs, p99 ${(quantile(times, 0.99) * 1000).toFixed(0)} µs, mean ${(mean * 1000).toFixed(0)} µs; ` +
      `process CPU per render ${((cpu.user + cpu.system) / renders).toFixed(0)} µs (incl. the 1 ms sleeps' loop turns) (target ≤ 1 ms)`,
  );
}

async function steadyCost(seconds: number, load: boolean, resolutionMs: number): Promise<void> {
  const [base, withCollectors] = await Promise.all([
    runChild('baseline', seconds, load, resolutionMs),
    runChild('collectors', seconds, load, resolutionMs),
  ]);
  const pct = (x: { cpuMs: number; wallMs: number }): number => (x.cpuMs / x.wallMs) * 100;
  console.log(
    `steady CPU, ${load ? 'light load' : 'idle'}, ${seconds} s, resolutionMs ${resolutionMs}, no scrape: without collectors ${base.cpuMs.toFixed(1)} ms (${pct(base).toFixed(3)}% of a core), ` +
      `with all collectors ${withCollectors.cpuMs.toFixed(1)} ms (${pct(withCollectors).toFixed(3)}%); cost ${(pct(withCollectors) - pct(base)).toFixed(3)}% of one core (target ≤ 0.5%)`,
  );
}

const mode = args.get('child');
const resolutionMs = Number(args.get('resolution') ?? 10);
if (mode !== undefined) {
  await child(mode, Number(args.get('seconds') ?? 60), args.has('load'), resolutionMs);
} else {
  const seconds = Number(args.get('seconds') ?? 60);
  console.log(`node ${process.version}, ${process.platform}/${process.arch}`);
  if (!args.has('steady-only')) await scrapeCost(Number(args.get('renders') ?? 2000));
  await steadyCost(seconds, false, resolutionMs);
  if (!args.has('idle-only')) await steadyCost(seconds, true, resolutionMs);
}
