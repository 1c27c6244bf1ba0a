// The Hono middleware without node:http bindings (app.request(), as on Bun, Deno or workers): the Response is all there is.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Hono } from 'hono';
import { telltaleHono } from '../../src/adapters/hono.js';
import { createRegistry } from '../../src/metrics/index.js';

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
});
