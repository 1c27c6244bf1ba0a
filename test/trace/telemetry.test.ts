// Telemetry instances: two in one process serving requests concurrently do not interfere, and an omitted registry means defaultRegistry() in every factory, which createMetricsServer() serves.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import express from 'express';
import { telltaleExpress } from '../../src/adapters/express.js';
import { instrumentHandler, setRoute } from '../../src/adapters/node-http.js';
import { currentContext } from '../../src/context/index.js';
import { encodeOpenMetrics } from '../../src/exposition/index.js';
import { createHealth } from '../../src/health/index.js';
import { createLifecycle, createPeriodicTask } from '../../src/lifecycle/index.js';
import { createRegistry, defaultRegistry } from '../../src/metrics/index.js';
import { createMetricsServer } from '../../src/server/index.js';
import { createTelemetry, defaultTelemetry, span } from '../../src/trace/index.js';
import { send } from '../adapters/conformance.js';
import { pollUntil } from '../helpers/index.js';
import { recorder } from './span-recorder.js';

async function listen(server: Server): Promise<string> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

describe('two telemetries in one process', () => {
  it('serving requests concurrently, neither sees the other’s registry, logger, ids, levels or exemplars', async (t) => {
    // A: Express, exemplars on, spans at info, ids a-N. B: node:http, exemplars off, spans at
    // warn, ids b-N. Both in full mode, each handler awaiting inside a span of its own.
    const regA = createRegistry();
    const regB = createRegistry();
    const logA = recorder();
    const logB = recorder();
    let na = 0;
    let nb = 0;
    const a = createTelemetry({
      registry: regA,
      logger: logA,
      tracing: { level: 'info', exemplars: true },
      requestId: { generate: () => `a-${++na}` },
    });
    const b = createTelemetry({
      registry: regB,
      logger: logB,
      tracing: { level: 'warn' },
      requestId: { generate: () => `b-${++nb}` },
    });
    const workA = regA.counter({ name: 'work', help: 'Work done.' });
    const workB = regB.counter({ name: 'work', help: 'Work done.' });
    const seen: string[] = [];

    const appA = express();
    appA.use(telltaleExpress({ telemetry: a, requestId: true, tracing: true, accessLog: true }));
    appA.get('/a/:id', async (req, res) => {
      const id = await span('work', async () => {
        await sleep(Number(req.params.id) % 3);
        workA.inc();
        return currentContext()?.requestId;
      });
      seen.push(`A ${id} ${res.getHeader('x-request-id')}`);
      res.end(id);
    });
    const serverA = createServer(appA);
    const handlerB = instrumentHandler(
      async (req, res) => {
        setRoute(req, '/b/:id');
        const id = await span('work', async () => {
          await sleep(Number(req.url?.slice(3)) % 2);
          workB.inc();
          return currentContext()?.requestId;
        });
        seen.push(`B ${id} ${res.getHeader('x-request-id')}`);
        res.end(id);
      },
      { telemetry: b, requestId: true, tracing: true, accessLog: true },
    );
    const serverB = createServer(handlerB);
    const [urlA, urlB] = await Promise.all([listen(serverA), listen(serverB)]);
    t.after(() => Promise.all([close(serverA), close(serverB)]));

    const N = 12;
    const replies = await Promise.all(
      Array.from({ length: N }, (_, i) => [
        send(urlA, 'GET', `/a/${i}`),
        send(urlB, 'GET', `/b/${i}`),
      ]).flat(),
    );
    const bodies = replies.map((r) => r.body).sort();
    assert.deepEqual(bodies, [
      ...Array.from({ length: N }, (_, i) => `a-${i + 1}`).sort(),
      ...Array.from({ length: N }, (_, i) => `b-${i + 1}`).sort(),
    ]);
    for (const r of replies) assert.equal(r.headers['x-request-id'], r.body);
    // Inside each handler the context was its own request's, under its own telemetry.
    for (const s of seen) {
      const [who, id, header] = s.split(' ');
      assert.equal(id, header);
      assert.ok(id?.startsWith(who === 'A' ? 'a-' : 'b-'), s);
    }
    assert.equal(na, N);
    assert.equal(nb, N);

    // Metrics: each registry has its own requests only.
    const routes = (reg: typeof regA) =>
      (reg.snapshot().http_requests?.points ?? []).map((p) => [
        p.labels.route,
        (p as { value?: number }).value,
      ]);
    await pollUntil(
      () => (routes(regA)[0]?.[1] === N && routes(regB)[0]?.[1] === N ? true : undefined),
      { description: 'both registries recorded every request', timeoutMs: 5000, intervalMs: 10 },
    );
    assert.deepEqual(routes(regA), [['/a/:id', N]]);
    assert.deepEqual(routes(regB), [['/b/:id', N]]);
    assert.equal(workA.get(), N);
    assert.equal(workB.get(), N);

    // Logs: span-close events at each telemetry's level, access lines at info, ids of its own.
    const summary = (log: typeof logA) =>
      log.lines
        .map((l) => `${l.level} ${l.msg === 'span closed' ? l.fields.span : l.msg}`)
        .reduce<Record<string, number>>((acc, k) => {
          acc[k] = (acc[k] ?? 0) + 1;
          return acc;
        }, {});
    assert.deepEqual(summary(logA), {
      'info work': N,
      'info GET /a/:id': N,
      'info request finished': N,
    });
    assert.deepEqual(summary(logB), {
      'warn work': N,
      'warn GET /b/:id': N,
      'info request finished': N,
    });
    for (const l of logA.lines) assert.match(String(l.fields.request_id), /^a-\d+$/);
    for (const l of logB.lines) assert.match(String(l.fields.request_id), /^b-\d+$/);

    // Exemplars: A's work counter carries the trace id of one of A's requests; B's has none.
    const traceIdsA = new Set(logA.lines.map((l) => l.fields.trace_id));
    const exA = workA.point()?.exemplar?.labels.trace_id;
    assert.ok(exA !== undefined && traceIdsA.has(exA), `exemplar ${exA} is one of A's traces`);
    assert.equal(workB.point()?.exemplar, undefined);
    assert.doesNotMatch(encodeOpenMetrics(regB.gatherSync()), /trace_id/);
  });
});

describe('an omitted registry', () => {
  it('means defaultRegistry() in every factory, and createMetricsServer() serves it', async (t) => {
    assert.equal(defaultTelemetry().registry, defaultRegistry());
    const app = express();
    app.use(telltaleExpress());
    app.get('/hello', (_req, res) => {
      res.end('hi');
    });
    const server = createServer(app);
    const url = await listen(server);
    t.after(() => close(server));
    const health = createHealth({ version: '1' });
    t.after(() => health.close());
    createLifecycle({ exit: () => {} });
    const task = createPeriodicTask({
      name: 'job',
      intervalMs: 60_000,
      timeoutMs: 1000,
      maxAttempts: 3,
      runOnStart: false,
      run: async () => {},
    });
    t.after(() => task.stop());

    const metrics = await createMetricsServer({ port: 0 });
    if (!metrics.enabled) throw new Error('expected a running server');
    t.after(() => metrics.close());
    assert.equal((await send(url, 'GET', '/hello')).body, 'hi');
    // The request is recorded when its response closes: poll the endpoint until it shows.
    const body = await pollUntil(
      async () => {
        const r = await send(`http://127.0.0.1:${metrics.port}`, 'GET', '/metrics');
        return r.body.includes('http_requests_total{method="GET",route="/hello",status="200"} 1')
          ? r.body
          : undefined;
      },
      { description: 'the default endpoint serves the request', timeoutMs: 5000, intervalMs: 20 },
    );
    for (const line of [
      'http_requests_total{method="GET",route="/hello",status="200"} 1',
      'telltale_health_state{telltale_health_state="starting"} 1',
      'telltale_shutdown_phase_duration_seconds{phase="total"} 0',
      'telltale_task_runs_total{task="job",outcome="success"} 0',
    ]) {
      assert.ok(body.includes(line), `the default registry's endpoint serves ${line}`);
    }
  });

  it('metrics: false records nothing, and an explicit registry wins over the telemetry’s', async () => {
    const before = defaultRegistry()
      .gatherSync()
      .map((f) => f.name);
    const health = createHealth({ metrics: false });
    health.close();
    createLifecycle({ exit: () => {}, metrics: false });
    createPeriodicTask({
      name: 'quiet',
      intervalMs: 60_000,
      timeoutMs: 1000,
      maxAttempts: 1,
      metrics: false,
      run: async () => {},
    });
    const own = createRegistry();
    const tel = createTelemetry({ registry: createRegistry() });
    const mw = telltaleExpress({ telemetry: tel, registry: own });
    assert.ok(own.gatherSync().some((f) => f.name === 'http_requests'));
    assert.ok(mw.instrumentation.metrics !== undefined);
    assert.deepEqual(tel.registry.gatherSync(), []);
    assert.deepEqual(
      defaultRegistry()
        .gatherSync()
        .map((f) => f.name)
        .filter((n) => !before.includes(n)),
      [],
    );
  });
});
