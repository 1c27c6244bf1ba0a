// Runs every benchmark case for every library, each in its own process, and writes docs/benchmarks.md.
// Usage (from the repo root): npm run bench [-- --libs=telltale,prom-client --groups=hot,render --rounds=2 --no-write]
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import { median, parseArgs } from './cases/args.mjs';
import { waitForQuiet } from './cpu.mjs';
import { LIBS } from './libs/index.mjs';
import { telltaleSnapshot } from './snapshot.mjs';

const benchDir = dirname(fileURLToPath(import.meta.url));
const root = dirname(benchDir);
const args = parseArgs();
const argv = process.argv.slice(2);
const write = !argv.includes('--no-write');
const libs = args.libs ? LIBS.filter((l) => args.libs.split(',').includes(l.id)) : LIBS;
const groupsWanted = args.groups?.split(',');
const hotRounds = Number(args.rounds ?? 3);
const renderRounds = Number(args.rounds ?? 2);

/** Node flags for every case process, whatever the library, so no library runs under different flags. */
const NODE_FLAGS = ['--expose-gc', '--conditions=telltale-source', '--import', 'tsx'];

/** The fixture shapes of the render, memory and scrape cases (bench/cases/data.mjs `SHAPES`). */
const SHAPE_IDS = ['shared', 'unique', 'one-family', 'many-families'];
const SHAPE_TITLES = {
  shared: { counters: 'shared: 10 families × 10,000', histograms: 'shared: 10 families × 1,000' },
  unique: {
    counters: 'unique first label: 10 families × 10,000',
    histograms: 'unique first label: 10 families × 1,000',
  },
  'one-family': {
    counters: 'one family of 100,000, first label unique',
    histograms: 'one family of 10,000, first label unique',
  },
  'many-families': {
    counters: '1,000 families × 100, shared',
    histograms: '1,000 families × 10, shared',
  },
};

/** Floor of measurement: below this a per-op time is mostly the loop itself (see the notes). */
const FLOOR_NS = 3;

// Each case: what it measures, the runner and its arguments, and telltale's targets.
// `max`: telltale's median must be at most this; `faster`: peer median / telltale median at least this.
const GROUPS = [
  {
    id: 'hot',
    title: 'Hot path',
    unit: 'ns',
    about:
      'Nanoseconds per operation (median), lower is better. Labelled cases cycle through 100 pre-built label value combinations and build the labels object literal at the call site on every call. Observed values are 1,024 pre-built values spread over every default bucket.',
    runner: 'hot.mjs',
    rounds: hotRounds,
    cases: [
      {
        id: 'counter-bound',
        n: 1,
        title: 'counter inc through a bound handle / `labels()` child (one series)',
        args: ['--case=counter-bound'],
        max: 5,
      },
      {
        id: 'counter-labels',
        n: 2,
        title: 'counter inc, 3 labels as an object literal, 100 combinations',
        args: ['--case=counter-labels'],
        max: 40,
        faster: { 'prom-client': 5 },
      },
      {
        id: 'gauge-labels',
        n: 3,
        title: 'gauge set, 2 labels, 100 combinations',
        args: ['--case=gauge-labels'],
        max: 40,
      },
      {
        id: 'histogram-labels',
        n: 4,
        title: 'histogram observe, 2 labels, 100 combinations, default buckets',
        args: ['--case=histogram-labels'],
        max: 50,
        faster: { 'prom-client': 7 },
      },
      {
        id: 'histogram-bound',
        n: 5,
        title: 'histogram observe through a bound handle / `labels()` child',
        args: ['--case=histogram-bound'],
        max: 15,
      },
      {
        id: 'summary-labels',
        n: 6,
        title: 'summary observe, 2 labels, 100 combinations (OpenTelemetry has no summary)',
        args: ['--case=summary-labels'],
        max: 150,
      },
      {
        id: 'counter-plain',
        n: 7,
        title: 'counter inc, no labels (the floor)',
        args: ['--case=counter-plain'],
      },
      {
        id: 'native-labels',
        n: 8,
        title: 'native histogram observe, 2 labels, 100 combinations, schema 3 (telltale only)',
        args: ['--case=native-labels'],
        max: 30,
      },
      {
        id: 'native-bound',
        n: 9,
        title: 'native histogram observe through a bound handle, schema 3 (telltale only)',
        args: ['--case=native-bound'],
        max: 15,
      },
    ],
  },
  {
    id: 'render',
    title: 'Exposition',
    unit: 'ms',
    about:
      "Milliseconds per full text-format render (median), lower is better: for telltale gather + `encodeText` with one `createTextCache()` kept between renders (what its metrics handler does; the first, untimed render fills it), `registry.metrics()` for prom-client and @prometheus-io/client, `collect()` + `PrometheusSerializer.serialize()` for OpenTelemetry. Every library gets the same fixture in each shape (bench/cases/data.mjs `SHAPES`), 2 labels per series: *shared* spreads the series over 10 families whose label values are shared by many series (100 instances × 100 paths per counter family); *unique first label* gives every series of a family its own first label value (a path; the second label cycles over 10 instances); *one family* puts every series in one family, first label unique; *1,000 families* spreads them over 1,000 small families (100 counter or 10 histogram series each) with shared values. Histogram series hold 5 observations each, spread over the default buckets. The first render of every run is parsed and its series count and totals checked. Two libraries cap series by default and are configured for this workload: telltale's registry with `maxSeries: 100_000` (default 1,000 per metric), OpenTelemetry with a view raising `aggregationCardinalityLimit` (default 2,000 per instrument). The same registries are used by the memory and scrape cases. Targets (issue 11): ≤ 20 ms, and ≥ 6× faster than prom-client and ≥ 3× faster than @prometheus-io/client in every shape.",
    runner: 'render.mjs',
    rounds: renderRounds,
    cases: SHAPE_IDS.flatMap((shape, i) => [
      {
        id: `render-counters-${shape}`,
        n: 10 + i * 2,
        title: `render 100,000 counter series (${SHAPE_TITLES[shape].counters})`,
        args: ['--kind=counters', `--shape=${shape}`],
        max: 20,
        faster: { 'prom-client': 6, 'prometheus-io': 3 },
      },
      {
        id: `render-histograms-${shape}`,
        n: 11 + i * 2,
        title: `render 10,000 histogram series (${SHAPE_TITLES[shape].histograms}, default buckets, 5 observations each)`,
        args: ['--kind=histograms', `--shape=${shape}`],
        max: 20,
        faster: { 'prom-client': 6, 'prometheus-io': 3 },
      },
    ]),
  },
  {
    id: 'protobuf',
    title: 'Protobuf exposition (telltale only)',
    unit: 'ms',
    telltaleOnly: true,
    about:
      "Milliseconds per full render in the delimited protobuf format (median), lower is better, next to the text render of the same registry in the same process. telltale only: prom-client, @prometheus-io/client and OpenTelemetry have no protobuf exposition (n/a). The registries are the exposition cases' (same shapes, same `maxSeries`). One process renders its registry in turn as text (gather + `encodeText`, as in the exposition cases), as protobuf with gather + `encodeProtobuf` (one byte array, no cache), and as protobuf the way the metrics handler serves it: gather + `encodeProtobufChunks` with one `createProtobufCache()` kept between renders (the chunks a server writes); the order rotates every round, and before every render (untimed) the first series is bumped (counters +1, histograms an observation of 0.5) so values change between renders as on a server. 2 warm-up rounds, then at least 7 and up to 40 rounds, until a second of cached protobuf rendering was timed, in 2 processes; the median of all renders. The first and the last render of each variant are decoded (series count, label pairs, totals, buckets) and checked against what was recorded. Target (issue 11): protobuf rendering no longer than the text rendering of the same registry, in every shape; the cached render is what a server does, the uncached one is judged too. Spread shows the cached render.",
    runner: 'protobuf.mjs',
    rounds: renderRounds,
    cases: SHAPE_IDS.flatMap((shape, i) => [
      {
        id: `protobuf-counters-${shape}`,
        n: 30 + i * 2,
        title: `protobuf render of 100,000 counter series (${SHAPE_TITLES[shape].counters}) (telltale only)`,
        args: ['--kind=counters', `--shape=${shape}`],
      },
      {
        id: `protobuf-histograms-${shape}`,
        n: 31 + i * 2,
        title: `protobuf render of 10,000 histogram series (${SHAPE_TITLES[shape].histograms}, default buckets, 5 observations each) (telltale only)`,
        args: ['--kind=histograms', `--shape=${shape}`],
      },
    ]),
  },
  {
    id: 'heap',
    title: 'Memory',
    unit: 'B',
    about:
      "Bytes per series, lower is better: the JS heap (`heapUsed`) plus off-heap memory (`external`, which includes `arrayBuffers`: typed-array and Buffer backing stores), each as the delta after repeated `gc()` over a baseline taken before the registry was built, divided by the series count. Measured after building the registry and again after one scrape; the cells give the total (heap + off-heap) after the build / after the scrape, then the after-scrape split. Same fixture shapes as the exposition cases; label value strings are created before the baseline, so only the library's own structures count. Targets (issue 11): ≤ 130 B per counter series and ≤ 400 B per histogram series (default buckets), heap + off-heap, in every shape.",
    runner: 'heap.mjs',
    rounds: 1,
    cases: SHAPE_IDS.flatMap((shape, i) => [
      {
        id: `heap-counters-${shape}`,
        n: 18 + i * 2,
        title: `100,000 counter series (${SHAPE_TITLES[shape].counters})`,
        args: ['--kind=counters', `--shape=${shape}`],
        max: 130,
      },
      {
        id: `heap-histograms-${shape}`,
        n: 19 + i * 2,
        title: `10,000 histogram series (${SHAPE_TITLES[shape].histograms}, default buckets)`,
        args: ['--kind=histograms', `--shape=${shape}`],
        max: 400,
      },
    ]),
  },
  {
    id: 'scrape',
    title: 'Event-loop block while serving a scrape',
    unit: 'ms',
    about:
      "The longest event-loop block in the server process while it answers a scrape over HTTP on loopback (uncompressed): `monitorEventLoopDelay({ resolution: 1 })` max, reset before each scrape; the client runs in a worker thread. The registry is real and gathered per scrape: before each scrape the server adds 1 to its first counter series (or observes 0.5 into its first histogram series), and the client checks every body's series count and totals against that, so a body from a stale gather or a cache fails the run. The figure is the median over the timed scrapes of each scrape's longest block; it includes the 1 ms timer period (the idle figure shows that baseline). With 10 concurrent scrapes, the block is the longest while all 10 are answered, and each of the 10 bodies is checked. telltale: `createMetricsServer` (defaults); prom-client and @prometheus-io/client: `await registry.metrics()` in a node:http handler; OpenTelemetry: the exporter's `getMetricsRequestHandler` in a node:http server. The 1,000,000-series case is the *unique first label* shape scaled up: 10 families of 100,000 counter series (within a family the first label, a path, is unique per series; the second cycles over 10 instances), 1 warm-up and 5 timed scrapes; telltale's registry keeps `maxSeries: 100_000` (per metric), OpenTelemetry's view its raised limit. A library that cannot build and serve it within 300 s or within Node's default heap is reported so in its cell rather than left out. Target (issue 11): ≤ 10 ms in every shape, with 10 concurrent scrapes, and at 1,000,000 series.",
    runner: 'scrape.mjs',
    rounds: 1,
    cases: [
      {
        id: 'scrape-block-one-family',
        n: 26,
        title: 'one scrape of 100,000 counter series in one family (first label unique)',
        args: ['--kind=counters', '--shape=one-family'],
        max: 10,
      },
      {
        id: 'scrape-block-shared',
        n: 27,
        title: 'one scrape of 100,000 counter series in 10 families of 10,000',
        args: ['--kind=counters', '--shape=shared'],
        max: 10,
      },
      {
        id: 'scrape-block-histograms',
        n: 28,
        title: 'one scrape of 10,000 histogram series (10 families of 1,000)',
        args: ['--kind=histograms', '--shape=shared'],
        max: 10,
      },
      {
        id: 'scrape-block-concurrent',
        n: 29,
        title: '10 concurrent scrapes of 100,000 counter series in 10 families of 10,000',
        args: ['--kind=counters', '--shape=shared', '--concurrency=10'],
        max: 10,
      },
      {
        id: 'scrape-block-1m',
        n: 38,
        title:
          'one scrape of 1,000,000 counter series in 10 families of 100,000 (first label unique; 5 timed scrapes after 1 warm-up)',
        args: ['--kind=counters', '--shape=unique', '--series=1000000', '--reps=5', '--warmup=1'],
        max: 10,
        // A library that cannot build and serve 1,000,000 series within this time, or within
        // Node's default heap, is reported as such instead of failing the run.
        budgetMs: 300_000,
      },
    ],
  },
].filter((g) => !groupsWanted || groupsWanted.includes(g.id));

/**
 * Which telltale sources to measure. Default: a snapshot of src/ at HEAD (`telltaleSnapshot`,
 * bench/snapshot.mjs: src/ and the root package.json, so the .ts files load as ES modules),
 * because others edit the working tree while the benchmark runs.
 * `--telltale-src=worktree` measures the working tree's src/ as it is.
 */
const telltaleCommit = git('rev-parse', 'HEAD');
let telltaleSrc = join(root, 'src');
let telltaleFrom = 'the working tree';
if (args['telltale-src'] !== 'worktree') {
  telltaleSrc = join(telltaleSnapshot(root, telltaleCommit).dir, 'src');
  telltaleFrom = `commit ${telltaleCommit.slice(0, 12)}`;
}

/**
 * Others may share this machine. A case process gets a higher scheduling priority (nice -10; needs
 * root or CAP_SYS_NICE, skipped otherwise, or with --no-renice), so a concurrent job slows the
 * measurement less. It only changes how the CPU is shared, never what is measured.
 */
let reniced = false;
function reprioritise(pid) {
  if (argv.includes('--no-renice')) return;
  try {
    os.setPriority(pid, -10);
    reniced = true;
  } catch {
    // Not permitted: run at normal priority.
  }
}

/**
 * Runs one case process. Without `budgetMs` it is killed after 180 s and a failure fails the run;
 * with it, a process killed after `budgetMs` or one that ran out of heap resolves to
 * `{ unfinished: why }`, reported in its cell (a peer that cannot hold the workload is a result).
 */
function runCase(runner, lib, caseArgs, budgetMs) {
  const script = join(benchDir, 'cases', runner);
  const argList = [...NODE_FLAGS, script, `--lib=${lib}`, ...caseArgs];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, argList, {
      cwd: root,
      env: { ...process.env, TELLTALE_SRC: telltaleSrc },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    reprioritise(child.pid);
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const limitMs = budgetMs ?? 180_000;
    let killed = false;
    const timer = setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
    }, limitMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const line = out.split('\n').find((l) => l.startsWith('RESULT '));
      const cmd = `node ${argList.map((a) => (a.startsWith('/') ? relative(root, a) : a)).join(' ')}`;
      if (budgetMs !== undefined && !line) {
        if (killed) {
          resolve({ unfinished: `did not finish within ${limitMs / 1000} s`, cmd });
          return;
        }
        if (/heap out of memory|Allocation failed/.test(err)) {
          resolve({
            unfinished: `ran out of memory (Node's default heap limit, ${(v8.getHeapStatistics().heap_size_limit / 2 ** 20).toFixed(0)} MB)`,
            cmd,
          });
          return;
        }
      }
      if (code !== 0 || !line) {
        reject(new Error(`${cmd} failed (${signal ?? `exit ${code}`}):\n${err || out}`));
        return;
      }
      resolve({ ...JSON.parse(line.slice(7)), cmd });
    });
  });
}

const started = Date.now();
// Others share this machine: the load average at the start and end of the run goes in the report.
const loadAtStart = os.loadavg();
let waitedMs = 0;
const quietWaitMs = Number(args['quiet-wait-ms'] ?? 10_000);
const quietBudgetMs = Number(args['quiet-budget-ms'] ?? 120_000);
const retryBudgetMs = Number(args['retry-budget-ms'] ?? 180_000);
// Reruns stop once the run has taken this long, so a busy machine cannot stretch it much further
// (with the fixture shapes, a run took 14 minutes on a loaded 2-core machine).
const softLimitMs = Number(args['max-minutes'] ?? 9) * 60_000;
const withinLimit = () => Date.now() - started < softLimitMs;
let reruns = 0;
const results = new Map(); // `${case}/${lib}` → { rounds: [one result per process] }
const failures = [];
const elapsed = () => `[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s]`;

/**
 * One case process. Others may share this machine: it first waits (bounded, within a budget for
 * the whole run) for quiet CPUs, and the result says whether other processes used more than a
 * fifth of a core, on average, while the case was timing (`contended`).
 */
async function measure(group, c, libId) {
  const quiet = await waitForQuiet({
    maxMs: Math.max(0, Math.min(quietWaitMs, quietBudgetMs - waitedMs)),
  });
  waitedMs += quiet.waitedMs;
  const r = await runCase(
    group.runner,
    libId,
    [...c.args, ...(group.runner === 'hot.mjs' ? ['--reps=5'] : [])],
    c.budgetMs,
  );
  r.contended = (r.othersCpu ?? 0) * os.cpus().length > 0.2;
  return r;
}

const show = (group, r) =>
  r.na
    ? 'n/a'
    : r.unfinished
      ? r.unfinished
      : `${fmt(r.median ?? r.afterBuild, group.unit)}${r.contended ? ' (contended)' : ''}`;

// Main pass. A contended process is rerun once at once (a short burst of other work), and any
// still contended are retried at the end, when the other work may be over.
for (const group of GROUPS) {
  for (const c of group.cases) {
    for (let round = 0; round < group.rounds; round++) {
      // Alternate the library order between rounds, so drift on the machine hits everyone alike.
      const order = round % 2 === 0 ? libs : [...libs].reverse();
      for (const lib of order) {
        const key = `${c.id}/${lib.id}`;
        if (failures.some((f) => f.key === key)) continue;
        if (group.telltaleOnly && lib.id !== 'telltale') {
          // No such feature in the peer: n/a, without starting a process.
          results.set(key, { rounds: [{ na: true }] });
          continue;
        }
        process.stderr.write(
          `${elapsed()} ${c.id} ${lib.id} (round ${round + 1}/${group.rounds}) `,
        );
        try {
          let r = await measure(group, c, lib.id);
          if (r.contended && withinLimit()) {
            process.stderr.write(`(others used ${cores(r.othersCpu)} cores: rerun) `);
            reruns++;
            r = await measure(group, c, lib.id);
          }
          if (!results.has(key)) results.set(key, { rounds: [] });
          results.get(key).rounds[round] = r;
          process.stderr.write(`${show(group, r)}\n`);
        } catch (e) {
          failures.push({ key, error: e.message });
          process.stderr.write(`FAILED\n${e.message}\n`);
        }
      }
    }
  }
}

// Retry pass: processes that shared the CPUs are run again, while the retry budget lasts; a new
// result replaces the old one when it was less contended.
const retryStart = Date.now();
for (let pass = 0; pass < 3 && Date.now() - retryStart < retryBudgetMs && withinLimit(); pass++) {
  let pending = 0;
  for (const group of GROUPS) {
    for (const c of group.cases) {
      for (const lib of libs) {
        const entry = results.get(`${c.id}/${lib.id}`);
        if (!entry) continue;
        for (let round = 0; round < entry.rounds.length; round++) {
          const old = entry.rounds[round];
          if (!old?.contended || Date.now() - retryStart >= retryBudgetMs || !withinLimit())
            continue;
          pending++;
          process.stderr.write(`${elapsed()} retry ${c.id} ${lib.id} (round ${round + 1}) `);
          reruns++;
          try {
            const r = await measure(group, c, lib.id);
            if (!r.contended || r.othersCpu < old.othersCpu) entry.rounds[round] = r;
            process.stderr.write(`${show(group, r)}\n`);
          } catch (e) {
            failures.push({ key: `${c.id}/${lib.id}`, error: e.message });
            process.stderr.write(`FAILED\n${e.message}\n`);
          }
        }
      }
    }
  }
  if (pending === 0) break;
}

// Merge each (case, library)'s processes: the figure is the median of all their samples.
for (const entry of results.values()) {
  const first = entry.rounds[0];
  if (first?.na) {
    entry.na = true;
    continue;
  }
  if (first?.unfinished) {
    Object.assign(entry, first, { rounds: entry.rounds });
    continue;
  }
  Object.assign(entry, { ...first, rounds: entry.rounds });
  if (first?.samples) {
    entry.samples = entry.rounds.flatMap((r) => r.samples);
    entry.median = median(entry.samples);
    entry.processMedians = entry.rounds.map((r) => r.median);
  }
  // The protobuf case times several renders per process: merge each one's samples alike.
  if (first?.variants) {
    entry.variants = Object.fromEntries(
      Object.keys(first.variants).map((name) => {
        const xs = entry.rounds.flatMap((r) => r.variants[name].samples);
        return [name, { ...first.variants[name], samples: xs, median: median(xs) }];
      }),
    );
  }
}

// The floor of measurement on this machine, in this harness: the same loop around a Float64Array
// slot increment (hot-path group only).
let floor;
if (GROUPS.some((g) => g.id === 'hot')) {
  for (let attempt = 0; attempt < 3; attempt++) {
    floor = await measure({ runner: 'hot.mjs' }, { args: ['--case=counter-plain'] }, 'floor');
    if (!floor.contended) break;
  }
  process.stderr.write(`floor (Float64Array increment): ${show({ unit: 'ns' }, floor)}\n`);
}
const elapsedS = (Date.now() - started) / 1000;

if (failures.length > 0) {
  process.stderr.write(`\n${failures.length} case(s) FAILED; docs/benchmarks.md not written:\n`);
  for (const f of failures)
    process.stderr.write(
      `- ${f.key}: ${f.error.split('\n')[0]}\n${f.error.split('\n').slice(1).join('\n')}\n`,
    );
  process.exit(1);
}

function fmt(v, unit) {
  if (v === undefined || Number.isNaN(v)) return '—';
  if (Number.isInteger(v)) return `${v} ${unit}`;
  if (unit === 'ns') return `${v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : v.toFixed(0)} ns`;
  if (unit === 'ms') return `${v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : v.toFixed(0)} ms`;
  if (unit === 'B') return `${v.toFixed(0)} B`;
  return String(v);
}
/** A machine fraction as cores, e.g. 0.25 on 2 CPUs → "0.50". */
function cores(fraction) {
  return ((fraction ?? 0) * os.cpus().length).toFixed(2);
}

/** telltale against a peer, as "N× faster" or "N× slower" (never a ratio below 1). */
const compare = (peer, telltale, better, worse) =>
  peer >= telltale
    ? `${fmtRatio(peer / telltale)} ${better}`
    : `${fmtRatio(telltale / peer)} ${worse}`;
const fmtRatio = (r) => (r >= 10 ? `${r.toFixed(0)}×` : `${r.toFixed(1)}×`);
const mb = (b) => `${(b / 1e6).toFixed(2)} MB`;

// ---- the report ----
function pkgVersion(pkg) {
  return JSON.parse(readFileSync(join(benchDir, 'node_modules', pkg, 'package.json'), 'utf8'))
    .version;
}
function git(...a) {
  try {
    return execFileSync('git', a, { cwd: root, encoding: 'utf8' }).trim();
  } catch {
    return '';
  }
}
const rootPkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const dirtySrc = git('status', '--porcelain', '--', 'src') !== '';
const versions = {
  telltale: `${rootPkg.version} (${telltaleFrom}${telltaleFrom === 'the working tree' && dirtySrc ? ', with uncommitted changes in src/' : ''}; TypeScript sources loaded through tsx ${JSON.parse(readFileSync(join(root, 'node_modules/tsx/package.json'), 'utf8')).version})`,
  'prom-client': pkgVersion('prom-client'),
  'prometheus-io': pkgVersion('@prometheus-io/client'),
  otel: `@opentelemetry/sdk-metrics ${pkgVersion('@opentelemetry/sdk-metrics')}, @opentelemetry/api ${pkgVersion('@opentelemetry/api')}, @opentelemetry/exporter-prometheus ${pkgVersion('@opentelemetry/exporter-prometheus')}`,
};

const targetRows = [];
const L = [];
L.push('# Benchmarks');
L.push('');
L.push(
  '<!-- Generated by bench/run.mjs (`npm run bench`). Do not edit by hand: rerun the benchmark. -->',
);
L.push('');
L.push(
  'telltale against prom-client, its successor @prometheus-io/client, and OpenTelemetry, on the same workloads in one run. Every case runs for every library in its own process, so no library shares a JIT state, an inline cache or a heap with another.',
);
L.push('');
L.push(
  'Service-level costs (HTTP overhead under wrk per framework, exemplars, disabled log calls, runtime collectors, health probes, the agent) are in [benchmarks-service.md](benchmarks-service.md), written by `node bench/service/run.mjs`.',
);
L.push('');
{
  // Say up front how much of this run shared the machine with other work.
  const timed = [...results.values()]
    .flatMap((r) => r.rounds ?? [])
    .filter((x) => x.othersCpu !== undefined);
  const contended = timed.filter((x) => x.contended).length;
  L.push(
    contended === 0
      ? `No timed process in this run shared the CPUs with other work (${timed.length} checked; see *A shared machine* below).`
      : `**${contended} of ${timed.length} timed processes ran while other work used the CPUs** (marked *(contended)* under Spread); their figures are less reliable.`,
  );
  L.push('');
}
L.push('## Machine and versions');
L.push('');
L.push(`- Date: ${new Date().toISOString().replace(/\.\d+Z$/, 'Z')}`);
L.push(
  `- CPU: ${os.cpus()[0]?.model ?? 'unknown'}, ${os.cpus().length} cores (\`os.availableParallelism()\` = ${os.availableParallelism()}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB memory`,
);
L.push(`- OS: ${os.type()} ${os.release()} (${os.arch()})`);
L.push(`- Node.js: ${process.version} (V8 ${process.versions.v8})`);
for (const lib of libs) L.push(`- ${lib.name}: ${versions[lib.id]}`);
L.push(`- Whole run: ${(elapsedS / 60).toFixed(1)} minutes`);
L.push(
  `- Load average (1, 5, 15 min) at the start: ${loadAtStart.map((x) => x.toFixed(2)).join(', ')}; at the end: ${os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(
      ', ',
    )} (${os.cpus().length} CPUs; other work shared the machine when these exceed the run's own ~1)`,
);
L.push('');
L.push('## How it was run');
L.push('');
L.push('```sh');
L.push(
  `npm run bench${argv.length ? ` -- ${argv.join(' ')}` : ''}    # = bash bench/run.sh: npm ci --prefix bench when needed, then node bench/run.mjs`,
);
L.push('```');
L.push('');
L.push('Each case process is started from the repository root as, for example:');
L.push('');
L.push('```sh');
L.push(
  `node ${NODE_FLAGS.join(' ')} bench/cases/hot.mjs --lib=telltale --case=counter-labels --reps=5`,
);
L.push('```');
L.push('');
L.push(
  `Every library runs under the same flags. telltale is imported from its TypeScript sources, transpiled by tsx at load time (no build step): by default a snapshot of \`src/\` at the commit checked out when the run started (\`git archive\`), so work in progress in the tree is never measured; \`--telltale-src=worktree\` measures the working tree instead. This run: ${telltaleFrom}.`,
);
L.push('');
L.push(
  `- **Hot path**: the batch size is calibrated while warming up (doubling until a batch takes 20 ms, for at least 250 ms), set to about 100 ms, warmed up for another 250 ms at that size, then 5 batches are timed with \`process.hrtime.bigint()\`. Each (case, library) pair runs in ${hotRounds} separate processes, alternating the library order, and the figure is the median of all ${hotRounds * 5} batches. The loop overhead is included for every library alike${floor ? `: the same loop around a Float64Array slot increment took ${fmt(floor.median, 'ns')} per iteration in this run` : ''}. A figure under ${FLOOR_NS} ns is marked *floor*: it is at the floor of what this harness can measure (V8 may keep a no-label counter in a register).`,
);
L.push(
  `- **Exposition**: 2 warm-up renders, then at least 7 timed renders, and more (up to 40) until a second of rendering was timed, in ${renderRounds} processes; the median of all renders. The timer covers the whole render: a registry's \`gather()\` and the encoder, or the peer's equivalent, producing the complete text.`,
);
L.push(
  "- **Read-back**: after timing, every case reads its counters, gauges, histograms and summaries back (the library's own read API, or its rendered text) and checks the totals, series counts and, for gauges, every series' last value against what it recorded. A mismatch fails the run, and this file is not written.",
);
L.push(
  `- **A shared machine**: others may work on this machine at the same time. Before each case process the runner waits (up to ${quietWaitMs / 1000} s, within a budget of ${quietBudgetMs / 1000} s for the whole run) until the CPUs are idle${reniced ? ', and it runs each case process at a higher scheduling priority (nice -10)' : ''}. Each case measures how much CPU *other* processes used while it was timing (all CPUs' busy time minus the case process's own). A process during which others used more than 0.2 of a core is rerun at once, and, if still contended, again at the end of the run (up to three more times, within ${retryBudgetMs / 1000} s), keeping the least contended result; no rerun starts after ${softLimitMs / 60_000} minutes. One still contended is marked *(contended)* in the spread table.${waitedMs > 0 ? ` This run waited ${(waitedMs / 1000).toFixed(0)} s for quiet in total.` : ''} Reruns in this run: ${reruns}.`,
);
L.push('');

const peerLibs = libs.filter((l) => l.id !== 'telltale');
const hasTelltale = libs.some((l) => l.id === 'telltale');

function cell(r, unit) {
  if (!r) return 'not run';
  if (r.na) return 'n/a';
  if (r.unfinished) return r.unfinished;
  const v = fmt(r.median, unit);
  return unit === 'ns' && r.median < FLOOR_NS ? `${v} *floor*` : v;
}

function judge(c, value, lib) {
  const checks = [];
  if (c.max !== undefined)
    checks.push({ text: `≤ ${fmt(c.max, c.unit)}`, ok: value <= c.max, value: fmt(value, c.unit) });
  for (const [peer, factor] of Object.entries(c.faster ?? {})) {
    const p = results.get(`${c.resultKey ?? c.id}/${peer}`);
    if (!p || p.na || p.unfinished) continue;
    const pv = c.peerValue ? c.peerValue(p) : p.median;
    checks.push({
      text: `≥ ${factor}× faster than ${LIBS.find((l) => l.id === peer).name}`,
      ok: pv / value >= factor,
      value: fmtRatio(pv / value),
    });
  }
  for (const ch of checks) targetRows.push({ n: c.n, title: c.label ?? c.title, ...ch, lib });
  return checks;
}

for (const group of GROUPS) {
  L.push(`## ${group.title}`);
  L.push('');
  L.push(group.about);
  L.push('');
  if (group.id === 'protobuf') {
    // Three renders of one registry per process: text, protobuf, protobuf with the handler's cache.
    const header = [
      '#',
      'case',
      'telltale text (same process)',
      'telltale protobuf, `encodeProtobuf`',
      'telltale protobuf, chunks + cache (as the handler)',
      ...peerLibs.map((l) => l.name),
      'target',
    ];
    L.push(`| ${header.join(' | ')} |`);
    L.push(`|${header.map(() => '---').join('|')}|`);
    for (const c of group.cases) {
      const t = results.get(`${c.id}/telltale`);
      const v = t?.variants;
      const ms = (name) => (v ? fmt(v[name].median, 'ms') : 'not run');
      const ratio = (name) => (v ? ` (${fmtRatio(v[name].median / v.text.median)} of text)` : '');
      const row = [
        String(c.n),
        c.title,
        ms('text'),
        `${ms('protobuf')}${ratio('protobuf')}`,
        `${ms('cached')}${ratio('cached')}`,
        ...peerLibs.map((l) => {
          const r = results.get(`${c.id}/${l.id}`);
          return r?.na ? 'n/a (no protobuf exposition)' : cell(r, group.unit);
        }),
      ];
      if (v) {
        const checks = [
          ['cached', 'protobuf with the cache (as the handler) ≤ text, same registry'],
          ['protobuf', 'protobuf with `encodeProtobuf` (no cache) ≤ text, same registry'],
        ].map(([name, text]) => {
          const ok = v[name].median <= v.text.median;
          targetRows.push({
            n: c.n,
            title: c.title,
            text,
            ok,
            value: `${fmt(v[name].median, 'ms')} vs ${fmt(v.text.median, 'ms')}`,
          });
          return `${name === 'cached' ? 'cached' : '`encodeProtobuf`'} ≤ text: ${ok ? '**met**' : '**not met**'}`;
        });
        row.push(checks.join('; '));
      } else row.push('protobuf ≤ text');
      L.push(`| ${row.join(' | ')} |`);
    }
    L.push('');
    L.push(
      'Body size (bytes of the text and of the protobuf body; the two protobuf renders are the same bytes) and build time (not a target):',
    );
    L.push('');
    L.push('| case | text | protobuf | build |');
    L.push('|---|---|---|---|');
    for (const c of group.cases) {
      const t = results.get(`${c.id}/telltale`);
      if (!t?.variants) continue;
      L.push(
        `| ${c.n}. ${c.title.split(' (')[0]}, ${c.args[1].slice(8)} | ${mb(t.variants.text.bytes)} | ${mb(t.variants.cached.bytes)} | ${fmt(median(t.rounds.map((x) => x.buildMs)), 'ms')} |`,
      );
    }
    L.push('');
    continue;
  }
  if (group.id === 'hot' || group.id === 'render' || group.id === 'scrape') {
    const header = ['#', 'case', ...libs.map((l) => l.name)];
    if (hasTelltale) header.push(...peerLibs.map((l) => `telltale vs ${l.name}`));
    header.push('target');
    L.push(`| ${header.join(' | ')} |`);
    L.push(`|${header.map(() => '---').join('|')}|`);
    for (const c of group.cases) {
      const row = [
        String(c.n),
        c.title,
        ...libs.map((l) => cell(results.get(`${c.id}/${l.id}`), group.unit)),
      ];
      const t = results.get(`${c.id}/telltale`);
      if (hasTelltale) {
        for (const p of peerLibs) {
          const pr = results.get(`${c.id}/${p.id}`);
          row.push(
            t && !t.na && !t.unfinished && pr && !pr.na && !pr.unfinished
              ? compare(pr.median, t.median, 'faster', 'slower')
              : '—',
          );
        }
      }
      const goals = [
        c.max !== undefined ? `≤ ${fmt(c.max, group.unit)}` : '',
        ...Object.entries(c.faster ?? {}).map(
          ([p, f]) => `≥ ${f}× vs ${LIBS.find((l) => l.id === p).name}`,
        ),
      ].filter(Boolean);
      if (hasTelltale && t?.unfinished && goals.length) {
        for (const g of goals)
          targetRows.push({ n: c.n, title: c.title, text: g, ok: false, value: t.unfinished });
        row.push(goals.map((g) => `${g}: **not met**`).join('; '));
      } else if (hasTelltale && t && !t.na && goals.length) {
        const checks = judge({ ...c, unit: group.unit }, t.median, 'telltale');
        row.push(checks.map((ch) => `${ch.text}: ${ch.ok ? '**met**' : '**not met**'}`).join('; '));
      } else row.push(goals.join('; ') || '—');
      L.push(`| ${row.join(' | ')} |`);
    }
    L.push('');
    if (group.id === 'render') {
      L.push(
        'Output size (bytes of the text exposition) and build time (creating every series, once, not a target):',
      );
      L.push('');
      L.push(`| case | ${libs.map((l) => l.name).join(' | ')} |`);
      L.push(`|---|${libs.map(() => '---').join('|')}|`);
      for (const c of group.cases) {
        L.push(
          `| ${c.n}. ${c.title.split(' (')[0]}, ${c.args[1].slice(8)} — bytes | ${libs
            .map((l) => {
              const r = results.get(`${c.id}/${l.id}`);
              return r ? `${mb(r.bytes)}` : 'not run';
            })
            .join(' | ')} |`,
        );
        L.push(
          `| ${c.n}. ${c.title.split(' (')[0]}, ${c.args[1].slice(8)} — build | ${libs
            .map((l) => {
              const r = results.get(`${c.id}/${l.id}`);
              return r ? fmt(median(r.rounds.map((x) => x.buildMs)), 'ms') : 'not run';
            })
            .join(' | ')} |`,
        );
      }
      L.push('');
    }
    if (group.id === 'scrape') {
      L.push(
        "Per case and library: worst block over the timed scrapes, the idle baseline (same histogram, 200 ms with nothing to do), the scrape's wall time seen by the client (for 10 concurrent scrapes, until the last body arrived), the body size, the time to build the registry (creating every series once) and the process's heap + off-heap memory right after the build (no forced gc; the Memory section has the gc'd figures per series).",
      );
      L.push('');
      L.push(`| case | | ${libs.map((l) => l.name).join(' | ')} |`);
      L.push(`|---|---|${libs.map(() => '---').join('|')}|`);
      for (const c of group.cases) {
        const r = (l) => results.get(`${c.id}/${l.id}`);
        const line = (what, f) =>
          L.push(
            `| ${c.n} | ${what} | ${libs
              .map((l) => {
                const x = r(l);
                if (!x) return 'not run';
                if (x.unfinished) return what === 'worst block' ? x.unfinished : '—';
                return f(x);
              })
              .join(' | ')} |`,
          );
        line('worst block', (x) => fmt(x.worst, 'ms'));
        line('idle baseline', (x) => fmt(x.idleMaxMs, 'ms'));
        line('scrape wall time (median)', (x) => fmt(x.scrapeMs, 'ms'));
        line('body', (x) => mb(x.bytes));
        line('build', (x) => fmt(median(x.rounds.map((y) => y.buildMs)), 'ms'));
        line('memory after build', (x) => `${x.builtMB.toFixed(0)} MiB`);
      }
      L.push('');
    }
  } else {
    // Memory: heap + off-heap after the build and after the scrape, then the after-scrape split.
    const header = ['#', 'registry', ...libs.map((l) => l.name)];
    if (hasTelltale) header.push(...peerLibs.map((l) => `telltale vs ${l.name}`));
    header.push('target');
    L.push(`| ${header.join(' | ')} |`);
    L.push(`|${header.map(() => '---').join('|')}|`);
    const memCell = (r) =>
      r
        ? `${fmt(r.afterBuild, 'B')} / ${fmt(r.afterScrape, 'B')} (heap ${fmt(r.scrape.heap, 'B')} + off-heap ${fmt(r.scrape.offHeap, 'B')})`
        : 'not run';
    for (const c of group.cases) {
      const get = (l) => results.get(`${c.id}/${l.id}`);
      const row = [String(c.n), c.title, ...libs.map((l) => memCell(get(l)))];
      const t = results.get(`${c.id}/telltale`);
      if (hasTelltale) {
        for (const p of peerLibs) {
          const pr = get(p);
          row.push(t && pr ? compare(pr.afterScrape, t.afterScrape, 'smaller', 'larger') : '—');
        }
      }
      if (hasTelltale && t) {
        const worst = Math.max(t.afterBuild, t.afterScrape);
        const ok = worst <= c.max;
        targetRows.push({
          n: c.n,
          title: `bytes per series (heap + off-heap), ${c.title}`,
          text: `≤ ${c.max} B (build and scrape)`,
          ok,
          value: `${fmt(t.afterBuild, 'B')} / ${fmt(t.afterScrape, 'B')}`,
        });
        row.push(`≤ ${c.max} B: ${ok ? '**met**' : '**not met**'}`);
      } else row.push(`≤ ${c.max} B`);
      L.push(`| ${row.join(' | ')} |`);
    }
    L.push('');
    L.push(
      'Cells: heap + off-heap after the build / after one scrape (the split is after the scrape). Ratios compare the after-scrape totals.',
    );
    L.push('');
  }
}

if (hasTelltale) {
  L.push('## Targets');
  L.push('');
  const met = targetRows.filter((t) => t.ok).length;
  L.push(`${met} of ${targetRows.length} met.`);
  L.push('');
  L.push('| # | case | target | telltale | met |');
  L.push('|---|---|---|---|---|');
  for (const t of targetRows)
    L.push(`| ${t.n} | ${t.title} | ${t.text} | ${t.value} | ${t.ok ? 'met' : '**not met**'} |`);
  L.push('');
}

L.push('## Spread');
L.push('');
L.push(
  'For each (case, library): the median of each process, the range of all samples, and the CPU other processes used while each process was timing, in cores (0.00 is a quiet machine). This shows how stable each figure is.',
);
L.push('');
L.push(`| case | ${libs.map((l) => l.name).join(' | ')} |`);
L.push(`|---|${libs.map(() => '---').join('|')}|`);
for (const group of GROUPS) {
  if (group.id === 'heap') continue;
  for (const c of group.cases) {
    const cells = libs.map((l) => {
      const r = results.get(`${c.id}/${l.id}`);
      if (!r) return 'not run';
      if (r.na) return 'n/a';
      if (r.unfinished) return r.unfinished;
      const xs = r.samples;
      const procs = r.rounds
        .map((x) => `${fmt(x.median, group.unit)}${x.contended ? ' (contended)' : ''}`)
        .join(', ');
      const busy = r.rounds.map((x) => cores(x.othersCpu)).join(', ');
      return `${procs}; samples ${fmt(Math.min(...xs), group.unit)} – ${fmt(Math.max(...xs), group.unit)}; others ${busy}`;
    });
    L.push(`| ${c.n}. ${c.id} | ${cells.join(' | ')} |`);
  }
}
L.push('');
L.push('## Reproducing');
L.push('');
L.push(
  "`bench/` is its own package (`bench/package.json`, exact versions, `bench/package-lock.json`), so the peers never enter telltale's dependencies. `npm run bench` installs it with `npm ci --prefix bench` when `bench/node_modules` is missing or older than the lock file. @prometheus-io/client declares `engines: node ^22`, but everything measured here runs on Node 20. Run a single case by hand with the command above; `node bench/run.mjs --libs=telltale,prom-client --groups=hot --no-write` runs a subset without touching this file.",
);
L.push('');

const doc = `${L.join('\n')}`;
if (write) {
  writeFileSync(join(root, 'docs', 'benchmarks.md'), doc);
  // The raw samples behind the document, for anyone who wants to check a figure.
  mkdirSync(join(benchDir, 'results'), { recursive: true });
  const raw = {
    date: new Date().toISOString(),
    node: process.version,
    cpu: os.cpus()[0]?.model,
    versions,
    results: Object.fromEntries(results),
  };
  writeFileSync(join(benchDir, 'results', 'latest.json'), `${JSON.stringify(raw, null, 1)}\n`);
  process.stderr.write(`\nwrote docs/benchmarks.md (${elapsedS.toFixed(0)} s)\n`);
} else process.stdout.write(doc);
