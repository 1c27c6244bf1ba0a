// Tests for createHealth: JSON and status codes per probe and state, checks (timeout, errors, cache, sharing), options, state machine, metrics.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it, type TestContext } from 'node:test';
import {
  createHealth,
  errorMessage,
  eventLoopCheck,
  type Health,
  type HealthCheck,
  type HealthOptions,
  type HealthState,
  heartbeatCheck,
  redisCheck,
} from '../../src/health/index.js';
import { TelltaleError } from '../../src/internal/errors.js';
import { type LogFields, logArgs, type MinimalLogger } from '../../src/internal/logger.js';
import { createRegistry } from '../../src/metrics/index.js';
import { createMetricsServer } from '../../src/server/index.js';
import { assertPromtoolClean, assertTextBodyValid, httpRequest } from '../helpers/index.js';
import { FakeClock, until } from '../internal/fake-clock.js';

/** Serves `health.handle()` (404 for anything else) on a free loopback port. */
async function serve(t: TestContext, health: Health): Promise<string> {
  const server: Server = createServer((req, res) => {
    if (!health.handle(req, res)) {
      res.writeHead(404);
      res.end();
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => {
    server.closeAllConnections();
    server.close();
    health.close();
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

interface Json {
  status: string;
  version: string;
  uptime_seconds: number;
  state: HealthState;
  checks?: Record<
    string,
    { status: string; critical: boolean; duration_ms: number; error?: string }
  >;
}

async function get(
  url: string,
  method = 'GET',
): Promise<{ status: number; json: Json; headers: Record<string, unknown>; body: string }> {
  const res = await httpRequest(url, { method });
  return {
    status: res.status,
    headers: res.headers,
    body: res.body,
    json: res.body === '' ? ({} as Json) : (JSON.parse(res.body) as Json),
  };
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof TelltaleError, `expected a TelltaleError, got ${String(err)}`);
    return err.code;
  }
  return undefined;
}

function recordingLogger(): MinimalLogger & { calls: [string, string, LogFields | undefined][] } {
  const calls: [string, string, LogFields | undefined][] = [];
  const m =
    (level: string) =>
    (a: LogFields | string, b?: string): void => {
      const { msg, fields } = logArgs(a, b);
      calls.push([level, msg, fields]);
    };
  return { calls, info: m('info'), warn: m('warn'), error: m('error') };
}

const pass: HealthCheck = { name: 'db', check: () => {} };

describe('probes: JSON shape and status codes', () => {
  it('answers every default path in each state with the documented JSON', async (t) => {
    const clock = new FakeClock(1_000_000);
    const health = createHealth({ version: '1.2.3', checks: [pass], clock });
    const url = await serve(t, health);
    clock.advance(2500);

    // starting: checks pass, but readiness waits for setReady().
    let r = await get(`${url}/health/ready`);
    assert.equal(r.status, 503);
    assert.deepEqual(r.json, {
      status: 'fail',
      version: '1.2.3',
      uptime_seconds: 2.5,
      state: 'starting',
      checks: { db: { status: 'pass', critical: true, duration_ms: 0 } },
    });
    assert.equal(r.headers['content-type'], 'application/json; charset=utf-8');
    assert.equal(r.headers['cache-control'], 'no-store');
    assert.equal(r.headers['content-length'], String(Buffer.byteLength(r.body)));
    assert.equal((await get(`${url}/health`)).status, 503);
    r = await get(`${url}/health/startup`);
    assert.equal(r.status, 503);
    assert.deepEqual(r.json, {
      status: 'fail',
      version: '1.2.3',
      uptime_seconds: 2.5,
      state: 'starting',
    });
    r = await get(`${url}/health/live`);
    assert.equal(r.status, 200);
    assert.deepEqual(r.json, {
      status: 'ok',
      version: '1.2.3',
      uptime_seconds: 2.5,
      state: 'starting',
    });

    health.setReady();
    r = await get(`${url}/health/ready`);
    assert.equal(r.status, 200);
    assert.equal(r.json.status, 'ok');
    assert.equal(r.json.state, 'ready');
    r = await get(`${url}/health`);
    assert.equal(r.status, 200);
    assert.deepEqual(r.json.checks, { db: { status: 'pass', critical: true, duration_ms: 0 } });
    assert.equal((await get(`${url}/health/startup`)).status, 200);
    assert.equal((await get(`${url}/health/live`)).status, 200);

    for (const next of ['draining', 'stopped'] as const) {
      if (next === 'draining') health.setDraining();
      else health.setStopped();
      r = await get(`${url}/health/ready`);
      assert.equal(r.status, 503, next);
      assert.equal(r.json.status, 'fail');
      assert.equal(r.json.state, next);
      assert.equal((await get(`${url}/health`)).status, 503);
      // Startup stays 200 once the service has started; liveness never depends on the state.
      assert.equal((await get(`${url}/health/startup`)).status, 200);
      r = await get(`${url}/health/live`);
      assert.equal(r.status, 200);
      assert.equal(r.json.state, next);
    }
    assert.equal((await get(`${url}/nope`)).status, 404);
  });

  it('HEAD gets the status and headers without a body; other methods get 405', async (t) => {
    const health = createHealth({ checks: [pass] });
    const url = await serve(t, health);
    let r = await get(`${url}/health/ready`, 'HEAD');
    assert.equal(r.status, 503);
    assert.equal(r.body, '');
    assert.equal(r.headers['cache-control'], 'no-store');
    health.setReady();
    r = await get(`${url}/health/ready`, 'HEAD');
    assert.equal(r.status, 200);
    assert.ok(Number(r.headers['content-length']) > 0);
    for (const method of ['POST', 'PUT', 'DELETE']) {
      r = await get(`${url}/health/live`, method);
      assert.equal(r.status, 405);
      assert.equal(r.headers.allow, 'GET, HEAD');
    }
  });

  it('a failing non-critical check gives 200 degraded; a failing critical one 503 fail', async (t) => {
    let cacheDown = true;
    let dbDown = false;
    const health = createHealth({
      version: 'v',
      checks: [
        { name: 'db', check: () => !dbDown },
        { name: 'cache', critical: false, check: () => !cacheDown },
      ],
    });
    health.setReady();
    const url = await serve(t, health);
    let r = await get(`${url}/health/ready`);
    assert.equal(r.status, 200);
    assert.equal(r.json.status, 'degraded');
    assert.deepEqual(r.json.checks?.['cache'], {
      status: 'fail',
      critical: false,
      duration_ms: r.json.checks?.['cache']?.duration_ms,
      error: 'check returned false',
    });
    dbDown = true;
    r = await get(`${url}/health/ready`);
    assert.equal(r.status, 503);
    assert.equal(r.json.status, 'fail');
    assert.equal(r.json.checks?.['db']?.status, 'fail');
    cacheDown = false;
    dbDown = false;
    r = await get(`${url}/health/ready`);
    assert.equal(r.status, 200);
    assert.equal(r.json.status, 'ok');
  });

  it('with no checks, readiness is 200 ok once ready, with an empty checks object', async () => {
    const health = createHealth();
    health.setReady();
    const report = await health.readiness();
    assert.equal(report.status, 'ok');
    assert.equal(report.version, 'unknown');
    assert.deepEqual(report.checks, {});
    assert.ok(report.uptime_seconds >= 0);
  });

  it('paths can serve /health as liveness and /ready as readiness, with no combined form', async (t) => {
    const health = createHealth({
      paths: { live: '/health', ready: '/ready', health: false },
      checks: [{ name: 'gc', check: () => false }],
    });
    assert.deepEqual(health.paths, {
      live: '/health',
      ready: '/ready',
      health: undefined,
      startup: '/health/startup',
    });
    assert.deepEqual(Object.keys(health.routes()).sort(), ['/health', '/health/startup', '/ready']);
    health.setReady();
    const url = await serve(t, health);
    const live = await get(`${url}/health`);
    assert.equal(live.status, 200); // liveness: a failing dependency does not matter
    assert.equal(live.json.checks, undefined);
    const ready = await get(`${url}/ready`);
    assert.equal(ready.status, 503);
    assert.equal(ready.json.checks?.['gc']?.status, 'fail');
    assert.equal((await get(`${url}/health/ready`)).status, 404);
  });

  it('paths can be renamed or left out, and the query string is ignored', async (t) => {
    const health = createHealth({ paths: { ready: '/readyz', live: '/livez', health: false } });
    assert.deepEqual(Object.keys(health.routes()).sort(), ['/health/startup', '/livez', '/readyz']);
    const url = await serve(t, health);
    assert.equal((await get(`${url}/livez?verbose=1`)).status, 200);
    assert.equal((await get(`${url}/readyz`)).status, 503);
    assert.equal((await get(`${url}/health`)).status, 404);
  });

  it('is mounted into createMetricsServer on the same port as /metrics, and the metrics pass promtool and the Python parser', async (t) => {
    const registry = createRegistry();
    const health = createHealth({
      registry,
      version: '2.0.0',
      checks: [
        pass,
        { name: 'cache', critical: false, check: () => Promise.reject(new Error('down')) },
      ],
    });
    const server = await createMetricsServer({ registry, port: 0, routes: health.routes() });
    t.after(async () => {
      health.close();
      await server.close();
    });
    const base = String(server.url).replace(/\/metrics$/, '');
    assert.equal((await get(`${base}/health/live`)).status, 200);
    assert.equal((await get(`${base}/health/ready`)).status, 503);
    health.setReady();
    const ready = await get(`${base}/health/ready`);
    assert.equal(ready.status, 200);
    assert.equal(ready.json.status, 'degraded');
    assert.equal((await get(`${base}/health/startup`)).status, 200);
    const metrics = await httpRequest(String(server.url));
    assert.equal(metrics.status, 200);
    const lines = metrics.body.split('\n');
    for (const expected of [
      'telltale_health_check_up{check="db"} 1',
      'telltale_health_check_up{check="cache"} 0',
      'telltale_health_state{telltale_health_state="starting"} 0',
      'telltale_health_state{telltale_health_state="ready"} 1',
      'telltale_health_state{telltale_health_state="draining"} 0',
      'telltale_health_state{telltale_health_state="stopped"} 0',
    ]) {
      assert.ok(lines.includes(expected), `missing ${expected} in\n${metrics.body}`);
    }
    assert.ok(
      lines.some((l) => l.startsWith('telltale_health_check_duration_seconds{check="cache"} ')),
    );
    await assertPromtoolClean(metrics.body);
    await assertTextBodyValid(metrics.body);
  });
});

describe('checks', () => {
  it('a check that hangs answers at exactly its timeout with status timeout (fake clock)', async (t) => {
    const clock = new FakeClock(1_000_000);
    const health = createHealth({
      clock,
      checks: [pass, { name: 'hang', timeoutMs: 200, check: () => new Promise<void>(() => {}) }],
    });
    health.setReady();
    const url = await serve(t, health);
    const answer = get(`${url}/health/ready`);
    await until(() => clock.pending().length > 0, 'the check timer');
    assert.deepEqual(clock.pending(), [200]);
    assert.equal(clock.advance(199), 0);
    assert.equal(clock.advance(1), 1);
    const r = await answer;
    assert.equal(r.status, 503);
    assert.deepEqual(r.json.checks?.['hang'], {
      status: 'timeout',
      critical: true,
      duration_ms: 200,
      error: 'timed out after 200 ms',
    });
    assert.equal(r.json.checks?.['db']?.status, 'pass');
    assert.deepEqual(clock.pending(), []);
  });

  it('close() ends a run in flight at once, clears its timer, and later probes no longer run checks', async () => {
    const clock = new FakeClock(1_000_000);
    let calls = 0;
    const health = createHealth({
      clock,
      checks: [
        {
          name: 'hang',
          timeoutMs: 60_000,
          check: () => {
            calls++;
            return new Promise<void>(() => {});
          },
        },
      ],
    });
    health.setReady();
    const pending = health.readiness();
    assert.deepEqual(clock.pending(), [60_000]);
    clock.advance(7);
    health.close();
    health.close();
    assert.deepEqual(clock.pending(), [], 'close() cleared the timeout timer');
    const report = await pending;
    assert.deepEqual(report.checks['hang'], {
      status: 'fail',
      critical: true,
      duration_ms: 7,
      error: 'health.close() ended the run',
    });
    assert.equal((await health.readiness()).status, 'fail');
    assert.equal(calls, 1);
    assert.deepEqual(clock.pending(), []);
  });

  it('a hung check is not called again while its earlier call is still pending', async () => {
    const clock = new FakeClock(1_000_000);
    let calls = 0;
    let release: () => void = () => {};
    const health = createHealth({
      clock,
      checks: [
        {
          name: 'slow',
          timeoutMs: 20,
          check: () => {
            calls++;
            return new Promise<void>((resolve) => {
              release = resolve;
            });
          },
        },
      ],
    });
    health.setReady();
    const timedOut = async (): Promise<string | undefined> => {
      const report = health.readiness();
      clock.advance(20);
      return (await report).checks['slow']?.status;
    };
    assert.equal(await timedOut(), 'timeout');
    assert.equal(await timedOut(), 'timeout');
    assert.equal(calls, 1);
    release();
    await new Promise((r) => setImmediate(r));
    assert.equal(await timedOut(), 'timeout'); // new call, hangs again
    assert.equal(calls, 2);
    release();
    health.close();
  });

  it('turns anything thrown or rejected into a readable message, never a stack', async () => {
    const cases: [string, () => unknown, string][] = [
      [
        'string',
        () => {
          throw 'boom';
        },
        'boom',
      ],
      ['empty_object', () => Promise.reject({}), 'non-Error value: {}'],
      ['error', () => Promise.reject(new TypeError('bad thing')), 'bad thing'],
      [
        'number',
        () => {
          throw 42;
        },
        'non-Error value: 42',
      ],
      ['undef', () => Promise.reject(undefined), 'non-Error value: undefined'],
      [
        'null',
        () => {
          throw null;
        },
        'non-Error value: null',
      ],
      ['message_obj', () => Promise.reject({ message: 'from an object' }), 'from an object'],
      ['false', () => false, 'check returned false'],
      ['async_false', async () => false, 'check returned false'],
      [
        'aggregate',
        () => {
          throw new AggregateError(
            [
              new Error('connect ECONNREFUSED ::1:6379'),
              new Error('connect ECONNREFUSED 127.0.0.1:6379'),
            ],
            '',
          );
        },
        'connect ECONNREFUSED ::1:6379; connect ECONNREFUSED 127.0.0.1:6379',
      ],
    ];
    const health = createHealth({
      checks: cases.map(([name, fn]) => ({ name, check: fn as HealthCheck['check'] })),
    });
    const report = await health.readiness();
    for (const [name, , expected] of cases) {
      assert.equal(report.checks[name]?.status, 'fail', name);
      assert.equal(report.checks[name]?.error, expected, name);
    }
    assert.ok(!JSON.stringify(report).includes('    at '), 'no stack frames');
  });

  it('trims errors to 200 characters', async () => {
    const health = createHealth({
      checks: [
        {
          name: 'long',
          check: () => {
            throw new Error('x'.repeat(500));
          },
        },
        {
          name: 'exact',
          check: () => {
            throw new Error('y'.repeat(200));
          },
        },
      ],
    });
    const report = await health.readiness();
    const long = report.checks['long']?.error ?? '';
    assert.equal(long.length, 200);
    assert.equal(long, `${'x'.repeat(199)}…`);
    assert.equal(report.checks['exact']?.error, 'y'.repeat(200));
    assert.equal(errorMessage(`  ${'😀'.repeat(150)}`).length <= 200, true);
    assert.ok(!/[\ud800-\udbff]…$/.test(errorMessage('😀'.repeat(150))), 'no lone surrogate');
  });

  it('reuses a result within cacheMs (injected clock): the function is called exactly once', async (t) => {
    const clock = new FakeClock(1_000_000);
    let calls = 0;
    const health = createHealth({
      clock,
      checks: [
        {
          name: 'c',
          cacheMs: 5000,
          check: async () => {
            calls++;
          },
        },
      ],
    });
    health.setReady();
    const url = await serve(t, health);
    assert.equal((await get(`${url}/health/ready`)).status, 200);
    clock.advance(1000);
    assert.equal((await get(`${url}/health/ready`)).status, 200);
    clock.advance(3999);
    await health.readiness();
    assert.equal(calls, 1);
    clock.advance(1); // 5000 ms after the run finished
    await health.readiness();
    assert.equal(calls, 2);
  });

  it('caches failures too, and without cacheMs runs on every probe', async () => {
    const clock = new FakeClock(1_000_000);
    let cached = 0;
    let uncached = 0;
    const health = createHealth({
      clock,
      checks: [
        {
          name: 'cached',
          cacheMs: 100,
          check: () => {
            cached++;
            throw new Error('no');
          },
        },
        {
          name: 'uncached',
          check: () => {
            uncached++;
          },
        },
      ],
    });
    for (let i = 0; i < 3; i++) await health.readiness();
    assert.equal(cached, 1);
    assert.equal(uncached, 3);
  });

  it('concurrent probes share one run per check', async (t) => {
    let calls = 0;
    const health = createHealth({
      checks: [
        {
          name: 'shared',
          check: async () => {
            calls++;
            await new Promise((r) => setTimeout(r, 50));
          },
        },
      ],
    });
    health.setReady();
    const url = await serve(t, health);
    const answers = await Promise.all(Array.from({ length: 10 }, () => get(`${url}/health/ready`)));
    assert.deepEqual(
      answers.map((a) => a.status),
      Array(10).fill(200),
    );
    assert.equal(calls, 1);
    await Promise.all([health.readiness(), health.readiness()]);
    assert.equal(calls, 2);
  });

  it('readiness flips to 503 at once for a probe already waiting on its checks', async (t) => {
    let release: () => void = () => {};
    const health = createHealth({
      checks: [
        {
          name: 'slow',
          check: () =>
            new Promise<void>((r) => {
              release = r;
            }),
        },
      ],
    });
    health.setReady();
    const url = await serve(t, health);
    const pending = get(`${url}/health/ready`);
    await new Promise((r) => setTimeout(r, 30));
    health.setDraining();
    release();
    const r = await pending;
    assert.equal(r.status, 503);
    assert.equal(r.json.state, 'draining');
    assert.equal(r.json.checks?.['slow']?.status, 'pass');
  });

  it('heartbeatCheck fails when the last success is too old or never happened', async () => {
    let last: number | undefined;
    let wall = 1_700_000_000_000;
    const health = createHealth({
      checks: [
        heartbeatCheck({
          name: 'gc_heartbeat',
          maxAgeSeconds: 30,
          lastSuccess: () => last,
          now: () => wall,
        }),
      ],
    });
    assert.equal(
      (await health.readiness()).checks['gc_heartbeat']?.error,
      'TT_HEARTBEAT_STALE: no successful run yet',
    );
    last = wall;
    wall += 30_000;
    assert.equal((await health.readiness()).checks['gc_heartbeat']?.status, 'pass');
    wall += 1;
    assert.equal(
      (await health.readiness()).checks['gc_heartbeat']?.error,
      'TT_HEARTBEAT_STALE: last success 30.0 s ago, older than maxAgeSeconds 30',
    );
  });

  it('eventLoopCheck fails after a stall longer than maxLagMs, then passes again', async () => {
    const health = createHealth({ checks: [eventLoopCheck({ maxLagMs: 100, resolutionMs: 10 })] });
    try {
      await new Promise((r) => setTimeout(r, 50)); // let the monitor take samples
      assert.equal((await health.readiness()).checks['event_loop']?.status, 'pass');
      const end = Date.now() + 250;
      while (Date.now() < end) {
        // block the event loop
      }
      await new Promise((r) => setTimeout(r, 30));
      const failed = (await health.readiness()).checks['event_loop'];
      assert.equal(failed?.status, 'fail');
      assert.match(
        failed?.error ?? '',
        /^TT_EVENT_LOOP_LAG: event loop delay reached \d+\.\d ms since the last run, over maxLagMs 100$/,
      );
      await new Promise((r) => setTimeout(r, 30));
      assert.equal((await health.readiness()).checks['event_loop']?.status, 'pass');
    } finally {
      health.close();
    }
  });
});

describe('state machine', () => {
  it('moves forward, repeats are no-ops, and backward moves throw TT_INVALID_TRANSITION', () => {
    const seen: [HealthState, HealthState][] = [];
    const health = createHealth();
    const off = health.onStateChange((to, from) => seen.push([to, from]));
    assert.equal(health.state, 'starting');
    health.setReady();
    health.setReady();
    assert.equal(health.state, 'ready');
    health.setDraining();
    assert.equal(health.state, 'draining');
    assert.equal(
      codeOf(() => health.setReady()),
      'TT_INVALID_TRANSITION',
    );
    assert.equal(health.state, 'draining');
    health.setDraining();
    health.setStopped();
    assert.equal(
      codeOf(() => health.setDraining()),
      'TT_INVALID_TRANSITION',
    );
    assert.equal(
      codeOf(() => health.setReady()),
      'TT_INVALID_TRANSITION',
    );
    health.setStopped();
    assert.deepEqual(seen, [
      ['ready', 'starting'],
      ['draining', 'ready'],
      ['stopped', 'draining'],
    ]);
    off();
  });

  it('may skip states (shutdown before ready), and the startup probe then stays 503', () => {
    const health = createHealth();
    health.setDraining();
    assert.equal(health.startup().status, 'fail');
    health.setStopped();
    assert.equal(health.state, 'stopped');
    const direct = createHealth();
    direct.setStopped();
    assert.equal(direct.state, 'stopped');
  });

  it('calls listeners synchronously; a listener that throws is logged and the others still run', () => {
    const logger = recordingLogger();
    const health = createHealth({ logger });
    const order: string[] = [];
    health.onStateChange(() => {
      order.push('first');
      throw new Error('listener bug');
    });
    const off = health.onStateChange((to) => order.push(`second:${to}`));
    health.setReady();
    off();
    health.setDraining();
    assert.deepEqual(order, ['first', 'second:ready', 'first']);
    assert.deepEqual(
      logger.calls.filter(([level]) => level === 'error').map(([, msg]) => msg),
      ['Health state listener failed', 'Health state listener failed'],
    );
    assert.deepEqual(
      logger.calls.filter(([, msg]) => msg === 'Health state changed').map(([, , f]) => f),
      [
        { from: 'starting', to: 'ready' },
        { from: 'ready', to: 'draining' },
      ],
    );
  });

  it('logs a check when it starts failing and when it recovers, not on every probe', async () => {
    const logger = recordingLogger();
    let ok = false;
    const health = createHealth({ logger, checks: [{ name: 'dep', check: () => ok }] });
    await health.readiness();
    await health.readiness();
    ok = true;
    await health.readiness();
    await health.readiness();
    assert.deepEqual(
      logger.calls
        .filter(([, msg]) => msg.startsWith('Health check'))
        .map(([level, msg]) => `${level} ${msg}`),
      ['warn Health check failing', 'info Health check recovered'],
    );
  });
});

describe('metrics', () => {
  it('records check_up and the latest duration (exact, injected clock) and the state', async () => {
    const clock = new FakeClock(1_000_000);
    const registry = createRegistry();
    let up = true;
    const health = createHealth({
      registry,
      clock,
      checks: [
        {
          name: 'db',
          check: () => {
            clock.advance(250);
            return up;
          },
        },
        {
          name: 'queue',
          check: async () => {
            clock.advance(1500);
          },
        },
      ],
    });
    await health.readiness();
    const upG = registry.get('telltale_health_check_up');
    const durG = registry.get('telltale_health_check_duration_seconds');
    assert.ok(upG?.type === 'gauge' && durG?.type === 'gauge');
    assert.equal(upG.get({ check: 'db' }), 1);
    assert.equal(upG.get({ check: 'queue' }), 1);
    assert.equal(durG.get({ check: 'db' }), 0.25);
    assert.equal(durG.get({ check: 'queue' }), 1.5);
    up = false;
    await health.readiness();
    assert.equal(upG.get({ check: 'db' }), 0);
    assert.equal(upG.get({ check: 'queue' }), 1);

    const state = registry.get('telltale_health_state');
    assert.ok(state?.type === 'stateset');
    assert.deepEqual(state.labels().get(), ['starting']);
    health.setReady();
    assert.deepEqual(state.labels().get(), ['ready']);
    health.setDraining();
    assert.deepEqual(state.labels().get(), ['draining']);
    health.setStopped();
    assert.deepEqual(state.labels().get(), ['stopped']);

    assert.equal(health.removeCheck('db'), true);
    assert.equal(health.removeCheck('db'), false);
    assert.equal(upG.get({ check: 'db' }), undefined);
  });

  it('a timeout counts as down', async () => {
    const clock = new FakeClock(1_000_000);
    const registry = createRegistry();
    const health = createHealth({
      registry,
      clock,
      checks: [{ name: 'hang', timeoutMs: 10, check: () => new Promise<void>(() => {}) }],
    });
    const report = health.readiness();
    clock.advance(10);
    await report;
    const upG = registry.get('telltale_health_check_up');
    assert.ok(upG?.type === 'gauge');
    assert.equal(upG.get({ check: 'hang' }), 0);
    health.close();
  });
});

describe('option validation', () => {
  const invalid: [string, () => unknown, RegExp][] = [
    [
      'a clock without timers',
      () => createHealth({ clock: { now: () => 1 } as never }),
      /^TT_INVALID_OPTION: createHealth: clock must be a Clock: an object with now\(\), setTimeout\(fn, ms\) and clearTimeout\(handle\)$/,
    ],
    [
      'negative timeout',
      () => createHealth({ checks: [{ name: 'a', check: () => {}, timeoutMs: -1 }] }),
      /checks\[0\]\.timeoutMs \("a"\) must be a finite number of milliseconds > 0, got -1/,
    ],
    [
      'zero timeout',
      () => createHealth({ checks: [{ name: 'a', check: () => {}, timeoutMs: 0 }] }),
      /timeoutMs/,
    ],
    [
      'NaN timeout',
      () => createHealth({ checks: [{ name: 'a', check: () => {}, timeoutMs: Number.NaN }] }),
      /timeoutMs/,
    ],
    [
      'negative cacheMs',
      () => createHealth({ checks: [{ name: 'a', check: () => {}, cacheMs: -5 }] }),
      /cacheMs/,
    ],
    [
      'duplicate name',
      () => createHealth({ checks: [pass, { ...pass }] }),
      /checks\[1\]\.name: duplicate check name "db"; give each check a unique name/,
    ],
    [
      'empty name',
      () => createHealth({ checks: [{ name: '', check: () => {} }] }),
      /name must be a non-empty string/,
    ],
    [
      'long name',
      () => createHealth({ checks: [{ name: 'n'.repeat(65), check: () => {} }] }),
      /at most 64 characters/,
    ],
    [
      'non-function check',
      () => createHealth({ checks: [{ name: 'a', check: 'yes' } as unknown as HealthCheck] }),
      /checks\[0\]\.check \("a"\) must be a function/,
    ],
    [
      'non-boolean critical',
      () =>
        createHealth({
          checks: [{ name: 'a', check: () => {}, critical: 'no' } as unknown as HealthCheck],
        }),
      /critical/,
    ],
    [
      'path without /',
      () => createHealth({ paths: { ready: 'ready' } }),
      /paths\.ready must be a path starting with "\/"/,
    ],
    ['path with ?', () => createHealth({ paths: { live: '/live?x' } }), /paths\.live/],
    [
      'two probes on one path',
      () => createHealth({ paths: { live: '/h', ready: '/h' } }),
      /paths\.ready and paths\.live are both "\/h"/,
    ],
    [
      'a probe moved onto the default path of another that is still on',
      () => createHealth({ paths: { live: '/health' } }),
      /paths\.health and paths\.live are both "\/health"; give each probe its own path or set one to false/,
    ],
    [
      'checks not an array',
      () => createHealth({ checks: pass } as unknown as HealthOptions),
      /checks must be an array/,
    ],
    [
      'bad registry',
      () => createHealth({ registry: {} } as unknown as HealthOptions),
      /registry must be a telltale registry/,
    ],
    [
      'bad version',
      () => createHealth({ version: 1 } as unknown as HealthOptions),
      /version must be a string/,
    ],
    [
      'eventLoopCheck maxLagMs',
      () => eventLoopCheck({ maxLagMs: 0 }),
      /maxLagMs must be a finite number > 0/,
    ],
    [
      'heartbeat maxAgeSeconds',
      () => heartbeatCheck({ name: 'h', maxAgeSeconds: -1, lastSuccess: () => 0 }),
      /maxAgeSeconds/,
    ],
    [
      'heartbeat lastSuccess',
      () => heartbeatCheck({ name: 'h', maxAgeSeconds: 1, lastSuccess: 5 } as never),
      /lastSuccess must be a function/,
    ],
    ['redis client', () => redisCheck({} as never), /client must be an ioredis or node-redis/],
    [
      'redis client passed in place of the options',
      () => redisCheck({ ping: async () => 'PONG' } as never),
      /client must be an ioredis or node-redis .*redisCheck\(\{ client \}\)/,
    ],
    ['redis options', () => redisCheck(null as never), /redisCheck: options must be an object/],
    [
      'health options',
      () => createHealth(null as never),
      /createHealth: options must be an object/,
    ],
    [
      'event-loop options',
      () => eventLoopCheck(null as never),
      /eventLoopCheck: options must be an object/,
    ],
    [
      'heartbeat options',
      () => heartbeatCheck(null as never),
      /heartbeatCheck: options must be an object/,
    ],
  ];
  for (const [what, fn, message] of invalid) {
    it(`throws TT_INVALID_OPTION at construction: ${what}`, () => {
      assert.throws(fn, (err: unknown) => {
        assert.ok(err instanceof TelltaleError);
        assert.equal(err.code, 'TT_INVALID_OPTION');
        assert.match(err.message, message);
        return true;
      });
    });
  }

  it('invalid options leave the registry untouched and start no sampler', () => {
    const registry = createRegistry();
    let started = 0;
    assert.throws(() =>
      createHealth({
        registry,
        checks: [
          { name: 'sampler', check: () => {}, start: () => void started++ },
          { name: 'sampler', check: () => {} },
        ],
      }),
    );
    assert.deepEqual(registry.instruments(), []);
    assert.equal(started, 0);
  });

  it('addCheck validates the same way and rejects a name already in use', () => {
    const health = createHealth({ checks: [pass] });
    assert.equal(
      codeOf(() => health.addCheck({ ...pass })),
      'TT_INVALID_OPTION',
    );
    assert.equal(
      codeOf(() => health.addCheck({ name: 'x', check: () => {}, timeoutMs: -1 })),
      'TT_INVALID_OPTION',
    );
    health.addCheck({ name: 'x', check: () => {} });
    assert.equal(
      codeOf(() => health.addCheck({ name: 'x', check: () => {} })),
      'TT_INVALID_OPTION',
    );
  });
});
