// Outgoing propagation: traceHeaders() and startFetchPropagation() against a local node:http server that records what global fetch sent.
import assert from 'node:assert/strict';
import diagnosticsChannel from 'node:diagnostics_channel';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import {
  parseTraceparent,
  span,
  startFetchPropagation,
  startRequestSpan,
  traceHeaders,
} from '../../src/trace/index.js';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT = '00f067aa0ba902b7';

const received: IncomingHttpHeaders[] = [];
const server = createServer((req, res) => {
  received.push(req.headers);
  res.end('ok');
});
let url = '';

before(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
after(() => {
  server.closeAllConnections();
  server.close();
});

async function get(headers?: Record<string, string>): Promise<IncomingHttpHeaders> {
  const r = await fetch(url, headers === undefined ? {} : { headers });
  await r.text();
  const h = received.at(-1);
  assert.ok(h);
  return h;
}

describe('traceHeaders()', () => {
  it('is empty outside a context', () => {
    assert.deepEqual(traceHeaders(), {});
  });
  it('has traceparent (this span as parent), tracestate and the request id inside one', () => {
    const req = startRequestSpan('GET /', {
      requestId: 'rid-1',
      traceparent: `00-${TRACE}-${PARENT}-01`,
      tracestate: 'a=1',
    });
    req.run(() =>
      span('call', (s) => {
        assert.deepEqual(traceHeaders(), {
          traceparent: `00-${TRACE}-${s.context.spanId}-01`,
          tracestate: 'a=1',
          'x-request-id': 'rid-1',
        });
        assert.deepEqual(Object.keys(traceHeaders(undefined, { requestIdHeader: false })), [
          'traceparent',
          'tracestate',
        ]);
      }),
    );
  });
});

describe('startFetchPropagation()', () => {
  it('adds traceparent and x-request-id to fetch inside a span, not outside; off after stop()', async () => {
    const propagation = startFetchPropagation();
    try {
      const outside = await get();
      assert.equal(outside.traceparent, undefined);
      assert.equal(outside['x-request-id'], undefined);

      const req = startRequestSpan('GET /in', { requestId: 'rid-2' });
      const { h, spanId } = await req.run(() =>
        span('outgoing', async (s) => ({ h: await get(), spanId: s.context.spanId })),
      );
      req.end();
      const tp = parseTraceparent(h.traceparent);
      assert.equal(tp?.traceId, req.context.traceId);
      assert.equal(tp?.parentId, spanId);
      assert.equal(tp?.sampled, true);
      assert.equal(h['x-request-id'], 'rid-2');
      assert.equal(h.tracestate, undefined);
    } finally {
      propagation.stop();
      propagation.stop();
    }
    const afterOff = await span('off', () => get());
    assert.equal(afterOff.traceparent, undefined);
  });

  it('keeps headers the caller set (no duplicates); a custom request id header; tracestate passed on', async () => {
    const propagation = startFetchPropagation({ requestIdHeader: 'X-Correlation-Id' });
    try {
      const req = startRequestSpan('GET /', {
        requestId: 'rid-3',
        traceparent: `00-${TRACE}-${PARENT}-00`,
        tracestate: 'v=1',
      });
      const own = `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01`;
      const h1 = await req.run(() => get({ traceparent: own, 'x-correlation-id': 'mine' }));
      assert.equal(h1.traceparent, own);
      assert.equal(h1['x-correlation-id'], 'mine');
      assert.equal(h1.tracestate, undefined);
      const h2 = await req.run(() => get());
      assert.equal(h2.traceparent, `00-${TRACE}-${req.context.spanId}-00`);
      assert.equal(h2.tracestate, 'v=1');
      assert.equal(h2['x-correlation-id'], 'rid-3');
      assert.equal(h2['x-request-id'], undefined);
    } finally {
      propagation.stop();
    }
  });

  it('requestIdHeader: false sends no request id', async () => {
    const propagation = startFetchPropagation({ requestIdHeader: false });
    try {
      const req = startRequestSpan('GET /', { requestId: 'rid-4' });
      const h = await req.run(() => get());
      req.end();
      assert.equal(h.traceparent, `00-${req.context.traceId}-${req.context.spanId}-01`);
      assert.equal(h['x-request-id'], undefined);
    } finally {
      propagation.stop();
    }
  });

  it('refuses bad options with TT_INVALID_OPTION naming the factory, before subscribing', () => {
    const example = "{ requestIdHeader: 'x-correlation-id' }";
    const cases: [unknown, string][] = [
      [null, `options must be an object, such as ${example}, got null`],
      ['x-request-id', `options must be an object, such as ${example}, got string`],
      [false, `options must be an object, such as ${example}, got boolean`],
      [
        { requestIdHeader: 'bad header' },
        'requestIdHeader must be a header name or false, got "bad header"',
      ],
      [{ requestIdHeader: true }, 'requestIdHeader must be a header name or false, got true'],
      [{ requestIdHeader: 7 }, 'requestIdHeader must be a header name or false, got 7'],
      [{ requestIdHeader: null }, 'requestIdHeader must be a header name or false, got null'],
    ];
    const subscribers = diagnosticsChannel.channel('undici:request:create').hasSubscribers;
    for (const [options, message] of cases) {
      assert.throws(() => startFetchPropagation(options as never), {
        name: 'TelltaleError',
        code: 'TT_INVALID_OPTION',
        message: `TT_INVALID_OPTION: startFetchPropagation: ${message}`,
      });
    }
    assert.equal(diagnosticsChannel.channel('undici:request:create').hasSubscribers, subscribers);
  });
});
