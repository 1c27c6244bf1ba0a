// The peer limits in a real agent process: a peer that never reads is cut off with bounded RSS growth, an idle peer is closed, the peer cap refuses one more; each counted with its reason.

import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import WebSocket from 'ws';
import type { ManagedProcess } from '../../helpers/child.js';
import { getFreePort } from '../../helpers/ports.js';
import { spawnNodeTs } from '../../helpers/process.js';
import { makeTempDir, removeTempDir } from '../../helpers/tmp.js';
import { pollUntil } from '../../helpers/wait.js';

type T = { after(fn: () => unknown): void };

interface RunningAgent {
  child: ManagedProcess;
  api: string;
  peers: string;
  metrics(): Promise<Map<string, number>>;
}

/** Starts examples/agent/main.ts with its own config file (workload off) and the given limits. */
async function startAgentProcess(t: T, peerLimits: string): Promise<RunningAgent> {
  const dir = await makeTempDir('agent-peer-limits');
  t.after(() => removeTempDir(dir));
  const [apiPort, metricsPort] = [await getFreePort(), await getFreePort()];
  const config = join(dir, 'agent.yaml');
  await writeFile(config, `workload: { enabled: false }\npeerLimits: ${peerLimits}\n`);
  const child = spawnNodeTs('examples/agent/main.ts', {
    cwd: dir,
    env: {
      AGENT_CONFIG: config,
      AGENT_HOST: undefined,
      AGENT_PORT: String(apiPort),
      AGENT_HEADERS_TIMEOUT_MS: undefined,
      AGENT_REQUEST_TIMEOUT_MS: undefined,
      METRICS_ENABLED: undefined,
      METRICS_HOST: undefined,
      METRICS_PORT: String(metricsPort),
      METRICS_PATH: undefined,
      STORAGE_BACKEND: undefined,
      STORAGE_PATH: 'state',
      MAX_PEERS: undefined,
      PEER_IDLE_TIMEOUT_MS: undefined,
      PEER_MAX_BUFFERED_BYTES: undefined,
      LOG_LEVEL: 'warn',
      LOG_FORMAT: undefined,
      DRAIN_DELAY_MS: '0',
    },
    name: 'agent',
  });
  t.after(() => child.stop());
  await child.waitForLine(/^agent: storage local in /, 30_000);
  return {
    child,
    api: `http://127.0.0.1:${apiPort}`,
    peers: `ws://127.0.0.1:${apiPort}/peers`,
    async metrics() {
      const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
      const out = new Map<string, number>();
      for (const line of text.split('\n')) {
        if (line === '' || line.startsWith('#')) continue;
        const sp = line.lastIndexOf(' ');
        out.set(line.slice(0, sp), Number(line.slice(sp + 1)));
      }
      return out;
    },
  };
}

/**
 * The agent's JSON log lines with message `msg`. The tests pick their own connections out of
 * them by `peer` (the client socket's address): the agent listens on a port another test's
 * reconnecting dialler may have known, so counts over all peers are compared with the log.
 */
function logLines(agent: RunningAgent, msg: string): Array<Record<string, unknown>> {
  return agent.child.stdoutLines
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((l) => l['msg'] === msg);
}

/** `127.0.0.1:<port>` of a client's socket, as the agent logs its peer. */
function peerOf(ws: WebSocket): string {
  return `127.0.0.1:${(ws as unknown as { _socket: Socket })._socket.localPort}`;
}

function open(url: string): Promise<WebSocket> {
  const ws = new WebSocket(url);
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

/** VmRSS or VmHWM of a process, in bytes, from /proc/<pid>/status. */
async function memory(pid: number, field: 'VmRSS' | 'VmHWM'): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const m = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status);
  assert.ok(m, `${field} in /proc/${pid}/status`);
  return Number(m[1]) * 1024;
}

const MiB = 1024 * 1024;

describe('peer limits (a real agent process)', { concurrency: true }, () => {
  test('a peer that pauses its socket and sends 10,000 gets of a 16 KB value: cut off as slow_reader, the agent RSS grows by less than 32 MiB, and it keeps serving', {
    timeout: 120_000,
  }, async (t) => {
    const maxBufferedBytes = 4 * MiB;
    const agent = await startAgentProcess(t, `{ maxBufferedBytes: ${maxBufferedBytes} }`);
    const pid = agent.child.pid;
    assert.ok(pid !== undefined);
    const value = 'v'.repeat(16_000);
    const put = await fetch(`${agent.api}/messages`, {
      method: 'POST',
      body: JSON.stringify({ type: 'put', key: 'big', value }),
    });
    assert.equal(put.status, 200);
    // Warm up the paths the flood uses (JIT, buffers), then take the baseline.
    const warm = await open(agent.peers);
    for (let i = 0; i < 200; i++) warm.send(JSON.stringify({ id: i, type: 'get', key: 'big' }));
    await new Promise<void>((resolve) => {
      let n = 0;
      warm.on('message', () => {
        if (++n === 200) resolve();
      });
    });
    warm.close();
    // Reset the peak (VmHWM) to the current RSS: writing 5 to clear_refs (as root, as in CI).
    await writeFile(`/proc/${pid}/clear_refs`, '5').catch((err: Error) => {
      throw new Error(`resetting the agent's peak RSS needs root: ${err.message}`);
    });
    const baseline = await memory(pid, 'VmRSS');
    assert.ok((await memory(pid, 'VmHWM')) <= baseline + MiB, 'the peak was reset');

    const ws = await open(agent.peers);
    t.after(() => ws.terminate());
    // Listen at once: a reset can end the socket while it is paused.
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    ws.on('error', () => undefined);
    // The hostile part: never read (the TCP window closes), keep sending.
    const socket = (ws as unknown as { _socket: Socket })._socket;
    socket.pause();
    const frame = (i: number) => JSON.stringify({ id: i, type: 'get', key: 'big' });
    for (let i = 0; i < 10_000; i++) ws.send(frame(i));

    const me = peerOf(ws);
    const SLOW = 'Peer disconnected: it does not read its replies';
    await pollUntil(
      () => (logLines(agent, SLOW).some((l) => l['peer'] === me) ? true : undefined),
      { description: 'the slow reader is cut off', timeoutMs: 30_000, intervalMs: 100 },
    );
    const peak = await memory(pid, 'VmHWM');
    const growth = peak - baseline;
    t.diagnostic(
      `baseline RSS ${(baseline / MiB).toFixed(1)} MiB, peak ${(peak / MiB).toFixed(1)} MiB, growth ${(growth / MiB).toFixed(1)} MiB`,
    );
    assert.ok(
      growth < 32 * MiB,
      `peak RSS grew by ${(growth / MiB).toFixed(1)} MiB (baseline ${(baseline / MiB).toFixed(1)} MiB)`,
    );
    const m = await agent.metrics();
    const slow = logLines(agent, SLOW);
    const mine = slow.filter((l) => l['peer'] === me);
    assert.equal(mine.length, 1, 'cut off once');
    assert.equal(mine[0]?.['reason'], 'slow_reader');
    assert.equal(mine[0]?.['limit'], maxBufferedBytes);
    assert.ok((mine[0]?.['buffered_bytes'] as number) > maxBufferedBytes);
    assert.equal(m.get('agent_peer_disconnects_total{reason="slow_reader"}'), slow.length);
    assert.equal(m.get('agent_peer_protocol_errors_total{reason="not_json"}'), 0);
    // The client sees the connection end (at the latest once it reads again).
    socket.resume();
    assert.equal(await closed, 1006, 'terminated, no close frame');
    // The agent keeps serving, peers included.
    const again = await open(agent.peers);
    t.after(() => again.terminate());
    const reply = new Promise<unknown>((resolve) =>
      again.once('message', (d) => resolve(JSON.parse(d.toString()))),
    );
    again.send(JSON.stringify({ id: 'after', type: 'get', key: 'big' }));
    assert.deepEqual(await reply, { id: 'after', ok: true, found: true, value });
  });

  test('an accepted peer that sends nothing is closed with 1008 after idleTimeoutMs (counted idle_timeout); one that keeps sending stays', {
    timeout: 60_000,
  }, async (t) => {
    const idleTimeoutMs = 1500;
    const agent = await startAgentProcess(t, `{ idleTimeoutMs: ${idleTimeoutMs} }`);
    const silent = await open(agent.peers);
    const openedAt = Date.now();
    t.after(() => silent.terminate());
    const chatty = await open(agent.peers);
    t.after(() => chatty.terminate());
    const closed = new Promise<[number, string, number]>((resolve) =>
      silent.once('close', (code, reason) =>
        resolve([code, reason.toString(), Date.now() - openedAt]),
      ),
    );
    let sent = 0;
    const timer = setInterval(() => {
      chatty.send(JSON.stringify({ id: sent++, type: 'get', key: 'k' }));
    }, 300);
    t.after(() => clearInterval(timer));
    const silentPeer = peerOf(silent);
    const chattyPeer = peerOf(chatty);
    const [code, reason, after] = await closed;
    assert.equal(code, 1008);
    assert.equal(reason, `idle for ${idleTimeoutMs} ms`);
    assert.ok(
      after >= idleTimeoutMs - 100 && after <= idleTimeoutMs + 1000,
      `closed after ${after} ms`,
    );
    // The chatty one outlives two idle periods.
    await new Promise((resolve) => setTimeout(resolve, 2 * idleTimeoutMs - after + 200));
    assert.equal(chatty.readyState, WebSocket.OPEN);
    // Foreign peers (another test's dialler, see logLines) may idle out too, and their log lines
    // can reach the pipe after the scrape: wait until the log has caught up with the counter.
    const [m, idle] = await pollUntil(
      async () => {
        const metrics = await agent.metrics();
        const lines = logLines(agent, 'Peer disconnected: idle');
        const counted = metrics.get('agent_peer_disconnects_total{reason="idle_timeout"}');
        return counted === lines.length ? ([metrics, lines] as const) : undefined;
      },
      { description: 'idle disconnects counted and logged alike', timeoutMs: 10_000 },
    );
    assert.deepEqual(
      idle.filter((l) => l['peer'] === silentPeer).map((l) => [l['reason'], l['idle_ms']]),
      [['idle_timeout', idleTimeoutMs]],
    );
    assert.equal(idle.filter((l) => l['peer'] === chattyPeer).length, 0);
    assert.equal(m.get('agent_peer_disconnects_total{reason="slow_reader"}'), 0);
  });

  test('maxPeers: one more peer gets 503 at the upgrade (counted max_peers); a freed slot is reused', {
    timeout: 60_000,
  }, async (t) => {
    const agent = await startAgentProcess(t, '{ maxPeers: 2 }');
    const a = await open(agent.peers);
    t.after(() => a.terminate());
    const b = await open(agent.peers);
    t.after(() => b.terminate());
    const refusal = await new Promise<{ status: number | undefined; body: string }>(
      (resolve, reject) => {
        const c = new WebSocket(agent.peers);
        c.once('open', () => reject(new Error('a third peer was accepted')));
        c.once('unexpected-response', (_req, res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => {
            body += d;
          });
          res.on('end', () => resolve({ status: res.statusCode, body }));
        });
        c.once('error', () => undefined);
      },
    );
    assert.deepEqual(refusal, { status: 503, body: 'too many peers: the limit is 2\n' });
    let m = await agent.metrics();
    assert.equal(m.get('agent_peer_refused_total{reason="max_peers"}'), 1);
    assert.equal(m.get('agent_peers_connected'), 2);
    const closed = new Promise((resolve) => a.once('close', resolve));
    a.close();
    await closed;
    await pollUntil(
      async () => ((await agent.metrics()).get('agent_peers_connected') === 1 ? true : undefined),
      { description: 'the slot is freed', timeoutMs: 5000, intervalMs: 50 },
    );
    const c = await open(agent.peers);
    t.after(() => c.terminate());
    m = await agent.metrics();
    assert.equal(m.get('agent_peers_connected'), 2);
    assert.equal(m.get('agent_peer_refused_total{reason="max_peers"}'), 1);
  });
});
