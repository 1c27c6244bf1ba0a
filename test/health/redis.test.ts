// redisCheck against a real redis-server with ioredis and node-redis clients: up → 200, down → 503, up again → 200.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it, type TestContext } from 'node:test';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { createHealth, type PingableRedisClient, redisCheck } from '../../src/health/index.js';
import { httpRequest, pollUntil, type RedisServer, startRedis } from '../helpers/index.js';

interface Client {
  client: PingableRedisClient;
  close(): Promise<void> | void;
}

/** ioredis that fails commands at once while disconnected, and reconnects every 50 ms. */
async function ioredisClient(redis: RedisServer): Promise<Client> {
  const client = new Redis({
    host: redis.host,
    port: redis.port,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    connectTimeout: 500,
    retryStrategy: () => 50,
    lazyConnect: true,
  });
  client.on('error', () => {}); // reconnect errors are expected while Redis is down
  await client.connect();
  return { client, close: () => client.disconnect() };
}

/** node-redis with the offline queue off, reconnecting every 50 ms. */
async function nodeRedisClient(redis: RedisServer): Promise<Client> {
  const client = createClient({
    url: redis.url,
    disableOfflineQueue: true,
    socket: { connectTimeout: 500, reconnectStrategy: () => 50 },
  });
  client.on('error', () => {});
  await client.connect();
  return { client, close: () => client.destroy() };
}

async function exercise(
  t: TestContext,
  redis: RedisServer,
  make: (r: RedisServer) => Promise<Client>,
): Promise<void> {
  const { client, close } = await make(redis);
  t.after(() => close());
  const health = createHealth({
    version: 't',
    checks: [redisCheck({ client, name: 'redis_main', timeoutMs: 500 })],
  });
  t.after(() => health.close());
  health.setReady();

  let report = await health.readiness();
  assert.equal(report.status, 'ok');
  assert.equal(report.checks['redis_main']?.status, 'pass');
  assert.equal(report.checks['redis_main']?.critical, true);

  await redis.down();
  report = await health.readiness();
  assert.equal(report.status, 'fail');
  const failed = report.checks['redis_main'];
  assert.ok(failed?.status === 'fail' || failed?.status === 'timeout', JSON.stringify(failed));
  assert.ok((failed?.error ?? '').length > 0 && (failed?.error ?? '').length <= 200, failed?.error);
  assert.ok(!(failed?.error ?? '').includes('    at '), 'no stack');
  t.diagnostic(`while down: ${JSON.stringify(failed)}`);

  await redis.up();
  report = await pollUntil(
    async () => {
      const r = await health.readiness();
      return r.status === 'ok' ? r : undefined;
    },
    { description: 'readiness ok after redis.up()', timeoutMs: 10_000, intervalMs: 50 },
  );
  assert.equal(report.checks['redis_main']?.status, 'pass');
}

describe('redisCheck with a real redis-server', () => {
  it('ioredis: readiness 200 while up, 503 while down, 200 again after up()', async (t) => {
    const redis = await startRedis();
    t.after(() => redis.stop());
    await exercise(t, redis, ioredisClient);
  });

  it('node-redis: readiness 200 while up, 503 while down, 200 again after up()', async (t) => {
    const redis = await startRedis();
    t.after(() => redis.stop());
    await exercise(t, redis, nodeRedisClient);
  });

  it('ioredis with its default offline queue: a queued PING is cut at the timeout and not repeated', async (t) => {
    const redis = await startRedis();
    t.after(() => redis.stop());
    const client = new Redis({ host: redis.host, port: redis.port, retryStrategy: () => 50 });
    client.on('error', () => {});
    t.after(() => client.disconnect());
    let pings = 0;
    const counting = {
      ping: () => {
        pings++;
        return client.ping();
      },
    };
    const health = createHealth({ checks: [redisCheck({ client: counting, timeoutMs: 300 })] });
    t.after(() => health.close());
    health.setReady();
    assert.equal((await health.readiness()).status, 'ok');
    await redis.down();
    await pollUntil(async () => (client.status !== 'ready' ? true : undefined), {
      description: 'ioredis notices the server is gone',
      timeoutMs: 5_000,
      intervalMs: 10,
    });
    const t0 = performance.now();
    const report = await health.readiness();
    const elapsed = performance.now() - t0;
    assert.ok(elapsed < 400, `answered after ${elapsed.toFixed(1)} ms`);
    assert.equal(report.status, 'fail');
    assert.equal(report.checks['redis']?.status, 'timeout');
    assert.equal(report.checks['redis']?.error, 'timed out after 300 ms');
    const before = pings;
    await health.readiness(); // the queued PING is still pending: it is awaited again, not re-sent
    assert.equal(pings, before);
    await redis.up();
    await pollUntil(async () => ((await health.readiness()).status === 'ok' ? true : undefined), {
      description: 'readiness ok after redis.up()',
      timeoutMs: 10_000,
      intervalMs: 50,
    });
  });

  it('over HTTP status codes: the readiness handler answers 503 with the failing check while Redis is down', async (t) => {
    const redis = await startRedis();
    t.after(() => redis.stop());
    const { client, close } = await ioredisClient(redis);
    t.after(() => close());
    const health = createHealth({ checks: [redisCheck({ client })] });
    t.after(() => health.close());
    health.setReady();
    const server = createServer((req, res) => void health.handle(req, res));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    t.after(() => server.close());
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/health/ready`;
    assert.equal((await httpRequest(url)).status, 200);
    await redis.down();
    const down = await httpRequest(url);
    assert.equal(down.status, 503);
    const body = JSON.parse(down.body) as {
      checks: Record<string, { status: string; error?: string }>;
    };
    assert.notEqual(body.checks['redis']?.status, 'pass');
    await redis.up();
    await pollUntil(async () => ((await httpRequest(url)).status === 200 ? true : undefined), {
      description: 'readiness 200 after redis.up()',
      timeoutMs: 10_000,
      intervalMs: 50,
    });
  });
});
