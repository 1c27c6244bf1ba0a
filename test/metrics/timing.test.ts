// Timing helpers: startTimer on every duration instrument, time() with its outcome label, instrumentMethods without monkeypatching.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  classifyError,
  createRegistry,
  instrumentMethods,
  TelltaleError,
  time,
} from '../../src/metrics/index.js';
import { read, silenceWarnings, text, throwsCode } from './helpers.js';

silenceWarnings();

describe('startTimer', () => {
  it('histogram, summary and gauge: one observation equal to the returned seconds', async () => {
    const r = createRegistry();
    const h = r.histogram({ name: 'h_seconds', help: 'H.' });
    const s = r.summary({ name: 's_seconds', help: 'S.' });
    const g = r.gauge({ name: 'g_seconds', help: 'G.' });
    const stops = [h.startTimer(), s.startTimer(), g.labels().startTimer()];
    await new Promise((res) => setTimeout(res, 20));
    const [sh, ss, sg] = stops.map((stop) => stop()) as [number, number, number];
    for (const x of [sh, ss, sg]) assert.ok(x >= 0.015 && x < 5, String(x));
    assert.equal(h.point()?.count, 1);
    assert.equal(h.point()?.sum, sh);
    assert.equal(s.point()?.count, 1);
    assert.equal(s.point()?.sum, ss);
    assert.equal(g.get(), sg);
  });
});

describe('time()', () => {
  function setup() {
    const r = createRegistry();
    const h = r.histogram({ name: 'job_seconds', help: 'J.', labelNames: ['job', 'outcome'] });
    const counts = () => {
      const f = r.gatherSync().find((x) => x.name === 'job_seconds');
      const out: Record<string, number> = {};
      if (f?.type === 'histogram') for (const p of f.points) out[text(p.labels)] = p.count;
      return out;
    };
    return { r, h, counts };
  }

  it('sync success and failure: result and error pass through; outcome label set', () => {
    const { h, counts } = setup();
    assert.equal(
      time(h, { job: 'a' }, () => 42),
      42,
    );
    const boom = new Error('boom');
    assert.throws(
      () =>
        time(h, { job: 'a' }, () => {
          throw boom;
        }),
      (e) => e === boom,
    );
    const timeout = Object.assign(new Error('slow'), { name: 'TimeoutError' });
    assert.throws(
      () =>
        time(h, { job: 'a' }, () => {
          throw timeout;
        }),
      (e) => e === timeout,
    );
    assert.deepEqual(counts(), {
      'job="a",outcome="success"': 1,
      'job="a",outcome="error"': 1,
      'job="a",outcome="timeout"': 1,
    });
  });

  it('async success and failure, including a non-Error rejection', async () => {
    const { h, counts } = setup();
    const p = time(h, { job: 'b' }, async () => {
      await new Promise((res) => setTimeout(res, 5));
      return 'done';
    });
    assert.ok(p instanceof Promise);
    assert.equal(await p, 'done');
    await assert.rejects(
      time(h, { job: 'b' }, async () => {
        throw new Error('x');
      }),
      { message: 'x' },
    );
    await assert.rejects(
      time(h, { job: 'b' }, () => Promise.reject('plain')),
      (e) => e === 'plain',
    );
    await assert.rejects(
      time(h, { job: 'b' }, () =>
        Promise.reject(Object.assign(new Error('t'), { name: 'TimeoutError' })),
      ),
      { name: 'TimeoutError' },
    );
    assert.deepEqual(counts(), {
      'job="b",outcome="success"': 1,
      'job="b",outcome="error"': 2,
      'job="b",outcome="timeout"': 1,
    });
    const sum = (await Promise.resolve(h.point({ job: 'b', outcome: 'success' })))?.sum ?? 0;
    assert.ok(sum >= 0.004, String(sum));
  });

  it('a metric without the outcome label records without it; custom outcome label and classifier', async () => {
    const r = createRegistry();
    const plain = r.summary({ name: 'plain_seconds', help: 'P.' });
    time(plain, undefined, () => 1);
    assert.throws(() =>
      time(plain, undefined, () => {
        throw new Error('x');
      }),
    );
    assert.equal(plain.point()?.count, 2);
    const h = r.histogram({ name: 'c_seconds', help: 'C.', labelNames: ['result'] });
    await assert.rejects(
      time(h, {}, () => Promise.reject(new RangeError('r')), {
        outcomeLabel: 'result',
        classify: (e) => (e instanceof RangeError ? 'range' : 'other'),
      }),
    );
    time(h, {}, () => 0, { outcomeLabel: 'result' });
    assert.equal(h.point({ result: 'range' })?.count, 1);
    assert.equal(h.point({ result: 'success' })?.count, 1);
    throwsCode(() => time(h, {}, 5 as never), 'TT_INVALID_OPTION', 'fn');
  });

  it("classifyError: TimeoutError, ETIMEDOUT and telltale's timeout codes are timeouts; anything else an error", () => {
    assert.equal(classifyError(Object.assign(new Error(), { name: 'TimeoutError' })), 'timeout');
    assert.equal(classifyError(Object.assign(new Error(), { code: 'ETIMEDOUT' })), 'timeout');
    assert.equal(
      classifyError(AbortSignal.timeout(0).reason ?? { name: 'TimeoutError' }),
      'timeout',
    );
    for (const code of ['TT_COLLECT_TIMEOUT', 'TT_HOOK_TIMEOUT', 'TT_TASK_TIMEOUT'] as const) {
      assert.equal(classifyError(new TelltaleError(code, 'x')), 'timeout', code);
    }
    assert.equal(classifyError(new TelltaleError('TT_TASK_GAVE_UP', 'x')), 'error');
    // TT_TIMEOUT was never in the catalogue and is retired (docs/errors.md).
    assert.equal(classifyError(Object.assign(new Error(), { code: 'TT_TIMEOUT' })), 'error');
    assert.equal(classifyError(new Error('x')), 'error');
    assert.equal(classifyError('TimeoutError'), 'error');
    assert.equal(classifyError(null), 'error');
  });
});

describe('instrumentMethods', () => {
  class Store {
    data = new Map<string, string>();
    backendName = 'memory';
    async get(k: string) {
      return this.data.get(k);
    }
    async put(k: string, v: string) {
      if (k === '') throw new Error('empty key');
      this.data.set(k, v);
    }
    async delete(k: string) {
      return this.data.delete(k);
    }
    size() {
      if (this.data.size > 100) throw new Error('too big');
      return this.data.size;
    }
    describe() {
      return `${this.backendName}:${this.data.size}`;
    }
  }

  function setup() {
    const r = createRegistry();
    const duration = r.histogram({
      name: 'storage_operation_seconds',
      help: 'D.',
      labelNames: ['operation', 'backend'],
    });
    const total = r.counter({
      name: 'storage_operations_total',
      help: 'T.',
      labelNames: ['operation', 'backend', 'outcome'],
    });
    const errors = r.counter({
      name: 'storage_errors_total',
      help: 'E.',
      labelNames: ['operation', 'backend'],
    });
    const target = new Store();
    const ownKeys = Reflect.ownKeys(target);
    const store = instrumentMethods(target, {
      methods: ['get', 'put', 'delete', 'size'],
      duration,
      total,
      errors,
      methodLabel: 'operation',
      labels: { backend: 'redis' },
    });
    return { r, duration, target, ownKeys, store };
  }

  it('counts each call per method and backend, times it, and counts failures', async () => {
    const { r, duration, store } = setup();
    await store.put('a', '1');
    await store.put('b', '2');
    assert.equal(await store.get('a'), '1');
    assert.equal(await store.get('zz'), undefined);
    assert.equal(await store.delete('a'), true);
    assert.equal(store.size(), 1);
    await assert.rejects(store.put('', 'x'), { message: 'empty key' });
    assert.deepEqual(read(r, 'storage_operations'), {
      'operation="get",backend="redis",outcome="success"': 2,
      'operation="put",backend="redis",outcome="success"': 2,
      'operation="delete",backend="redis",outcome="success"': 1,
      'operation="size",backend="redis",outcome="success"': 1,
      'operation="put",backend="redis",outcome="error"': 1,
    });
    assert.deepEqual(read(r, 'storage_errors'), { 'operation="put",backend="redis"': 1 });
    assert.equal(duration.point({ operation: 'put', backend: 'redis' })?.count, 3);
    assert.equal(duration.point({ operation: 'get', backend: 'redis' })?.count, 2);
    assert.equal(duration.point({ operation: 'size', backend: 'redis' })?.count, 1);
  });

  it('a sync method that throws is counted as an error and the error passes through', () => {
    const { r, target, store } = setup();
    for (let i = 0; i < 101; i++) target.data.set(String(i), '');
    assert.throws(() => store.size(), { message: 'too big' });
    assert.deepEqual(read(r, 'storage_errors'), { 'operation="size",backend="redis"': 1 });
  });

  it("the wrapper's other properties reach the target, and the target itself is not modified", async () => {
    const { target, ownKeys, store } = setup();
    await store.put('k', 'v');
    assert.equal(store.backendName, 'memory');
    assert.equal(store.data, target.data);
    assert.equal(store.describe(), 'memory:1');
    assert.equal(target.data.get('k'), 'v');
    assert.deepEqual(Reflect.ownKeys(target), ownKeys);
    assert.equal(target.get, Store.prototype.get);
    assert.equal(target.put, Store.prototype.put);
    assert.notEqual(store.get, target.get);
    assert.ok(store instanceof Store);
  });

  it('wrapped methods run with this = target, so state set through the target is seen', async () => {
    const { target, store } = setup();
    target.data.set('x', 'y');
    assert.equal(await store.get('x'), 'y');
  });

  it('a metric label without a value throws TT_MISSING_LABEL at wrap time', () => {
    const r = createRegistry();
    const total = r.counter({ name: 'ops_total', help: 'O.', labelNames: ['method', 'region'] });
    const target = new Store();
    throwsCode(
      () => instrumentMethods(target, { methods: ['get'], total }),
      'TT_MISSING_LABEL',
      '"region"',
    );
    assert.equal(total.seriesCount, 0);
    throwsCode(
      () => instrumentMethods(target, { methods: ['nope' as 'get'], total }),
      'TT_INVALID_OPTION',
      '"nope"',
    );
    throwsCode(() => instrumentMethods(target, { methods: [], total }), 'TT_INVALID_OPTION');
    throwsCode(() => instrumentMethods(target, { methods: ['get'] }), 'TT_INVALID_OPTION');
    throwsCode(
      () => instrumentMethods(null as unknown as Store, { methods: ['get'], total }),
      'TT_INVALID_OPTION',
    );
  });

  it('label-less metrics and a custom method value', async () => {
    const r = createRegistry();
    const total = r.counter({ name: 'calls_total', help: 'C.' });
    const byMethod = r.counter({ name: 'by_method_total', help: 'B.', labelNames: ['method'] });
    const store = instrumentMethods(new Store(), { methods: ['get'], total });
    const store2 = instrumentMethods(new Store(), {
      methods: ['get', 'delete'],
      total: byMethod,
      methodValue: (m) => m.toUpperCase(),
    });
    await store.get('a');
    await store2.get('a');
    await store2.delete('a');
    assert.equal(total.get(), 1);
    assert.deepEqual(read(r, 'by_method'), { 'method="GET"': 1, 'method="DELETE"': 1 });
  });
});
