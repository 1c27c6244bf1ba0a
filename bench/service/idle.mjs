// Case 4a child: an idle process with or without every runtime collector, never scraped. Prints
// its own process CPU over the window (after a settle), as one JSON line.
//
// Run (from the repo root):
//   node --conditions=telltale-source --import tsx bench/service/idle.mjs --mode=collectors|baseline --seconds=60
import { performance } from 'node:perf_hooks';

const arg = (k, d) => new RegExp(`--${k}=([^\\s]+)`).exec(process.argv.join(' '))?.[1] ?? d;
const mode = arg('mode');
const seconds = Number(arg('seconds', '60'));
const SETTLE_MS = 2000;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Both modes load the same modules, so only the started collectors differ.
const { createRegistry } = await import(
  new URL('../../src/metrics/index.ts', import.meta.url).href
);
const { startRuntimeMetrics } = await import(
  new URL('../../src/runtime/index.ts', import.meta.url).href
);
const registry = createRegistry();
const runtime = mode === 'collectors' ? startRuntimeMetrics({ registry }) : undefined;
await sleep(SETTLE_MS);
const c0 = process.cpuUsage();
const t0 = performance.now();
await sleep(seconds * 1000);
const c = process.cpuUsage(c0);
const wallMs = performance.now() - t0;
// Read back: the collectors really ran (their families are registered and gathered).
const families = (await registry.gather()).length;
runtime?.stop();
console.log(JSON.stringify({ mode, cpuUs: c.user + c.system, wallMs, families }));
