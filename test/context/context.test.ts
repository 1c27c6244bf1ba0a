// The request context: AsyncLocalStorage scoping across awaits and concurrent tasks, plain contexts, JSON form, and nothing active by default.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  currentContext,
  getRequestId,
  logContextFields,
  type RequestContext,
  runWithContext,
} from '../../src/context/index.js';
import { createRequestContext, span } from '../../src/trace/index.js';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT = '00f067aa0ba902b7';

describe('context', () => {
  it('is undefined outside, set inside runWithContext, and restored after', async () => {
    assert.equal(currentContext(), undefined);
    assert.equal(getRequestId(), undefined);
    const ctx = createRequestContext({ requestId: 'req-1' });
    const r = await runWithContext(ctx, async () => {
      await sleep(1);
      assert.equal(getRequestId(), 'req-1');
      assert.equal(currentContext(), ctx);
      return 7;
    });
    assert.equal(r, 7);
    assert.equal(currentContext(), undefined);
  });

  it('accepts a context the caller made (a plain object)', () => {
    const plain: RequestContext = {
      requestId: 'r',
      traceId: TRACE,
      spanId: PARENT,
      sampled: true,
      startTime: 0,
    };
    runWithContext(plain, () => {
      assert.equal(currentContext()?.traceId, TRACE);
      span('child', () => {
        assert.equal(currentContext()?.parentSpanId, PARENT);
        assert.equal(getRequestId(), 'r');
      });
    });
  });

  it('toJSON prints the public fields only', () => {
    const ctx = createRequestContext({ requestId: 'r' });
    assert.deepEqual(Object.keys(JSON.parse(JSON.stringify(ctx))).sort(), [
      'requestId',
      'sampled',
      'spanId',
      'startTime',
      'traceId',
    ]);
  });
});

describe('context scoping', () => {
  it('nothing is active before any context runs', () => {
    assert.equal(currentContext(), undefined);
    assert.equal(getRequestId(), undefined);
    assert.equal(logContextFields(), undefined);
  });

  it('nested runWithContext restores the outer context; concurrent requests stay apart', async () => {
    const a = createRequestContext({ requestId: 'a' });
    const b = createRequestContext({ requestId: 'b' });
    await runWithContext(a, async () => {
      runWithContext(b, () => assert.equal(getRequestId(), 'b'));
      assert.equal(getRequestId(), 'a');
    });
    const ids = await Promise.all(
      ['r1', 'r2', 'r3'].map((id, i) =>
        runWithContext(createRequestContext({ requestId: id }), async () => {
          await sleep(3 - i);
          await Promise.resolve();
          return getRequestId();
        }),
      ),
    );
    assert.deepEqual(ids, ['r1', 'r2', 'r3']);
  });

  it('timers and event callbacks started inside keep the context', async () => {
    const ctx = createRequestContext({ requestId: 'timer' });
    const seen = await runWithContext(
      ctx,
      () =>
        new Promise<string | undefined>((resolve) => setTimeout(() => resolve(getRequestId()), 1)),
    );
    assert.equal(seen, 'timer');
  });
});
