// Measures a log call at a disabled level (target ≤ 5 ns) and an enabled JSON line, for telltale's logger next to bare pino. Not a test.
// Run: node --conditions=telltale-source --import tsx test/log/disabled-level.bench.ts   (ROUNDS=7 by default)
// Cases run interleaved, round after round, each keeping its best round, so machine noise hits all alike.
// Disabled-level cases each have their own loop function, so every call site is monomorphic as in an
// application; `opaque` cases call through one shared loop (a megamorphic indirect call) as a bound
// that includes a real, non-inlined call.
import { pino } from 'pino';
import { createLogger, type Logger } from '../../src/log/index.js';

const devNull = { write(_s: string): void {} };
const now = (): bigint => process.hrtime.bigint();
const perCall = (t0: bigint, n: number): number => Number(now() - t0) / n;

// Every telltale logger here reads this context: three fields while `inRequest`, none otherwise.
const ctx = Object.freeze({
  request_id: 'r-1',
  trace_id: '0af7651916cd43dd8448eb211c80319c',
  span_id: 'b7ad6b7169203331',
});
let inRequest = false;
const context = () => (inRequest ? ctx : undefined);

const env = { LOG_LEVEL: 'info,storage=warn' };
const root = createLogger({ env, destination: devNull, context });
const storage = root.named('storage');
const request = storage.child({ request_id: 'abc' });
const bare = pino({ level: 'info' }, devNull);
const bareChild = bare.child({ name: 'storage' }, { level: 'warn' });
const mixed = [root, storage, request, root.named('http')] as const;

const D = 20_000_000;
const disabled: [string, () => number][] = [
  [
    'empty loop (baseline)',
    () => {
      const t0 = now();
      for (let i = 0; i < D; i++);
      return perCall(t0, D);
    },
  ],
  [
    'pino root .debug(msg)',
    () => {
      const t0 = now();
      for (let i = 0; i < D; i++) bare.debug('x');
      return perCall(t0, D);
    },
  ],
  [
    'pino child .info(obj, msg)',
    () => {
      const t0 = now();
      for (let i = 0; i < D; i++) bareChild.info({ i }, 'x');
      return perCall(t0, D);
    },
  ],
  [
    'telltale root .debug(msg)',
    () => {
      const t0 = now();
      for (let i = 0; i < D; i++) root.debug('x');
      return perCall(t0, D);
    },
  ],
  [
    'telltale named .info(obj, msg)',
    () => {
      const t0 = now();
      for (let i = 0; i < D; i++) storage.info({ i }, 'x');
      return perCall(t0, D);
    },
  ],
  [
    'telltale named→child .debug(msg)',
    () => {
      const t0 = now();
      for (let i = 0; i < D; i++) request.debug('x');
      return perCall(t0, D);
    },
  ],
  [
    'telltale, 4 loggers at one call site, .trace(msg)',
    () => {
      const t0 = now();
      for (let i = 0; i < D; i++) (mixed[i & 3] as Logger).trace('x');
      return perCall(t0, D);
    },
  ],
];

function opaqueLoop(n: number, call: (i: number) => void): number {
  const t0 = now();
  for (let i = 0; i < n; i++) call(i);
  return perCall(t0, n);
}
const opaque: [string, () => number][] = [
  ['opaque: empty call (baseline)', () => opaqueLoop(D, () => {})],
  ['opaque: pino root .debug(msg)', () => opaqueLoop(D, () => bare.debug('x'))],
  ['opaque: telltale named .info(obj, msg)', () => opaqueLoop(D, (i) => storage.info({ i }, 'x'))],
];

const bareJson = pino({ level: 'info' }, devNull);
const pinoWildcards = pino(
  { level: 'info', redact: ['password', 'token', '*.password', '*.token', '*.secret'] },
  devNull,
);
const noRedact = createLogger({ env: {}, destination: devNull, redact: false, context });
const withRedact = createLogger({ env: {}, destination: devNull, context });
// A destination that reads each line, as a real one does (a file descriptor or a socket encodes it
// to UTF-8): V8 then flattens the line pino built by concatenation. The no-op stream never does,
// which hides that cost from pino and shows it on telltale, whose U+2028/U+2029 check reads it first.
let encoded = 0;
const encoding = {
  write(s: string): void {
    encoded += Buffer.byteLength(s);
  },
};
const bareEncoding = pino({ level: 'info' }, encoding);
const withRedactEncoding = createLogger({ env: {}, destination: encoding, context });
const E = 300_000;
const enabled: [string, () => number][] = [
  ['pino, no redaction', () => opaqueLoop(E, (i) => bareJson.info({ i, user: 'u' }, 'x'))],
  [
    'pino, no redaction, the 3 context fields passed by hand',
    () => opaqueLoop(E, (i) => bareJson.info({ ...ctx, i, user: 'u' }, 'x')),
  ],
  [
    "pino, redact with 5 paths ('*.password' style ×3)",
    () => opaqueLoop(E, (i) => pinoWildcards.info({ i, user: 'u' }, 'x')),
  ],
  ['telltale, redact: false', () => opaqueLoop(E, (i) => noRedact.info({ i, user: 'u' }, 'x'))],
  [
    'telltale, default redaction',
    () => opaqueLoop(E, (i) => withRedact.info({ i, user: 'u' }, 'x')),
  ],
  [
    'telltale, default redaction, one field named level (written as fields.level)',
    () => opaqueLoop(E, (i) => withRedact.info({ i, level: 60 }, 'x')),
  ],
  [
    'pino, no redaction, to a stream that UTF-8-encodes each line',
    () => opaqueLoop(E, (i) => bareEncoding.info({ i, user: 'u' }, 'x')),
  ],
  [
    'telltale, default redaction, to a stream that UTF-8-encodes each line',
    () => opaqueLoop(E, (i) => withRedactEncoding.info({ i, user: 'u' }, 'x')),
  ],
  [
    'telltale, default redaction, inside a request (provider adds 3 fields)',
    () => {
      inRequest = true;
      const ns = opaqueLoop(E, (i) => withRedact.info({ i, user: 'u' }, 'x'));
      inRequest = false;
      return ns;
    },
  ],
];

const rounds = Number(process.env.ROUNDS ?? 7);
const all = [...disabled, ...opaque, ...enabled];
const best = new Map<string, number>(all.map(([name]) => [name, Number.POSITIVE_INFINITY]));
for (let r = 0; r < rounds; r++) {
  for (const [name, run] of all) best.set(name, Math.min(best.get(name) ?? Infinity, run()));
}

const show = (title: string, list: [string, () => number][]): void => {
  console.log(title);
  for (const [name] of list)
    console.log(`${(best.get(name) ?? NaN).toFixed(2).padStart(9)}  ${name}`);
};
console.log(
  `node ${process.version} ${process.arch}; best of ${rounds} interleaved rounds; ns per call`,
);
show('disabled level, own loop per case:', disabled);
show('disabled level, through one shared indirect call:', opaque);
show(
  'enabled level, one JSON line {level,time,pid,hostname,i,user,msg} to a no-op stream unless said:',
  enabled,
);
if (encoded === 0) throw new Error('the encoding stream saw no line');
