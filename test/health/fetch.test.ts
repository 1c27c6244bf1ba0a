// health.fetch: the probes served by a fetch handler (Hono's app.fetch with Request objects, no node:http server), with the statuses, headers and JSON of the node:http handlers.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Hono } from 'hono';
import { createHealth, type Health, type HealthCheck } from '../../src/health/index.js';
import { FakeClock } from '../internal/fake-clock.js';

/** A Hono app with every probe path routed to `health.fetch`, as the docs show. */
function honoWith(health: Health): Hono {
  const app = new Hono();
  for (const p of Object.values(health.paths)) if (p) app.all(p, (c) => health.fetch(c.req.raw));
  app.get('/', (c) => c.text('app'));
  return app;
}

interface Answer {
  status: number;
  body: string;
  headers: Record<string, string>;
}

async function call(app: Hono, path: string, method = 'GET'): Promise<Answer> {
  const res = await app.fetch(new Request(`http://localhost${path}`, { method }));
  return { status: res.status, body: await res.text(), headers: Object.fromEntries(res.headers) };
}

const json = (a: Answer): unknown => JSON.parse(a.body);
const pass: HealthCheck = { name: 'db', check: () => {} };

describe('health.fetch through Hono app.fetch (no node:http)', () => {
  it('answers each probe in each state with the documented status, headers and JSON', async () => {
    const clock = new FakeClock(1_000_000);
    const health = createHealth({ version: '1.2.3', checks: [pass], clock });
    const app = honoWith(health);
    clock.advance(2500);
    try {
      let r = await call(app, '/health/ready');
      assert.equal(r.status, 503);
      assert.deepEqual(json(r), {
        status: 'fail',
        version: '1.2.3',
        uptime_seconds: 2.5,
        state: 'starting',
        checks: { db: { status: 'pass', critical: true, duration_ms: 0 } },
      });
      assert.deepEqual(r.headers, {
        'cache-control': 'no-store',
        'content-length': String(Buffer.byteLength(r.body)),
        'content-type': 'application/json; charset=utf-8',
      });
      assert.equal((await call(app, '/health')).status, 503);
      r = await call(app, '/health/startup');
      assert.deepEqual(
        [r.status, json(r)],
        [503, { status: 'fail', version: '1.2.3', uptime_seconds: 2.5, state: 'starting' }],
      );
      r = await call(app, '/health/live?verbose=1');
      assert.deepEqual(
        [r.status, json(r)],
        [200, { status: 'ok', version: '1.2.3', uptime_seconds: 2.5, state: 'starting' }],
      );

      health.setReady();
      r = await call(app, '/health/ready');
      assert.deepEqual(
        [r.status, json(r)],
        [
          200,
          {
            status: 'ok',
            version: '1.2.3',
            uptime_seconds: 2.5,
            state: 'ready',
            checks: { db: { status: 'pass', critical: true, duration_ms: 0 } },
          },
        ],
      );
      assert.equal((await call(app, '/health/startup')).status, 200);

      health.setDraining();
      r = await call(app, '/health');
      assert.equal(r.status, 503);
      assert.deepEqual(json(r), {
        status: 'fail',
        version: '1.2.3',
        uptime_seconds: 2.5,
        state: 'draining',
        checks: { db: { status: 'pass', critical: true, duration_ms: 0 } },
      });
      assert.equal((await call(app, '/health/live')).status, 200, 'liveness stays 200');
      assert.equal((await call(app, '/')).body, 'app', 'other routes are the app’s');
    } finally {
      health.close();
    }
  });

  it('HEAD has the headers without a body; other methods get 405 with Allow', async () => {
    const health = createHealth({ version: 'v', clock: new FakeClock(0) });
    const app = honoWith(health);
    try {
      const head = await call(app, '/health/live', 'HEAD');
      const get = await call(app, '/health/live');
      assert.equal(head.status, 200);
      assert.equal(head.body, '');
      assert.equal(head.headers['content-length'], String(Buffer.byteLength(get.body)));
      const post = await call(app, '/health/ready', 'POST');
      assert.deepEqual(post, {
        status: 405,
        body: '{"error":"method not allowed: use GET or HEAD"}',
        headers: {
          allow: 'GET, HEAD',
          'cache-control': 'no-store',
          'content-length': '47',
          'content-type': 'application/json; charset=utf-8',
        },
      });
    } finally {
      health.close();
    }
  });

  it('waits for a slow check and answers 404 for a path that is no probe', async () => {
    let release: (() => void) | undefined;
    const slow: HealthCheck = {
      name: 'slow',
      check: () =>
        new Promise<void>((resolve) => {
          release = resolve;
        }),
    };
    const health = createHealth({ version: 'v', checks: [slow], clock: new FakeClock(0) });
    health.setReady();
    try {
      const pending = health.fetch(new Request('http://localhost/health/ready'));
      assert.ok(release, 'the check runs as the probe asks');
      release();
      const res = await pending;
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), {
        status: 'ok',
        version: 'v',
        uptime_seconds: 0,
        state: 'ready',
        checks: { slow: { status: 'pass', critical: true, duration_ms: 0 } },
      });
      const missing = await health.fetch(new Request('http://localhost/nope'));
      assert.equal(missing.status, 404);
      assert.equal(await missing.text(), '{"error":"not found"}');
      const moved = createHealth({
        paths: { ready: '/readyz', health: false },
        clock: new FakeClock(0),
      });
      moved.setReady();
      assert.equal((await moved.fetch(new Request('https://svc.example/readyz'))).status, 200);
      assert.equal((await moved.fetch(new Request('https://svc.example/health'))).status, 404);
      moved.close();
    } finally {
      health.close();
    }
  });
});
