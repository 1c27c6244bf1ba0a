// Spans: ids and nesting (sync, async, across awaits and concurrent tasks), status and errors, close events, request spans from headers.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { currentContext, runWithContext } from '../../src/context/index.js';
import { createRegistry, defaultRegistry } from '../../src/metrics/index.js';
import {
  createRequestContext,
  createTelemetry,
  defaultTelemetry,
  responseHeaders,
  span,
  startRequestSpan,
  startSpan,
} from '../../src/trace/index.js';
import { recorder } from './span-recorder.js';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT = '00f067aa0ba902b7';

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
    const tel = createTelemetry({ tracing: { now: () => t } });
    let handle: { durationMs: number | undefined; status: string } | undefined;
    assert.equal(
      tel.span('sync', (s) => {
        handle = s;
        t += 5;
        return 'v';
      }),
      'v',
    );
    assert.equal(handle?.durationMs, 5);
    assert.equal(handle?.status, 'ok');
    const v = await tel.span('async', async (s) => {
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
    const tel = createTelemetry({ logger: log, tracing: { level: 'info', now: () => t } });
    const req = tel.startRequestSpan(
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
    const tel = createTelemetry({ logger: log, tracing: { level: 'debug', errorLevel: 'warn' } });
    tel.span('quiet', () => {});
    assert.throws(() =>
      tel.span('loud', () => {
        throw new Error('nope');
      }),
    );
    assert.equal(log.lines.length, 1);
    assert.equal(log.lines[0]?.level, 'warn');
    assert.equal(log.lines[0]?.fields.error, 'nope');
    assert.equal(log.lines[0]?.fields.status, 'error');
  });

  it('tracing.logger overrides the telemetry logger for spans; null logs none', () => {
    const main = recorder();
    const spans = recorder();
    createTelemetry({ logger: main, tracing: { logger: spans } }).span('a', () => {});
    createTelemetry({ logger: main, tracing: { logger: null } }).span('b', () => {});
    assert.deepEqual(
      spans.lines.map((l) => l.fields.span),
      ['a'],
    );
    assert.equal(main.lines.length, 0);
  });

  it('createTelemetry validates once: bad level, logger without the method, bad types', () => {
    const bad = (options: unknown, message: string) =>
      assert.throws(() => createTelemetry(options as never), {
        code: 'TT_INVALID_OPTION',
        message: `TT_INVALID_OPTION: createTelemetry: ${message}`,
      });
    bad(5, 'options must be an object');
    bad(
      { tracing: { level: 'loud' } },
      'tracing.level must be one of trace, debug, info, warn, error, got loud',
    );
    bad(
      { tracing: { errorLevel: 1 } },
      'tracing.errorLevel must be one of trace, debug, info, warn, error, got 1',
    );
    bad(
      { logger: {} },
      'the span logger (logger) has no "debug" method; pass tracing.logger: null to log no spans',
    );
    bad(
      { tracing: { logger: { debug() {} }, errorLevel: 'warn' } },
      'the span logger (tracing.logger) has no "warn" method; pass tracing.logger: null to log no spans',
    );
    bad({ logger: 'console' }, 'logger must be a logger object (createLogger(), pino or console)');
    bad({ tracing: { now: 5 } }, 'tracing.now must be a function, got number');
    bad({ tracing: { sampled: 'yes' } }, 'tracing.sampled must be true or false, got yes');
    bad({ tracing: { openTelemetry: 1 } }, 'tracing.openTelemetry must be true or false, got 1');
    bad(
      { tracing: { exemplars: 'on' } },
      'tracing.exemplars must be true, false or { sampledOnly }, got on',
    );
    bad(
      { tracing: { exemplars: { sampledOnly: 1 } } },
      'tracing.exemplars.sampledOnly must be true or false, got 1',
    );
    bad({ tracing: 1 }, 'tracing must be an object');
    bad({ requestId: 1 }, 'requestId must be an object');
    bad({ requestId: { generate: 'uuid' } }, 'requestId.generate must be a function, got string');
    bad({ requestId: { accept: /x/ } }, 'requestId.accept must be a function, got object');
    bad(
      { registry: {} },
      'registry must be a telltale registry (from createRegistry()); omit it for defaultRegistry()',
    );
  });
});

describe('telemetry instances', () => {
  it('two telemetries configuring tracing do not overwrite each other', () => {
    const logA = recorder();
    const logB = recorder();
    let tb = 100;
    const a = createTelemetry({ logger: logA, tracing: { level: 'info' } });
    const b = createTelemetry({
      logger: logB,
      tracing: { level: 'warn', sampled: false, now: () => tb },
    });
    const sa = a.startSpan('from-a');
    const sb = b.startSpan('from-b');
    tb += 4;
    sb.end();
    sa.end();
    assert.deepEqual(
      logA.lines.map((l) => [l.level, l.fields.span]),
      [['info', 'from-a']],
    );
    assert.deepEqual(
      logB.lines.map((l) => [l.level, l.fields.span, l.fields.duration_ms]),
      [['warn', 'from-b', 4]],
    );
    assert.equal(sa.context.sampled, true);
    assert.equal(sb.context.sampled, false);
  });

  it('spans inside a telemetry’s request belong to it; outside any context, to the default telemetry', async () => {
    const log = recorder();
    const tel = createTelemetry({ logger: log });
    const req = tel.startRequestSpan('GET /', { requestId: 'r-1' });
    await req.run(async () => {
      await sleep(1);
      span('inner', () => startSpan('manual').end());
    });
    req.end();
    span('outside', () => {});
    assert.deepEqual(
      log.lines.map((l) => [l.fields.span, l.fields.request_id]),
      [
        ['manual', 'r-1'],
        ['inner', 'r-1'],
        ['GET /', 'r-1'],
      ],
    );
  });

  it('a context from telemetry.createRequestContext carries the telemetry into runWithContext', () => {
    const log = recorder();
    const tel = createTelemetry({ logger: log });
    runWithContext(tel.createRequestContext({ requestId: 'r-2' }), () => span('in-ctx', () => {}));
    // A plain context made elsewhere belongs to no telemetry: the default one (no logger).
    runWithContext(createRequestContext({ requestId: 'r-3' }), () => span('plain', () => {}));
    assert.deepEqual(
      log.lines.map((l) => [l.fields.span, l.fields.request_id]),
      [['in-ctx', 'r-2']],
    );
  });

  it('the default telemetry is created once and records into defaultRegistry()', () => {
    assert.equal(defaultTelemetry(), defaultTelemetry());
    assert.equal(defaultTelemetry().registry, defaultRegistry());
    assert.equal(defaultTelemetry().logger, undefined);
    const registry = createRegistry();
    assert.equal(createTelemetry({ registry }).registry, registry);
  });

  it('request-id rules: generate makes missing ids, accept narrows the valid ones only', () => {
    let n = 0;
    const tel = createTelemetry({
      requestId: { generate: () => `gen-${++n}`, accept: (id) => id.startsWith('req-') },
    });
    assert.equal(tel.resolveRequestId('req-7'), 'req-7');
    assert.equal(tel.resolveRequestId('other-7'), 'gen-1');
    assert.equal(tel.resolveRequestId(undefined), 'gen-2');
    // accept is asked only about ids that are already header-safe.
    const asked: string[] = [];
    const open = createTelemetry({
      requestId: {
        accept: (id) => {
          asked.push(id);
          return true;
        },
      },
    });
    assert.match(open.resolveRequestId('req-\r\nx'), /^[0-9a-f-]{36}$/);
    assert.match(open.resolveRequestId(['a', 'b']), /^[0-9a-f-]{36}$/);
    assert.equal(open.resolveRequestId('ok-1'), 'ok-1');
    assert.deepEqual(asked, ['ok-1']);
    assert.equal(tel.startRequestSpan('GET /', { requestId: 'x' }).context.requestId, 'gen-3');
    assert.equal(tel.createRequestContext({ requestId: 'req-9' }).requestId, 'req-9');
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
    const tel = createTelemetry({ requestId: { generate: () => 'generated' } });
    assert.equal(tel.createRequestContext({ requestId: '' }).requestId, 'generated');
  });

  it('sampled: false makes new traces unsampled', () => {
    const tel = createTelemetry({ tracing: { sampled: false } });
    assert.equal(tel.startRequestSpan('x').context.sampled, false);
    assert.equal(
      tel.span('y', (s) => s.context.sampled),
      false,
    );
    assert.equal(startRequestSpan('z').context.sampled, true);
  });
});
