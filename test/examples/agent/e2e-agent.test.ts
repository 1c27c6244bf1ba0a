// End to end on the real agent: AC1 (/metrics content type, runtime gauges, agent_peers_connected follows real peers), AC4 (metrics disabled), and a garbage-sending peer cut off alone.

import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { describe, test } from 'node:test';
import { createLogger } from 'telltale/log';
import { createRegistry } from 'telltale/metrics';
import WebSocket from 'ws';
import { type Agent, startAgent } from '../../../examples/agent/agent.js';
import { loadConfig } from '../../../examples/agent/config.js';
import { getFreePort } from '../../helpers/ports.js';
import { spawnNodeTs } from '../../helpers/process.js';
import { assertPromtoolClean } from '../../helpers/promtool.js';
import { makeTempDir, removeTempDir } from '../../helpers/tmp.js';
import { pollUntil } from '../../helpers/wait.js';
import { capture } from '../../log/capture.js';

type TestContext = { after(fn: () => unknown): void };

/** An in-process agent on free ports with local storage in a temp dir and a captured JSON log. */
async function agentFor(
  t: TestContext,
  env: Record<string, string> = {},
  peers: readonly string[] = [],
): Promise<{ agent: Agent; log: ReturnType<typeof capture> }> {
  const dir = await makeTempDir('agent-e2e');
  t.after(() => removeTempDir(dir));
  const log = capture();
  const base = loadConfig({
    argv: [],
    cwd: dir,
    env: { AGENT_PORT: '0', METRICS_PORT: '0', STORAGE_PATH: dir, ...env },
  });
  const agent = await startAgent(
    { ...base, peers },
    {
      logger: createLogger({ name: 'agent', env: {}, level: 'info', destination: log }),
      registry: createRegistry(),
      peerBackoff: { initialDelayMs: 20, maxDelayMs: 200 },
    },
  );
  t.after(() => agent.stop());
  return { agent, log };
}

const peersUrl = (agent: Agent): string => `${agent.apiUrl.replace(/^http/, 'ws')}/peers`;

/** A raw WebSocket peer: send frames, read replies in order, see the close. */
async function wsPeer(url: string): Promise<{
  ws: WebSocket;
  ask(msg: object): Promise<unknown>;
  closed: Promise<{ code: number; reason: string }>;
}> {
  const ws = new WebSocket(url);
  const waiters: Array<(v: unknown) => void> = [];
  ws.on('message', (data) => waiters.shift()?.(JSON.parse(data.toString())));
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return {
    ws,
    closed,
    ask: (msg) =>
      new Promise((resolve) => {
        waiters.push(resolve);
        ws.send(JSON.stringify(msg));
      }),
  };
}

/** The value of an unlabelled sample (`name value`) in a text body, or undefined. */
function sample(body: string, name: string): number | undefined {
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(body);
  return m?.[1] === undefined ? undefined : Number(m[1]);
}

async function scrape(agent: Agent): Promise<{ contentType: string | null; body: string }> {
  assert.ok(agent.metricsUrl);
  const res = await fetch(agent.metricsUrl);
  assert.equal(res.status, 200);
  return { contentType: res.headers.get('content-type'), body: await res.text() };
}

async function waitPeers(agent: Agent, n: number): Promise<void> {
  await pollUntil(
    async () =>
      sample((await scrape(agent)).body, 'agent_peers_connected') === n ? true : undefined,
    {
      description: `agent_peers_connected == ${n}`,
      timeoutMs: 5000,
      intervalMs: 20,
    },
  );
}

describe('agent end to end', { concurrency: true }, () => {
  test('AC1: /metrics is text/plain 0.0.4 with process_cpu_usage, process_memory_bytes, and agent_peers_connected counting real peers', {
    timeout: 60_000,
  }, async (t) => {
    const { agent } = await agentFor(t);
    const first = await scrape(agent);
    assert.equal(first.contentType, 'text/plain; version=0.0.4; charset=utf-8');
    assert.match(first.body, /^# TYPE process_cpu_usage gauge$/m);
    assert.match(first.body, /^# TYPE process_memory_bytes gauge$/m);
    assert.match(first.body, /^# TYPE agent_peers_connected gauge$/m);
    assert.match(first.body, /^process_cpu_usage(\{[^}]*\})? [0-9.e+-]+$/m);
    assert.match(first.body, /^process_memory_bytes(\{[^}]*\})? [1-9][0-9.e+]*$/m);
    assert.equal(sample(first.body, 'agent_peers_connected'), 0);

    // A second agent dials this one: 1.
    const { agent: second } = await agentFor(t, {}, [peersUrl(agent)]);
    await waitPeers(agent, 1);
    await waitPeers(second, 1);
    const withPeer = await scrape(agent);
    assert.equal(sample(withPeer.body, 'agent_peers_connected'), 1);
    await assertPromtoolClean(withPeer.body);

    // A plain WebSocket client dialling /peers makes it 2; leaving brings it back to 1.
    const client = await wsPeer(peersUrl(agent));
    await waitPeers(agent, 2);
    assert.deepEqual(await client.ask({ id: 1, type: 'put', key: 'ac1', value: 1 }), {
      id: 1,
      ok: true,
    });
    client.ws.close(1000);
    await client.closed;
    await waitPeers(agent, 1);

    // The second agent stops (1001 to its peer): 0.
    await second.stop();
    await waitPeers(agent, 0);
  });

  test('AC4: METRICS_ENABLED=false: nothing listens on the metrics port, the log says exactly "Metrics endpoint disabled", the API answers', {
    timeout: 60_000,
  }, async (t) => {
    const dir = await makeTempDir('agent-ac4');
    t.after(() => removeTempDir(dir));
    const [apiPort, metricsPort] = [await getFreePort(), await getFreePort()];
    const child = spawnNodeTs('examples/agent/main.ts', {
      args: ['--config', 'examples/agent/agent.yaml'],
      env: {
        AGENT_PORT: String(apiPort),
        METRICS_ENABLED: 'false',
        METRICS_PORT: String(metricsPort),
        STORAGE_PATH: dir,
        LOG_LEVEL: 'info',
        LOG_FORMAT: 'json',
        DRAIN_DELAY_MS: '0',
      },
    });
    t.after(() => child.stop());
    await child.waitForLine(/^agent: health at /, 20_000);

    const refused = await new Promise<string>((resolve) => {
      const s = connect(metricsPort, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve('connected');
      });
      s.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    });
    assert.equal(refused, 'ECONNREFUSED');

    const records = child.stdoutLines
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { msg?: string; name?: string });
    const disabled = records.filter((r) => r.msg === 'Metrics endpoint disabled');
    assert.equal(disabled.length, 1, 'one line from the agent (the companion logs warnings only)');
    assert.equal(disabled[0]?.name, 'agent.metrics');
    assert.ok(child.stderrLines.includes('agent: metrics endpoint disabled'));

    const base = `http://127.0.0.1:${apiPort}`;
    const put = await fetch(`${base}/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'put', key: 'ac4', value: { ok: 'yes' } }),
    });
    assert.equal(put.status, 200);
    assert.equal(((await put.json()) as { ok: boolean }).ok, true);
    const get = await fetch(`${base}/kv/ac4`);
    assert.equal(get.status, 200);
    assert.deepEqual(((await get.json()) as { value: unknown }).value, { ok: 'yes' });
    assert.equal((await fetch(`${base}/health/ready`)).status, 200);

    child.kill('SIGTERM');
    assert.deepEqual(await child.exited, { code: 0, signal: null });
  });

  test('a peer that sends garbage (not JSON, binary, oversized) is disconnected and logged; another peer keeps working', {
    timeout: 60_000,
  }, async (t) => {
    const { agent, log } = await agentFor(t);
    const good = await wsPeer(peersUrl(agent));
    t.after(() => good.ws.terminate());
    let goodCount = 0;
    const goodRoundTrip = async (): Promise<void> => {
      const i = ++goodCount;
      assert.deepEqual(await good.ask({ id: i, type: 'put', key: `good-${i}`, value: i }), {
        id: i,
        ok: true,
      });
      assert.deepEqual(await good.ask({ id: -i, type: 'get', key: `good-${i}` }), {
        id: -i,
        ok: true,
        found: true,
        value: i,
      });
    };
    await goodRoundTrip();

    const garbage = [
      { reason: 'not_json', code: 1003, send: (ws: WebSocket) => ws.send('put k v') },
      {
        reason: 'binary',
        code: 1003,
        send: (ws: WebSocket) => ws.send(Buffer.from('{"type":"get","key":"k"}'), { binary: true }),
      },
      {
        reason: 'oversized',
        code: 1009,
        send: (ws: WebSocket) =>
          ws.send(JSON.stringify({ type: 'put', key: 'big', value: 'x'.repeat(1100 * 1024) })),
      },
    ] as const;
    for (const g of garbage) {
      const bad = await wsPeer(peersUrl(agent));
      t.after(() => bad.ws.terminate());
      g.send(bad.ws);
      assert.equal((await bad.closed).code, g.code, g.reason);
      await goodRoundTrip();
    }
    // A well-formed frame with an invalid message is answered (422), not disconnected.
    assert.deepEqual(await good.ask({ id: 'bad-type', type: 'merge', key: 'k' }), {
      id: 'bad-type',
      ok: false,
      status: 422,
      error: 'unknown message type "merge"; expected "put", "get" or "delete"',
    });
    await goodRoundTrip();

    const warnings = log.records().filter((r) => r.msg === 'Peer disconnected: it sent garbage');
    assert.deepEqual(
      warnings.map((r) => [r.reason, r.code, r.level, r.name]),
      [
        ['not_json', 1003, 'warn', 'agent.peers'],
        ['binary', 1003, 'warn', 'agent.peers'],
        ['oversized', 1009, 'warn', 'agent.peers'],
      ],
    );
    await waitPeers(agent, 1);
    const { body } = await scrape(agent);
    // Only the good peer's 2 messages per round trip (5 round trips) were carried out; garbage never
    // reached the handler or storage.
    assert.equal(sample(body, 'messages_received_total'), 10);
    assert.match(body, /^storage_operations_total\{operation="put",backend="local"\} 5$/m);
    assert.match(body, /^storage_operations_total\{operation="get",backend="local"\} 5$/m);
    assert.match(body, /^messages_rejected_total\{reason="invalid_message"\} 1$/m);
    for (const reason of ['not_json', 'binary', 'oversized']) {
      assert.match(
        body,
        new RegExp(`^agent_peer_protocol_errors_total\\{reason="${reason}"\\} 1$`, 'm'),
      );
    }
  });
});
