// Finds every test file under test/ and runs them with node:test on the TypeScript sources, with a summary and a watchdog.
//
// Usage: node scripts/run-tests.mjs [substring ...]   (only files whose path contains a substring)
// Environment (all optional):
//   TEST_CONCURRENCY    test files run in parallel, default 2 (the CI machine has 2 cores)
//   TEST_TIMEOUT_MS     node --test-timeout, default 300000. On Node 20 it bounds each test AND each
//                       test file as a whole (measured), so it is generous: a Prometheus test needs
//                       ~6-8 s. It only catches hangs; node:test's own default is no timeout at all.
//                       Give a slow test its own bound with test('…', { timeout }, fn).
//   TEST_RUN_TIMEOUT_MS whole-run watchdog, default 1200000; on expiry every process of the run is killed
//   TEST_REPORTER       node:test reporter, default spec (it lists failing tests again at the end)
//   TEST_NO_CODEGEN     default 0. 1 runs the tests under --disallow-code-generation-from-strings (no
//                       eval, no new Function), as runtimes that forbid eval do; scripts/test.sh runs
//                       test/metrics/ that way too.
//   TEST_FORCE_EXIT     default 0. 1 adds --test-force-exit (a file whose tests finished exits even if
//                       it leaked a handle). Off by default: on Node 20 it lets a file exit before all
//                       of its results are reported, so tests went missing from the count while the
//                       run still passed (seen: 68–77 of test/testing/parse.test.ts's 77).
// Exit status: 0 when every test passed, else non-zero.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

function find(dir, out) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) find(p, out);
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

function intFromEnv(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) {
    console.error(`run-tests: ${name} must be a positive integer, got ${JSON.stringify(raw)}`);
    process.exit(2);
  }
  return n;
}

const filter = process.argv.slice(2);
let files = find('test', []).sort();
if (filter.length > 0) files = files.filter((f) => filter.some((x) => f.includes(x)));
if (files.length === 0) {
  console.error(`run-tests: no test files matched ${JSON.stringify(filter)}`);
  process.exit(1);
}

const concurrency = intFromEnv('TEST_CONCURRENCY', 2);
const testTimeout = intFromEnv('TEST_TIMEOUT_MS', 300_000);
const runTimeout = intFromEnv('TEST_RUN_TIMEOUT_MS', 1_200_000);
const reporter = process.env.TEST_REPORTER || 'spec';
const forceExit = process.env.TEST_FORCE_EXIT === '1';
const noCodegen = process.env.TEST_NO_CODEGEN === '1';
const started = Date.now();

console.log(
  `run-tests: ${files.length} file(s), concurrency ${concurrency}, timeout ${testTimeout} ms per test and per file${noCodegen ? ', no code generation from strings' : ''}`,
);
// detached: the run gets its own process group, so the watchdog and the final sweep can end every
// process it started (including servers a crashed test file left behind) and nothing else.
const child = spawn(
  process.execPath,
  [
    ...(noCodegen ? ['--disallow-code-generation-from-strings'] : []),
    '--conditions=telltale-source',
    '--import',
    'tsx',
    '--test',
    `--test-reporter=${reporter}`,
    `--test-concurrency=${concurrency}`,
    `--test-timeout=${testTimeout}`,
    ...(forceExit ? ['--test-force-exit'] : []),
    ...files,
  ],
  { stdio: 'inherit', detached: true },
);

function killGroup(signal) {
  try {
    process.kill(-child.pid, signal);
    return true;
  } catch {
    return false; // ESRCH: no process left in the group.
  }
}

/** Live (non-zombie) processes in the run's process group, as `pid (command)` strings. */
function leftovers() {
  let pids;
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return killGroup(0) ? ['(unknown: no /proc)'] : [];
  }
  const out = [];
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const [state, , pgrp] = stat.slice(close + 2).split(' ');
      if (Number(pgrp) === child.pid && state !== 'Z') out.push(stat.slice(0, close + 1));
    } catch {
      // The process ended while we looked.
    }
  }
  return out;
}

let timedOut = false;
const watchdog = setTimeout(() => {
  timedOut = true;
  console.error(`\nrun-tests: the run exceeded ${runTimeout} ms; stopping it`);
  killGroup('SIGTERM');
  setTimeout(() => killGroup('SIGKILL'), 5000).unref();
}, runTimeout);

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    killGroup(signal);
    setTimeout(() => killGroup('SIGKILL'), 5000).unref();
  });
}

child.on('close', (code, signal) => {
  clearTimeout(watchdog);
  // Anything still in the group was started by a test and never stopped.
  // (Zombies count as gone: here PID 1 may reap orphans late.)
  const left = leftovers();
  if (left.length > 0) {
    console.error(`run-tests: WARNING: still running after the tests, killing: ${left.join(', ')}`);
    killGroup('SIGKILL');
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const ok = code === 0 && !timedOut;
  const how = timedOut ? 'timed out' : signal ? `killed by ${signal}` : `exit ${code}`;
  console.log(
    `\nrun-tests: ${ok ? 'PASS' : 'FAIL'}: ${files.length} file(s) in ${seconds} s (${how})` +
      (ok ? '' : '; failing tests are listed above'),
  );
  process.exit(ok ? 0 : code || 1);
});
