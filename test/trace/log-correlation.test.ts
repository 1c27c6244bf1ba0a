// Log correlation end to end: every createLogger() line inside a request or span carries request_id, trace_id and span_id, with nothing passed by the caller.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { logContextFields, runWithContext } from '../../src/context/index.js';
import { createLogger } from '../../src/log/index.js';
import {
  createRequestContext,
  createTelemetry,
  span,
  startRequestSpan,
} from '../../src/trace/index.js';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({
    env: { LOG_LEVEL: 'debug' },
    destination: { write: (s: string) => void lines.push(JSON.parse(s)) },
  });
  return { logger, lines };
}

describe('log correlation', () => {
  it('lines inside a request span and its child spans carry the active ids; outside none', async () => {
    const { logger, lines } = capture();
    logger.info('before');
    const req = startRequestSpan('GET /orders', {
      requestId: 'req-77',
      traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    });
    const childId = await req.run(async () => {
      logger.info('in request');
      return span('db', async (s) => {
        await sleep(1);
        logger.named('storage').debug({ rows: 3 }, 'query done');
        return s.context.spanId;
      });
    });
    req.end();
    logger.info('after');
    const [before, inRequest, query, afterLine] = lines;
    for (const l of [before, afterLine]) {
      assert.equal(l?.request_id, undefined);
      assert.equal(l?.trace_id, undefined);
      assert.equal(l?.span_id, undefined);
    }
    assert.equal(inRequest?.request_id, 'req-77');
    assert.equal(inRequest?.trace_id, '4bf92f3577b34da6a3ce929d0e0e4736');
    assert.equal(inRequest?.span_id, req.context.spanId);
    assert.equal(query?.request_id, 'req-77');
    assert.equal(query?.trace_id, '4bf92f3577b34da6a3ce929d0e0e4736');
    assert.equal(query?.span_id, childId);
    assert.equal(query?.rows, 3);
    assert.equal(query?.msg, 'query done');
  });

  it('a plain runWithContext is enough; the caller’s own fields win', () => {
    const { logger, lines } = capture();
    const ctx = createRequestContext({ requestId: 'r-1' });
    runWithContext(ctx, () => {
      logger.warn('plain');
      logger.warn({ request_id: 'override' }, 'explicit');
    });
    assert.equal(lines[0]?.request_id, 'r-1');
    assert.equal(lines[0]?.trace_id, ctx.traceId);
    assert.equal(lines[0]?.span_id, ctx.spanId);
    assert.equal(lines[1]?.request_id, 'override');
    assert.equal(lines.filter((l) => 'request_id' in l).length, 2);
  });

  it('span close events logged through createLogger carry the closing span’s ids', () => {
    const { logger, lines } = capture();
    const telemetry = createTelemetry({ logger, tracing: { level: 'debug' } });
    const ids = telemetry.span('outer', (o) =>
      span('inner', (i) => ({ outer: o.context.spanId, inner: i.context.spanId })),
    );
    const inner = lines.find((l) => l.span === 'inner');
    assert.equal(inner?.span_id, ids.inner);
    assert.equal(inner?.parent_span_id, ids.outer);
    assert.equal(inner?.msg, 'span closed');
    assert.equal(inner?.status, 'ok');
    assert.equal(typeof inner?.duration_ms, 'number');
  });

  it('logContextFields returns one cached object per span', () => {
    span('s', () => {
      const a = logContextFields();
      assert.ok(a);
      assert.equal(logContextFields(), a);
      assert.ok(Object.isFrozen(a));
    });
    assert.equal(logContextFields(), undefined);
  });
});
