// Every public factory refuses an unknown option key (top level and in the nested options objects it owns) with TT_INVALID_OPTION naming the factory, the key and a did-you-mean, and passes its own options on to the factories it builds on without tripping their checks.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Hono } from 'hono';
import { instrumentExpress, telltaleExpress } from '../../src/adapters/express.js';
import { fastifyGenReqId, telltaleFastify } from '../../src/adapters/fastify.js';
import { instrumentHono, telltaleHono } from '../../src/adapters/hono.js';
import { createNodeInstrumentation, instrumentHandler } from '../../src/adapters/node-http.js';
import {
  createHealth,
  eventLoopCheck,
  heartbeatCheck,
  redisCheck,
} from '../../src/health/index.js';
import {
  createHttpInstrumentation,
  createHttpMetrics,
  createRequestIdResolver,
} from '../../src/instrument/index.js';
import { instrumentRedis } from '../../src/integrations/redis.js';
import {
  createCancellation,
  createLifecycle,
  createPeriodicTask,
} from '../../src/lifecycle/index.js';
import { createLogger } from '../../src/log/index.js';
import { createRegistry, instrumentMethods } from '../../src/metrics/index.js';
import { createBackoff } from '../../src/retry/index.js';
import {
  startEventLoopMetrics,
  startGcMetrics,
  startHandleMetrics,
  startHeapMetrics,
  startProcessMetrics,
  startRuntimeMetrics,
} from '../../src/runtime/index.js';
import {
  createMetricsHandler,
  createMetricsServer,
  serverTimeouts,
} from '../../src/server/index.js';
import { createTelemetry, startFetchPropagation } from '../../src/trace/index.js';
import { REPO_ROOT } from '../helpers/process.js';

/** A factory called with options (a record, as a JavaScript caller builds one). */
type Call = (options: Record<string, unknown>) => unknown;

const noop = (): void => {};
/** Enough of an ioredis client for instrumentRedis to recognise it; nothing is sent. */
const ioredisLike = {
  status: 'ready',
  sendCommand: noop,
  pipeline: noop,
  options: {},
};
const task = { name: 't', run: noop, intervalMs: 1000, neverExit: true } as const;
/** What a Fastify instance offers the plugin before the options are read: nothing is used. */
const fastify = {} as Parameters<typeof telltaleFastify>[0];

/**
 * Each factory of docs/api.md's naming table (and the other option-taking factories), called with
 * one misspelt key: [factory, call, the typo, the known key it suggests].
 */
const FACTORIES: readonly (readonly [string, Call, string, string])[] = [
  ['createRegistry', (o) => createRegistry(o), 'prefx', 'prefix'],
  ['createMetricsHandler', (o) => createMetricsHandler(o), 'pth', 'path'],
  ['createMetricsServer', (o) => createMetricsServer(o), 'prt', 'port'],
  ['serverTimeouts', (o) => serverTimeouts(o), 'headersTimeout', 'headersTimeoutMs'],
  ['createHealth', (o) => createHealth(o), 'verison', 'version'],
  ['createLifecycle', (o) => createLifecycle(o), 'drainDelay', 'drainDelayMs'],
  ['createPeriodicTask', (o) => createPeriodicTask({ ...task, ...o }), 'intervalMS', 'intervalMs'],
  ['createCancellation', (o) => createCancellation({ name: 'c', ...o }), 'nme', 'name'],
  ['createLogger', (o) => createLogger(o), 'levl', 'level'],
  ['createTelemetry', (o) => createTelemetry(o), 'registy', 'registry'],
  ['createHttpInstrumentation', (o) => createHttpInstrumentation(o), 'tracng', 'tracing'],
  ['createHttpMetrics', (o) => createHttpMetrics(o), 'prefx', 'prefix'],
  ['createRequestIdResolver', (o) => createRequestIdResolver(o), 'hedaer', 'header'],
  ['createNodeInstrumentation', (o) => createNodeInstrumentation(o), 'ignor', 'ignore'],
  ['createBackoff', (o) => createBackoff(o), 'factr', 'factor'],
  ['startRuntimeMetrics', (o) => startRuntimeMetrics(o), 'gcc', 'gc'],
  ['startProcessMetrics', (o) => startProcessMetrics(o), 'procroot', 'procRoot'],
  ['startEventLoopMetrics', (o) => startEventLoopMetrics(o), 'resolution', 'resolutionMs'],
  ['startGcMetrics', (o) => startGcMetrics(o), 'bucket', 'buckets'],
  ['startHandleMetrics', (o) => startHandleMetrics(o), 'prefixx', 'prefix'],
  ['startHeapMetrics', (o) => startHeapMetrics(o), 'registr', 'registry'],
  ['startFetchPropagation', (o) => startFetchPropagation(o), 'requestIdHeadr', 'requestIdHeader'],
  ['eventLoopCheck', (o) => eventLoopCheck(o), 'maxLag', 'maxLagMs'],
  ['redisCheck', (o) => redisCheck({ client: { ping: noop }, ...o }), 'clinet', 'client'],
  [
    'heartbeatCheck',
    (o) => heartbeatCheck({ name: 'h', maxAgeSeconds: 1, lastSuccess: () => undefined, ...o }),
    'maxAgeSecond',
    'maxAgeSeconds',
  ],
  ['instrumentHandler', (o) => instrumentHandler(noop, o), 'loger', 'logger'],
  ['instrumentExpress', (o) => instrumentExpress(noop, o), 'metric', 'metrics'],
  ['instrumentHono', (o) => instrumentHono(new Hono(), o), 'accesLog', 'accessLog'],
  ['instrumentRedis', (o) => instrumentRedis(ioredisLike as never, o), 'comands', 'commands'],
  [
    'instrumentMethods',
    (o) => instrumentMethods({ get: noop }, { methods: ['get'], ...o } as never),
    'method',
    'methods',
  ],
  ['telltaleExpress', (o) => telltaleExpress(o), 'requestID', 'requestId'],
  ['telltaleHono', (o) => telltaleHono(o), 'unmatchedroute', 'unmatchedRoute'],
  ['telltaleFastify', (o) => telltaleFastify(fastify, o), 'logLevl', 'logLevel'],
  ['fastifyGenReqId', (o) => fastifyGenReqId(o), 'telemetri', 'telemetry'],
];

/** The nested options objects a factory owns: [factory, call, the key as the message names it, suggestion]. */
const NESTED: readonly (readonly [string, () => unknown, string, string | undefined])[] = [
  [
    'createTelemetry',
    () => createTelemetry({ tracing: { levle: 'info' } } as never),
    'tracing.levle',
    'tracing.level',
  ],
  [
    'createTelemetry',
    () => createTelemetry({ requestId: { generat: noop } } as never),
    'requestId.generat',
    'requestId.generate',
  ],
  [
    'createTelemetry',
    () => createTelemetry({ tracing: { exemplars: { sampled: true } } } as never),
    'tracing.exemplars.sampled',
    undefined,
  ],
  [
    'createHttpInstrumentation',
    () => createHttpInstrumentation({ requestId: { headr: 'x-id' } } as never),
    'requestId.headr',
    'requestId.header',
  ],
  [
    'telltaleExpress',
    () => telltaleExpress({ accessLog: { lvl: 'info' } } as never),
    'accessLog.lvl',
    'accessLog.level',
  ],
  [
    'createHealth',
    () => createHealth({ paths: { redy: '/r' } } as never),
    'paths.redy',
    'paths.ready',
  ],
  [
    'createLogger',
    () => createLogger({ redact: { path: ['a'] } } as never),
    'redact.path',
    'redact.paths',
  ],
  [
    'createPeriodicTask(t)',
    () => createPeriodicTask({ ...task, retry: { factr: 2 } } as never),
    'retry.factr',
    'retry.factor',
  ],
  [
    'instrumentRedis',
    () => instrumentRedis(ioredisLike as never, { latency: { bucket: [1] } } as never),
    'latency.bucket',
    'latency.buckets',
  ],
  [
    'instrumentRedis',
    () => instrumentRedis(ioredisLike as never, { errors: { hlp: 'x' } } as never),
    'errors.hlp',
    'errors.help',
  ],
  [
    'startRuntimeMetrics',
    () => startRuntimeMetrics({ process: { procroot: '/x' } } as never),
    'process.procroot',
    'process.procRoot',
  ],
  [
    'createMetricsServer',
    () =>
      createMetricsServer({
        enabled: false,
        auth: { basic: { username: 'u', pasword: 'p' } },
      } as never),
    'auth.basic.pasword',
    'auth.basic.password',
  ],
  [
    'onShutdown(h)',
    () => createLifecycle({ metrics: false }).onShutdown('h', noop, { timeout: 1 } as never),
    'timeout',
    'timeoutMs',
  ],
];

/** Runs `call`, a throw or a rejection alike, and returns what it threw. */
async function thrown(call: () => unknown): Promise<unknown> {
  try {
    await call();
  } catch (err) {
    return err;
  }
  assert.fail('expected a TT_INVALID_OPTION');
}

describe('every public factory refuses an unknown option key', () => {
  for (const [factory, call, typo, near] of FACTORIES) {
    it(`${factory}({ ${typo} }) throws TT_INVALID_OPTION: did you mean "${near}"?`, async () => {
      const err = await thrown(() => call({ [typo]: 1 }));
      assert.deepEqual(
        {
          name: (err as Error).name,
          code: (err as { code?: unknown }).code,
          message: (err as Error).message,
        },
        {
          name: 'TelltaleError',
          code: 'TT_INVALID_OPTION',
          message: `TT_INVALID_OPTION: ${factory}: unknown option "${typo}"; did you mean "${near}"?`,
        },
      );
    });
  }

  it('without a close key, the message lists the known ones', () => {
    assert.throws(() => createBackoff({ zzz: 1 } as never), {
      code: 'TT_INVALID_OPTION',
      message:
        'TT_INVALID_OPTION: createBackoff: unknown option "zzz"; the options are initialDelayMs, maxDelayMs, factor, jitter, random',
    });
  });

  for (const [factory, call, key, near] of NESTED) {
    it(`${factory}: the nested option "${key}" is refused by the factory that owns it`, async () => {
      const err = (await thrown(call)) as Error & { code?: unknown };
      assert.equal(err.name, 'TelltaleError');
      assert.equal(err.code, 'TT_INVALID_OPTION');
      if (near !== undefined) {
        assert.equal(
          err.message,
          `TT_INVALID_OPTION: ${factory}: unknown option "${key}"; did you mean "${near}"?`,
        );
      } else {
        assert.match(
          err.message,
          new RegExp(`^TT_INVALID_OPTION: ${factory}: unknown option "${key}"; the options are `),
        );
      }
    });
  }

  it('covers every factory of the naming table in docs/api.md', () => {
    const doc = readFileSync(join(REPO_ROOT, 'docs/api.md'), 'utf8');
    const table = doc.slice(
      doc.indexOf('| role | shape | factories |'),
      doc.indexOf('\n\n', doc.indexOf('| role | shape | factories |')),
    );
    const named = new Set<string>();
    for (const row of table.split('\n').slice(2)) {
      const factories = row.split('|')[3] ?? '';
      for (const m of factories.matchAll(/`([A-Za-z]+)(?:\(|`)/g)) named.add(m[1]!);
    }
    // Factories without settings take no argument, so they have no key to refuse.
    for (const none of ['createNoopRegistry', 'createProtobufCache', 'createTextCache']) {
      named.delete(none);
    }
    assert.ok(named.size >= 28, `read ${named.size} factories from the table`);
    const tested = new Set(FACTORIES.map(([f]) => f));
    assert.deepEqual(
      [...named].filter((f) => !tested.has(f)),
      [],
      'add these to FACTORIES',
    );
  });
});

describe('a factory passes its own options on without tripping the checks of the ones it builds on', () => {
  it('createMetricsServer: the server keys do not reach the handler', async () => {
    const server = await createMetricsServer({
      enabled: false,
      host: '127.0.0.1',
      port: 0,
      headersTimeoutMs: 1000,
      requestTimeoutMs: 2000,
      keepAliveTimeoutMs: 500,
      routes: {},
      registry: createRegistry(),
      path: '/m',
      logger: { info: noop, warn: noop, error: noop },
    });
    assert.equal(server.enabled, false);
  });

  it("instrumentHandler: its logger; telltaleFastify: Fastify's own register options", async () => {
    const registry = createRegistry();
    assert.equal(typeof instrumentHandler(noop, { registry, logger: { error: noop } }), 'function');
    const hooks: string[] = [];
    const instance = {
      server: undefined,
      addHook: (name: string) => hooks.push(name),
    } as unknown as Parameters<typeof telltaleFastify>[0];
    await telltaleFastify(instance, {
      registry,
      prefix: 'f_',
      logLevel: 'info',
      logSerializers: {},
    } as Parameters<typeof telltaleFastify>[1]);
    assert.deepEqual(hooks, ['onRequest', 'onError']);
  });

  it('startRuntimeMetrics: a collector’s own options, prefix included', () => {
    const registry = createRegistry();
    const runtime = startRuntimeMetrics({
      registry,
      prefix: 'a_',
      process: { prefix: 'p_', cpuUsage: () => ({ user: 0, system: 0 }) },
      heap: false,
      eventLoop: { resolutionMs: 20 },
      gc: false,
      handles: true,
    });
    try {
      assert.notEqual(registry.get('p_process_cpu_seconds_total'), undefined);
      assert.notEqual(registry.get('a_nodejs_active_handles'), undefined);
    } finally {
      runtime.stop();
    }
  });
});
