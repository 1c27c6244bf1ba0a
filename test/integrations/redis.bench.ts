// Measures instrumentRedis' cost against a real redis-server: throughput with and without it, alternating A/B, for both clients; plus the recording path alone.
// Run: node --conditions=telltale-source --import tsx test/integrations/redis.bench.ts
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { CommandTable } from '../../src/integrations/redis/commands.js';
import { instrumentRedis } from '../../src/integrations/redis.js';
import { createRegistry } from '../../src/metrics/index.js';
import { startRedis } from '../helpers/index.js';

const ROUNDS = 10;
const BATCHES = 40;
const CONCURRENCY = 250; // commands in flight per batch, so the client, not the RTT, is the bottleneck

type Get = (key: string) => Promise<unknown>;

/** Commands per second over `BATCHES` batches of `concurrency` GETs in flight at once. */
async function run(get: Get, concurrency: number): Promise<number> {
  const batches = (BATCHES * CONCURRENCY) / concurrency;
  const t0 = performance.now();
  for (let b = 0; b < batches; b++) {
    if (concurrency === 1) {
      await get('bench:key');
      continue;
    }
    const batch: Promise<unknown>[] = [];
    for (let i = 0; i < concurrency; i++) batch.push(get('bench:key'));
    await Promise.all(batch);
  }
  return (batches * concurrency) / ((performance.now() - t0) / 1000);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
}

async function compare(
  name: string,
  client: Parameters<typeof instrumentRedis>[0],
  get: Get,
  concurrency: number,
): Promise<void> {
  const plain: number[] = [];
  const instrumented: number[] = [];
  await run(get, concurrency); // warm-up
  for (let r = 0; r < ROUNDS; r++) {
    const order = r % 2 === 0 ? ['plain', 'inst'] : ['inst', 'plain'];
    for (const which of order) {
      if (which === 'plain') plain.push(await run(get, concurrency));
      else {
        const inst = instrumentRedis(client, { registry: createRegistry() });
        instrumented.push(await run(get, concurrency));
        inst.uninstrument();
      }
    }
  }
  const p = median(plain);
  const i = median(instrumented);
  const extraUs = (1 / i - 1 / p) * 1e6;
  console.log(
    `| ${name} | ${concurrency} | ${Math.round(p)} | ${Math.round(i)} | ${(((p - i) / p) * 100).toFixed(1)}% | ${extraUs.toFixed(2)} |`,
  );
}

function recordingPath(): void {
  const registry = createRegistry();
  const table = new CommandTable({
    latency: registry.histogram({
      name: 'l_seconds',
      help: 'h',
      labelNames: ['command'] as readonly string[],
    }),
    errors: registry.counter({
      name: 'e_total',
      help: 'h',
      labelNames: ['command', 'error'] as readonly string[],
    }),
    label: 'command',
    errorLabel: 'error',
    labels: {},
    commands: ['get', 'set'],
  });
  const names = ['get', 'set', 'GET', 'hget'];
  const n = 2_000_000;
  for (let i = 0; i < 100_000; i++) table.record(table.entry(names[i & 3]!), 0, false, undefined);
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const start = performance.now();
    table.record(table.entry(names[i & 3]!), start, false, undefined);
  }
  const ns = ((performance.now() - t0) * 1e6) / n;
  console.log(
    `recording path (lookup + two clock reads + observe): ${ns.toFixed(0)} ns per command`,
  );
}

const redis = await startRedis();
try {
  const io = new Redis({ host: redis.host, port: redis.port, lazyConnect: true });
  await io.connect();
  await io.set('bench:key', 'value');
  console.log(`median of ${ROUNDS} alternating A/B rounds of ${BATCHES * CONCURRENCY} GETs each\n`);
  console.log(
    '| client | in flight | plain cmd/s | instrumented cmd/s | slower | extra µs per command |',
  );
  console.log('|---|---|---|---|---|---|');
  for (const c of [CONCURRENCY, 1]) {
    await compare('ioredis 6.0.0 (sendCommand wrapper)', io, (k) => io.get(k), c);
  }
  io.disconnect();

  const nr = createClient({ url: redis.url });
  await nr.connect();
  for (const c of [CONCURRENCY, 1]) {
    await compare('node-redis 6.3.1 (tracing channels)', nr, (k) => nr.get(k), c);
  }
  nr.destroy();

  recordingPath();
} finally {
  await redis.stop();
}
