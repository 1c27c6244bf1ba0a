// Collect callbacks: sync and async, bounded by a timeout, isolated by an error boundary, counted and logged once.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type LogFields, logArgs } from '../../src/internal/logger.js';
import { createRegistry, type MinimalLogger } from '../../src/metrics/index.js';
import { captureWarnings, read, silenceWarnings } from './helpers.js';

silenceWarnings();

function recordingLogger(): Pick<MinimalLogger, 'warn' | 'error'> & {
  calls: { level: string; msg: string; obj?: object }[];
} {
  const calls: { level: string; msg: string; obj?: object }[] = [];
  return {
    calls,
    warn: (a: LogFields | string, b?: string) => {
      const { msg, fields } = logArgs(a, b);
      calls.push(
        fields === undefined ? { level: 'warn', msg } : { level: 'warn', msg, obj: fields },
      );
    },
    error: (a: LogFields | string, b?: string) => {
      const { msg, fields } = logArgs(a, b);
      calls.push(
        fields === undefined ? { level: 'error', msg } : { level: 'error', msg, obj: fields },
      );
    },
  };
}

describe('collect callbacks', () => {
  it('a sync callback runs on every gather, before the family is read', async () => {
    const r = createRegistry();
    let n = 0;
    r.gauge({ name: 'calls', help: 'C.', collect: (g) => g.set(++n) });
    r.counter({
      name: 'ticks_total',
      help: 'T.',
      labelNames: ['k'],
      collect: (c) => c.inc({ k: 'a' }, 2),
    });
    assert.deepEqual(read(r, 'calls'), { '': 1 }); // gatherSync runs it
    const f = await r.gather();
    assert.deepEqual(
      f.map((x) => [x.name, x.points.map((p) => ('value' in p ? p.value : null))]),
      [
        ['calls', [2]],
        ['ticks', [4]],
      ],
    );
    // snapshot() runs no callbacks.
    const calls = r.snapshot()['calls'];
    assert.ok(calls?.type === 'gauge');
    assert.equal(calls.points[0]?.value, 2);
  });

  it('an async callback is awaited by gather()', async () => {
    const r = createRegistry();
    r.gauge({
      name: 'remote',
      help: 'R.',
      collect: async (g) => {
        await new Promise((res) => setTimeout(res, 5));
        g.set(42);
      },
    });
    const f = await r.gather();
    assert.equal(f[0]?.points[0] && 'value' in f[0].points[0] ? f[0].points[0].value : null, 42);
  });

  it('gatherSync does not wait for an async callback: the family shows its current values', async () => {
    const r = createRegistry();
    let release!: () => void;
    const gate = new Promise<void>((res) => {
      release = res;
    });
    r.gauge({
      name: 'slow',
      help: 'S.',
      collect: async (g) => {
        await gate;
        g.set(7);
      },
    });
    assert.deepEqual(read(r, 'slow'), { '': 0 });
    release();
    await new Promise((res) => setImmediate(res));
    assert.deepEqual(read(r, 'slow'), { '': 7 });
  });

  // Regression: the timeout timer was unref'd, so with nothing else holding the event loop (as
  // here, or in a script) the process ended with gather() still pending and the test cancelled.
  it('a never-resolving callback times out: that family is dropped, counted once, others present', async () => {
    const logger = recordingLogger();
    const r = createRegistry({ collectTimeoutMs: 50, logger });
    r.gauge({ name: 'hang', help: 'H.', collect: () => new Promise<void>(() => {}) });
    r.gauge({ name: 'ok', help: 'OK.', collect: (g) => g.set(1) });
    const started = Date.now();
    const f = await r.gather();
    const took = Date.now() - started;
    assert.ok(took >= 45 && took < 2000, `took ${took} ms`);
    assert.deepEqual(
      f.map((x) => x.name),
      ['ok', 'telltale_collect_errors'],
    );
    assert.deepEqual(read(r, 'telltale_collect_errors'), { 'metric="hang"': 1 });
    assert.equal(logger.calls.length, 1);
    assert.equal(logger.calls[0]?.level, 'error');
    assert.ok(logger.calls[0]?.msg.includes('"hang"'));
    assert.ok(logger.calls[0]?.msg.includes('50 ms'), logger.calls[0]?.msg);
    assert.deepEqual(logger.calls[0]?.obj, { metric: 'hang', code: 'TT_COLLECT_FAILED' });
  });

  it('a throwing callback and a callback rejecting with a non-Error are both contained', async () => {
    const logger = recordingLogger();
    const r = createRegistry({ logger });
    r.gauge({
      name: 'throws',
      help: 'T.',
      collect: () => {
        throw new Error('boom');
      },
    });
    r.gauge({ name: 'rejects', help: 'R.', collect: () => Promise.reject('plain string') });
    r.counter({ name: 'fine_total', help: 'F.' }).inc(3);
    const f = await r.gather();
    assert.deepEqual(
      f.map((x) => x.name),
      ['fine', 'telltale_collect_errors'],
    );
    assert.deepEqual(read(r, 'telltale_collect_errors'), {
      'metric="throws"': 2, // the gatherSync in read() ran it again
      'metric="rejects"': 1,
    });
    const msgs = logger.calls.map((c) => c.msg).sort();
    assert.equal(msgs.length, 2);
    assert.ok(msgs[0]?.includes('"rejects"') && msgs[0].includes('plain string'), msgs[0]);
    assert.ok(msgs[1]?.includes('"throws"') && msgs[1].includes('boom'), msgs[1]);
  });

  it('failures are logged once per metric but counted every time', async () => {
    const logger = recordingLogger();
    const r = createRegistry({ logger });
    r.gauge({
      name: 'flaky',
      help: 'F.',
      collect: () => {
        throw new Error('down');
      },
    });
    await r.gather();
    await r.gather();
    assert.equal(logger.calls.length, 1);
    const f = await r.gather({ names: new Set(['telltale_collect_errors']) });
    assert.equal(f.length, 1);
    assert.equal(f[0]?.points[0] && 'value' in f[0].points[0] ? f[0].points[0].value : null, 2);
  });

  it('without a logger, a failure is a process warning emitted once', async () => {
    const { result } = captureWarnings(() => createRegistry());
    const r = result;
    r.gauge({
      name: 'warned',
      help: 'W.',
      collect: () => {
        throw new Error('nope');
      },
    });
    const { warnings } = captureWarnings(() => {
      r.gatherSync();
      r.gatherSync();
    });
    assert.equal(warnings.length, 1);
    assert.equal(warnings[0]?.code, 'TT_COLLECT_FAILED');
    assert.ok(warnings[0]?.message.includes('"warned"'));
  });

  it('a failed callback only drops its family for that gather; the next success restores it', async () => {
    const r = createRegistry({ logger: recordingLogger() });
    let fail = true;
    r.gauge({
      name: 'sometimes',
      help: 'S.',
      collect: (g) => {
        if (fail) throw new Error('x');
        g.set(5);
      },
    });
    assert.deepEqual(
      (await r.gather()).map((f) => f.name),
      ['telltale_collect_errors'],
    );
    fail = false;
    assert.deepEqual(
      (await r.gather()).map((f) => f.name),
      ['sometimes', 'telltale_collect_errors'],
    );
  });

  it('a filtered gather runs only the selected callbacks', async () => {
    const r = createRegistry();
    let a = 0;
    let b = 0;
    r.gauge({ name: 'a', help: 'A.', collect: () => void a++ });
    r.gauge({ name: 'b', help: 'B.', collect: () => void b++ });
    await r.gather({ names: new Set(['a']) });
    assert.deepEqual([a, b], [1, 0]);
  });
});
