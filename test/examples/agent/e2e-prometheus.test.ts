// End to end, exact: N messages through the agent's HTTP API and a peer WebSocket, a real Prometheus scrapes the agent, PromQL returns the exact counts (local and Redis backends); and the wiring test on the `npm start` process.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createLogger } from 'telltale/log';
import { createRegistry } from 'telltale/metrics';
import WebSocket from 'ws';
import { type Agent, startAgent } from '../../../examples/agent/agent.js';
import { loadConfig } from '../../../examples/agent/config.js';
import {
  type WorkloadMessage,
  workloadMessage,
  workloadMix,
} from '../../../examples/agent/workload.js';
import { getFreePort } from '../../helpers/ports.js';
import { spawnNodeTs } from '../../helpers/process.js';
import { startPrometheus } from '../../helpers/prometheus.js';
import { startRedis } from '../../helpers/redis.js';
import { makeTempDir, removeTempDir } from '../../helpers/tmp.js';
import { pollUntil } from '../../helpers/wait.js';

/** Messages sent per run: even indexes through the HTTP API, odd ones through the peer WebSocket. */
const N = 120;
/** The sequence's mix for N = 120, written out (workloadMix is checked against it). */
const EXPECTED = { put: 48, get: 60, delete: 12 } as const;

async function postMessage(agent: Agent, msg: WorkloadMessage): Promise<void> {
  const res = await fetch(`${agent.apiUrl}/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(msg),
  });
  const body = (await res.json()) as { ok: boolean; error?: string };
  assert.equal(res.status, 200, body.error);
  assert.equal(body.ok, true);
}

/** A peer WebSocket that sends requests with ids and resolves each with its reply. */
async function peer(
  agent: Agent,
): Promise<{ ask(msg: object): Promise<{ ok: boolean }>; ws: WebSocket }> {
  const ws = new WebSocket(`${agent.apiUrl.replace(/^http/, 'ws')}/peers`);
  const pending = new Map<number, (v: { ok: boolean }) => void>();
  ws.on('message', (data) => {
    const reply = JSON.parse(data.toString()) as { id: number; ok: boolean };
    pending.get(reply.id)?.(reply);
    pending.delete(reply.id);
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  let next = 0;
  return {
    ws,
    ask: (msg) =>
      new Promise((resolve) => {
        const id = next++;
        pending.set(id, resolve);
        ws.send(JSON.stringify({ ...msg, id }));
      }),
  };
}

describe('agent metrics through a real Prometheus, exact', { concurrency: true }, () => {
  for (const backend of ['local', 'redis'] as const) {
    test(`AC2 + AC3 (${backend}): ${N} messages via API and peer → PromQL returns exactly N and the per-operation counts`, {
      timeout: 90_000,
    }, async (t) => {
      assert.deepEqual(workloadMix(N), EXPECTED);
      const dir = await makeTempDir(`agent-ac23-${backend}`);
      t.after(() => removeTempDir(dir));
      const env: Record<string, string> = {
        AGENT_PORT: '0',
        METRICS_PORT: '0',
        STORAGE_PATH: dir,
        STORAGE_BACKEND: backend,
      };
      if (backend === 'redis') {
        const redis = await startRedis();
        t.after(() => redis.stop());
        env.REDIS_URL = redis.url;
      }
      const config = loadConfig({ argv: [], cwd: dir, env });
      assert.equal(config.workload.enabled, false, 'no background traffic: the counts are ours');
      const agent = await startAgent(config, {
        logger: createLogger({ name: 'agent', env: {}, level: 'warn' }),
        registry: createRegistry(),
      });
      t.after(() => agent.stop());
      assert.ok(agent.metricsPort !== undefined);

      // Prometheus starts first: its 5–6 s until the first scrape overlaps the sending.
      const prom = await startPrometheus({ targets: [{ port: agent.metricsPort }] });
      t.after(() => prom.stop());

      const p = await peer(agent);
      t.after(() => p.ws.terminate());
      // Sequential, in sequence order, alternating transports, so every get/delete sees the puts before it.
      for (let i = 0; i < N; i++) {
        const msg = workloadMessage(i);
        if (i % 2 === 0) await postMessage(agent, msg);
        else assert.equal((await p.ask(msg)).ok, true, `peer message ${i}`);
      }
      const doneAt = Date.now();

      await prom.waitForHealthyTarget(20_000);
      // A scrape that started after the last reply has every count.
      await prom.waitFor('timestamp(up)', (r) => (r[0]?.value ?? 0) * 1000 > doneAt + 1, 20_000);

      const q = (promql: string) => prom.queryScalar(promql);
      assert.equal(await q('messages_received_total'), N);
      assert.equal(await q('message_processing_duration_seconds_count'), N);
      for (const [operation, count] of Object.entries(EXPECTED)) {
        const sel = `{operation="${operation}",backend="${backend}"}`;
        assert.equal(
          await q(`storage_operations_total${sel}`),
          count,
          `storage_operations_total${sel}`,
        );
        assert.equal(
          await q(`storage_operation_duration_seconds_count${sel}`),
          count,
          `storage_operation_duration_seconds_count${sel}`,
        );
        assert.equal(await q(`storage_operation_errors_total${sel}`), 0);
      }
      assert.equal(
        await q('sum(storage_operations_total)'),
        N,
        'one storage operation per message',
      );
      assert.equal(
        (await prom.query(`storage_operations_total{backend!="${backend}"}`)).length,
        0,
        'no series for the other backend',
      );
      assert.equal(await q('sum(messages_rejected_total)'), 0);
      assert.equal(await q('agent_peer_messages_total{direction="in"}'), N / 2);
      assert.equal(await q('agent_peers_connected'), 1);
      if (backend === 'redis') {
        // telltale/redis on the agent's ioredis client: one command per storage operation
        // (readiness PINGs are their own command).
        for (const [command, count] of [
          ['set', EXPECTED.put],
          ['get', EXPECTED.get],
          ['del', EXPECTED.delete],
        ] as const) {
          assert.equal(
            await q(`redis_command_duration_seconds_count{command="${command}"}`),
            count,
            `redis ${command}`,
          );
        }
      }
      // The histogram sums are real durations.
      assert.ok((await q('message_processing_duration_seconds_sum')) > 0);
      assert.ok((await q(`sum(storage_operation_duration_seconds_sum{backend="${backend}"})`)) > 0);
    });
  }
});

/** Every family the plan lists, with the series that must be non-zero in the `npm start` process. */
const PLAN_METRICS = [
  'process_cpu_usage',
  'process_memory_bytes',
  'agent_peers_connected',
  'messages_received_total',
  'message_processing_duration_seconds_count',
  'storage_operations_total{operation="get",backend="local"}',
  'storage_operations_total{operation="put",backend="local"}',
  'storage_operations_total{operation="delete",backend="local"}',
  'storage_operation_duration_seconds_count{operation="get",backend="local"}',
  'storage_operation_duration_seconds_count{operation="put",backend="local"}',
  'storage_operation_duration_seconds_count{operation="delete",backend="local"}',
] as const;

/** Sample values of a text body by `name{labels}` (as written, `name` alone when unlabelled). */
function samples(body: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of body.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const sp = line.lastIndexOf(' ');
    out.set(line.slice(0, sp), Number(line.slice(sp + 1)));
  }
  return out;
}

test('wiring: within 10 s of `npm start` (agent.yaml: workload on, companion peer) every plan metric is non-zero; SIGTERM closes peers with 1001', {
  timeout: 60_000,
}, async (t) => {
  const dir = await makeTempDir('agent-wiring');
  t.after(() => removeTempDir(dir));
  const [apiPort, metricsPort] = [await getFreePort(), await getFreePort()];
  const child = spawnNodeTs('examples/agent/main.ts', {
    args: ['--config', 'examples/agent/agent.yaml'],
    env: {
      AGENT_PORT: String(apiPort),
      METRICS_PORT: String(metricsPort),
      STORAGE_PATH: dir,
      LOG_LEVEL: 'warn',
      DRAIN_DELAY_MS: '0',
    },
  });
  t.after(() => child.stop());
  await child.waitForLine(/^agent: metrics at /, 20_000);
  const started = Date.now();

  let last = new Map<string, number>();
  await pollUntil(
    async () => {
      const res = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
      last = samples(await res.text());
      // Peer traffic is part of the 10 s promise too: wait for it here rather than assert it
      // right after a poll that stopped as soon as the plan metrics were non-zero.
      const peerIn = last.get('agent_peer_messages_total{direction="in"}') ?? 0;
      return PLAN_METRICS.every((m) => (last.get(m) ?? 0) > 0) && peerIn > 0 ? true : undefined;
    },
    {
      description: 'every plan metric non-zero, and messages in from the companion peer',
      timeoutMs: 10_000,
      intervalMs: 250,
      diagnostics: () =>
        [...PLAN_METRICS, 'agent_peer_messages_total{direction="in"}']
          .map((m) => `${m} = ${last.get(m) ?? 'missing'}`)
          .join('\n'),
    },
  );
  const elapsed = Date.now() - started;
  assert.ok(elapsed < 10_000, `took ${elapsed} ms`);
  // The companion agent is the one peer, and a histogram count equals its counter.
  assert.equal(last.get('agent_peers_connected'), 1);
  assert.ok((last.get('agent_peer_messages_total{direction="in"}') ?? 0) > 0, 'peer traffic');
  assert.ok((last.get('process_memory_bytes') ?? 0) > 10 * 1024 * 1024);

  // Graceful shutdown reaches the peers: a connected peer gets close 1001 from the lifecycle.
  const ws = new WebSocket(`ws://127.0.0.1:${apiPort}/peers`);
  const closed = new Promise<[number, string]>((resolve) =>
    ws.once('close', (code, reason) => resolve([code, reason.toString()])),
  );
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  child.kill('SIGTERM');
  assert.deepEqual(await closed, [1001, 'server shutting down']);
  assert.deepEqual(await child.exited, { code: 0, signal: null });
});
