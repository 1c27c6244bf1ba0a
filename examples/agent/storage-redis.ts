// The agent's Redis storage: JSON values under a key prefix, on an ioredis client that fails fast while Redis is down.

import { Redis } from 'ioredis';
import type { Storage } from './storage.js';

/** Options of {@link openRedisStorage}. */
export interface RedisStorageOptions {
  /** `redis://host:port[/db]`. */
  readonly url: string;
  /** Prefix of every key. Default `'agent:kv:'`. */
  readonly prefix?: string;
  /** Connect timeout, and the most a command may take, in ms. Default 2000. */
  readonly timeoutMs?: number;
  /**
   * Applied to the client before use, e.g. telltale's `instrumentRedis` (command latency and
   * errors). It must return the client (or a wrapper with the same methods).
   */
  readonly wrapClient?: (client: Redis) => Redis;
}

/** The Redis backend; `client` is the ioredis client (for `redisCheck`, tests). */
export interface RedisStorage extends Storage {
  readonly backend: 'redis';
  readonly client: Redis;
}

/**
 * Connects to Redis and returns the storage. The client is configured to fail fast while Redis
 * is down (`enableOfflineQueue: false`, `maxRetriesPerRequest: 0`, a command timeout): storage
 * calls reject at once instead of queueing, and the client reconnects in the background with
 * backoff (100 ms growing to 2 s), so the agent recovers by itself when Redis returns.
 *
 * @throws Error when Redis cannot be reached at startup (the message names the URL).
 * @example
 * ```ts
 * const storage = await openRedisStorage({ url: 'redis://127.0.0.1:6379' });
 * ```
 */
export async function openRedisStorage(options: RedisStorageOptions): Promise<RedisStorage> {
  const prefix = options.prefix ?? 'agent:kv:';
  const timeoutMs = options.timeoutMs ?? 2000;
  const raw = new Redis(options.url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    retryStrategy: (attempt) => Math.min(100 * 2 ** Math.min(attempt - 1, 5), 2000),
  });
  // Connection errors are reported through the failing calls and readiness; without a listener
  // ioredis would print each reconnect failure as an unhandled 'error' event.
  raw.on('error', () => undefined);
  try {
    await raw.connect();
  } catch (err) {
    raw.disconnect();
    throw new Error(
      `storage.redis.url: cannot connect to ${options.url}: ${(err as Error).message}`,
      { cause: err },
    );
  }
  const client = options.wrapClient === undefined ? raw : options.wrapClient(raw);
  let closed = false;
  return {
    backend: 'redis',
    client,
    async get(key: string): Promise<unknown> {
      const text = await client.get(prefix + key);
      return text === null ? undefined : JSON.parse(text);
    },
    async put(key: string, value: unknown): Promise<void> {
      const text = JSON.stringify(value);
      if (text === undefined) throw new TypeError('value must be JSON-serialisable');
      await client.set(prefix + key, text);
    },
    async delete(key: string): Promise<boolean> {
      return (await client.del(prefix + key)) > 0;
    },
    async ready(): Promise<void> {
      const reply = await client.ping();
      if (reply !== 'PONG') throw new Error(`unexpected PING reply ${JSON.stringify(reply)}`);
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      try {
        await raw.quit();
      } catch {
        // Redis is down: there is nothing to flush, just drop the socket.
        raw.disconnect();
      }
    },
  };
}
