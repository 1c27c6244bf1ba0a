// Redis command folding, error classification and the per-command handle cache shared by the ioredis and node-redis paths.

import { fail } from '../../internal/errors.js';
import type { LabelValue } from '../../metrics/labels.js';
import type { Counter, CounterHandle, Histogram, HistogramHandle } from '../../metrics/types.js';

/**
 * The commands that keep their own label value by default (lower case). Every other command is
 * folded into `other`, so the command label has at most `DEFAULT_REDIS_COMMANDS.length + 1`
 * values. Covers strings, keys, hashes, lists, sets, sorted sets, streams, scripting,
 * pub/sub publishing, transactions and the connection commands a client sends itself.
 */
export const DEFAULT_REDIS_COMMANDS: readonly string[] = Object.freeze([
  // strings
  'get',
  'set',
  'setex',
  'psetex',
  'setnx',
  'getset',
  'getdel',
  'getex',
  'mget',
  'mset',
  'incr',
  'incrby',
  'incrbyfloat',
  'decr',
  'decrby',
  'append',
  'strlen',
  // keys
  'del',
  'unlink',
  'exists',
  'expire',
  'pexpire',
  'expireat',
  'ttl',
  'pttl',
  'persist',
  'type',
  'rename',
  'scan',
  'keys',
  // hashes
  'hget',
  'hset',
  'hsetnx',
  'hmget',
  'hmset',
  'hgetall',
  'hdel',
  'hexists',
  'hincrby',
  'hkeys',
  'hvals',
  'hlen',
  'hscan',
  // lists
  'lpush',
  'rpush',
  'lpop',
  'rpop',
  'lrange',
  'llen',
  'lrem',
  'ltrim',
  'lindex',
  'lmove',
  'blpop',
  'brpop',
  'blmove',
  // sets
  'sadd',
  'srem',
  'smembers',
  'sismember',
  'scard',
  'spop',
  'sscan',
  // sorted sets
  'zadd',
  'zrem',
  'zrange',
  'zrangebyscore',
  'zrevrange',
  'zscore',
  'zincrby',
  'zcard',
  'zcount',
  'zrank',
  'zremrangebyscore',
  'zpopmin',
  'zscan',
  // streams
  'xadd',
  'xread',
  'xreadgroup',
  'xack',
  'xrange',
  'xlen',
  'xtrim',
  // scripting, pub/sub, transactions
  'eval',
  'evalsha',
  'eval_ro',
  'evalsha_ro',
  'fcall',
  'script',
  'publish',
  'multi',
  'exec',
  'discard',
  'watch',
  'unwatch',
  // connection and server
  'ping',
  'echo',
  'select',
  'auth',
  'hello',
  'client',
  'info',
  'dbsize',
  'quit',
]);

/** The label value every command outside the allow-list is folded into. */
export const OTHER_COMMAND = 'other';

/** The bounded values of the error counter's `error` label. */
export type RedisErrorKind = 'reply' | 'connection' | 'timeout' | 'other';

// Class names, matched along the error's prototype chain (the libraries are optional peers
// imported as types only, so `instanceof` is not available). node-redis does not set `name` on
// its errors, so the constructor name is what identifies them.
const REPLY_CLASSES: ReadonlySet<string> = new Set([
  'ReplyError', // ioredis (redis-errors)
  'ErrorReply', // node-redis, with SimpleError, BlobError, MultiErrorReply below it
]);
const TIMEOUT_CLASSES: ReadonlySet<string> = new Set([
  'TimeoutError', // node-redis command timeout (and the maintenance timeouts below it)
  'SocketTimeoutError', // node-redis
  'ConnectionTimeoutError', // node-redis
]);
const CONNECTION_CLASSES: ReadonlySet<string> = new Set([
  'ClientClosedError', // node-redis: the client was closed
  'ClientOfflineError', // node-redis: disableOfflineQueue and not connected
  'SocketClosedUnexpectedlyError', // node-redis: in flight when the socket closed
  'DisconnectsClientError',
  'ReconnectStrategyError',
  'AbortError', // ioredis (redis-errors) and MaxRetriesPerRequestError below it
]);
const CONNECTION_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNABORTED',
]);

/**
 * Classifies a failed Redis command into a bounded `error` label value:
 * - `reply`: Redis answered with an error (`WRONGTYPE`, `ERR unknown command`, `NOSCRIPT`, …):
 *   ioredis `ReplyError`, node-redis `ErrorReply`;
 * - `timeout`: a client-side timeout (ioredis `commandTimeout` or socket timeout, node-redis
 *   `TimeoutError`, `ETIMEDOUT`);
 * - `connection`: no usable connection (ioredis "Connection is closed." or "Stream isn't
 *   writeable", `MaxRetriesPerRequestError`; node-redis `ClientOfflineError`,
 *   `ClientClosedError`, `SocketClosedUnexpectedlyError`; `ECONNREFUSED`, `ECONNRESET`, …);
 * - `other`: anything else.
 *
 * Runs only on the error path.
 * @example
 * ```ts
 * classifyRedisError(new Error('Connection is closed.')); // 'connection'
 * ```
 */
export function classifyRedisError(error: unknown): RedisErrorKind {
  if (typeof error !== 'object' || error === null) return 'other';
  for (
    let proto: unknown = Object.getPrototypeOf(error);
    proto !== null && proto !== Error.prototype && proto !== Object.prototype;
    proto = Object.getPrototypeOf(proto)
  ) {
    const name = (proto as { constructor?: { name?: unknown } }).constructor?.name;
    if (typeof name !== 'string') continue;
    if (REPLY_CLASSES.has(name)) return 'reply';
    if (TIMEOUT_CLASSES.has(name)) return 'timeout';
    if (CONNECTION_CLASSES.has(name)) return 'connection';
  }
  const e = error as { code?: unknown; message?: unknown };
  if (e.code === 'ETIMEDOUT') return 'timeout';
  if (typeof e.code === 'string' && CONNECTION_CODES.has(e.code)) return 'connection';
  const message = typeof e.message === 'string' ? e.message : '';
  // ioredis rejects with plain Errors whose messages are fixed strings (lib/Redis.ts, lib/Command.ts).
  if (message === 'Command timed out' || message.startsWith('Socket timeout')) return 'timeout';
  if (
    message === 'Connection is closed.' ||
    message.startsWith("Stream isn't writeable") ||
    message.startsWith('Reached the max retries per request limit')
  ) {
    return 'connection';
  }
  return 'other';
}

/** The handles of one command label value: resolved on the command's first use, then reused. */
export interface CommandEntry {
  /** The latency series of this command. */
  readonly latency: HistogramHandle;
  /** Error series by kind, resolved on first error of that kind. */
  readonly errors: Map<RedisErrorKind, CounterHandle>;
  /** The command label value. */
  readonly value: string;
}

// Raw command names cached → entry. Bounded: a client that sends endless distinct unknown names
// (they all fold into `other`) stops caching after this many and lower-cases each one instead.
const MAX_CACHED_NAMES = 1024;

/** Resolved configuration of {@link CommandTable}. */
export interface CommandTableOptions {
  readonly latency: Histogram<readonly string[]>;
  readonly errors: Counter<readonly string[]>;
  readonly label: string;
  readonly errorLabel: string;
  readonly labels: Readonly<Record<string, LabelValue>>;
  readonly commands: readonly string[];
}

/**
 * Maps a command name as the client library spells it (`get`, `GET`, `Get`) to its label handles.
 * The hot path is one `Map.get` on the raw name; lower-casing and handle resolution happen once
 * per distinct raw name.
 */
export class CommandTable {
  readonly #byName = new Map<string, CommandEntry>();
  readonly #byValue = new Map<string, CommandEntry>();
  readonly #allowed: ReadonlySet<string>;
  readonly #o: CommandTableOptions;

  constructor(options: CommandTableOptions) {
    this.#o = options;
    this.#allowed = new Set(options.commands.map((c) => c.toLowerCase()));
  }

  /** The entry for a raw command name. */
  entry(name: string): CommandEntry {
    const cached = this.#byName.get(name);
    return cached !== undefined ? cached : this.#resolve(name);
  }

  /** The error handle of an entry for an error kind. */
  errorHandle(entry: CommandEntry, kind: RedisErrorKind): CounterHandle {
    let h = entry.errors.get(kind);
    if (h === undefined) {
      h = this.#o.errors.labels({
        ...this.#o.labels,
        [this.#o.label]: entry.value,
        [this.#o.errorLabel]: kind,
      });
      entry.errors.set(kind, h);
    }
    return h;
  }

  /**
   * Records a command that got a reply. A transaction's `exec` reply is an array in which a failed
   * command is an error object (Redis runs the others): the first one counts as an error of `exec`,
   * the same for both clients. Other replies are not looked at.
   */
  recordReply(entry: CommandEntry, start: number, reply: unknown): void {
    if (Array.isArray(reply) && entry.value === 'exec') {
      for (const r of reply) {
        if (r instanceof Error) {
          this.record(entry, start, true, r);
          return;
        }
      }
    }
    this.record(entry, start, false, undefined);
  }

  /** Records one finished command: latency always, and the error counter when `failed`. */
  record(entry: CommandEntry, start: number, failed: boolean, error: unknown): void {
    entry.latency.observe((performance.now() - start) / 1000);
    if (failed) this.errorHandle(entry, classifyRedisError(error)).inc();
  }

  #resolve(name: string): CommandEntry {
    const lower = String(name).toLowerCase();
    const value = this.#allowed.has(lower) ? lower : OTHER_COMMAND;
    let entry = this.#byValue.get(value);
    if (entry === undefined) {
      entry = {
        latency: this.#o.latency.labels({ ...this.#o.labels, [this.#o.label]: value }),
        errors: new Map(),
        value,
      };
      this.#byValue.set(value, entry);
    }
    if (this.#byName.size < MAX_CACHED_NAMES) this.#byName.set(name, entry);
    return entry;
  }
}

/** Checks the `commands` option: a non-empty array of non-empty strings. */
export function checkCommands(commands: unknown): readonly string[] {
  if (
    !Array.isArray(commands) ||
    commands.length === 0 ||
    !commands.every((c) => typeof c === 'string' && c.length > 0)
  ) {
    fail(
      'TT_INVALID_OPTION',
      'instrumentRedis: commands must be a non-empty array of command names, such as ["get", "set"]',
    );
  }
  return commands as readonly string[];
}
