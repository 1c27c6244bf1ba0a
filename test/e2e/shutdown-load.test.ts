// SIGTERM under keep-alive load, against the demo and the agent as real processes: clients keep sending through the drain and the close, and not one request fails or is reset.
//
// The clients behave like traffic behind a Kubernetes Service or a load balancer during a rolling
// restart: once the instance is draining (its readiness answered 503), NEW connections go to
// another replica (here an in-test server), while connections already open to the instance keep
// carrying requests until the instance tells them to close. New connections must move away
// before the listener closes: the kernel resets any connection still in the accept queue then,
// whatever the server does (docs/lifecycle.md, "Keep-alive during the drain").

import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { Agent, createServer, request, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { describe, test } from 'node:test';
import type { ManagedProcess } from '../helpers/child.js';
import { getFreePort } from '../helpers/ports.js';
import { spawnNodeTs } from '../helpers/process.js';
import { makeTempDir, removeTempDir } from '../helpers/tmp.js';

const DRAIN_DELAY_MS = 1000;
/** Per worker: an upper bound on requests, so a server that never closes cannot loop forever. */
const MAX_REQUESTS_PER_WORKER = 20_000;
/** And an upper bound in time, from the start of the load. */
const MAX_LOAD_MS = 30_000;

type Outcome =
  | { kind: 'ok'; status: number; connection: string | undefined; reused: boolean }
  | { kind: 'refused' }
  | { kind: 'failed'; error: string; reused: boolean };

/**
 * One GET. `ok` means a complete response (status, headers and the whole body); `refused` means
 * the connection was never established (ECONNREFUSED: nothing was sent); anything else is
 * `failed` (a reset, a hang-up, a truncated body). `onSocket` sees the socket the request got.
 */
function get(
  port: number,
  path: string,
  agent: Agent | false,
  onSocket?: (socket: Socket) => void,
): Promise<Outcome> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, agent }, (res) => {
      res.resume();
      res.on('end', () =>
        resolve({
          kind: 'ok',
          status: res.statusCode ?? 0,
          connection: res.headers.connection,
          reused: req.reusedSocket,
        }),
      );
      res.on('error', (err) =>
        resolve({ kind: 'failed', error: err.message, reused: req.reusedSocket }),
      );
    });
    if (onSocket !== undefined) req.once('socket', onSocket);
    req.on('error', (err: NodeJS.ErrnoException) =>
      resolve(
        err.code === 'ECONNREFUSED'
          ? { kind: 'refused' }
          : { kind: 'failed', error: `${err.code ?? ''} ${err.message}`, reused: req.reusedSocket },
      ),
    );
    req.end();
  });
}

interface Tally {
  attempts: number;
  ok: number;
  refused: number;
  reusedOk: number;
  /** Requests started after the readiness probe first answered 503. */
  afterDrain: number;
  /** Of those, the responses that carried `Connection: close`. */
  afterDrainClose: number;
  statuses: Map<number, number>;
  failures: string[];
}

function newTally(): Tally {
  return {
    attempts: 0,
    ok: 0,
    refused: 0,
    reusedOk: 0,
    afterDrain: 0,
    afterDrainClose: 0,
    statuses: new Map(),
    failures: [],
  };
}

function count(tally: Tally, o: Outcome, drained: boolean): void {
  tally.attempts++;
  if (o.kind === 'refused') tally.refused++;
  else if (o.kind === 'failed') {
    tally.failures.push(`${o.error}${o.reused ? ' (on a reused socket)' : ''}`);
  } else {
    tally.ok++;
    if (o.reused) tally.reusedOk++;
    tally.statuses.set(o.status, (tally.statuses.get(o.status) ?? 0) + 1);
    if (drained) {
      tally.afterDrain++;
      if (o.connection === 'close') tally.afterDrainClose++;
    }
  }
}

/** Shared state of one run. */
interface Run {
  /** When the readiness probe first answered 503 (NaN until then). */
  first503At: number;
  stopped: boolean;
  /** Requests to the instance under test, and to the other replica. */
  instance: Tally;
  replica: Tally;
  /** When each worker sent its first request to the other replica. */
  movedAt: number[];
}

/**
 * A client worker with one keep-alive connection of its own. Before the drain it sends to the
 * instance; once readiness is 503 it keeps using its open connection to the instance, and sends
 * to the replica once the instance has closed that connection.
 */
async function worker(
  run: Run,
  instance: { port: number; path: string },
  replicaPort: number,
): Promise<void> {
  const toInstance = new Agent({ keepAlive: true, maxSockets: 1 });
  const toReplica = new Agent({ keepAlive: true, maxSockets: 1 });
  let open = false; // a kept-alive connection to the instance is open
  let current: Socket | undefined;
  const started = performance.now();
  let onReplica = false;
  try {
    for (let i = 0; i < MAX_REQUESTS_PER_WORKER && !run.stopped; i++) {
      if (performance.now() - started > MAX_LOAD_MS) return;
      const drained = !Number.isNaN(run.first503At);
      if (drained && !open && !onReplica) {
        onReplica = true;
        run.movedAt.push(performance.now());
      }
      if (onReplica) {
        count(run.replica, await get(replicaPort, '/', toReplica), false);
        continue;
      }
      const o = await get(instance.port, instance.path, toInstance, (socket) => {
        open = true;
        if (socket === current) return;
        current = socket;
        socket.once('close', () => {
          if (current === socket) open = false;
        });
      });
      if (o.kind === 'ok' && o.connection === 'close') open = false;
      count(run.instance, o, drained);
    }
  } finally {
    toInstance.destroy();
    toReplica.destroy();
  }
}

/**
 * The readiness poller, as a load balancer runs it: a fresh connection every 20 ms, until the
 * probe answers 503.
 */
async function pollReadiness(port: number, run: Run): Promise<void> {
  const started = performance.now();
  while (performance.now() - started < MAX_LOAD_MS) {
    const o = await get(port, '/health/ready', false);
    if (o.kind === 'ok' && o.status === 503) {
      run.first503At = performance.now();
      return;
    }
    assert.ok(o.kind === 'ok' && o.status === 200, `readiness: ${JSON.stringify(o)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function startReplica(): Promise<Server> {
  const replica = createServer((_req, res) => res.end('another replica'));
  await new Promise<void>((resolve) => replica.listen(0, '127.0.0.1', resolve));
  return replica;
}

/**
 * Puts the service under load (a load loop of 8 connections, and a client holding 4 keep-alive
 * connections that keeps sending), holds 4 more keep-alive connections idle, sends SIGTERM, and
 * checks that every request that was sent got a complete response.
 */
async function sigtermUnderLoad(
  t: { diagnostic(msg: string): void; after(fn: () => unknown): void },
  child: ManagedProcess,
  port: number,
  path: string,
  expectedStatus: number,
): Promise<void> {
  const replica = await startReplica();
  t.after(() => {
    replica.closeAllConnections();
    replica.close();
  });
  const replicaPort = (replica.address() as AddressInfo).port;
  const run: Run = {
    first503At: Number.NaN,
    stopped: false,
    instance: newTally(),
    replica: newTally(),
    movedAt: [],
  };
  const idle = new Agent({ keepAlive: true, maxSockets: 4 });
  t.after(() => idle.destroy());
  const workers = Promise.all(
    Array.from({ length: 12 }, () => worker(run, { port, path }, replicaPort)),
  );
  try {
    // Warm up until the workers are reusing their kept-alive connections.
    const warm = performance.now();
    while (run.instance.reusedOk < 500) {
      assert.ok(performance.now() - warm < 10_000, `no keep-alive traffic: ${child.tail()}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    // Four connections that stay idle through the drain, opened just before the signal.
    const opened = await Promise.all(Array.from({ length: 4 }, () => get(port, path, idle)));
    assert.deepEqual(
      opened.map((o) => o.kind === 'ok' && o.connection),
      ['keep-alive', 'keep-alive', 'keep-alive', 'keep-alive'],
    );

    child.kill('SIGTERM');
    const signalled = performance.now();
    await pollReadiness(port, run);

    // After the drain delay the listener is closed: a new connection is refused...
    await new Promise((resolve) => setTimeout(resolve, DRAIN_DELAY_MS + 300));
    const probedAt = performance.now();
    assert.deepEqual(await get(port, path, false), { kind: 'refused' }, 'the listener is closed');
    // ...but a request on a connection that stayed idle is answered, and told to close.
    const last = await Promise.all(Array.from({ length: 4 }, () => get(port, path, idle)));
    const closed = { kind: 'ok', status: expectedStatus, connection: 'close', reused: true };
    assert.deepEqual(last, [closed, closed, closed, closed], 'the idle connections are answered');

    assert.deepEqual(await child.exited, { code: 0, signal: null }, child.tail());
    run.stopped = true;
    await workers;

    const { instance, replica: other } = run;
    const lastMove = Math.max(...run.movedAt) - signalled;
    t.diagnostic(
      `instance: ${instance.attempts} requests, ${instance.ok} answered (${instance.reusedOk} on reused connections), ` +
        `${instance.afterDrain} sent after readiness turned 503, ${instance.failures.length} failed; ` +
        `other replica: ${other.attempts} requests; readiness 503 after ${(run.first503At - signalled).toFixed(0)} ms, ` +
        `every worker moved after ${lastMove.toFixed(0)} ms`,
    );
    assert.deepEqual(instance.failures.slice(0, 10), [], 'requests failed or were reset');
    assert.equal(instance.failures.length, 0);
    // Every request sent got a complete response: nothing failed, nothing was refused.
    assert.equal(instance.ok, instance.attempts);
    assert.equal(instance.refused, 0);
    assert.deepEqual([...instance.statuses], [[expectedStatus, instance.ok]]);
    // Responses told their clients to close from the start of the drain: every worker left its
    // kept-alive connection for the other replica during the drain delay, before the listener
    // could close (it closes DRAIN_DELAY_MS after the child handled the signal, later than this
    // process sent it).
    assert.equal(instance.afterDrainClose, instance.afterDrain, 'Connection: close in the drain');
    assert.equal(run.movedAt.length, 12, 'every worker moved to the other replica');
    assert.ok(
      lastMove < DRAIN_DELAY_MS,
      `the last worker moved ${lastMove.toFixed(0)} ms after SIGTERM`,
    );
    assert.deepEqual(other.failures, []);
    assert.equal(other.ok, other.attempts);
    assert.ok(run.first503At - signalled >= 0 && run.first503At < probedAt, 'readiness 503 first');
  } finally {
    run.stopped = true;
    await workers;
  }
}

describe('SIGTERM under keep-alive load: 0 failed or reset requests, readiness 503 first, exit 0', () => {
  test('the demo (examples/demo/main.ts)', { timeout: 60_000 }, async (t) => {
    const port = await getFreePort();
    const child = spawnNodeTs('examples/demo/main.ts', {
      env: { PORT: String(port), DRAIN_DELAY_MS: String(DRAIN_DELAY_MS), LOG_LEVEL: 'error' },
      name: 'demo',
    });
    t.after(() => child.stop());
    await child.waitForLine(/telltale demo: metrics at /, 20_000);
    await sigtermUnderLoad(t, child, port, '/hello/load', 200);
  });

  test('the agent (examples/agent/main.ts)', { timeout: 60_000 }, async (t) => {
    const dir = await makeTempDir('agent-sigterm');
    t.after(() => removeTempDir(dir));
    const port = await getFreePort();
    // The agent alone (no workload, no companion peer), from ./agent.yaml in its working directory.
    await writeFile(
      join(dir, 'agent.yaml'),
      `server: { port: ${port} }\nmetrics: { enabled: false }\nstorage: { path: state }\n` +
        `workload: { enabled: false, rate: 0 }\nlog: { level: error }\n` +
        `shutdown: { drainDelayMs: ${DRAIN_DELAY_MS} }\n`,
    );
    const unset = [
      'AGENT_CONFIG',
      'AGENT_HOST',
      'AGENT_PORT',
      'METRICS_ENABLED',
      'METRICS_HOST',
      'METRICS_PORT',
      'METRICS_PATH',
      'STORAGE_BACKEND',
      'STORAGE_PATH',
      'REDIS_URL',
      'LOG_LEVEL',
      'LOG_FORMAT',
      'DRAIN_DELAY_MS',
    ];
    const child = spawnNodeTs('examples/agent/main.ts', {
      cwd: dir,
      env: Object.fromEntries(unset.map((k) => [k, undefined])),
      name: 'agent',
    });
    t.after(() => child.stop());
    await child.waitForLine(/^agent: storage local in /, 20_000);
    const put = await new Promise<number>((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port, path: '/messages', method: 'POST', agent: false },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', reject);
      req.end(JSON.stringify({ type: 'put', key: 'load', value: 1 }));
    });
    assert.equal(put, 200);
    await sigtermUnderLoad(t, child, port, '/kv/load', 200);
  });
});
