// telltale/redis: a command latency histogram and an error counter for one ioredis or node-redis client, applied explicitly by the user.

import { fail } from '../internal/errors.js';
import { checkOptionKeys } from '../internal/option-keys.js';
import { BucketPresets } from '../metrics/buckets.js';
import type { LabelValue } from '../metrics/labels.js';
import { defaultRegistry, type Registry } from '../metrics/registry.js';
import {
  CommandTable,
  type CommandTableOptions,
  checkCommands,
  DEFAULT_REDIS_COMMANDS,
} from './redis/commands.js';
import { type IoredisLike, isIoredis, wrapIoredis } from './redis/ioredis.js';
import {
  canTrace,
  isNodeRedis,
  isNodeRedisCluster,
  type NodeRedisLike,
  subscribeNodeRedis,
  wrapNodeRedis,
} from './redis/node-redis.js';

export {
  classifyRedisError,
  DEFAULT_REDIS_COMMANDS,
  OTHER_COMMAND,
  type RedisErrorKind,
} from './redis/commands.js';
export type { IoredisCommandLike, IoredisLike } from './redis/ioredis.js';
export type { NodeRedisLike } from './redis/node-redis.js';

/** Options of the latency histogram. */
export interface RedisLatencyOptions {
  /** Default `'redis_command_duration_seconds'`. */
  readonly name?: string;
  /** Default `'Redis command latency in seconds, from send to reply.'`. */
  readonly help?: string;
  /** Default `BucketPresets.fastOperation` (50 µs to 1 s). */
  readonly buckets?: readonly number[];
}

/** Options of the error counter. */
export interface RedisErrorsOptions {
  /** Default `'redis_command_errors_total'`. */
  readonly name?: string;
  /** Default `'Redis commands that failed, by error kind.'`. */
  readonly help?: string;
}

/** Options of {@link instrumentRedis}. */
export interface InstrumentRedisOptions {
  /**
   * Where the metrics are registered. Default: `defaultRegistry()`, what `createMetricsServer()`
   * serves without a registry (docs/telemetry.md, "An omitted registry"); pass
   * `telemetry.registry` to record where the rest of a telemetry records.
   */
  readonly registry?: Registry;
  /** The latency histogram. */
  readonly latency?: RedisLatencyOptions;
  /** The error counter. Its labels are the command label, `error` and the fixed labels. */
  readonly errors?: RedisErrorsOptions;
  /** The name of the label that carries the command. Default `'command'`. */
  readonly label?: string;
  /**
   * The commands that keep their own label value (case-insensitive; values are lower case).
   * Every other command becomes `other`. Default {@link DEFAULT_REDIS_COMMANDS}.
   */
  readonly commands?: readonly string[];
  /** Fixed labels on every series, such as `{ backend: 'redis' }`. */
  readonly labels?: Readonly<Record<string, LabelValue>>;
}

/** Every key of {@link InstrumentRedisOptions}: `instrumentRedis` refuses any other. */
const INSTRUMENT_REDIS_OPTIONS = [
  'registry',
  'latency',
  'errors',
  'label',
  'commands',
  'labels',
] as const;

/** Every key of {@link RedisLatencyOptions}. */
const REDIS_LATENCY_OPTIONS = ['name', 'help', 'buckets'] as const;

/** Every key of {@link RedisErrorsOptions}. */
const REDIS_ERRORS_OPTIONS = ['name', 'help'] as const;

/** What {@link instrumentRedis} returns. */
export interface RedisInstrumentation {
  /** How the client is observed: `'wrap'` (instance `sendCommand`) or `'tracing-channel'`. */
  readonly mechanism: 'wrap' | 'tracing-channel';
  /**
   * Stops recording: restores the instance's `sendCommand` or unsubscribes from the channels.
   * Idempotent. Commands already in flight may still be recorded when they finish.
   */
  uninstrument(): void;
}

/**
 * What {@link instrumentRedis} accepts, typed structurally (both libraries are optional peers
 * that nothing in telltale imports): an ioredis `Redis` instance or a node-redis client from
 * `createClient()`. Both libraries' own client types are assignable to it.
 */
export type RedisClientLike = IoredisLike | NodeRedisLike;

/** The label on the error counter that carries the {@link RedisErrorKind}. */
const ERROR_LABEL = 'error';

/**
 * Records, for one Redis client, a latency histogram by command and an error counter by command
 * and error kind. Works with an ioredis `Redis` instance and a node-redis client (v4+):
 *
 * - **ioredis**: wraps `sendCommand` on this instance only (an own property; the prototype and
 *   other clients are untouched). Every command is timed from its first `sendCommand` to its
 *   reply, including pipelines and `multi()` commands.
 * - **node-redis** (versions with tracing, such as 6.x): subscribes to the `node-redis:command`
 *   and `node-redis:batch` diagnostics channels and keeps this client's events; nothing is
 *   wrapped. A `multi().exec()` transaction is one `exec` observation. Older versions fall back
 *   to wrapping the instance's `sendCommand`.
 *
 * Each distinct command name resolves its bound handles once; a command then costs one
 * `performance.now()` pair, a `Map.get` and a histogram observation. A failed command (Redis
 * error reply, connection gone, timeout) is counted in the error counter and its latency is
 * still recorded. Label values stay bounded: commands outside `commands` become `other`, and
 * `error` is one of `reply`, `connection`, `timeout`, `other`.
 *
 * Metrics (names configurable): `redis_command_duration_seconds{command}` (histogram) and
 * `redis_command_errors_total{command,error}` (counter), plus the fixed `labels`.
 *
 * Instrumenting the same client again into the same metrics with the same options returns the
 * existing instrumentation, so a second install does not count every command twice.
 *
 * @throws TelltaleError `TT_INVALID_OPTION` when the client is neither an ioredis nor a
 * node-redis client (a node-redis cluster is not supported: instrument it per node), or an
 * option is invalid or unknown (in `latency` and `errors` too); `TT_CONFLICTING_REGISTRATION` and the naming codes from the registry.
 * @example
 * ```ts
 * const redis = new Redis(url);
 * const { uninstrument } = instrumentRedis(redis, {
 *   registry,
 *   label: 'operation',
 *   latency: { name: 'shop_redis_latency_seconds' },
 * });
 * ```
 */
export function instrumentRedis(
  client: RedisClientLike,
  options: InstrumentRedisOptions = {},
): RedisInstrumentation {
  if (typeof client !== 'object' || client === null) {
    fail('TT_INVALID_OPTION', 'instrumentRedis: client must be an ioredis or node-redis client');
  }
  let attach: (table: CommandTable) => () => void;
  let mechanism: RedisInstrumentation['mechanism'];
  let owner: object = client;
  if (isIoredis(client)) {
    attach = (table) => wrapIoredis(client, table);
    mechanism = 'wrap';
  } else if (isNodeRedis(client) && !isNodeRedisCluster(client)) {
    // createClient() hands out Object.create(instance) proxies that share one instance.
    owner = (client as { _self?: object })._self ?? client;
    const trace = canTrace(client);
    attach = (table) => (trace ? subscribeNodeRedis(client, table) : wrapNodeRedis(client, table));
    mechanism = trace ? 'tracing-channel' : 'wrap';
  } else {
    fail(
      'TT_INVALID_OPTION',
      'instrumentRedis: client must be an ioredis Redis instance or a node-redis client from createClient() (a node-redis cluster or pool is not supported: instrument its clients)',
    );
  }
  const spec = resolveSpec(options);
  // The same client into the same series again (a hot reload, a second install) returns the
  // existing instrumentation instead of recording every command twice.
  let list = active.get(owner);
  const same = list?.find(
    (a) => a.latency === spec.latency && a.errors === spec.errors && a.key === spec.key,
  );
  if (same !== undefined) return same.instrumentation;
  const undo = attach(new CommandTable(spec));
  const entry: Active = {
    latency: spec.latency,
    errors: spec.errors,
    key: spec.key,
    instrumentation: {
      mechanism,
      uninstrument(): void {
        const i = list?.indexOf(entry) ?? -1;
        if (i < 0) return;
        list?.splice(i, 1);
        undo();
      },
    },
  };
  if (list === undefined) {
    list = [];
    active.set(owner, list);
  }
  list.push(entry);
  return entry.instrumentation;
}

/** One live instrumentation of a client. */
interface Active {
  readonly latency: object;
  readonly errors: object;
  /** The fixed labels, label name and allow-list, as one string. */
  readonly key: string;
  readonly instrumentation: RedisInstrumentation;
}

/** Live instrumentations by client instance. */
const active = new WeakMap<object, Active[]>();

/** Whether the nested option `name` is given; throws unless it is then an object. */
function nestedObject(name: string, value: unknown): value is object {
  if (value === undefined) return false;
  if (typeof value !== 'object' || value === null) {
    fail('TT_INVALID_OPTION', `instrumentRedis: ${name} must be an object such as { name }`);
  }
  return true;
}

/** Validates the options once and registers (or finds) the two metrics. */
function resolveSpec(options: InstrumentRedisOptions): CommandTableOptions & { key: string } {
  if (typeof options !== 'object' || options === null) {
    fail('TT_INVALID_OPTION', 'instrumentRedis: options must be an object');
  }
  checkOptionKeys('instrumentRedis', options, INSTRUMENT_REDIS_OPTIONS);
  if (nestedObject('latency', options.latency)) {
    checkOptionKeys('instrumentRedis', options.latency, REDIS_LATENCY_OPTIONS, 'latency.');
  }
  if (nestedObject('errors', options.errors)) {
    checkOptionKeys('instrumentRedis', options.errors, REDIS_ERRORS_OPTIONS, 'errors.');
  }
  const label = options.label ?? 'command';
  if (typeof label !== 'string' || label.length === 0) {
    fail('TT_INVALID_OPTION', 'instrumentRedis: label must be a non-empty label name');
  }
  if (label === ERROR_LABEL) {
    fail(
      'TT_INVALID_OPTION',
      `instrumentRedis: label "${ERROR_LABEL}" is taken by the error counter's error kind; choose another name such as "command" or "operation"`,
    );
  }
  const labels = options.labels ?? {};
  const fixed = Object.keys(labels);
  for (const name of fixed) {
    if (name === label || name === ERROR_LABEL) {
      fail(
        'TT_INVALID_OPTION',
        `instrumentRedis: labels.${name} clashes with the ${name === label ? 'command' : 'error kind'} label; rename it`,
      );
    }
  }
  const commands = checkCommands(options.commands ?? DEFAULT_REDIS_COMMANDS);
  const registry = options.registry ?? defaultRegistry();
  const latency = registry.histogram({
    name: options.latency?.name ?? 'redis_command_duration_seconds',
    help: options.latency?.help ?? 'Redis command latency in seconds, from send to reply.',
    labelNames: [label, ...fixed] as readonly string[],
    buckets: options.latency?.buckets ?? BucketPresets.fastOperation,
  });
  const errors = registry.counter({
    name: options.errors?.name ?? 'redis_command_errors_total',
    help: options.errors?.help ?? 'Redis commands that failed, by error kind.',
    labelNames: [label, ERROR_LABEL, ...fixed] as readonly string[],
  });
  const key = JSON.stringify([
    label,
    Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
    commands.map((c) => c.toLowerCase()).sort(),
  ]);
  return { latency, errors, label, errorLabel: ERROR_LABEL, labels, commands, key };
}
