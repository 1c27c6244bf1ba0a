// Graceful shutdown of a real child process under real signals: 200 in-flight requests, readiness latency, hook order and timeouts, deadline, second signal, WebSockets.
import assert from 'node:assert/strict';
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { describe, test } from 'node:test';
import WebSocket from 'ws';
import { httpRequest, type ManagedProcess, spawnNodeTs } from '../helpers/index.js';

const FIXTURE = 'test/lifecycle/fixtures/service.ts';

async function startService(
  env: Record<string, string>,
): Promise<{ child: ManagedProcess; app: number; probe: number }> {
  const child = spawnNodeTs(FIXTURE, { env, name: `service(${env['SCENARIO'] ?? 'drain'})` });
  const m = await child.waitForLine(/^ready app=(\d+) probe=(\d+)$/, 20_000);
  return { child, app: Number(m[1]), probe: Number(m[2]) };
}

interface Answer {
  status: number;
  connection: string | undefined;
  error?: string;
}

function get(port: number, agent: Agent): Promise<Answer> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/work', agent }, (res) => {
      res.resume();
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, connection: res.headers.connection }),
      );
      res.on('error', (err) => resolve({ status: 0, connection: undefined, error: err.message }));
    });
    req.on('error', (err) => resolve({ status: 0, connection: undefined, error: err.message }));
    req.end();
  });
}

// Alone, so the 50 ms readiness bound is not measured against four other children starting up.
describe('graceful shutdown in a child process under load', () => {
  test('SIGTERM with 200 requests in flight: readiness 503 within 50 ms, 0 failures, hooks in reverse order, exit 0', async (t) => {
    const { child, app, probe } = await startService({ SCENARIO: 'drain', EXPECT_INFLIGHT: '200' });
    t.after(() => child.stop());
    // Keep-alive connections, as a load balancer or a proxy holds them.
    const agent = new Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY });
    t.after(() => agent.destroy());
    assert.equal((await httpRequest(`http://127.0.0.1:${probe}/ready`)).status, 200);

    const answers = Promise.all(Array.from({ length: 200 }, () => get(app, agent)));
    await child.waitForLine(/^inflight 200$/, 10_000);

    child.kill('SIGTERM');
    const t0 = performance.now();
    let latencyMs = Number.NaN;
    for (let i = 0; i < 1000; i++) {
      const res = await httpRequest(`http://127.0.0.1:${probe}/ready`, { timeoutMs: 2000 });
      if (res.status === 503) {
        latencyMs = performance.now() - t0;
        break;
      }
      assert.equal(res.status, 200);
    }
    t.diagnostic(`readiness 503 after ${latencyMs.toFixed(1)} ms`);
    assert.ok(latencyMs <= 50, `readiness answered 503 ${latencyMs.toFixed(1)} ms after SIGTERM`);

    const results = await answers;
    const failed = results.filter((r) => r.status !== 200);
    assert.deepEqual(failed, [], `${failed.length} of 200 requests failed`);
    // Every in-flight response told its keep-alive client to close the connection.
    assert.equal(results.filter((r) => r.connection === 'close').length, 200);

    assert.deepEqual(await child.exited, { code: 0, signal: null });
    const out = child.stdoutLines;
    const idx = (line: string) => out.indexOf(line);
    assert.ok(idx('hook second') > 0 && idx('hook first') > idx('hook second'), child.tail());
    assert.ok(idx('root signal aborted') < idx('hook second'));
    assert.ok(
      out.some((l) => l.startsWith('lifecycle info: Shutdown complete')),
      child.tail(),
    );
  });
});

describe('graceful shutdown in a child process: hooks, deadline, signals, WebSockets', {
  concurrency: true,
}, () => {
  test('a hook that hangs is cut at its timeout and the next hook still runs; exit 0', async (t) => {
    const { child } = await startService({ SCENARIO: 'hang' });
    t.after(() => child.stop());
    const t0 = performance.now();
    child.kill('SIGTERM');
    assert.deepEqual(await child.exited, { code: 0, signal: null });
    const elapsed = performance.now() - t0;
    const out = child.stdoutLines;
    const hooks = out.filter((l) => l.startsWith('hook '));
    assert.deepEqual(hooks, ['hook c', 'hook hang', 'hook a'], child.tail());
    assert.ok(
      out.some((l) => l.includes('Shutdown hook timed out') && l.includes('"hook":"hang"')),
      child.tail(),
    );
    assert.ok(elapsed >= 300 && elapsed < 3000, `exit after ${elapsed.toFixed(0)} ms`);
  });

  test('the hard deadline forces exit code 1', async (t) => {
    const { child } = await startService({ SCENARIO: 'deadline' });
    t.after(() => child.stop());
    const t0 = performance.now();
    child.kill('SIGTERM');
    assert.deepEqual(await child.exited, { code: 1, signal: null });
    const elapsed = performance.now() - t0;
    t.diagnostic(`deadline 500 ms: exit after ${elapsed.toFixed(0)} ms`);
    assert.ok(elapsed >= 500 && elapsed < 3000, `exit after ${elapsed.toFixed(0)} ms`);
    assert.ok(
      child.stdoutLines.some((l) => l.includes('Shutdown deadline passed')),
      child.tail(),
    );
  });

  test('a second signal forces an immediate exit with code 130', async (t) => {
    const { child } = await startService({ SCENARIO: 'second' });
    t.after(() => child.stop());
    child.kill('SIGTERM');
    await child.waitForLine(/^hook hang$/, 10_000);
    const t0 = performance.now();
    child.kill('SIGINT');
    assert.deepEqual(await child.exited, { code: 130, signal: null });
    const elapsed = performance.now() - t0;
    assert.ok(elapsed < 2000, `exit ${elapsed.toFixed(0)} ms after the second signal`);
    assert.ok(child.stdoutLines.some((l) => l.includes('Second signal during shutdown')));
  });

  test('WebSocket clients receive close code 1001, then the service exits 0', async (t) => {
    const { child, app } = await startService({ SCENARIO: 'ws' });
    t.after(() => child.stop());
    const clients = await Promise.all(
      Array.from(
        { length: 5 },
        () =>
          new Promise<WebSocket>((resolve, reject) => {
            const ws = new WebSocket(`ws://127.0.0.1:${app}/`);
            ws.once('message', () => resolve(ws));
            ws.once('error', reject);
          }),
      ),
    );
    const closes = clients.map(
      (ws) =>
        new Promise<{ code: number; reason: string }>((resolve) =>
          ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
        ),
    );
    child.kill('SIGTERM');
    for (const c of await Promise.all(closes)) {
      assert.deepEqual(c, { code: 1001, reason: 'server shutting down' });
    }
    assert.deepEqual(await child.exited, { code: 0, signal: null });
  });
});
