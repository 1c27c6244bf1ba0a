// The built-in checks fail with coded errors: TT_EVENT_LOOP_LAG, TT_REDIS_PING_FAILED, TT_HEARTBEAT_STALE, and TT_INVALID_OPTION for a misbehaving client or callback.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { eventLoopCheck, heartbeatCheck, redisCheck } from '../../src/health/index.js';
import { TelltaleError } from '../../src/internal/errors.js';
import { getFreePort } from '../helpers/ports.js';

/** Runs `fn` and returns what it threw or rejected with (a failed assertion if nothing). */
async function caught(fn: () => unknown): Promise<TelltaleError> {
  try {
    await fn();
  } catch (err) {
    assert.ok(err instanceof TelltaleError, `expected a TelltaleError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected the check to fail');
}

describe('built-in check failures carry a code', () => {
  it('eventLoopCheck: a stall over maxLagMs is TT_EVENT_LOOP_LAG', async () => {
    const check = eventLoopCheck({ maxLagMs: 20, resolutionMs: 5 });
    check.start?.();
    try {
      const end = Date.now() + 60;
      while (Date.now() < end) {
        // block the event loop
      }
      const err = await caught(() => check.check());
      assert.equal(err.code, 'TT_EVENT_LOOP_LAG');
      assert.match(
        err.message,
        /^TT_EVENT_LOOP_LAG: event loop delay reached \d+\.\d ms since the last run, over maxLagMs 20$/,
      );
    } finally {
      check.stop?.();
    }
  });

  it('heartbeatCheck: never succeeded or too old is TT_HEARTBEAT_STALE; a non-number is TT_INVALID_OPTION', async () => {
    let last: unknown;
    const check = heartbeatCheck({
      name: 'hb',
      maxAgeSeconds: 10,
      lastSuccess: () => last as number | undefined,
      now: () => 100_000,
    });
    let err = await caught(() => check.check());
    assert.equal(err.code, 'TT_HEARTBEAT_STALE');
    assert.equal(err.message, 'TT_HEARTBEAT_STALE: no successful run yet');
    last = 89_000;
    err = await caught(() => check.check());
    assert.equal(err.code, 'TT_HEARTBEAT_STALE');
    assert.equal(
      err.message,
      'TT_HEARTBEAT_STALE: last success 11.0 s ago, older than maxAgeSeconds 10',
    );
    last = 'yesterday';
    err = await caught(() => check.check());
    assert.equal(err.code, 'TT_INVALID_OPTION');
    assert.equal(
      err.message,
      'TT_INVALID_OPTION: heartbeatCheck: lastSuccess() returned yesterday, not a time in milliseconds: return Date.now() of the last success, or undefined',
    );
    last = 95_000;
    assert.equal(check.check(), undefined);
  });

  it('redisCheck with ioredis that cannot send: TT_REDIS_PING_FAILED with the status, the client error as cause', async () => {
    const port = await getFreePort(); // nothing listens there, and the client never connects
    const client = new Redis({
      host: '127.0.0.1',
      port,
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    client.on('error', () => {});
    try {
      const err = await caught(() => redisCheck({ client }).check());
      assert.equal(err.code, 'TT_REDIS_PING_FAILED');
      assert.ok(err.cause instanceof Error);
      const cause = "Stream isn't writeable and enableOfflineQueue options is false";
      assert.equal(err.cause.message, cause);
      // The status is read when PING fails: ping() has just started connecting the lazy client.
      assert.equal(err.message, `TT_REDIS_PING_FAILED: ${cause} [status: connecting]`);
    } finally {
      client.disconnect();
    }
  });

  it('redisCheck with a node-redis client that is not open: TT_REDIS_PING_FAILED [status: closed]', async () => {
    const client = createClient({ url: `redis://127.0.0.1:${await getFreePort()}` });
    const err = await caught(() => redisCheck({ client }).check());
    assert.equal(err.code, 'TT_REDIS_PING_FAILED');
    assert.ok(err.cause instanceof Error);
    assert.equal(
      err.message,
      `TT_REDIS_PING_FAILED: ${(err.cause as Error).message} [status: closed]`,
    );
  });

  it('redisCheck: a reply other than PONG is TT_REDIS_PING_FAILED', async () => {
    const err = await caught(() => redisCheck({ client: { ping: async () => 'NOPE' } }).check());
    assert.equal(err.code, 'TT_REDIS_PING_FAILED');
    assert.equal(err.message, 'TT_REDIS_PING_FAILED: unexpected PING reply: NOPE');
  });

  it('redisCheck: ping() that returns no promise is TT_INVALID_OPTION, not wrapped with the status', async () => {
    const client = { status: 'ready', ping: () => 'PONG' };
    const err = await caught(() => redisCheck({ client }).check());
    assert.equal(err.code, 'TT_INVALID_OPTION');
    assert.equal(
      err.message,
      'TT_INVALID_OPTION: redisCheck: client.ping() did not return a promise: use ioredis or node-redis v4 or later',
    );
  });
});
