// The Hono middleware without node:http bindings (app.request(), as on Bun, Deno or workers): the Response is all there is.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Hono } from 'hono';
import { instrumentHono, telltaleHono } from '../../src/adapters/hono.js';
import { currentContext } from '../../src/context/index.js';
import { createRegistry, labelsOf } from '../../src/metrics/index.js';
import { numberOf, series as pointsOf } from './conformance.js';

describe('telltaleHono without @hono/node-server', () => {
  it('records route, status and Content-Length from the Response, echoes the request id', async () => {
    const registry = createRegistry();
    const app = new Hono();
    const mw = telltaleHono({ registry, requestId: true });
    app.use(mw);
    app.get('/hello/:name', (c) =>
      c.body(`hello ${c.req.param('name')}`, 200, { 'content-length': '9' }),
    );
    app.get('/metrics', (c) => c.text('x'));
    const r = await app.request('/hello/ann', { headers: { 'x-request-id': 'abc' } });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('x-request-id'), 'abc');
    await app.request('/nope', { method: 'PURGE' });
    await app.request('/metrics');
    const m = mw.instrumentation.metrics;
    assert.ok(m);
    assert.equal(m.requests.get({ method: 'GET', route: '/hello/:name', status: 200 }), 1);
    assert.equal(m.requests.get({ method: 'OTHER', route: 'unmatched', status: 404 }), 1);
    assert.equal(m.responseSize.point({ method: 'GET', route: '/hello/:name' })?.sum, 9);
    assert.equal(m.inFlight.get(), 0);
    assert.equal(m.requests.seriesCount, 2);
  });

  it('answers 400 to a malformed percent-encoding before routing, in both forms, recorded as unmatched', async () => {
    for (const form of ['middleware', 'app'] as const) {
      const registry = createRegistry();
      const app = new Hono();
      if (form === 'middleware') app.use(telltaleHono({ registry, requestId: true }));
      let reached = 0;
      app.get('/hello/:name', (c) => {
        reached++;
        return c.text(`hello ${c.req.param('name')}`);
      });
      const fetch =
        form === 'middleware' ? app.fetch : instrumentHono(app, { registry, requestId: true });
      const get = (path: string): Promise<Response> =>
        Promise.resolve(
          fetch(new Request(`http://localhost${path}`, { headers: { 'x-request-id': 'r1' } })),
        );
      const bad = await get('/hello/%ZZ');
      assert.equal(bad.status, 400, form);
      assert.equal(await bad.text(), 'Bad Request');
      assert.equal(bad.headers.get('x-request-id'), 'r1');
      const ok = await get('/hello/caf%C3%A9?q=%ZZ');
      assert.equal(await ok.text(), 'hello café');
      assert.equal(reached, 1, 'the app never saw the malformed path');
      const series = pointsOf(registry, 'http_requests');
      assert.deepEqual(
        series.map((s) => {
          const l = labelsOf(s);
          return [l.method, l.route, l.status, numberOf(s)];
        }),
        [
          ['GET', 'unmatched', '400', 1],
          ['GET', '/hello/:name', '200', 1],
        ],
        form,
      );
    }
  });
});

describe('the one header reader on fetch runtimes', () => {
  const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
  const tracestate = 'congo=t61rcWkgMzE,rojo=00f067aa0ba902b7';

  it('request id, traceparent and tracestate reach the request context, in both forms, without node:http', async () => {
    for (const form of ['middleware', 'app'] as const) {
      const registry = createRegistry();
      const app = new Hono();
      const options = { registry, requestId: true, tracing: true } as const;
      if (form === 'middleware') app.use(telltaleHono(options));
      app.get('/trace', (c) => {
        const ctx = currentContext();
        return c.json({
          requestId: ctx?.requestId,
          traceId: ctx?.traceId,
          parentSpanId: ctx?.parentSpanId,
          traceState: ctx?.traceState,
        });
      });
      const fetch = form === 'middleware' ? app.fetch : instrumentHono(app, options);
      const res = await fetch(
        new Request('http://localhost/trace', {
          headers: { 'x-request-id': 'req-7', traceparent, tracestate },
        }),
      );
      assert.equal(res.status, 200, form);
      assert.equal(res.headers.get('x-request-id'), 'req-7', form);
      assert.deepEqual(
        await res.json(),
        {
          requestId: 'req-7',
          traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
          parentSpanId: '00f067aa0ba902b7',
          traceState: tracestate,
        },
        form,
      );
    }
  });
});
