// Measures a log call at a disabled level (target ≤ 5 ns) and an enabled JSON line, for telltale's logger next to bare pino. Not a test.
// Run: node --conditions=telltale-source --import tsx test/log/disabled-level.bench.ts
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { createLogger } from '../../src/log/index.js';

const sink = new Writable({
  write(_chunk, _enc, cb) {
    cb();
  },
});
const devNull = { write(_s: string): void {} };

type Call = (i: number) => void;

function timeNs(n: number, call: Call): number {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) call(i);
  return Number(process.hrtime.bigint() - t0) / n;
}

function best(n: number, call: Call, runs = 7): number {
  timeNs(Math.min(n, 1e6), call); // warm up, let V8 optimise
  let min = Number.POSITIVE_INFINITY;
  for (let r = 0; r < runs; r++) min = Math.min(min, timeNs(n, call));
  return min;
}

const env = { LOG_LEVEL: 'info,storage=warn' };
const root = createLogger({ env, destination: devNull });
const storage = root.named('storage');
const request = storage.child({ request_id: 'abc' });
const bare = pino({ level: 'info' }, devNull);
const bareChild = bare.child({ name: 'storage' }, { level: 'warn' });
// Several receivers through one call site, as in an app where many module loggers share code.
const mixed = [root, storage, request, root.named('http')];

const N = 50_000_000;
const rows: [string, number][] = [
  ['empty loop (baseline)', best(N, () => {})],
  ['pino root .debug(msg) (disabled)', best(N, () => bare.debug('x'))],
  ['pino child .info(obj,msg) (disabled)', best(N, (i) => bareChild.info({ i }, 'x'))],
  ['telltale root .debug(msg) (disabled)', best(N, () => root.debug('x'))],
  ['telltale named .info(obj,msg) (disabled)', best(N, (i) => storage.info({ i }, 'x'))],
  ['telltale named→child .debug(msg) (disabled)', best(N, () => request.debug('x'))],
  [
    'telltale 4 loggers, one call site .trace (disabled)',
    best(N, (i) => (mixed[i & 3] as (typeof mixed)[number]).trace('x')),
  ],
];

const M = 1_000_000;
const bareJson = pino({ level: 'info' }, devNull);
const noRedact = createLogger({ env: {}, destination: devNull, redact: false });
const withRedact = createLogger({ env: {}, destination: devNull });
rows.push(
  ['pino .info(obj,msg) enabled, JSON', best(M, (i) => bareJson.info({ i, user: 'u' }, 'x'), 5)],
  [
    'telltale .info(obj,msg) enabled, redact: false',
    best(M, (i) => noRedact.info({ i, user: 'u' }, 'x'), 5),
  ],
  [
    'telltale .info(obj,msg) enabled, default redaction',
    best(M, (i) => withRedact.info({ i, user: 'u' }, 'x'), 5),
  ],
);
void sink;

console.log(`node ${process.version}, ${process.arch}; best of runs, ns per call`);
for (const [name, ns] of rows) console.log(`${ns.toFixed(2).padStart(9)}  ${name}`);
