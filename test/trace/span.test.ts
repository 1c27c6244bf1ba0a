// Spans: ids and nesting (sync, async, across awaits and concurrent tasks), status and errors, close events, request spans from headers.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  configureTracing,
  createRequestContext,
  currentContext,
  responseHeaders,
  runWithContext,
  type SpanLogger,
  span,
  startRequestSpan,
  startSpan,
} from '../../src/trace/index.js';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT = '00f067aa0ba902b7';

type Line = { level: string; fields: Record<string, unknown>; msg: string | undefined };
function recorder(enabled = (_: string) => true): SpanLogger & { lines: Line[] } {
  const lines: Line[] = [];
  const m = (level: string) => (fields: unknown, msg?: string) => {
    lines.push({ level, fields: fields as Record<string, unknown>, msg });
  };
  return {
    lines,
    trace: m('trace'),
    debug: m('debug'),
    info: m('info'),
    warn: m('warn'),
    error: m('error'),
    isLevelEnabled: enabled,
  };
}

afterEach(() => {
  configureTracing({ logger: null, level: 'debug', now: () => performance.now(), sampled: true });
});

describe('span()', () => {
  it('outside any context starts a new trace; the request id is the trace id', () => {
    const c = span('root', () => currentContext());
    assert.ok(c);
    assert.match(c.traceId, /^[0-9a-f]{32}$/);
    assert.match(c.spanId, /^[0-9a-f]{16}$/);
    assert.equal(c.parentSpanId, undefined);
    assert.equal(c.requestId, c.traceId);
    assert.equal(c.sampled, true);
    assert.equal(currentContext(), undefined);
  });

  it('nests: a child has the parent trace id, its own span id, and the parent span id', () => {
    span('a', { x: 1 }, (a) => {
      span('b', (b) => {
        assert.equal(b.context.traceId, a.context.traceId);
        assert.notEqual(b.context.spanId, a.context.spanId);
        assert.equal(b.context.parentSpanId, a.context.spanId);
        assert.equal(currentContext(), b.context);
      });
      assert.equal(currentContext(), a.context);
    });
  });

  it('keeps nesting across awaits and between concurrent tasks', async () => {
    await span('parent', async (p) => {
      const seen = await Promise.all(
        [3, 1, 2].map((ms, i) =>
          span(`task${i}`, async (t) => {
            await sleep(ms);
            assert.equal(currentContext(), t.context);
            await span('inner', async (inner) => {
              await sleep(1);
              assert.equal(currentContext()?.parentSpanId, t.context.spanId);
              return inner;
            });
            assert.equal(currentContext(), t.context);
            return t.context.parentSpanId;
          }),
        ),
      );
      assert.deepEqual(seen, [p.context.spanId, p.context.spanId, p.context.spanId]);
      assert.equal(currentContext(), p.context);
    });
  });

  it('returns the value (sync) or the resolved value (async); records ok and the duration', async () => {
    let t = 1000;
    configureTracing({ now: () => t });
    let handle: { durationMs: number | undefined; status: string } | undefined;
    assert.equal(
      span('sync', (s) => {
        handle = s;
        t += 5;
        return 'v';
      }),
      'v',
    );
    assert.equal(handle?.durationMs, 5);
    assert.equal(handle?.status, 'ok');
    const v = await span('async', async (s) => {
      handle = s;
      await sleep(1);
      t += 7;
      return 42;
    });
    assert.equal(v, 42);
    assert.equal(handle?.durationMs, 7);
  });

  it('a throw or rejection sets status error with the message and is rethrown unchanged', async () => {
    const boom = new Error('boom');
    let s1: { status: string; errorMessage: string | undefined; ended: boolean } | undefined;
    assert.throws(
      () =>
        span('sync', (s) => {
          s1 = s;
          throw boom;
        }),
      (e) => e === boom,
    );
    assert.deepEqual([s1?.status, s1?.errorMessage, s1?.ended], ['error', 'boom', true]);
    await assert.rejects(
      span('async', async (s) => {
        s1 = s;
        await sleep(1);
        throw new TypeError('bad type');
      }),
      TypeError,
    );
    assert.deepEqual([s1?.status, s1?.errorMessage], ['error', 'bad type']);
    await assert.rejects(
      span('non-error', async (s) => {
        s1 = s;
        throw 'a string';
      }),
    );
    assert.equal(s1?.errorMessage, 'a string');
    assert.throws(() =>
      span('throws-undefined', (s) => {
        s1 = s;
        throw undefined;
      }),
    );
    assert.deepEqual([s1?.status, s1?.errorMessage], ['error', 'undefined']);
    const manual = startSpan('null-is-ok');
    manual.end(null);
    assert.equal(manual.status, 'ok');
  });

  it('startSpan: manual end, end is idempotent, run() activates without ending', () => {
    const s = startSpan('manual', { k: 'v' });
    assert.equal(currentContext(), undefined);
    s.run(() => assert.equal(currentContext(), s.context));
    assert.equal(s.ended, false);
    s.setAttribute('n', 2);
    assert.deepEqual(s.attributes, { k: 'v', n: 2 });
    s.updateName('renamed');
    s.end(new Error('first'));
    s.end();
    s.updateName('too late');
    assert.equal(s.name, 'renamed');
    s.setAttribute('late', true);
    assert.equal(s.status, 'error');
    assert.equal(s.errorMessage, 'first');
    assert.deepEqual(s.attributes, { k: 'v', n: 2 });
  });

  it('startSpan: parent option (a context, or null for a new trace)', () => {
    const ctx = createRequestContext({ requestId: 'r1' });
    const child = startSpan('c', undefined, { parent: ctx });
    assert.equal(child.context.parentSpanId, ctx.spanId);
    assert.equal(child.context.requestId, 'r1');
    runWithContext(ctx, () => {
      const fresh = startSpan('new', undefined, { parent: null });
      assert.notEqual(fresh.context.traceId, ctx.traceId);
      assert.equal(fresh.context.parentSpanId, undefined);
    });
  });

  it('span(name, attrs, notAFunction) throws TT_INVALID_OPTION', () => {
    assert.throws(() => span('x', {}, undefined as never), { code: 'TT_INVALID_OPTION' });
  });
});

describe('close events', () => {
  it('are logged at the configured level with ids, duration, status and attributes', async () => {
    const log = recorder();
    let t = 0;
    configureTracing({ logger: log, level: 'info', now: () => t });
    const req = startRequestSpan(
      'GET /x',
      { requestId: 'req-9', traceparent: `00-${TRACE}-${PARENT}-01` },
      { 'http.request.method': 'GET' },
    );
    await req.run(async () => {
      await span('db', { table: 'users' }, async () => {
        t += 2.5;
      });
    });
    req.setAttribute('http.response.status_code', 200);
    t += 1;
    req.end();
    assert.equal(log.lines.length, 2);
    const [db, http] = log.lines;
    assert.equal(db?.level, 'info');
    assert.equal(db?.msg, 'span closed');
    assert.deepEqual(db?.fields, {
      table: 'users',
      span: 'db',
      request_id: 'req-9',
      trace_id: TRACE,
      span_id: db?.fields.span_id,
      parent_span_id: req.context.spanId,
      duration_ms: 2.5,
      status: 'ok',
    });
    assert.deepEqual(http?.fields, {
      'http.request.method': 'GET',
      'http.response.status_code': 200,
      span: 'GET /x',
      span_kind: 'server',
      request_id: 'req-9',
      trace_id: TRACE,
      span_id: req.context.spanId,
      parent_span_id: PARENT,
      duration_ms: 3.5,
      status: 'ok',
    });
  });

  it('errors go to errorLevel with the message; a disabled level builds nothing', () => {
    const log = recorder((l) => l !== 'debug');
    configureTracing({ logger: log, level: 'debug', errorLevel: 'warn' });
    span('quiet', () => {});
    assert.throws(() =>
      span('loud', () => {
        throw new Error('nope');
      }),
    );
    assert.equal(log.lines.length, 1);
    assert.equal(log.lines[0]?.level, 'warn');
    assert.equal(log.lines[0]?.fields.error, 'nope');
    assert.equal(log.lines[0]?.fields.status, 'error');
    configureTracing({ errorLevel: 'debug' });
  });

  it('configureTracing validates once: bad level, logger without the method, bad types', () => {
    assert.throws(() => configureTracing({ level: 'loud' as never }), {
      code: 'TT_INVALID_OPTION',
    });
    assert.throws(() => configureTracing({ logger: {} as SpanLogger }), {
      code: 'TT_INVALID_OPTION',
    });
    assert.throws(() => configureTracing({ now: 5 as never }), { code: 'TT_INVALID_OPTION' });
    assert.throws(() => configureTracing({ sampled: 'yes' as never }), {
      code: 'TT_INVALID_OPTION',
    });
  });
});

describe('request spans', () => {
  it('continue a valid incoming trace, keep a valid request id and tracestate', () => {
    const s = startRequestSpan('GET /', {
      requestId: 'abc-123',
      traceparent: `00-${TRACE}-${PARENT}-00`,
      tracestate: 'congo=t61rcWkgMzE',
    });
    assert.equal(s.kind, 'server');
    assert.equal(s.context.requestId, 'abc-123');
    assert.equal(s.context.traceId, TRACE);
    assert.equal(s.context.parentSpanId, PARENT);
    assert.notEqual(s.context.spanId, PARENT);
    assert.equal(s.context.sampled, false);
    assert.equal(s.context.traceState, 'congo=t61rcWkgMzE');
    assert.deepEqual(responseHeaders(s.context), { 'x-request-id': 'abc-123' });
    assert.deepEqual(responseHeaders(s.context, { requestIdHeader: 'request-id' }), {
      'request-id': 'abc-123',
    });
  });

  it('start a new trace (and drop tracestate) on a bad traceparent; replace a bad request id', () => {
    const s = startRequestSpan('GET /', {
      requestId: 'evil\r\nx: y',
      traceparent: `00-${'0'.repeat(32)}-${PARENT}-01`,
      tracestate: 'congo=t61rcWkgMzE',
    });
    assert.notEqual(s.context.traceId, '0'.repeat(32));
    assert.match(s.context.traceId, /^[0-9a-f]{32}$/);
    assert.equal(s.context.parentSpanId, undefined);
    assert.equal(s.context.traceState, undefined);
    assert.match(s.context.requestId, /^[0-9a-f-]{36}$/);
  });

  it('ignore the active context (each request is a new root here)', () => {
    span('outer', (outer) => {
      const s = startRequestSpan('GET /', {});
      assert.notEqual(s.context.traceId, outer.context.traceId);
      assert.equal(s.context.parentSpanId, undefined);
    });
  });

  it('createRequestContext makes the same context without a span; responseHeaders is empty outside', () => {
    const c = createRequestContext({ requestId: 'a', traceparent: `00-${TRACE}-${PARENT}-01` });
    assert.deepEqual(
      [c.requestId, c.traceId, c.parentSpanId, c.sampled],
      ['a', TRACE, PARENT, true],
    );
    assert.deepEqual(responseHeaders(), {});
    runWithContext(c, () => assert.deepEqual(responseHeaders(), { 'x-request-id': 'a' }));
    configureTracing({ generateRequestId: () => 'generated' });
    assert.equal(createRequestContext({ requestId: '' }).requestId, 'generated');
  });

  it('sampled: false makes new traces unsampled', () => {
    configureTracing({ sampled: false });
    assert.equal(startRequestSpan('x').context.sampled, false);
    assert.equal(
      span('y', (s) => s.context.sampled),
      false,
    );
  });
});
