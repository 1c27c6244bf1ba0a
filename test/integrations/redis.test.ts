// instrumentRedis against a real redis-server, each case with ioredis and with node-redis: exact counts, names, folding, errors, Redis going away, transactions, uninstrument, exposition validity.
import assert from 'node:assert/strict';
import { tracingChannel } from 'node:diagnostics_channel';
import { after, before, describe, it, type TestContext } from 'node:test';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { encodeText } from '../../src/exposition/text.js';
import { CommandTable } from '../../src/integrations/redis/commands.js';
import { wrapNodeRedis } from '../../src/integrations/redis/node-redis.js';
import {
  classifyRedisError,
  instrumentRedis,
  type RedisClientLike,
} from '../../src/integrations/redis.js';
import { createRegistry, type HistogramFamily, type Registry } from '../../src/metrics/index.js';
import {
  type CounterPoint,
  countSeries,
  findSeries,
  type HistogramPoint,
  labelsOf,
} from '../../src/testing/index.js';
import { createTelemetry } from '../../src/trace/index.js';
import {
  assertPromtoolClean,
  assertTextBodyValid,
  pollUntil,
  type RedisServer,
  startRedis,
} from '../helpers/index.js';

const LATENCY = 'redis_command_duration_seconds';
const ERRORS = 'redis_command_errors_total';

/** The operations a test needs, over either client library. */
interface Client {
  readonly kind: 'ioredis' | 'node-redis';
  readonly raw: RedisClientLike;
  set(key: string, value: string): Promise<unknown>;
  get(key: string): Promise<unknown>;
  del(key: string): Promise<unknown>;
  mget(keys: string[]): Promise<unknown>;
  incr(key: string): Promise<unknown>;
  /** Any command by name (ioredis `call`, node-redis `sendCommand`). */
  send(name: string, ...args: string[]): Promise<unknown>;
  /** `multi().set(key).get(key).exec()`. */
  transaction(key: string): Promise<unknown>;
  /** `multi().incr(key).get(key).exec()`: the INCR fails when the key holds a string. */
  failingTransaction(key: string): Promise<unknown>;
  /** A pipeline of set and get (ioredis `pipeline()`, node-redis `execAsPipeline()`). */
  pipeline(key: string): Promise<unknown>;
  ready(): boolean;
  close(): Promise<void>;
}

/** ioredis that fails commands at once while disconnected, and reconnects every 50 ms. */
async function ioredisClient(redis: RedisServer, extra: object = {}): Promise<Client> {
  const c = new Redis({
    host: redis.host,
    port: redis.port,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    connectTimeout: 500,
    retryStrategy: () => 50,
    lazyConnect: true,
    ...extra,
  });
  c.on('error', () => {}); // reconnect errors are expected while Redis is down
  await c.connect();
  return {
    kind: 'ioredis',
    raw: c,
    set: (k, v) => c.set(k, v),
    get: (k) => c.get(k),
    del: (k) => c.del(k),
    mget: (ks) => c.mget(...ks),
    incr: (k) => c.incr(k),
    send: (name, ...args) => c.call(name, ...args),
    transaction: (k) => c.multi().set(k, '1').get(k).exec(),
    failingTransaction: (k) => c.multi().incr(k).get(k).exec(),
    pipeline: (k) => c.pipeline().set(k, '1').get(k).exec(),
    ready: () => c.status === 'ready',
    close: async () => c.disconnect(),
  };
}

/** node-redis with the offline queue off, reconnecting every 50 ms. */
async function nodeRedisClient(redis: RedisServer, extra: object = {}): Promise<Client> {
  const c = createClient({
    url: redis.url,
    disableOfflineQueue: true,
    socket: { connectTimeout: 500, reconnectStrategy: () => 50 },
    ...extra,
  });
  c.on('error', () => {});
  await c.connect();
  return {
    kind: 'node-redis',
    raw: c,
    set: (k, v) => c.set(k, v),
    get: (k) => c.get(k),
    del: (k) => c.del(k),
    mget: (ks) => c.mGet(ks),
    incr: (k) => c.incr(k),
    send: (name, ...args) => c.sendCommand([name, ...args]),
    transaction: (k) => c.multi().set(k, '1').get(k).exec(),
    failingTransaction: (k) => c.multi().incr(k).get(k).exec(),
    pipeline: (k) => c.multi().set(k, '1').get(k).execAsPipeline(),
    ready: () => c.isReady,
    close: async () => c.destroy(),
  };
}

const KINDS = [
  { kind: 'ioredis', connect: ioredisClient, mechanism: 'wrap' },
  { kind: 'node-redis', connect: nodeRedisClient, mechanism: 'tracing-channel' },
] as const;

/** Histogram observation count of one series (0 when it does not exist). */
function latencyCount(registry: Registry, labels: Record<string, string>, name = LATENCY): number {
  const found = findSeries<HistogramPoint>(registry, name, labels);
  assert.ok(found.length <= 1, `more than one series for ${JSON.stringify(labels)}`);
  return found[0]?.count ?? 0;
}

/** Error counter value of one series (0 when it does not exist). */
function errorCount(registry: Registry, labels: Record<string, string>, name = ERRORS): number {
  const found = findSeries<CounterPoint>(registry, name, labels);
  assert.ok(found.length <= 1, `more than one series for ${JSON.stringify(labels)}`);
  return found[0]?.value ?? 0;
}

/** `{ label value: count }` of every latency series. */
function countsByCommand(
  registry: Registry,
  label = 'command',
  name = LATENCY,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of findSeries<HistogramPoint>(registry, name)) {
    out[labelsOf(s)[label] ?? '?'] = s.count;
  }
  return out;
}

async function expectReject(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  assert.fail('expected the command to fail');
}

let redis: RedisServer;
before(async () => {
  redis = await startRedis();
});
after(() => redis?.stop());

for (const { kind, connect, mechanism } of KINDS) {
  describe(`instrumentRedis with ${kind}`, () => {
    async function setup(
      t: TestContext,
      options: Parameters<typeof instrumentRedis>[1] = {},
    ): Promise<{ client: Client; registry: Registry; uninstrument: () => void }> {
      const client = await connect(redis);
      t.after(() => client.close());
      const registry = createRegistry();
      const inst = instrumentRedis(client.raw, { registry, ...options });
      t.after(() => inst.uninstrument());
      assert.equal(inst.mechanism, mechanism);
      return { client, registry, uninstrument: inst.uninstrument };
    }

    it('counts a known mix exactly: set×3, get×2, del×1, mget×1', async (t) => {
      const { client, registry } = await setup(t);
      const k = `${kind}:mix`;
      await client.set(`${k}:a`, '1');
      await client.set(`${k}:b`, '2');
      await Promise.all([client.set(`${k}:c`, '3'), client.get(`${k}:a`)]);
      await client.get(`${k}:missing`);
      await client.del(`${k}:c`);
      await client.mget([`${k}:a`, `${k}:b`]);
      assert.deepEqual(countsByCommand(registry), { set: 3, get: 2, del: 1, mget: 1 });
      assert.equal(countSeries(registry, ERRORS), 0);
      const [set] = findSeries<HistogramPoint>(registry, LATENCY, { command: 'set' });
      assert.ok(set !== undefined && set.sum > 0 && set.sum < 5);
      const body = encodeText(registry.gatherSync());
      assert.match(body, /^redis_command_duration_seconds_count\{command="set"\} 3$/m);
      assert.match(body, /^redis_command_duration_seconds_bucket\{command="get",le="\+Inf"\} 2$/m);
    });

    it('uses the configured names, label and fixed labels (mc_redis_latency_seconds{operation})', async (t) => {
      const { client, registry } = await setup(t, {
        label: 'operation',
        latency: { name: 'mc_redis_latency_seconds', help: 'Redis operation latency' },
        errors: { name: 'mc_redis_errors_total' },
        labels: { backend: 'redis' },
      });
      await client.get(`${kind}:named`);
      await client.set(`${kind}:named`, 'x');
      await expectReject(client.incr(`${kind}:named`));
      const body = encodeText(registry.gatherSync());
      assert.match(body, /^# TYPE mc_redis_latency_seconds histogram$/m);
      assert.match(body, /^# HELP mc_redis_latency_seconds Redis operation latency$/m);
      assert.match(body, /^mc_redis_latency_seconds_count\{operation="get",backend="redis"\} 1$/m);
      assert.match(
        body,
        /^mc_redis_errors_total\{operation="incr",error="reply",backend="redis"\} 1$/m,
      );
      assert.doesNotMatch(body, /redis_command_duration_seconds|command=/);
    });

    it('folds unknown commands into "other": 100 random names make one series', async (t) => {
      const { client, registry } = await setup(t);
      for (let i = 0; i < 100; i++) {
        const err = await expectReject(
          client.send(`NOSUCH${i}x${Math.random().toString(36).slice(2, 8)}`),
        );
        assert.equal(classifyRedisError(err), 'reply');
      }
      await client.send('PING');
      assert.deepEqual(countsByCommand(registry), { other: 100, ping: 1 });
      assert.equal(countSeries(registry, ERRORS), 1);
      assert.equal(errorCount(registry, { command: 'other', error: 'reply' }), 100);
    });

    it('keeps only the allow-listed commands with commands: [...]; case is folded', async (t) => {
      const { client, registry } = await setup(t, { commands: ['GET'] });
      await client.get(`${kind}:allow`);
      await client.send('get', `${kind}:allow`);
      await client.send('GET', `${kind}:allow`);
      await client.set(`${kind}:allow`, '1');
      await client.del(`${kind}:allow`);
      assert.deepEqual(countsByCommand(registry), { get: 3, other: 2 });
    });

    it('counts an error reply (INCR on a string) and still records its latency', async (t) => {
      const { client, registry } = await setup(t);
      const k = `${kind}:notanumber`;
      await client.set(k, 'abc');
      const err = await expectReject(client.incr(k));
      assert.match(String(err), /not an integer/);
      await client.incr(`${kind}:counter`);
      assert.equal(latencyCount(registry, { command: 'incr' }), 2);
      assert.equal(errorCount(registry, { command: 'incr', error: 'reply' }), 1);
      assert.equal(countSeries(registry, ERRORS), 1);
    });

    it('records transactions and pipelines as documented', async (t) => {
      const { client, registry } = await setup(t);
      await client.transaction(`${kind}:tx`);
      const tx = countsByCommand(registry);
      // ioredis sends MULTI, each queued command and EXEC through the client; node-redis traces
      // the transaction as one batch, recorded as one `exec`.
      assert.deepEqual(
        tx,
        kind === 'ioredis' ? { multi: 1, set: 1, get: 1, exec: 1 } : { exec: 1 },
      );
      await client.pipeline(`${kind}:pipe`);
      const both = countsByCommand(registry);
      assert.deepEqual(
        both,
        kind === 'ioredis' ? { multi: 1, set: 2, get: 2, exec: 1 } : { exec: 1, set: 1, get: 1 },
      );
      assert.equal(countSeries(registry, ERRORS), 0);
      // A command that fails inside a transaction (EXEC's reply holds its error) is an exec error.
      await client.set(`${kind}:txfail`, 'abc');
      await client.failingTransaction(`${kind}:txfail`).catch(() => {});
      assert.equal(latencyCount(registry, { command: 'exec' }), 2);
      assert.equal(errorCount(registry, { command: 'exec', error: 'reply' }), 1);
      assert.equal(countSeries(registry, ERRORS), 1);
    });

    it('records only the instrumented client, and two instrumented clients separately', async (t) => {
      const { client, registry } = await setup(t, { labels: { client: 'a' } });
      const other = await connect(redis);
      t.after(() => other.close());
      const third = await connect(redis);
      t.after(() => third.close());
      const inst = instrumentRedis(third.raw, { registry, labels: { client: 'b' } });
      t.after(() => inst.uninstrument());
      await client.get(`${kind}:a`);
      await other.get(`${kind}:a`);
      await other.get(`${kind}:a`);
      await third.set(`${kind}:b`, '1');
      assert.equal(latencyCount(registry, { command: 'get', client: 'a' }), 1);
      assert.equal(latencyCount(registry, { command: 'set', client: 'b' }), 1);
      assert.equal(countSeries(registry, LATENCY), 2);
    });

    it('instrumenting the same client into the same metrics again records once', async (t) => {
      const { client, registry, uninstrument } = await setup(t, { labels: { backend: 'redis' } });
      const again = instrumentRedis(client.raw, { registry, labels: { backend: 'redis' } });
      const other = instrumentRedis(client.raw, { registry, labels: { backend: 'cache' } });
      t.after(() => other.uninstrument());
      assert.equal(again.uninstrument, uninstrument, 'the existing instrumentation is returned');
      await client.get(`${kind}:twice`);
      assert.equal(latencyCount(registry, { command: 'get', backend: 'redis' }), 1);
      assert.equal(latencyCount(registry, { command: 'get', backend: 'cache' }), 1);
      other.uninstrument();
      await client.get(`${kind}:twice`);
      assert.equal(latencyCount(registry, { command: 'get', backend: 'redis' }), 2);
      assert.equal(latencyCount(registry, { command: 'get', backend: 'cache' }), 1);
    });

    it('counts failing commands as connection errors while Redis is down, and recovers', async (t) => {
      const own = await startRedis();
      t.after(() => own.stop());
      const client = await connect(own);
      t.after(() => client.close());
      const registry = createRegistry();
      const inst = instrumentRedis(client.raw, { registry });
      t.after(() => inst.uninstrument());

      await client.set(`${kind}:down`, '1');
      await own.down();
      await pollUntil(() => (client.ready() ? undefined : true), {
        description: `${kind} client notices that Redis is down`,
        timeoutMs: 5000,
      });
      for (let i = 0; i < 5; i++) {
        const err = await expectReject(client.get(`${kind}:down`));
        assert.equal(classifyRedisError(err), 'connection', String(err));
      }
      assert.equal(errorCount(registry, { command: 'get', error: 'connection' }), 5);
      assert.equal(latencyCount(registry, { command: 'get' }), 5);

      await own.up();
      await pollUntil(() => (client.ready() ? true : undefined), {
        description: `${kind} client reconnects`,
        timeoutMs: 5000,
      });
      await client.get(`${kind}:down`);
      assert.equal(latencyCount(registry, { command: 'get' }), 6);
      // ioredis' ready check after the reconnect goes through the client too.
      if (kind === 'ioredis') assert.ok(latencyCount(registry, { command: 'info' }) >= 1);
      assert.equal(errorCount(registry, { command: 'get', error: 'connection' }), 5);
      assert.equal(latencyCount(registry, { command: 'set' }), 1);
    });

    it('uninstrument() stops recording and leaves the client as it was', async (t) => {
      const { client, registry, uninstrument } = await setup(t);
      const had = Object.hasOwn(client.raw, 'sendCommand');
      await client.get(`${kind}:u`);
      uninstrument();
      uninstrument(); // idempotent
      await client.get(`${kind}:u`);
      await client.set(`${kind}:u`, '1');
      await expectReject(client.send('NOSUCHCOMMAND'));
      assert.deepEqual(countsByCommand(registry), { get: 1 });
      assert.equal(countSeries(registry, ERRORS), 0);
      if (kind === 'ioredis') {
        assert.equal(had, true, 'the wrapper is an own property while instrumented');
        assert.equal(Object.hasOwn(client.raw, 'sendCommand'), false);
      } else {
        assert.equal(had, false, 'node-redis is observed without wrapping');
        assert.equal(tracingChannel('node-redis:command').hasSubscribers, false);
      }
    });

    it('attaches the trace_id exemplar of the span the command was sent in', async (t) => {
      const { client, registry } = await setup(t);
      const tel = createTelemetry({ registry, tracing: { exemplars: true } });
      const traceId = await tel.span('redis-call', async (s) => {
        await client.get(`${kind}:exemplar`);
        return s.context.traceId;
      });
      await client.set(`${kind}:exemplar`, 'outside any span');
      const fam = registry.gatherSync().find((f) => f.name === LATENCY) as HistogramFamily;
      const exemplars = (cmd: string) =>
        (fam.points.find((p) => Object.values(p.labels).includes(cmd))?.exemplars ?? []).filter(
          (e) => e !== null,
        );
      assert.deepEqual(
        exemplars('get').map((e) => e.labels),
        [{ trace_id: traceId }],
      );
      assert.deepEqual(exemplars('set'), []);
    });

    it('exposes a body that promtool and the Python parser accept', async (t) => {
      const { client, registry } = await setup(t, { labels: { backend: 'redis' } });
      await client.set(`${kind}:body`, 'abc');
      await client.get(`${kind}:body`);
      await expectReject(client.incr(`${kind}:body`));
      await expectReject(client.send('NOSUCH'));
      await client.transaction(`${kind}:bodytx`);
      const body = encodeText(registry.gatherSync());
      await assertPromtoolClean(body);
      await assertTextBodyValid(body);
    });
  });
}

describe('instrumentRedis: timeouts and the fallback wrapper', () => {
  it('classifies a client-side command timeout as "timeout" (ioredis commandTimeout)', async (t) => {
    const client = await ioredisClient(redis, { commandTimeout: 100 });
    t.after(() => client.close());
    const registry = createRegistry();
    const inst = instrumentRedis(client.raw, { registry });
    t.after(() => inst.uninstrument());
    const err = await expectReject(client.send('BLPOP', 'ioredis:empty-list', '1'));
    assert.match(String(err), /timed out/);
    assert.equal(errorCount(registry, { command: 'blpop', error: 'timeout' }), 1);
    assert.equal(latencyCount(registry, { command: 'blpop' }), 1);
  });

  it('wraps a node-redis instance without tracing channels (older versions) and restores it', async (t) => {
    const client = await nodeRedisClient(redis);
    t.after(() => client.close());
    const registry = createRegistry();
    const latency = registry.histogram({
      name: LATENCY,
      help: 'h',
      labelNames: ['command'] as readonly string[],
    });
    const errors = registry.counter({
      name: ERRORS,
      help: 'h',
      labelNames: ['command', 'error'] as readonly string[],
    });
    const table = new CommandTable({
      latency,
      errors,
      label: 'command',
      errorLabel: 'error',
      labels: {},
      commands: ['get', 'set', 'incr'],
    });
    const undo = wrapNodeRedis(client.raw as Parameters<typeof wrapNodeRedis>[0], table);
    t.after(undo);
    await client.set('fallback', 'abc');
    await client.get('fallback');
    await expectReject(client.incr('fallback'));
    assert.deepEqual(countsByCommand(registry), { set: 1, get: 1, incr: 1 });
    assert.equal(errorCount(registry, { command: 'incr', error: 'reply' }), 1);
    const instance = (client.raw as unknown as { _self: object })._self;
    assert.equal(Object.hasOwn(instance, 'sendCommand'), true);
    undo();
    assert.equal(Object.hasOwn(instance, 'sendCommand'), false);
    await client.get('fallback');
    assert.equal(latencyCount(registry, { command: 'get' }), 1);
  });
});

describe('instrumentRedis: options', () => {
  it('rejects what is not a Redis client, and bad options, with TT_INVALID_OPTION', async (t) => {
    const registry = createRegistry();
    const code = { code: 'TT_INVALID_OPTION' };
    assert.throws(() => instrumentRedis({} as never, { registry }), code);
    assert.throws(() => instrumentRedis({ sendCommand() {} } as never, { registry }), code);
    const client = await ioredisClient(redis);
    t.after(() => client.close());
    assert.throws(() => instrumentRedis(client.raw, { registry, label: 'error' }), code);
    assert.throws(() => instrumentRedis(client.raw, { registry, labels: { command: 'x' } }), code);
    assert.throws(() => instrumentRedis(client.raw, { registry, commands: [] }), code);
    assert.equal(Object.hasOwn(client.raw, 'sendCommand'), false, 'nothing wrapped on failure');
  });

  it('classifyRedisError keeps the error label bounded', () => {
    assert.equal(classifyRedisError(new Error('Connection is closed.')), 'connection');
    assert.equal(
      classifyRedisError(Object.assign(new Error('x'), { code: 'ECONNREFUSED' })),
      'connection',
    );
    assert.equal(
      classifyRedisError(Object.assign(new Error('x'), { code: 'ETIMEDOUT' })),
      'timeout',
    );
    assert.equal(classifyRedisError(new Error('Command timed out')), 'timeout');
    assert.equal(classifyRedisError(new Error('boom')), 'other');
    assert.equal(classifyRedisError('string'), 'other');
    assert.equal(classifyRedisError(undefined), 'other');
  });
});
