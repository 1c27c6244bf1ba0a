// Service-level benchmarks (issues 3, 4 and 5): HTTP overhead per adapter, exemplars, disabled log
// calls, runtime collectors, probe cost and the agent's metrics overhead. Every measured process is
// separate; writes docs/benchmarks-service.md (and bench/service/results-latest.json).
//
// Usage (from the repo root):
//   node bench/service/run.mjs [--no-write] [--only=relative,http,interleave,probe,exemplars,log,scrape,idle,agent]
//     [--duration=5] [--rounds=5] [--idle-seconds=60] [--connections=16]
//     [--groups=node,express,fastify,hono,probe] [--variants=node-bare,node-tt-metrics,...]
//     [--pairs=node-metrics,node-aa,...] [--interleave-seconds=30] [--slice-ms=50]
//     [--relative-runs=5] [--relative-seconds=30] [--ref=<commit>|none] [--current=<commit>] [--no-renice]
//   --groups and --variants narrow the HTTP cases (a group's baseline always runs; --groups also
//   narrows the relative runs to node, fastify, hono); --pairs narrows the interleaved HTTP pairs
//   (--only=interleave runs only those). --merge keeps the sections of the last
//   results-latest.json that this run does not measure; --report-only measures nothing.
//   `relative` is issue 12's target: telltale's added server CPU per request as a share of
//   prom-client's, bare / telltale / prom-client / the --ref commit's telltale in one process.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ci95, mean, median } from '../cases/args.mjs';
import { waitForQuiet } from '../cpu.mjs';
import { telltaleSnapshot } from '../snapshot.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const argv = process.argv.slice(2);
const opt = (k, d) => argv.find((a) => a.startsWith(`--${k}=`))?.split('=')[1] ?? d;
const write = !argv.includes('--no-write');
const only = opt('only')?.split(',');
const want = (id) => only === undefined || only.includes(id);
const onlyGroups = opt('groups')?.split(',');
const onlyPairs = opt('pairs')?.split(',');
const INTERLEAVE_SECONDS = Number(opt('interleave-seconds', '30'));
const SLICE_MS = Number(opt('slice-ms', '50'));
const RELATIVE_SECONDS = Number(opt('relative-seconds', '30'));
const RELATIVE_RUNS = Number(opt('relative-runs', '5'));
// The reference core for "not slower than today's": main when issue 12's request core was started
// (telltale's adapters as the issue measured them, node:http ≈ +0.37 µs). `--ref=none` leaves it out.
const REF = opt('ref', '5eceecd5373e');
// `--current=<commit>`: measure that commit's telltale (a snapshot) as "current" instead of the
// working tree, e.g. a branch not landed yet.
const CURRENT = opt('current');
const onlyVariants = opt('variants')?.split(',');
let DURATION = Number(opt('duration', '5'));
let ROUNDS = Number(opt('rounds', '5'));
const WARMUP = 2;
let CONNECTIONS = Number(opt('connections', '16'));
let IDLE_SECONDS = Number(opt('idle-seconds', '60'));
const NODE_FLAGS = ['--conditions=telltale-source', '--import', 'tsx'];
const SERVER_CPU = '0';
const LOAD_CPU = '1';

const started = new Date();
const log = (...a) => console.error(`[${((Date.now() - started) / 1000).toFixed(0)}s]`, ...a);
const min = (xs) => Math.min(...xs);
const max = (xs) => Math.max(...xs);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const failures = [];

// ---------------------------------------------------------------------------------------------
// HTTP (cases 1 and 5)
// ---------------------------------------------------------------------------------------------

const HTTP_GROUPS = [
  {
    id: 'node',
    title: 'node:http',
    path: '/',
    baseline: 'node-bare',
    control: 'node-noop-close',
    variants: [
      'node-bare',
      'node-noop-close',
      'node-tt-metrics',
      'node-prom-client',
      'node-tt-reqid',
      'node-tt-trace',
      'node-tt-log',
      'node-tt-full',
      'node-pino-http',
    ],
  },
  {
    id: 'express',
    title: 'Express 5',
    path: '/',
    baseline: 'express-bare',
    control: 'express-noop-mw',
    variants: ['express-bare', 'express-noop-mw', 'express-tt-metrics', 'express-tt-full'],
  },
  {
    id: 'fastify',
    title: 'Fastify 5',
    path: '/',
    baseline: 'fastify-bare',
    control: 'fastify-noop-hook',
    variants: ['fastify-bare', 'fastify-noop-hook', 'fastify-tt-metrics', 'fastify-tt-full'],
  },
  {
    id: 'hono',
    title: 'Hono 4 on @hono/node-server',
    path: '/',
    baseline: 'hono-bare',
    control: 'hono-noop-mw',
    variants: ['hono-bare', 'hono-noop-mw', 'hono-tt-metrics', 'hono-tt-full'],
  },
  {
    id: 'probe',
    title: 'readiness probe (node:http)',
    path: '/health/ready',
    baseline: 'probe-bare',
    variants: ['probe-bare', 'probe-health'],
  },
];

const VARIANT_TITLES = {
  'node-bare': 'bare node:http "ok"',
  'node-noop-close': 'control: a no-op `close` listener per response, no telltale',
  'express-noop-mw': 'control: Express 5 + an empty middleware, no telltale',
  'fastify-noop-hook':
    'control: Fastify 5 + an empty `onRequest` hook with a `close` listener, no telltale',
  'hono-noop-mw': 'control: Hono 4 + an empty async middleware, no telltale',
  'node-tt-metrics': 'telltale `instrumentHandler`, metrics only',
  'node-prom-client': 'prom-client idiomatic counter + histogram (context)',
  'node-tt-reqid': 'telltale `instrumentHandler`, metrics + `requestId` (breakdown)',
  'node-tt-trace': 'telltale `instrumentHandler`, metrics + `tracing` (breakdown)',
  'node-tt-log': 'telltale `instrumentHandler`, metrics + `accessLog` (breakdown)',
  'node-tt-full': 'telltale `instrumentHandler`, full mode',
  'node-pino-http': 'pino-http (defaults)',
  'express-bare': 'Express 5, no telltale',
  'express-tt-metrics': 'Express 5 + `telltaleExpress`, metrics only',
  'express-tt-full': 'Express 5 + `telltaleExpress`, full mode',
  'fastify-bare': 'Fastify 5, no telltale',
  'fastify-tt-metrics': 'Fastify 5 + `telltaleFastify`, metrics only',
  'fastify-tt-full': 'Fastify 5 + `telltaleFastify` + `fastifyGenReqId`, full mode',
  'hono-bare': 'Hono 4, no telltale',
  'hono-tt-metrics': 'Hono 4 + `telltaleHono`, metrics only',
  'hono-tt-full': 'Hono 4 + `telltaleHono`, full mode',
  'probe-bare': 'bare node:http handler answering `{}`',
  'probe-health': '`createHealth()` readiness, 3 checks cached',
};

/**
 * Starts http-server.mjs pinned to the server CPU with `args` and resolves once it listens, with
 * `call(cmd)` for its IPC commands. `name` labels its errors.
 */
function spawnHttpServer(name, args, { renice = false } = {}) {
  return new Promise((resolve, reject) => {
    const p = spawn(
      'taskset',
      ['-c', SERVER_CPU, process.execPath, ...NODE_FLAGS, join(here, 'http-server.mjs'), ...args],
      { cwd: root, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
    );
    // taskset execs node in the same process, so the pid is the server's.
    if (renice) reprioritise(p.pid);
    const pending = [];
    p.on('message', (m) => {
      if (m.ready) resolve({ port: m.port, proc: p, call });
      else pending.shift()?.(m);
    });
    p.on('exit', (code) => {
      if (code !== 0) reject(new Error(`server ${name} exited ${code}`));
    });
    function call(cmd) {
      return new Promise((res, rej) => {
        pending.push((m) => (m.ok ? res(m) : rej(new Error(`${name}: ${m.error}`))));
        p.send({ cmd });
      });
    }
  });
}

async function startServer(variant) {
  return { variant, ...(await spawnHttpServer(variant, [`--variant=${variant}`])) };
}

/**
 * With --renice (the default for the relative runs; `--no-renice` turns it off) the server and wrk
 * run at nice -10 when this runner may do so (root or CAP_SYS_NICE), so other jobs on the machine
 * take the CPUs from them less often. It changes how the CPUs are shared, not what is measured.
 */
const RENICE = !argv.includes('--no-renice');
let reniced = false;
function reprioritise(pid) {
  if (!RENICE) return;
  try {
    os.setPriority(pid, -10);
    reniced = true;
  } catch {
    // Not permitted: normal priority.
  }
}

function wrk(port, path, seconds, { renice = false } = {}) {
  // nice(1) execs wrk; a runner that may not renice gets a failure, so only when permitted.
  const nice = renice && RENICE && reniced ? ['nice', '-n', '-10'] : [];
  const out = execFileSync(
    nice.length > 0 ? 'nice' : 'taskset',
    [
      ...nice.slice(1),
      ...(nice.length > 0 ? ['taskset'] : []),
      '-c',
      LOAD_CPU,
      'wrk',
      '-t1',
      `-c${CONNECTIONS}`,
      `-d${seconds}s`,
      `http://127.0.0.1:${port}${path}`,
    ],
    { encoding: 'utf8' },
  );
  const requests = Number(/(\d+) requests in/.exec(out)?.[1]);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  const socketErrors = /Socket errors: (.*)/.exec(out)?.[1];
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
  if (!Number.isFinite(requests)) throw new Error(`cannot parse wrk output:\n${out}`);
  return { requests, non2xx, socketErrors, rps };
}

/** Busy and total jiffies of the whole machine (/proc/stat), and this runner's own + reaped children's. */
function jiffies() {
  const cpu = readFileSync('/proc/stat', 'utf8')
    .split('\n')[0]
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  const idle = cpu[3] + cpu[4];
  const total = cpu.slice(0, 8).reduce((a, b) => a + b, 0);
  const self = readFileSync('/proc/self/stat', 'utf8');
  const f = self
    .slice(self.lastIndexOf(')') + 2)
    .split(' ')
    .map(Number);
  // utime, stime, cutime, cstime are fields 14–17 (1-based); f starts at field 3.
  const own = f[11] + f[12] + f[13] + f[14];
  return { busy: total - idle, total, own };
}
const HZ = 100;

async function measureOnce(server, path, seconds) {
  await server.call('begin');
  const j0 = jiffies();
  const w = wrk(server.port, path, seconds);
  await sleep(150); // let the last responses' close events run
  const j1 = jiffies();
  const s = await server.call('end');
  // Other jobs on the machine during the run: all CPUs' busy time minus the server, wrk (a reaped
  // child of this runner) and the runner itself, as a fraction of the machine.
  const others = Math.max(
    0,
    (j1.busy - j0.busy - (j1.own - j0.own) - (s.cpuUs / 1e6) * HZ) / (j1.total - j0.total),
  );
  // The work was really done: the handler served what wrk counted (plus at most the requests in
  // flight when wrk stopped), every answer was 2xx, and the instrumentation recorded every request.
  const problems = [];
  if (w.non2xx > 0) problems.push(`${w.non2xx} non-2xx answers`);
  if (s.served < w.requests || s.served > w.requests + CONNECTIONS)
    problems.push(`server served ${s.served}, wrk counted ${w.requests}`);
  if (s.recorded !== null && s.recorded !== s.served)
    problems.push(`instrumentation recorded ${s.recorded} of ${s.served} requests`);
  if (problems.length > 0) {
    const msg = `${server.variant}: ${problems.join('; ')}`;
    failures.push(msg);
    log(`CHECK FAILED ${msg}`);
  }
  return {
    cpuUsPerReq: s.cpuUs / s.served,
    served: s.served,
    wrkRequests: w.requests,
    recorded: s.recorded,
    rps: w.rps,
    socketErrors: w.socketErrors ?? null,
    rssMB: s.rssMB,
    others,
  };
}

async function httpGroup(group) {
  log(
    `HTTP ${group.title}: starting ${group.variants.length} servers (pinned to CPU ${SERVER_CPU})`,
  );
  const servers = [];
  for (const v of group.variants) servers.push(await startServer(v));
  try {
    for (const s of servers) {
      log(`  warm-up ${s.variant}`);
      await measureOnce(s, group.path, WARMUP);
    }
    const runs = Object.fromEntries(group.variants.map((v) => [v, []]));
    for (let r = 0; r < ROUNDS; r++) {
      const order = r % 2 === 0 ? servers : [...servers].reverse();
      for (const s of order) {
        const m = await measureOnce(s, group.path, DURATION);
        m.round = r;
        runs[s.variant].push(m);
        log(
          `  round ${r + 1}/${ROUNDS} ${s.variant}: ${m.cpuUsPerReq.toFixed(2)} µs CPU/req, ${Math.round(m.rps)} req/s`,
        );
      }
    }
    return summariseHttp(group, runs);
  } finally {
    for (const s of servers) {
      s.proc.send({ cmd: 'exit' });
    }
    await sleep(300);
    for (const s of servers) if (s.proc.exitCode === null) s.proc.kill();
  }
}

function summariseHttp(group, runs) {
  const base = runs[group.baseline];
  const rows = group.variants.map((v) => {
    const xs = runs[v].map((m) => m.cpuUsPerReq);
    // Paired by round: each round's variant minus the same round's baseline.
    const added = runs[v].map((m, i) => m.cpuUsPerReq - base[i].cpuUsPerReq);
    return {
      variant: v,
      title: VARIANT_TITLES[v],
      cpuUsPerReq: median(xs),
      cpuMin: min(xs),
      cpuMax: max(xs),
      added: median(added),
      addedMin: min(added),
      addedMax: max(added),
      ratio: median(xs) / median(base.map((m) => m.cpuUsPerReq)),
      rps: median(runs[v].map((m) => m.rps)),
      others: runs[v].every((m) => m.others === undefined)
        ? undefined
        : median(runs[v].map((m) => m.others)),
      served: runs[v].reduce((a, m) => a + m.served, 0),
      recorded: runs[v].every((m) => m.recorded === null)
        ? null
        : runs[v].reduce((a, m) => a + (m.recorded ?? 0), 0),
      runs: runs[v],
    };
  });
  return { ...group, rows };
}

// ---------------------------------------------------------------------------------------------
// HTTP, interleaved in one process (case 1's target figure)
// ---------------------------------------------------------------------------------------------

/**
 * Each pair runs in ONE server process that switches between variant A and variant B every
 * SLICE_MS (http-server.mjs --interleave), under one long wrk run. Every B slice is compared with
 * the mean of the A slices on either side of it, so drift of the shared machine (other jobs, CPU
 * frequency, the host) cancels out instead of landing in one variant's run.
 */
const INTERLEAVED_PAIRS = [
  { id: 'node-aa', a: 'node-bare', b: 'node-bare', title: 'A/A control: bare node:http vs itself' },
  {
    id: 'node-metrics',
    a: 'node-bare',
    b: 'node-tt-metrics',
    title: 'node:http: telltale `instrumentHandler`, metrics only',
    target: 'node:http',
    repeats: 3,
  },
  {
    id: 'node-clock',
    a: 'node-bare',
    b: 'node-clock2',
    title:
      'node:http: two `performance.now()` reads per request, nothing else (the floor of any duration metric; reference)',
  },
  {
    id: 'node-async',
    a: 'node-async-bare',
    b: 'node-tt-async',
    title: 'node:http, async handler (answers after an `await`): metrics only',
  },
  {
    id: 'node-noop-close',
    a: 'node-bare',
    b: 'node-noop-close',
    title: 'node:http: a no-op `close` listener per response, no telltale (reference)',
  },
  {
    id: 'node-prom-client',
    a: 'node-bare',
    b: 'node-prom-client',
    title: "node:http: prom-client's idiomatic counter + histogram (reference)",
    repeats: 3,
  },
  {
    id: 'fastify-metrics',
    a: 'fastify-bare',
    b: 'fastify-tt-metrics',
    title: 'Fastify 5: `telltaleFastify`, metrics only',
    target: 'Fastify 5',
    repeats: 3,
  },
  {
    id: 'fastify-noop',
    a: 'fastify-bare',
    b: 'fastify-noop-hook',
    title: 'Fastify 5: an empty `onRequest` hook with a `close` listener, no telltale (reference)',
  },
  {
    id: 'express-metrics',
    a: 'express-bare',
    b: 'express-tt-metrics',
    title: 'Express 5: `telltaleExpress` middleware, metrics only',
    target: 'Express 5, `telltaleExpress` middleware',
  },
  {
    id: 'express-app',
    a: 'express-bare',
    b: 'express-tt-app',
    title: 'Express 5: `instrumentExpress(app)`, metrics only (no middleware)',
    target: 'Express 5, `instrumentExpress`',
    repeats: 3,
  },
  {
    id: 'express-noop',
    a: 'express-bare',
    b: 'express-noop-mw',
    title: 'Express 5: an empty middleware, no telltale (reference)',
  },
  {
    id: 'hono-metrics',
    a: 'hono-bare',
    b: 'hono-tt-metrics',
    title: 'Hono 4 on @hono/node-server: `telltaleHono` middleware, metrics only',
    target: 'Hono 4, `telltaleHono` middleware',
  },
  {
    id: 'hono-app',
    a: 'hono-bare',
    b: 'hono-tt-app',
    title: 'Hono 4 on @hono/node-server: `instrumentHono(app)`, metrics only (no middleware)',
    target: 'Hono 4, `instrumentHono`',
    repeats: 3,
  },
  {
    id: 'hono-noop',
    a: 'hono-bare',
    b: 'hono-noop-mw',
    title: 'Hono 4: an empty async middleware, no telltale (reference)',
  },
];

/**
 * Starts one server holding both variants of a pair. `reversed` builds and serves B first: the
 * repeated runs of a pair alternate the order, so an advantage of being built or served first
 * (seen: up to ±0.2 µs) cancels out in their median.
 */
function startInterleaved(pair, reversed) {
  const order = reversed ? `${pair.b},${pair.a}` : `${pair.a},${pair.b}`;
  return spawnHttpServer(pair.id, [`--interleave=${order}`, `--slice-ms=${SLICE_MS}`]);
}

/** Per B slice: its CPU µs/request minus the mean of the A slices just before and after it. */
function sandwichDiffs(slices) {
  const per = (x) => x.cpuUs / x.served;
  const d = [];
  for (let i = 1; i + 1 < slices.length; i++) {
    const [p, x, n] = [slices[i - 1], slices[i], slices[i + 1]];
    if (x.variant !== 1 || p.variant !== 0 || n.variant !== 0) continue;
    // A slice with almost no requests (a GC pause, the end of the run) says nothing.
    if (p.served < 100 || x.served < 100 || n.served < 100) continue;
    d.push(per(x) - (per(p) + per(n)) / 2);
  }
  return d;
}

/** A pair's runs: the median run is the figure, with the range of the runs. */
function summariseInterleaved(runs) {
  const byAdded = [...runs].sort((a, b) => a.added - b.added);
  const mid = byAdded[(byAdded.length - 1) >> 1];
  return {
    ...mid,
    runs: runs.map(({ diffs, ...r }) => r),
    addedMin: byAdded[0].added,
    addedMax: byAdded[byAdded.length - 1].added,
    diffs: mid.diffs,
  };
}

async function interleavedPair(pair, reversed) {
  log(
    `HTTP interleaved ${pair.a} | ${pair.b}${reversed ? ' (B built and served first)' : ''}: ${INTERLEAVE_SECONDS} s, ${SLICE_MS} ms slices`,
  );
  const server = await startInterleaved(pair, reversed);
  try {
    wrk(server.port, '/', WARMUP + 1);
    await server.call('record');
    const j0 = jiffies();
    const w = wrk(server.port, '/', INTERLEAVE_SECONDS);
    await sleep(150);
    const j1 = jiffies();
    const raw = await server.call('slices');
    // In a reversed run variant 0 is B: swap back, so B is always variant 1 below.
    const r = reversed
      ? {
          slices: raw.slices.map((x) => ({ ...x, variant: 1 - x.variant })),
          served: [raw.served[1], raw.served[0]],
          recorded: [raw.recorded[1], raw.recorded[0]],
        }
      : raw;
    const d = sandwichDiffs(r.slices);
    const agg = (v) => {
      const xs = r.slices.filter((x) => x.variant === v);
      return xs.reduce((a, x) => a + x.cpuUs, 0) / xs.reduce((a, x) => a + x.served, 0);
    };
    const cpuUs = r.slices.reduce((a, x) => a + x.cpuUs, 0);
    const others = Math.max(
      0,
      (j1.busy - j0.busy - (j1.own - j0.own) - (cpuUs / 1e6) * HZ) / (j1.total - j0.total),
    );
    const problems = [];
    if (w.non2xx > 0) problems.push(`${w.non2xx} non-2xx answers`);
    const served = r.served[0] + r.served[1];
    if (served < w.requests) problems.push(`server served ${served}, wrk counted ${w.requests}`);
    for (const i of [0, 1]) {
      if (r.recorded[i] !== null && r.recorded[i] !== r.served[i])
        problems.push(
          `${i === 0 ? pair.a : pair.b} recorded ${r.recorded[i]} of ${r.served[i]} requests`,
        );
    }
    if (d.length < 20) problems.push(`only ${d.length} usable slice triples`);
    if (problems.length > 0) {
      const msg = `${pair.id}: ${problems.join('; ')}`;
      failures.push(msg);
      log(`CHECK FAILED ${msg}`);
    }
    const added = mean(d);
    const ci = ci95(d);
    log(
      `  ${pair.id}: added ${added.toFixed(3)} ± ${ci.toFixed(3)} µs/req (A ${agg(0).toFixed(2)}, B ${agg(1).toFixed(2)}, ${d.length} slices)`,
    );
    return {
      ...pair,
      reversed,
      added,
      ci,
      median: median(d),
      n: d.length,
      cpuA: agg(0),
      cpuB: agg(1),
      rps: w.rps,
      served: r.served,
      recorded: r.recorded,
      others,
      diffs: d.map((x) => Math.round(x * 1000) / 1000),
    };
  } finally {
    server.proc.send({ cmd: 'exit' });
    await sleep(300);
    if (server.proc.exitCode === null) server.proc.kill();
  }
}

// ---------------------------------------------------------------------------------------------
// HTTP overhead relative to prom-client, in one process (issue 12's target)
// ---------------------------------------------------------------------------------------------

/**
 * Per framework, ONE server process holds the bare app, the app with telltale's adapter in
 * metrics-only mode, the app with prom-client's idiomatic counter + histogram and (with a
 * reference commit) the same telltale adapter from that commit; it serves the bare app every other
 * slice (bare, telltale, bare, prom-client, bare, reference, …) under one wrk run. Every slice of a
 * variant is compared with the bare slices on either side of it, as in the interleaved pairs.
 */
const RELATIVE_GROUPS = [
  {
    id: 'node',
    title: 'node:http',
    adapter: '`instrumentHandler(handler, { registry })` + `setRoute(req, "/")`',
    prom: "`startTimer()` when the request arrives, `inc` + `end` on the response's `finish`",
    variants: {
      bare: 'node-bare',
      telltale: 'node-tt-metrics',
      prom: 'node-prom-client',
      ref: 'node-tt-ref',
    },
  },
  {
    id: 'fastify',
    title: 'Fastify 5',
    adapter: '`app.register(telltaleFastify, { registry })`',
    prom: '`startTimer()` in an `onRequest` hook (on a decorated request property), `inc` + `end` in `onResponse`, route `request.routeOptions.url`',
    variants: {
      bare: 'fastify-bare',
      telltale: 'fastify-tt-metrics',
      prom: 'fastify-prom-client',
      ref: 'fastify-tt-ref',
    },
  },
  {
    id: 'hono',
    title: 'Hono 4 on @hono/node-server',
    adapter: '`instrumentHono(app, { registry })` (the app wrapper)',
    prom: 'a middleware: `startTimer()`, `await next()`, `inc` + `end`, route `c.req.routePath` (the shape of @hono/prometheus)',
    variants: {
      bare: 'hono-bare',
      telltale: 'hono-tt-app',
      prom: 'hono-prom-client',
      ref: 'hono-tt-ref',
    },
  },
];
const RELATIVE_TARGET = 0.4;

/** The p-quantile of `xs` (linear between order statistics, as R's type 7). */
function quantile(xs, p) {
  const s = [...xs].sort((a, b) => a - b);
  const h = (s.length - 1) * p;
  const lo = Math.floor(h);
  return s[lo] + (h - lo) * (s[Math.min(lo + 1, s.length - 1)] - s[lo]);
}
/** Median and interquartile range of `xs`. */
const spread = (xs) => ({
  median: median(xs),
  q1: quantile(xs, 0.25),
  q3: quantile(xs, 0.75),
  min: Math.min(...xs),
  max: Math.max(...xs),
});

/** Per slice of variant `k`: its CPU µs/request minus the mean of the bare slices either side. */
function sandwichOf(slices, k) {
  const per = (x) => x.cpuUs / x.served;
  const d = [];
  for (let i = 1; i + 1 < slices.length; i++) {
    const [p, x, n] = [slices[i - 1], slices[i], slices[i + 1]];
    if (x.variant !== k || p.variant !== 0 || n.variant !== 0) continue;
    if (p.served < 100 || x.served < 100 || n.served < 100) continue;
    d.push(per(x) - (per(p) + per(n)) / 2);
  }
  return d;
}

/**
 * One run of a framework's group in a new process. `flip` (every other run) builds the variants
 * in reverse order and serves them in reverse order after the bare slice, so an advantage of
 * being built or served first cancels out over the runs.
 */
async function relativeRun(group, run, flip, refDir, currentDir) {
  const roles = ['telltale', 'prom', ...(refDir === undefined ? [] : ['ref'])];
  const measured = flip ? [...roles].reverse() : roles;
  const names = [group.variants.bare, ...measured.map((r) => group.variants[r])];
  const buildOrder = names.map((_, i) => i);
  if (flip) buildOrder.reverse();
  const loadavg = os.loadavg();
  log(
    `HTTP relative ${group.id} run ${run + 1}${flip ? ' (reversed)' : ''}: ${names.join(', ')}, ${RELATIVE_SECONDS} s, load ${loadavg.map((x) => x.toFixed(2)).join(' ')}`,
  );
  const quiet = await waitForQuiet({ threshold: 0.3, maxMs: 5_000 });
  const server = await spawnHttpServer(
    `relative-${group.id}`,
    [
      `--interleave=${names.join(',')}`,
      `--build-order=${buildOrder.join(',')}`,
      `--slice-ms=${SLICE_MS}`,
      ...(refDir === undefined ? [] : [`--ref=${refDir}`]),
      ...(currentDir === undefined ? [] : [`--current=${currentDir}`]),
    ],
    { renice: true },
  );
  try {
    wrk(server.port, '/', WARMUP + 1, { renice: true });
    await server.call('record');
    const j0 = jiffies();
    const w = wrk(server.port, '/', RELATIVE_SECONDS, { renice: true });
    await sleep(150);
    const j1 = jiffies();
    const r = await server.call('slices');
    const cpuUs = r.slices.reduce((a, x) => a + x.cpuUs, 0);
    const others = Math.max(
      0,
      (j1.busy - j0.busy - (j1.own - j0.own) - (cpuUs / 1e6) * HZ) / (j1.total - j0.total),
    );
    const bareSlices = r.slices.filter((x) => x.variant === 0);
    const bare =
      bareSlices.reduce((a, x) => a + x.cpuUs, 0) / bareSlices.reduce((a, x) => a + x.served, 0);
    const added = {};
    const problems = [];
    for (const [i, role] of measured.entries()) {
      const d = sandwichOf(r.slices, i + 1);
      if (d.length < 10) problems.push(`${role}: only ${d.length} usable slice triples`);
      added[role] = { mean: mean(d), ci: ci95(d), median: median(d), n: d.length };
    }
    if (w.non2xx > 0) problems.push(`${w.non2xx} non-2xx answers`);
    const served = r.served.reduce((a, x) => a + x, 0);
    if (served < w.requests) problems.push(`server served ${served}, wrk counted ${w.requests}`);
    const recorded = {};
    for (const [i, name] of names.entries()) {
      if (i > 0 && r.recorded[i] !== r.served[i])
        problems.push(`${name} recorded ${r.recorded[i]} of ${r.served[i]} requests`);
      recorded[i === 0 ? 'bare' : measured[i - 1]] = {
        served: r.served[i],
        recorded: r.recorded[i],
      };
    }
    if (problems.length > 0) {
      const msg = `relative ${group.id} run ${run + 1}: ${problems.join('; ')}`;
      failures.push(msg);
      log(`CHECK FAILED ${msg}`);
    }
    const t = added.telltale;
    const pc = added.prom;
    const ratio = t.mean / pc.mean;
    // 95% intervals of the run's ratio and of current − reference, by error propagation from the
    // two means' intervals. Treating them as independent overstates the interval a little (they
    // share bare neighbours, whose drift moves both the same way).
    const ratioCi = Math.abs(ratio) * Math.hypot(t.ci / t.mean, pc.ci / pc.mean);
    const refDeltaCi = added.ref === undefined ? undefined : Math.hypot(t.ci, added.ref.ci);
    log(
      `  bare ${bare.toFixed(2)} µs/req; added: ${measured.map((k) => `${k} ${added[k].mean.toFixed(3)} ± ${added[k].ci.toFixed(3)}`).join(', ')}; telltale/prom-client ${(ratio * 100).toFixed(0)}%`,
    );
    return {
      run,
      flip,
      order: names,
      bare,
      added,
      ratio,
      ratioCi,
      refDelta: added.ref === undefined ? undefined : t.mean - added.ref.mean,
      refDeltaCi,
      rps: w.rps,
      others,
      loadavg,
      waitedMs: Math.round(quiet.waitedMs),
      reniced,
      requests: recorded,
    };
  } finally {
    server.proc.send({ cmd: 'exit' });
    await sleep(300);
    if (server.proc.exitCode === null) server.proc.kill();
  }
}

/** A framework's runs summarised: medians and interquartile ranges over the runs. */
function summariseRelative(group, runs) {
  const over = (f) => spread(runs.map(f));
  return {
    id: group.id,
    title: group.title,
    adapter: group.adapter,
    prom: group.prom,
    bare: over((r) => r.bare),
    telltale: over((r) => r.added.telltale.mean),
    promClient: over((r) => r.added.prom.mean),
    ratio: over((r) => r.ratio),
    ref: runs[0].added.ref === undefined ? undefined : over((r) => r.added.ref.mean),
    refRatio:
      runs[0].added.ref === undefined
        ? undefined
        : over((r) => r.added.ref.mean / r.added.prom.mean),
    refDelta: runs[0].added.ref === undefined ? undefined : over((r) => r.refDelta),
    runs,
  };
}

// ---------------------------------------------------------------------------------------------
// Child processes (cases 2, 3, 4, 6)
// ---------------------------------------------------------------------------------------------

function runNode(args, { pin, flags = NODE_FLAGS } = {}) {
  return new Promise((resolve, reject) => {
    const cmd = pin === undefined ? process.execPath : 'taskset';
    const full =
      pin === undefined ? [...flags, ...args] : ['-c', pin, process.execPath, ...flags, ...args];
    const p = spawn(cmd, full, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d) => {
      out += d;
    });
    p.on('error', reject);
    p.on('exit', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${args.join(' ')} exited ${code}`)),
    );
  });
}
const lastJson = (out) => JSON.parse(out.trim().split('\n').pop());

async function micro(name, extra = []) {
  log(`micro ${name} (pinned to CPU ${SERVER_CPU})`);
  return lastJson(
    await runNode([join(here, 'micro.mjs'), `--case=${name}`, ...extra], { pin: SERVER_CPU }),
  );
}

function idlePair(seconds) {
  log(`runtime collectors: two idle children for ${seconds} s (in the background)`);
  const child = (mode) =>
    runNode([join(here, 'idle.mjs'), `--mode=${mode}`, `--seconds=${seconds}`]).then(lastJson);
  return Promise.all([child('baseline'), child('collectors')]);
}

const AGENT_SCRIPT = join(root, 'bench', 'cases', 'agent-overhead.mjs');
async function agentOverhead() {
  if (!existsSync(AGENT_SCRIPT)) return { missing: true };
  log('agent overhead: bench/cases/agent-overhead.mjs (its own redis-server, its own rounds)');
  const out = await runNode([AGENT_SCRIPT], {
    flags: ['--expose-gc', ...NODE_FLAGS],
  });
  const lines = out.trim().split('\n');
  const resultLine = lines.find((l) => l.startsWith('RESULT '));
  return {
    table: lines.filter((l) => !l.startsWith('RESULT ')).join('\n'),
    result: resultLine ? JSON.parse(resultLine.slice(7)) : null,
  };
}

// ---------------------------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------------------------

const REPORT_ONLY = argv.includes('--report-only');
// --merge: start from the last results and replace only the sections this run measures (with
// --only), so one section can be measured again without the whole 25 minutes.
const MERGE = argv.includes('--merge');
const previous =
  REPORT_ONLY || MERGE
    ? JSON.parse(readFileSync(process.env.RESULTS ?? join(here, 'results-latest.json'), 'utf8'))
    : undefined;
const results = REPORT_ONLY
  ? previous
  : {
      ...(MERGE ? { ...previous, mergedFrom: previous.started } : {}),
      started: started.toISOString(),
      argv,
      config: {
        DURATION,
        ROUNDS,
        CONNECTIONS,
        IDLE_SECONDS,
        INTERLEAVE_SECONDS,
        SLICE_MS,
        RELATIVE_SECONDS,
        RELATIVE_RUNS,
        REF,
        CURRENT,
      },
      http: MERGE && !want('http') ? previous.http : [],
      loadavgStart: os.loadavg(),
      commit: execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], {
        cwd: root,
        encoding: 'utf8',
      }).trim(),
      dirty: execFileSync(
        'git',
        ['status', '--short', '--', 'src', 'examples/agent', 'bench/cases/agent-overhead.mjs'],
        { cwd: root, encoding: 'utf8' },
      ).trim(),
    };
if (REPORT_ONLY) {
  // Regenerate docs/benchmarks-service.md from the last run's raw results (no measurement).
  ({ DURATION, ROUNDS, CONNECTIONS, IDLE_SECONDS } = results.config);
  for (const x of results.failures) failures.push(x);
} else if (MERGE) {
  for (const x of previous.failures ?? []) failures.push(x);
}
let idle;
if (!REPORT_ONLY) {
  if (want('idle')) idle = idlePair(IDLE_SECONDS);
  if (want('relative')) {
    // Every framework once per round, so a slow spell of the machine lands on all of them alike.
    const groups = RELATIVE_GROUPS.filter(
      (g) => onlyGroups === undefined || onlyGroups.includes(g.id),
    );
    const ref = REF === 'none' ? undefined : telltaleSnapshot(root, REF);
    const cur = CURRENT === undefined ? undefined : telltaleSnapshot(root, CURRENT);
    const runs = Object.fromEntries(groups.map((g) => [g.id, []]));
    for (let r = 0; r < RELATIVE_RUNS; r++) {
      for (const g of groups) {
        try {
          runs[g.id].push(await relativeRun(g, r, r % 2 === 1, ref?.dir, cur?.dir));
        } catch (err) {
          failures.push(`relative ${g.id}: ${err.message}`);
          log(err);
        }
      }
    }
    const fresh = groups
      .filter((g) => runs[g.id].length > 0)
      .map((g) => ({
        ...summariseRelative(g, runs[g.id]),
        refCommit: ref?.commit,
        currentCommit: cur?.commit,
        seconds: RELATIVE_SECONDS,
        sliceMs: SLICE_MS,
      }));
    const kept = MERGE ? (previous.relative?.groups ?? []) : [];
    const byId = new Map([...kept, ...fresh].map((g) => [g.id, g]));
    results.relative = {
      seconds: RELATIVE_SECONDS,
      sliceMs: SLICE_MS,
      ref: ref?.commit,
      groups: RELATIVE_GROUPS.filter((g) => byId.has(g.id)).map((g) => byId.get(g.id)),
    };
  }
  for (const group of HTTP_GROUPS) {
    if (onlyGroups !== undefined && !onlyGroups.includes(group.id)) continue;
    const g =
      onlyVariants === undefined
        ? group
        : {
            ...group,
            variants: group.variants.filter(
              (v) => v === group.baseline || onlyVariants.includes(v),
            ),
          };
    if (g.id === 'probe' ? want('probe') : want('http')) {
      try {
        results.http.push(await httpGroup(g));
      } catch (err) {
        failures.push(`HTTP ${g.id}: ${err.message}`);
        log(err);
      }
    }
  }
  if (want('interleave')) {
    // Every pair once, then the repeated ones again in turn (node:http vs prom-client alternate),
    // so a slow spell of the machine does not land on one pair's runs only.
    const pairs = INTERLEAVED_PAIRS.filter(
      (p) => onlyPairs === undefined || onlyPairs.includes(p.id),
    );
    const runs = Object.fromEntries(pairs.map((p) => [p.id, []]));
    const most = Math.max(...pairs.map((p) => p.repeats ?? 1));
    for (let r = 0; r < most; r++) {
      for (const pair of pairs) {
        if (r >= (pair.repeats ?? 1)) continue;
        try {
          runs[pair.id].push(await interleavedPair(pair, r % 2 === 1));
        } catch (err) {
          failures.push(`interleaved ${pair.id}: ${err.message}`);
          log(err);
        }
      }
    }
    const fresh = pairs
      .filter((p) => runs[p.id].length > 0)
      .map((p) => summariseInterleaved(runs[p.id]));
    // With --merge, the pairs this run did not measure stay as they were, in the usual order.
    const kept = MERGE ? (results.interleaved ?? []) : [];
    const byId = new Map([...kept, ...fresh].map((p) => [p.id, p]));
    results.interleaved = INTERLEAVED_PAIRS.filter((p) => byId.has(p.id)).map((p) =>
      byId.get(p.id),
    );
  }
  for (const name of ['exemplars', 'log', 'scrape']) {
    if (!want(name)) continue;
    try {
      results[name] = await micro(name);
    } catch (err) {
      failures.push(`${name}: ${err.message}`);
      log(err);
    }
  }
  if (idle !== undefined) {
    try {
      results.idle = await idle;
    } catch (err) {
      failures.push(`idle: ${err.message}`);
    }
  }
  if (want('agent')) {
    try {
      results.agent = await agentOverhead();
    } catch (err) {
      failures.push(`agent: ${err.message}`);
      log(err);
    }
  }
  results.finished = new Date().toISOString();
  results.loadavgEnd = os.loadavg();
  results.failures = failures;
}

// ---------------------------------------------------------------------------------------------
// Report
// ---------------------------------------------------------------------------------------------

const f = (x, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');
const sgn = (x, d = 2) => (x >= 0 ? '+' : '') + f(x, d);
const req = createRequire(join(root, 'package.json'));
const reqBench = createRequire(join(root, 'bench', 'package.json'));
const ver = (r, name) => {
  try {
    return JSON.parse(readFileSync(r.resolve(`${name}/package.json`), 'utf8')).version;
  } catch {
    try {
      // Packages whose exports hide package.json: walk up from the entry point.
      let d = dirname(r.resolve(name));
      while (
        !existsSync(join(d, 'package.json')) ||
        JSON.parse(readFileSync(join(d, 'package.json'), 'utf8')).name !== name
      )
        d = dirname(d);
      return JSON.parse(readFileSync(join(d, 'package.json'), 'utf8')).version;
    } catch {
      return '?';
    }
  }
};
const sh = (cmd, args) => {
  try {
    return execFileSync(cmd, args, {
      encoding: 'utf8',
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    }).trim();
  } catch (e) {
    return (e.stdout || e.stderr || '').toString().trim();
  }
};
// The code the numbers came from, noted when the run started (--report-only renders a past run).
const { commit, dirty } = results;
const cpuModel = os.cpus()[0]?.model ?? '?';
const targets = [];
const target = (what, figure, goal, met, limit) => targets.push({ what, figure, goal, met, limit });

const md = [];
md.push('# Service benchmarks: HTTP overhead, exemplars, logs, runtime collectors, probes, agent');
md.push('');
md.push(
  'Generated by `node bench/service/run.mjs` — do not edit by hand. Targets from issues 3, 4, 5 and 12. Raw samples: `bench/service/results-latest.json`.',
);
md.push('');
md.push('## Machine and versions');
md.push('');
md.push(
  `- Run ${results.started} → ${results.finished} (${f((Date.parse(results.finished) - Date.parse(results.started)) / 60000, 1)} min); ${os.cpus().length} × ${cpuModel}; ${os.type()} ${os.release()}; load average at start ${results.loadavgStart.map((x) => x.toFixed(2)).join(' ')}, at end ${results.loadavgEnd.map((x) => x.toFixed(2)).join(' ')} (the machine is shared with other engineers' jobs).`,
);
if (results.mergedFrom !== undefined) {
  md.push(
    `- This run (\`${results.argv.join(' ')}\`) measured only what its options name; every other section comes from the run started ${results.mergedFrom}.`,
  );
}
md.push(
  `- Node ${process.version}; ${sh('wrk', ['--version'])
    .split('\n')[0]
    .replace(
      / Copyright.*/,
      '',
    )}; ${sh('redis-server', ['--version']).split(' ').slice(0, 3).join(' ')}.`,
);
md.push(
  `- telltale from the working tree's TypeScript sources at commit ${commit}${
    dirty
      ? ` (uncommitted changes in: ${dirty
          .split('\n')
          .map((l) => l.trim())
          .join(', ')})`
      : ''
  }, through \`--conditions=telltale-source --import tsx\`.`,
);
md.push(
  `- express ${ver(req, 'express')}, fastify ${ver(req, 'fastify')}, hono ${ver(req, 'hono')}, @hono/node-server ${ver(req, '@hono/node-server')}, pino ${ver(req, 'pino')} (telltale's), pino-http ${ver(reqBench, 'pino-http')} (on pino ${ver(createRequire(reqBench.resolve('pino-http')), 'pino')}), prom-client ${ver(reqBench, 'prom-client')}.`,
);
md.push('');
md.push('## Commands');
md.push('');
md.push('```sh');
md.push(`node bench/service/run.mjs ${results.argv.join(' ')}`.trim());
if (results.relative?.groups.length > 0) {
  const nice = results.relative.groups[0].runs[0]?.reniced ? 'nice -n -10 ' : '';
  md.push(
    `# section 1, per framework and run (the runner picks the variants; --ref: a snapshot of the reference commit):`,
  );
  md.push(
    `${nice}taskset -c ${SERVER_CPU} node ${NODE_FLAGS.join(' ')} bench/service/http-server.mjs --interleave=node-bare,node-tt-metrics,node-prom-client,node-tt-ref --slice-ms=${results.relative.groups[0].sliceMs} --ref=bench/node_modules/.telltale-snapshot/<commit>`,
  );
  md.push(
    `${nice}taskset -c ${LOAD_CPU} wrk -t1 -c${CONNECTIONS} -d${results.relative.groups[0].seconds}s http://127.0.0.1:<port>/`,
  );
}
md.push(`# each HTTP server (one process per variant):`);
md.push(
  `taskset -c ${SERVER_CPU} node ${NODE_FLAGS.join(' ')} bench/service/http-server.mjs --variant=<variant>`,
);
md.push(`# load, per run (${WARMUP} s warm-up run per server first, not counted):`);
md.push(
  `taskset -c ${LOAD_CPU} wrk -t1 -c${CONNECTIONS} -d${DURATION}s http://127.0.0.1:<port><path>`,
);
md.push(
  `taskset -c ${SERVER_CPU} node ${NODE_FLAGS.join(' ')} bench/service/micro.mjs --case=exemplars|log|scrape`,
);
md.push(
  `node ${NODE_FLAGS.join(' ')} bench/service/idle.mjs --mode=baseline|collectors --seconds=${IDLE_SECONDS}`,
);
md.push(`node --expose-gc ${NODE_FLAGS.join(' ')} bench/cases/agent-overhead.mjs`);
md.push('```');
md.push('');

const http = Object.fromEntries(results.http.map((g) => [g.id, g]));
const inter = Object.fromEntries((results.interleaved ?? []).map((p) => [p.id, p]));
if (results.relative?.groups.length > 0) {
  const rel = results.relative;
  const pct = (x) => `${f(x * 100, 0)}%`;
  const iqr = (s, fmt) => `${fmt(s.median)} (${fmt(s.q1)} … ${fmt(s.q3)})`;
  const us = (x) => f(x);
  const usAdded = (x) => sgn(x);
  md.push('## 1. HTTP overhead against prom-client, in one process (issue 12: the target)');
  md.push('');
  md.push(
    `Target (issue 12, "HTTP overhead, restated"): in metrics-only mode telltale adds at most ${f(RELATIVE_TARGET * 100, 0)}% of the server CPU per request that prom-client's idiomatic counter + histogram adds, for node:http, Fastify and the Hono app wrapper, measured in the same run; and the new request core is not slower than today's (node:http ≈ +0.37 µs).`,
  );
  md.push('');
  md.push(
    `Method: per framework, ONE server process pinned to CPU ${SERVER_CPU} builds the bare app, the app with telltale's adapter in metrics-only mode (\`{ registry }\`: request counter, duration histogram, in-flight gauge, request and response size histograms; no request id, tracing or access log), the app with prom-client, and${rel.groups[0]?.refCommit ? ` the same telltale adapter loaded from a snapshot of commit ${rel.groups[0].refCommit.slice(0, 12)} (the reference core, "today's"),` : ''} and serves them in ${rel.groups[0]?.sliceMs ?? SLICE_MS} ms slices, the bare app every other slice (bare, telltale, bare, prom-client${rel.groups[0]?.refCommit ? ', bare, reference' : ''}, …), under one ${rel.groups[0]?.seconds ?? RELATIVE_SECONDS} s wrk run pinned to CPU ${LOAD_CPU} (${CONNECTIONS} connections, GET /, a ${WARMUP + 1} s warm-up first). At every switch the server notes \`process.cpuUsage()\` (its own user + system CPU: the node:http parser, the socket writes, the framework and the instrumentation, all of it) and the requests handed over. "Added" is the mean over a variant's slices of (slice − mean of the bare slices just before and after it), so the drift of the shared machine cancels out; this is what separate runs per variant cannot do here (section 1b). Each run is a new process; every other run builds and serves the variants in reverse order, since being first was seen to move a figure by up to ±0.2 µs. Each figure below is the **median over the runs, with the interquartile range (Q1 … Q3)** of the runs in brackets; the ratio is formed within each run (telltale added / prom-client added, same process, same minutes), then its median and IQR over the runs are taken. Why not an in-process loop on synthetic requests (as \`inproc-express.mjs\` does): it skips the parser and the socket, and the response events that telltale and prom-client hook (\`close\`, \`finish\`) do not fire the way they do on a real connection, so it would not be the server's CPU per request; on these ~10 µs requests the interleaved wrk run resolves a few hundredths of a µs on a quiet machine (the A/A control of section 1a), which is enough for this target. A client inside the server process (its own keep-alive loopback connections, so nothing waits for the other CPU) was tried too: under load average 6–8 its per-run intervals came out 2–4× wider than wrk's, and its figure includes the client's CPU, so wrk stays.`,
  );
  md.push('');
  const cur = rel.groups.find((g) => g.currentCommit)?.currentCommit;
  if (cur) {
    md.push(
      `"telltale" (the current core) here is a snapshot of commit ${cur.slice(0, 12)} (\`--current\`), not the working tree.`,
    );
    md.push('');
  }
  md.push(
    'prom-client variants, as prom-client users write them (prom-client 15, one `Counter` `http_requests_total` and one `Histogram` `http_request_duration_seconds` with default buckets, both labelled `{method, route, status}` with the route template, in their own `Registry`):',
  );
  md.push('');
  for (const g of rel.groups) md.push(`- ${g.title}: ${g.prom}; telltale: ${g.adapter}.`);
  md.push('');
  md.push(
    'Checks, every run: no non-2xx answers, the server served at least what wrk counted, and each instrumented variant\'s own `http_requests_total` (telltale\'s read back with `encodeText(await registry.gather())`, prom-client\'s with `registry.metrics()`) equals the requests it was handed, every sample labelled `method="GET"`, `route="/"`, `status="200"`.',
  );
  md.push('');
  md.push(
    `Verdicts: the runs are repeated measurements of one quantity, so each verdict uses the **95% interval of the mean over the runs** (Student's t with runs − 1 degrees of freedom; the spread between runs already holds each run's own slice noise and the build-order effect). The ratio is **met** when that interval lies wholly at or below ${f(RELATIVE_TARGET * 100, 0)}%, **not met** when wholly above, **within noise** when it contains ${f(RELATIVE_TARGET * 100, 0)}%. "Not slower than today's" is **not met** when the interval of current − reference lies wholly above 0 (slower), **met** when wholly at or below 0 (faster), and **within noise** when it contains 0: no difference this run could see (what identical code gives). Each run's own interval (from its slices) is in the last table. Under heavy load from other jobs (see the load columns), wrk on CPU ${LOAD_CPU} is starved, the server answers fewer requests per wake-up and every per-request figure rises (bare and added alike): compare the ratios, not the microseconds, with runs on a quiet machine.`,
  );
  md.push('');
  md.push(
    `| framework | bare server CPU µs/req | telltale added µs/req | prom-client added µs/req | telltale / prom-client: median (IQR) | mean ± 95% CI over runs | target ≤ ${f(RELATIVE_TARGET * 100, 0)}% |`,
  );
  md.push('|---|---|---|---|---|---|---|');
  /** Student's t for a two-sided 95% interval with `df` degrees of freedom (≥ 11: a close fit). */
  const t95 = (df) =>
    df < 1
      ? Number.POSITIVE_INFINITY
      : ([12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228][df - 1] ??
        1.96 + 2.5 / df);
  /** Mean of `xs` and the half-width of its 95% interval. */
  const overRuns = (xs) => {
    const m = mean(xs);
    const sd = Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1));
    return {
      mean: m,
      ci: xs.length > 1 ? (t95(xs.length - 1) * sd) / Math.sqrt(xs.length) : Infinity,
    };
  };
  const ratioRuns = (g) => overRuns(g.runs.map((r) => r.ratio));
  const deltaRuns = (g) => overRuns(g.runs.map((r) => r.refDelta));
  const verdictRatio = (g) => {
    const { mean: m, ci } = ratioRuns(g);
    return m + ci <= RELATIVE_TARGET
      ? 'met'
      : m - ci > RELATIVE_TARGET
        ? 'not met'
        : 'within noise';
  };
  const verdictDelta = (g) => {
    const { mean: m, ci } = deltaRuns(g);
    return m - ci > 0 ? 'not met' : m + ci <= 0 ? 'met' : 'within noise';
  };
  const pm = (x, fmt) => `${fmt(x.mean)} ± ${fmt(x.ci).replace(/^\+/, '')}`;
  const bold = (v) => `**${v}**`;
  for (const g of rel.groups) {
    md.push(
      `| ${g.title} | ${iqr(g.bare, us)} | ${iqr(g.telltale, usAdded)} | ${iqr(g.promClient, usAdded)} | ${iqr(g.ratio, pct)} | ${pm(ratioRuns(g), pct)} (${g.runs.length} runs) | ${bold(verdictRatio(g))} |`,
    );
  }
  md.push('');
  if (rel.groups.some((g) => g.ref !== undefined)) {
    md.push(
      `Not slower than today's core: the same adapter from commit ${rel.groups.find((g) => g.refCommit)?.refCommit.slice(0, 12)}, in the same processes.`,
    );
    md.push('');
    md.push(
      '| framework | reference core added µs/req | reference / prom-client | current − reference µs/req: median (IQR) | mean ± 95% CI over runs | not slower? |',
    );
    md.push('|---|---|---|---|---|---|');
    for (const g of rel.groups.filter((x) => x.ref !== undefined)) {
      md.push(
        `| ${g.title} | ${iqr(g.ref, usAdded)} | ${iqr(g.refRatio, pct)} | ${iqr(g.refDelta, usAdded)} | ${pm(deltaRuns(g), usAdded)} | ${bold(verdictDelta(g))} |`,
      );
    }
    md.push('');
  }
  md.push('Every run (added: mean ± 95% CI over its slices, slices counted in brackets):');
  md.push('');
  md.push(
    "| framework | run | order after bare | bare µs/req | telltale added | prom-client added | reference added | telltale / prom-client | current − reference | req/s | other jobs' load | load average (1 min) | requests checked (bare + telltale + prom-client + reference) |",
  );
  md.push('|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  const cell = (a) => (a === undefined ? '—' : `${sgn(a.mean)} ± ${f(a.ci)} (${a.n})`);
  for (const g of rel.groups) {
    for (const r of g.runs) {
      const q = r.requests;
      md.push(
        `| ${g.title} | ${r.run + 1} | ${r.order
          .slice(1)
          .map((v) => v.replace(`${g.id}-`, ''))
          .join(
            ', ',
          )} | ${f(r.bare)} | ${cell(r.added.telltale)} | ${cell(r.added.prom)} | ${cell(r.added.ref)} | ${pct(r.ratio)} | ${Math.round(r.rps).toLocaleString('en-US')} | ${f(r.others * 100, 0)}% | ${f(r.loadavg[0])} | ${[
          'bare',
          'telltale',
          'prom',
          'ref',
        ]
          .filter((k) => q[k] !== undefined)
          .map((k) => q[k].served.toLocaleString('en-US'))
          .join(' + ')} |`,
      );
    }
  }
  md.push('');
  for (const g of rel.groups) {
    const v = verdictRatio(g);
    target(
      `HTTP metrics-only overhead relative to prom-client, ${g.title} (${g.adapter.replace(/ \(.*\)$/, '')})`,
      `${iqr(g.ratio, pct)} of prom-client's added CPU; telltale ${iqr(g.telltale, usAdded)} µs, prom-client ${iqr(g.promClient, usAdded)} µs on ${f(g.bare.median)} µs bare (median (IQR) of ${g.runs.length} runs)`,
      `≤ ${f(RELATIVE_TARGET * 100, 0)}% of prom-client's`,
      v === 'met' ? true : v === 'not met' ? false : 'noise',
      `mean over the runs ${pm(ratioRuns(g), pct)} (95% CI)${v === 'within noise' ? `: the interval contains ${f(RELATIVE_TARGET * 100, 0)}%` : ''}`,
    );
  }
  for (const g of rel.groups.filter((x) => x.ref !== undefined)) {
    const v = verdictDelta(g);
    target(
      `HTTP metrics-only: current core not slower than today's, ${g.title}`,
      `current − reference ${iqr(g.refDelta, usAdded)} µs/req (current ${sgn(g.telltale.median)}, reference ${sgn(g.ref.median)} µs added)`,
      'not slower',
      v === 'met' ? true : v === 'not met' ? false : 'noise',
      `mean over the runs ${pm(deltaRuns(g), usAdded)} µs (95% CI)${v === 'within noise' ? ': the interval contains 0, no difference measured' : ''}`,
    );
  }
}
if (results.interleaved?.length > 0) {
  md.push(
    results.relative?.groups.length > 0
      ? '## 1a. HTTP overhead, interleaved pairs (issue 4: the absolute target, and references)'
      : '## 1. HTTP overhead, interleaved in one process (issue 4: the target figure)',
  );
  md.push('');
  md.push(
    `Method: for each pair, ONE server process pinned to CPU ${SERVER_CPU} holds both variants and switches its request listener between A and B every ${results.config.SLICE_MS} ms (\`http-server.mjs --interleave=A,B\`), under one ${results.config.INTERLEAVE_SECONDS} s wrk run (pinned to CPU ${LOAD_CPU}, ${CONNECTIONS} connections; a ${WARMUP + 1} s warm-up run first). At every switch the server notes \`process.cpuUsage()\` and the requests handed to the listener, so every slice has its own **server CPU per request**. "Added" is the mean over B slices of (B slice − mean of the A slices just before and after it), with its 95% confidence interval (1.96 × standard deviation / √slices): the machine's drift between and within runs (other jobs, the host, CPU frequency) cancels out, which separate runs per variant (section 1b) cannot do on this shared VM. The A/A row (bare vs itself) shows what zero looks like. A pair that runs several times (each in a new process) alternates which variant is built and served first ("B first" in the runs column), since being first was seen to move a run by up to ±0.2 µs; the median run is the figure. Checks: no non-2xx answers, the server served at least what wrk counted, and the instrumentation's own \`http_requests_total\` equals the requests its variant was handed.`,
  );
  md.push('');
  md.push(
    "| pair (A = baseline, B = measured) | added µs/req: mean ± 95% CI (slice median) | runs (each a new process): added | A µs/req | B µs/req | slices | req/s | other jobs' load | requests checked |",
  );
  md.push('|---|---|---|---|---|---|---|---|---|');
  for (const p of results.interleaved) {
    const runsCol =
      (p.runs?.length ?? 1) > 1
        ? `${p.runs.map((r) => sgn(r.added) + (r.reversed ? ' (B first)' : '')).join(', ')} (median shown)`
        : '1 run';
    md.push(
      `| ${p.title} | ${sgn(p.added)} ± ${f(p.ci)} (${sgn(p.median)}) | ${runsCol} | ${f(p.cpuA)} | ${f(p.cpuB)} | ${p.n} | ${Math.round(p.rps).toLocaleString('en-US')} | ${f(p.others * 100, 0)}% | ${p.served.map((x) => x.toLocaleString('en-US')).join(' + ')}${p.recorded[1] === null ? '' : ' (B = recorded)'} |`,
    );
  }
  md.push('');
  const runsOf = (p) => p.runs ?? [p];
  const pc = inter['node-prom-client'];
  const nm = inter['node-metrics'];
  const clock = inter['node-clock'];
  if (nm && pc) {
    // The issue states its target next to prom-client's cost on its machine (0.3 vs 0.62 µs):
    // the same ratio, from runs that ran side by side here.
    const n = Math.min(runsOf(nm).length, runsOf(pc).length);
    const ratios = [];
    for (let i = 0; i < n; i++) ratios.push(runsOf(nm)[i].added / runsOf(pc)[i].added);
    const ratio = median(ratios);
    md.push(
      `Same-run comparison: telltale's metrics-only overhead on node:http was ${ratios.map((x) => f(x * 100, 0)).join('%, ')}% of prom-client's idiomatic counter + histogram in the runs made side by side (median ${f(ratio * 100, 0)}%). The issue's target, ≤ 0.3 µs where prom-client adds 0.62 µs, is ${f((0.3 / 0.62) * 100, 0)}% of prom-client's cost; here prom-client adds ${runsOf(
        pc,
      )
        .map((r) => f(r.added))
        .join(
          ', ',
        )} µs, so this VM is ${f(pc.added / 0.62, 1)}× slower than the issue's reference for this path.${clock ? ` Two \`performance.now()\` reads per request alone cost ${sgn(clock.added)} ± ${f(clock.ci)} µs here: every duration metric pays them.` : ''}`,
    );
    md.push('');
    target(
      'HTTP metrics-only overhead, node:http, relative to prom-client in the same runs',
      `${f(ratio * 100, 0)}% of prom-client's overhead (runs: ${ratios.map((x) => `${f(x * 100, 0)}%`).join(', ')})`,
      `≤ ${f((0.3 / 0.62) * 100, 0)}% (the issue's 0.3 µs vs 0.62 µs)`,
      ratio <= 0.3 / 0.62,
      `the same target expressed against the reference the issue gives, measured on this machine${results.relative?.groups.length > 0 ? "; issue 4's pairs, from separate processes: section 1's same-process figure replaces it for issue 12" : ''}`,
    );
  }
  for (const p of results.interleaved.filter((x) => x.target)) {
    // The framework's empty hook or middleware, measured the same way: what telltale's middleware
    // or hook form cannot cost less than.
    const ref = p.id.endsWith('-metrics') ? inter[p.id.replace('-metrics', '-noop')] : undefined;
    const upper = p.added + p.ci;
    // An interval wider than the target cannot say met or not met.
    const unresolved = p.ci > 0.3;
    target(
      `HTTP metrics-only overhead, ${p.target} (interleaved)`,
      `${sgn(p.added)} ± ${f(p.ci)} µs/req on ${f(p.cpuA)} µs${(p.runs?.length ?? 1) > 1 ? ` (median of ${p.runs.length} runs: ${p.runs.map((r) => sgn(r.added)).join(', ')})` : ''}`,
      '≤ 0.3 µs added',
      unresolved ? 'unresolved' : p.added <= 0.3,
      [
        unresolved
          ? `the 95% interval (±${f(p.ci)} µs on ~${f(p.cpuA, 0)} µs requests) is wider than the target: this method cannot resolve it here`
          : '',
        !unresolved && p.added <= 0.3 && upper > 0.3
          ? `met on the mean; the 95% interval reaches ${f(upper)} µs`
          : '',
        p.added > 0.3 && ref
          ? `the framework's own cost of any ${p.id.startsWith('fastify') ? 'hook with a response listener' : 'middleware'} is ${sgn(ref.added)} ± ${f(ref.ci)} µs (no telltale), telltale's share above it ${sgn(p.added - ref.added)} µs`
          : '',
        p.id === 'node-metrics' && pc
          ? `prom-client's idiomatic counter + histogram: ${sgn(pc.added)} µs (median of its runs)`
          : '',
        p.id === 'node-metrics' && clock
          ? `two clock reads alone: ${sgn(clock.added)} µs on this VM`
          : '',
      ]
        .filter(Boolean)
        .join('; '),
    );
  }
}
if (results.http.some((g) => g.id !== 'probe')) {
  md.push(
    results.interleaved?.length > 0
      ? '## 1b. HTTP overhead, one process per variant (full mode, breakdown, context)'
      : '## 1. HTTP overhead (issue 4)',
  );
  md.push('');
  md.push(
    `Method: each variant is its own server process pinned to CPU ${SERVER_CPU}; wrk pinned to CPU ${LOAD_CPU}, ${CONNECTIONS} connections over loopback, ${DURATION} s per run, ${ROUNDS} rounds; in each round every variant of a group runs once, the order reversed every other round. The figure is **server CPU per request** = \`process.cpuUsage()\` delta over the run / requests the handler served (read over the IPC channel, so control traffic is not counted). "Added" is the median over rounds of (variant − baseline of the same round), with the range over rounds. Checks on every run: wrk's request count ≤ served ≤ wrk's count + ${CONNECTIONS}, no non-2xx answers, and the instrumentation's own total (\`http_requests_total\` read back from the registry; access-log lines at the sink for full mode and pino-http) equals the requests served. "Other jobs' load": the share of the whole machine (both cores) that processes other than the server, wrk and this runner used during the run (from /proc/stat), median over the rounds; when it is high, wrk and the server compete with other work and CPU per request rises.`,
  );
  md.push('');
  md.push(
    'Metrics-only mode: `{ registry }` (request counter, duration histogram, in-flight gauge, request and response size histograms). Full mode: `{ registry, requestId: true, tracing: true, accessLog: { logger } }` with `logger = createLogger({ level: "info", destination: sink })`; pino-http: `pinoHttp({ logger: pino({ level: "info" }, sink) })`; both sinks are the same object whose `write()` is a synchronous write(2) to /dev/null. prom-client: `Counter` + `Histogram` labelled `{method, route, status}`, `startTimer()` and `inc` on `finish`.',
  );
  md.push('');
  md.push(
    "| group | variant | server CPU µs/req, median (min–max) | added µs/req vs baseline, median (range) | × baseline | req/s (median) | other jobs' load | requests checked |",
  );
  md.push('|---|---|---|---|---|---|---|---|');
  for (const g of results.http.filter((x) => x.id !== 'probe')) {
    for (const r of g.rows) {
      const isBase = r.variant === g.baseline;
      md.push(
        `| ${g.title} | ${r.title} | ${f(r.cpuUsPerReq)} (${f(r.cpuMin)}–${f(r.cpuMax)}) | ${isBase ? '—' : `${sgn(r.added)} (${sgn(r.addedMin)} … ${sgn(r.addedMax)})`} | ${isBase ? '1' : f(r.ratio, 3)} | ${Math.round(r.rps).toLocaleString('en-US')} | ${r.others === undefined ? 'n/a' : `${f(r.others * 100, 0)}%`} | ${r.served.toLocaleString('en-US')}${r.recorded === null ? '' : ' = recorded'} |`,
      );
    }
  }
  md.push('');
  const pc = http.node?.rows.find((r) => r.variant === 'node-prom-client');
  for (const g of results.http.filter((x) => x.id !== 'probe')) {
    const m = g.rows.find((r) => r.variant.endsWith('-tt-metrics'));
    if (!m) continue;
    // The interleaved figure is the target's when it was measured; this one is context then.
    if (inter[`${g.id}-metrics`]) continue;
    const c = g.control && g.rows.find((r) => r.variant === g.control);
    // telltale's own share: paired by round against the empty-hook control of the framework.
    const own = c ? median(m.runs.map((x, i) => x.cpuUsPerReq - c.runs[i].cpuUsPerReq)) : undefined;
    const ctl = c
      ? `; the control (${c.title.replace(/^control: /, '')}) adds ${sgn(c.added)} µs by itself, telltale's share above it ${sgn(own)} µs`
      : '';
    target(
      `HTTP metrics-only overhead, ${g.title}`,
      `${sgn(m.added)} µs/req (rounds ${sgn(m.addedMin)} … ${sgn(m.addedMax)}) on ${f(m.cpuUsPerReq - m.added)} µs`,
      '≤ 0.3 µs added',
      m.added <= 0.3,
      (m.added <= 0.3
        ? m.addedMax > 0.3
          ? 'met on the median; single rounds range above 0.3 µs (noise of the shared machine)'
          : ''
        : `median above 0.3 µs${pc ? ` (prom-client's idiomatic counter + histogram: ${sgn(pc.added)} µs in the same run)` : ''}`) +
        ctl +
        (m.others !== undefined && m.others > 0.4
          ? `; other jobs used ${f(m.others * 100, 0)}% of the machine during these runs, so this group's figures are not reliable`
          : ''),
    );
  }
  const full = http.node?.rows.find((r) => r.variant === 'node-tt-full');
  const ph = http.node?.rows.find((r) => r.variant === 'node-pino-http');
  if (full && ph) {
    md.push(
      `Full mode on node:http added ${sgn(full.added)} µs/req; pino-http added ${sgn(ph.added)} µs/req in the same run (full mode does metrics + request id + span + access log; pino-http does request id + access log). Full mode on Express/Fastify/Hono: ${[
        'express',
        'fastify',
        'hono',
      ]
        .map((id) => http[id]?.rows.find((r) => r.variant.endsWith('-tt-full')))
        .filter(Boolean)
        .map((r) => `${r.variant.split('-')[0]} ${sgn(r.added)} µs`)
        .join(', ')}.`,
    );
    md.push('');
    const tm = http.node.rows.find((r) => r.variant === 'node-tt-metrics');
    const parts = ['node-tt-reqid', 'node-tt-trace', 'node-tt-log']
      .map((id) => http.node.rows.find((r) => r.variant === id))
      .filter(Boolean);
    if (tm && parts.length > 0) {
      const over = (r) => median(r.runs.map((x, i) => x.cpuUsPerReq - tm.runs[i].cpuUsPerReq));
      md.push(
        `Full mode, part by part on node:http (each on top of metrics-only, paired by round): ${parts
          .map((r) => `${r.variant.replace('node-tt-', '')} ${sgn(over(r))} µs`)
          .join(
            ', ',
          )}; all together ${sgn(over(full))} µs. (\`tracing\` also resolves a request id and runs the handler inside the AsyncLocalStorage context; \`requestId\` alone runs it inside the context too.)`,
      );
      md.push('');
    }
    target(
      'HTTP full mode vs pino-http (node:http), reported, no numeric target',
      `telltale full ${sgn(full.added)} µs/req, pino-http ${sgn(ph.added)} µs/req`,
      'report',
      null,
      '',
    );
  }
}

if (results.exemplars) {
  const e = results.exemplars;
  md.push('## 2. Exemplars (issue 4)');
  md.push('');
  md.push(
    `One process pinned to CPU ${SERVER_CPU}; a counter \`inc()\` and a histogram \`observe()\` (default buckets) through bound handles; each variant is one series of the same metric, driven by the same loop function. Per round each variant runs one batch calibrated to ~40 ms of CPU (process.cpuUsage), variants alternating (order reversed every other round), ${e.ns['counter-off'].length} rounds; "exemplars on" is one registry with a telemetry that attaches exemplars (\`createTelemetry({ registry, tracing: { exemplars: true } })\`), its source live only inside that telemetry's \`span()\`. The A/A rows are a second series measured exactly like "off": the noise between two identical variants. Read back: every series' total equals the operations done; the OpenMetrics output has trace_id exemplars on the in-span series (${e.exemplarLines.span} lines) and none on the others.`,
  );
  md.push('');
  md.push('| operation | exemplars | span | ns/op median (min–max) | vs off |');
  md.push('|---|---|---|---|---|');
  const row = (id, kind, ex, sp) => {
    const xs = e.ns[id];
    const off = median(e.ns[`${kind}-off`]);
    md.push(
      `| ${kind} | ${ex} | ${sp} | ${f(median(xs))} (${f(min(xs))}–${f(max(xs))}) | ${id.endsWith('-off') ? '—' : `${sgn(median(xs) - off)} ns (×${f(median(xs) / off)})`} |`,
    );
  };
  for (const kind of ['counter', 'histogram']) {
    row(`${kind}-off`, kind, 'off', 'none');
    row(`${kind}-off-aa`, kind, 'off (A/A control)', 'none');
    row(`${kind}-on-nospan`, kind, '`tracing.exemplars`', 'none');
    row(`${kind}-on-span`, kind, '`tracing.exemplars`', 'active (`telemetry.span()`)');
  }
  md.push('');
  for (const kind of ['counter', 'histogram']) {
    const off = e.ns[`${kind}-off`];
    const on = e.ns[`${kind}-on-nospan`];
    const aa = e.ns[`${kind}-off-aa`];
    // Paired by round (variants alternate within a round): on − off against the A/A noise, the
    // 80th percentile of |aa − off| over the rounds.
    const dOn = on.map((x, i) => x - off[i]);
    const dAa = aa.map((x, i) => Math.abs(x - off[i])).sort((a, b) => a - b);
    const d = median(dOn);
    const noise = dAa[Math.min(dAa.length - 1, Math.floor(0.8 * dAa.length))];
    target(
      `Exemplars installed, no active span: ${kind}`,
      `${f(median(off))} → ${f(median(on))} ns/op; paired difference ${sgn(d)} ns (rounds ${sgn(min(dOn))} … ${sgn(max(dOn))}); A/A noise (p80 of paired \\|aa − off\\|) ${f(noise)} ns`,
      'no slower within noise',
      d <= noise,
      d <= noise
        ? ''
        : 'with a source installed every update calls it, and it reads the AsyncLocalStorage store (`activeRecord()`) to learn that no span is active; without a source the check is one null test. Small in absolute terms, beyond the noise in relative terms',
    );
    target(
      `Exemplars with an active span: ${kind} (reported)`,
      `${f(median(e.ns[`${kind}-on-span`]))} ns/op`,
      'report',
      null,
      '',
    );
  }
}

if (results.log) {
  const l = results.log;
  md.push('## 3. Disabled log call (issue 4)');
  md.push('');
  md.push(
    `\`createLogger({ level: 'info', destination })\` then \`logger.debug('x')\` in a loop, next to pino's own \`debug\` (a pino logger at \`info\`) and the empty-loop floor (a Float64Array increment), same process pinned to CPU ${SERVER_CPU}, alternating, ${l.ns.floor.length} rounds of ~40 ms CPU each. Read back: nothing reached the destination at debug, and one \`info\` line per logger did.`,
  );
  md.push('');
  md.push('| call | ns/op median (min–max) |');
  md.push('|---|---|');
  const names = {
    floor: 'floor: `f64[0] += 1`',
    'telltale-debug': "telltale `logger.debug('x')`",
    'telltale-debug-fields': "telltale `logger.debug({ i }, 'x')`",
    'pino-debug': "pino `logger.debug('x')`",
  };
  for (const [id, t] of Object.entries(names)) {
    const xs = l.ns[id];
    md.push(`| ${t} | ${f(median(xs))} (${f(min(xs))}–${f(max(xs))}) |`);
  }
  md.push('');
  const t = median(l.ns['telltale-debug']);
  if (t < median(l.ns.floor))
    md.push(
      `telltale's disabled call measures below the empty-loop floor: V8 inlines the no-op method and drops the loop body, so the figure means "free", not a precise number.`,
    );
  md.push('');
  target(
    'Disabled log call',
    `${f(t)} ns/op (pino ${f(median(l.ns['pino-debug']))} ns)`,
    '≤ 5 ns',
    t <= 5,
    t <= 5 ? '' : 'above 5 ns',
  );
}

const idleRes = results.idle;
if (idleRes || results.scrape) {
  md.push('## 4. Runtime collectors (issue 3)');
  md.push('');
}
if (idleRes) {
  const [b, c] = idleRes;
  const pct = (x) => (x.cpuUs / 1000 / x.wallMs) * 100;
  const cost = pct(c) - pct(b);
  md.push(
    `(a) Steady cost, no scrape: two child processes started together, one with \`startRuntimeMetrics({ registry })\` (every collector, defaults) and one without (same modules loaded), each idle for ${IDLE_SECONDS} s after a 2 s settle; each reports its own process CPU over the window. They ran **while the HTTP cases ran** (not pinned, both facing the same contention), to keep the total time down; CPU time, not wall time, is compared. Read back: the collectors' process gathered ${c.families} families, the baseline ${b.families}.`,
  );
  md.push('');
  md.push('| process | CPU over the window | % of one core |');
  md.push('|---|---|---|');
  md.push(
    `| without collectors | ${f(b.cpuUs / 1000, 1)} ms / ${f(b.wallMs / 1000, 1)} s | ${f(pct(b), 3)}% |`,
  );
  md.push(
    `| with every runtime collector | ${f(c.cpuUs / 1000, 1)} ms / ${f(c.wallMs / 1000, 1)} s | ${f(pct(c), 3)}% |`,
  );
  md.push(`| **cost** | ${f((c.cpuUs - b.cpuUs) / 1000, 1)} ms | **${f(cost, 3)}%** |`);
  md.push('');
  target(
    'Runtime collectors, steady CPU, no scrape',
    `${f(cost, 3)}% of one core (one ${IDLE_SECONDS} s pair)`,
    '≤ 0.5% of one core',
    cost <= 0.5,
    cost <= 0.5 ? '' : 'above 0.5%',
  );
}
if (results.scrape) {
  const s = results.scrape;
  const w = [...s.wallMs].sort((a, b) => a - b);
  const p99 = w[Math.min(w.length - 1, Math.floor(0.99 * w.length))];
  md.push(
    `(b) One scrape of the runtime metrics alone: \`encodeText(await registry.gather())\` on a registry holding only \`startRuntimeMetrics()\`'s families (${s.families} families, ${s.series} samples, ${s.bytes} bytes), ${s.scrapes} scrapes after 50 warm-up scrapes, one event-loop turn between scrapes, pinned to CPU ${SERVER_CPU}. Wall time per scrape (performance.now): median **${f(median(s.wallMs), 3)} ms**, min ${f(w[0], 3)}, p99 ${f(p99, 3)}, max ${f(w[w.length - 1], 3)} ms; process CPU per scrape (mean) ${f(s.cpuUsPerScrape / 1000, 3)} ms.`,
  );
  md.push('');
  target(
    'Runtime metrics scrape (gather + text)',
    `${f(median(s.wallMs), 3)} ms median of ${s.scrapes} (p99 ${f(p99, 3)} ms)`,
    '≤ 1 ms',
    median(s.wallMs) <= 1,
    median(s.wallMs) <= 1 ? '' : 'above 1 ms',
  );
}

if (http.probe) {
  const g = http.probe;
  const b = g.rows.find((r) => r.variant === 'probe-bare');
  const h = g.rows.find((r) => r.variant === 'probe-health');
  md.push('## 5. Probe cost (issue 3)');
  md.push('');
  md.push(
    `Same method as case 1 (wrk on \`GET /health/ready\`, ${CONNECTIONS} connections, ${DURATION} s runs, ${ROUNDS} alternating rounds). \`createHealth({ checks })\` with three checks (sync, async, non-critical), each \`cacheMs: 3600000\`, \`setReady()\`, served through \`health.handlers.ready\` by node:http; baseline: a node:http handler answering \`{}\` as JSON. Read back: every answer was 2xx, readiness reports \`ok\`, and the checks ran exactly once each (cached).`,
  );
  md.push('');
  md.push(
    '| variant | server CPU µs/req, median (min–max) | added µs/req, median (range) | req/s |',
  );
  md.push('|---|---|---|---|');
  for (const r of g.rows)
    md.push(
      `| ${r.title} | ${f(r.cpuUsPerReq)} (${f(r.cpuMin)}–${f(r.cpuMax)}) | ${r === b ? '—' : `${sgn(r.added)} (${sgn(r.addedMin)} … ${sgn(r.addedMax)})`} | ${Math.round(r.rps).toLocaleString('en-US')} |`,
    );
  md.push('');
  target(
    'Readiness probe, checks cached',
    `${f(h.cpuUsPerReq)} µs/req absolute, ${sgn(h.added)} µs added`,
    '≤ 50 µs server CPU',
    h.cpuUsPerReq <= 50,
    h.cpuUsPerReq <= 50 ? '' : 'above 50 µs',
  );
}

if (results.agent) {
  md.push('## 6. Agent overhead (issue 5)');
  md.push('');
  if (results.agent.missing) {
    md.push('`bench/cases/agent-overhead.mjs` was not found; not measured.');
  } else {
    md.push(
      "Run from this runner, unchanged: `bench/cases/agent-overhead.mjs` (a colleague's script; see its header for the method: real registry (A) vs `createNoopRegistry()` (B) through the agent's `createMessageHandler` and `instrumentStorage`, ≥ 10 rounds of alternating A/B slices, its own redis-server on a free port; `memory` is a Map behind the storage interface, to see the metrics cost without I/O). Its output:",
    );
    md.push('');
    md.push(results.agent.table.replace(/^agent overhead:/, '**agent overhead:**'));
    md.push('');
    const upd = results.agent.result?.metricUpdates;
    for (const r of results.agent.result?.results ?? []) {
      if (r.backend === 'memory') {
        target(
          'Agent metrics overhead, memory (no I/O; context)',
          `wall ${f(r.overhead * 100)}% (rounds ${f(r.overheadMin * 100)} … ${f(r.overheadMax * 100)}%), CPU ${f(r.overheadCpu * 100)}%`,
          'report',
          null,
          '',
        );
        continue;
      }
      // Judged on the direct A/B medians (wall and CPU): both must be under 1%. The script's
      // prediction (metric updates per message over the time per message) is shown beside it.
      const met = r.overhead < 0.01 && r.overheadCpu < 0.01;
      const spread = Math.max(
        Math.abs(r.overheadMin),
        Math.abs(r.overheadMax),
        Math.abs(r.overheadCpuMin),
        Math.abs(r.overheadCpuMax),
      );
      const pred = upd ? upd.cost / (1e9 / r.noopCpu) : undefined;
      target(
        `Agent metrics overhead, ${r.backend}`,
        `A/B medians: wall ${f(r.overhead * 100)}%, CPU ${f(r.overheadCpu * 100)}% (${Math.round(r.real).toLocaleString('en-US')} vs ${Math.round(r.noop).toLocaleString('en-US')} msg/s)${pred === undefined ? '' : `; predicted from the metric updates alone (${f(upd.cost, 1)} ns/msg): ${f(pred * 100)}%`}`,
        '< 1% difference',
        met,
        `single rounds range up to ±${f(spread * 100, 0)}%${r.othersBusy > 0.05 ? ` with ${f(r.othersBusy * 100, 0)}% of the machine busy with other jobs` : ''}: the direct A/B cannot resolve 1% here${met ? '' : ', and its median came out above 1%'}${pred !== undefined && pred < 0.01 ? '; the metric work itself is well under 1%' : ''}`,
      );
    }
  }
  md.push('');
}

md.push('## Targets');
md.push('');
md.push('| target | measured | goal | met? | what limits it / note |');
md.push('|---|---|---|---|---|');
for (const t of targets)
  md.push(
    `| ${t.what} | ${t.figure} | ${t.goal} | ${t.met === null ? 'reported' : t.met === 'unresolved' ? '**unresolved** (noise)' : t.met === 'noise' ? '**within noise**' : t.met ? '**met**' : '**not met**'} | ${t.limit} |`,
  );
md.push('');
if (failures.length > 0) {
  md.push('## Check failures');
  md.push('');
  for (const x of failures) md.push(`- ${x}`);
  md.push('');
} else {
  md.push('Every read-back check passed.');
  md.push('');
}

const text = md.join('\n');
results.targets = targets;
if (write) {
  writeFileSync(join(root, 'docs', 'benchmarks-service.md'), text);
  if (!REPORT_ONLY) {
    const file = join(here, 'results-latest.json');
    writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
    // In the repository's own format, so `npm run lint` stays clean (best effort).
    try {
      execFileSync(join(root, 'node_modules', '.bin', 'biome'), ['format', '--write', file], {
        stdio: 'ignore',
      });
    } catch {}
  }
  log(
    REPORT_ONLY
      ? 'wrote docs/benchmarks-service.md'
      : 'wrote docs/benchmarks-service.md and bench/service/results-latest.json',
  );
} else {
  console.log(text);
}
if (failures.length > 0) process.exitCode = 1;
