// The agent's Redis storage against a real redis-server: JSON values, fail-fast while Redis is down (errors counted by operation and backend), readiness 503, and recovery.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createRegistry } from 'telltale/metrics';
import { getValue } from 'telltale/testing';
import { startAgent } from '../../../examples/agent/agent.js';
import { loadConfig } from '../../../examples/agent/config.js';
import { createMessageHandler } from '../../../examples/agent/handler.js';
import { createAgentMetrics } from '../../../examples/agent/metrics.js';
import { instrumentStorage } from '../../../examples/agent/storage.js';
import { openRedisStorage } from '../../../examples/agent/storage-redis.js';
import { getFreePort } from '../../helpers/ports.js';
import { startRedis } from '../../helpers/redis.js';
import { makeTempDir, removeTempDir } from '../../helpers/tmp.js';
import { pollUntil } from '../../helpers/wait.js';

describe('redis backend', { concurrency: true }, () => {
  test('put/get/delete store JSON under the prefix', async (t) => {
    const redis = await startRedis();
    t.after(() => redis.stop());
    const s = await openRedisStorage({ url: redis.url });
    t.after(() => s.close());
    await s.put('k', { n: 1, s: 'naïve "x"' });
    assert.equal(await redis.command('GET', 'agent:kv:k'), '{"n":1,"s":"naïve \\"x\\""}');
    assert.deepEqual(await s.get('k'), { n: 1, s: 'naïve "x"' });
    assert.equal(await s.get('missing'), undefined);
    await s.put('null', null);
    assert.equal(await s.get('null'), null);
    assert.equal(await s.delete('k'), true);
    assert.equal(await s.delete('k'), false);
    assert.equal(await redis.command('EXISTS', 'agent:kv:k'), 0);
    await s.ready!();
    const other = await openRedisStorage({ url: redis.url, prefix: 'other:' });
    t.after(() => other.close());
    await other.put('k', 2);
    assert.equal(await redis.command('GET', 'other:k'), '2');
  });

  test('Redis down at startup: open rejects at once, naming the URL', async () => {
    const port = await getFreePort();
    const started = Date.now();
    await assert.rejects(
      openRedisStorage({ url: `redis://127.0.0.1:${port}` }),
      new RegExp(`storage\\.redis\\.url: cannot connect to redis://127\\.0\\.0\\.1:${port}`),
    );
    assert.ok(Date.now() - started < 3000, 'fails fast');
  });

  test('Redis goes away: operations reject fast and are counted as errors by operation and backend; it recovers', async (t) => {
    const redis = await startRedis();
    t.after(() => redis.stop());
    const registry = createRegistry();
    const metrics = createAgentMetrics(registry);
    const storage = instrumentStorage(await openRedisStorage({ url: redis.url }), metrics);
    t.after(() => storage.close());
    const handle = createMessageHandler({ storage, metrics });
    assert.deepEqual(await handle({ type: 'put', key: 'a', value: 1 }), { ok: true });

    await redis.down();
    const started = Date.now();
    const put = await handle({ type: 'put', key: 'b', value: 2 });
    const get = await handle({ type: 'get', key: 'a' });
    const del = await handle({ type: 'delete', key: 'a' });
    assert.ok(Date.now() - started < 1500, `three failures took ${Date.now() - started} ms`);
    for (const r of [put, get, del]) {
      assert.ok(!r.ok);
      assert.equal(r.status, 503);
      assert.match(r.error, /^storage \(redis\) unavailable: /);
    }
    await assert.rejects(storage.ready!());
    const v = (name: string, operation: string): number =>
      getValue(registry, name, { operation, backend: 'redis' });
    assert.equal(v('storage_operation_errors_total', 'put'), 1);
    assert.equal(v('storage_operation_errors_total', 'get'), 1);
    assert.equal(v('storage_operation_errors_total', 'delete'), 1);
    assert.equal(v('storage_operations_total', 'put'), 2);
    assert.equal(v('storage_operations_total', 'get'), 1);
    assert.equal(getValue(registry, 'messages_received_total'), 1);
    assert.equal(getValue(registry, 'messages_rejected_total', { reason: 'storage_error' }), 3);

    await redis.up(); // same port, empty dataset
    await pollUntil(async () => ((await storage.ready!().then(() => true)) ? true : undefined), {
      description: 'the client reconnects',
      timeoutMs: 10_000,
      intervalMs: 100,
    });
    assert.deepEqual(await handle({ type: 'put', key: 'c', value: 3 }), { ok: true });
    assert.deepEqual(await handle({ type: 'get', key: 'c' }), { ok: true, found: true, value: 3 });
    assert.equal(v('storage_operation_errors_total', 'put'), 1, 'no new errors');
  });

  test('the agent on Redis: readiness 503 while Redis is down, 200 again when it returns', async (t) => {
    const redis = await startRedis();
    t.after(() => redis.stop());
    const dir = await makeTempDir('agent-redis');
    t.after(() => removeTempDir(dir));
    const config = loadConfig({
      cwd: dir,
      env: {
        AGENT_PORT: '0',
        METRICS_PORT: '0',
        STORAGE_BACKEND: 'redis',
        REDIS_URL: redis.url,
        LOG_LEVEL: 'silent',
      },
    });
    const agent = await startAgent(config);
    t.after(() => agent.stop());
    const ready = async (): Promise<number> => (await fetch(`${agent.apiUrl}/health/ready`)).status;
    assert.equal(await ready(), 200);
    const put = await fetch(`${agent.apiUrl}/messages`, {
      method: 'POST',
      body: JSON.stringify({ type: 'put', key: 'k', value: 'v' }),
    });
    assert.equal(put.status, 200);

    await redis.down();
    assert.equal(await ready(), 503);
    const body = (await (await fetch(`${agent.apiUrl}/health/ready`)).json()) as {
      checks: Record<string, { status: string; error?: string }>;
    };
    assert.equal(body.checks.storage?.status, 'fail');
    const failed = await fetch(`${agent.apiUrl}/kv/k`);
    assert.equal(failed.status, 503);
    assert.match(
      ((await failed.json()) as { error: string }).error,
      /storage \(redis\) unavailable/,
    );
    assert.equal((await fetch(`${agent.apiUrl}/health/live`)).status, 200, 'liveness stays up');

    await redis.up();
    await pollUntil(async () => ((await ready()) === 200 ? true : undefined), {
      description: 'readiness 200 after Redis returns',
      timeoutMs: 10_000,
    });
    const text = await (await fetch(agent.metricsUrl!)).text();
    assert.match(text, /^storage_operation_errors_total\{operation="get",backend="redis"\} 1$/m);
    assert.match(text, /^storage_operations_total\{operation="put",backend="redis"\} 1$/m);
    assert.match(text, /^telltale_health_check_up\{check="storage"\} 1$/m);
  });

  test('the Redis client is instrumented with telltale/redis: command latency by command', async (t) => {
    const redis = await startRedis();
    t.after(() => redis.stop());
    const dir = await makeTempDir('agent-redis');
    t.after(() => removeTempDir(dir));
    const config = loadConfig({
      cwd: dir,
      env: {
        AGENT_PORT: '0',
        METRICS_PORT: '0',
        STORAGE_BACKEND: 'redis',
        REDIS_URL: redis.url,
        LOG_LEVEL: 'silent',
      },
    });
    const agent = await startAgent(config);
    t.after(() => agent.stop());
    await agent.handler({ type: 'put', key: 'k', value: 1 });
    await agent.handler({ type: 'get', key: 'k' });
    await agent.handler({ type: 'delete', key: 'k' });
    const text = await (await fetch(agent.metricsUrl!)).text();
    for (const command of ['set', 'get', 'del']) {
      assert.match(
        text,
        new RegExp(`^redis_command_duration_seconds_count\\{command="${command}"\\} 1$`, 'm'),
      );
    }
    assert.match(text, /^storage_operations_total\{operation="delete",backend="redis"\} 1$/m);
  });
});
