// The agent's message handler on real local storage: exact metric values after a known mix, every kind of bad input, and storage failures.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createNoopRegistry, createRegistry, type Registry } from 'telltale/metrics';
import { getValue } from 'telltale/testing';
import {
  checkNesting,
  createMessageHandler,
  DEFAULT_MAX_DEPTH,
  type MessageHandler,
} from '../../../examples/agent/handler.js';
import { createAgentMetrics } from '../../../examples/agent/metrics.js';
import { instrumentStorage, type Storage } from '../../../examples/agent/storage.js';
import { openLocalStorage } from '../../../examples/agent/storage-local.js';
import { makeTempDir, removeTempDir } from '../../helpers/tmp.js';

interface Setup {
  registry: Registry;
  handle: MessageHandler;
  storage: Storage;
}

async function setup(t: { after(fn: () => unknown): void }): Promise<Setup> {
  const dir = await makeTempDir('agent-handler');
  const registry = createRegistry();
  const metrics = createAgentMetrics(registry);
  const storage = instrumentStorage(await openLocalStorage({ path: dir }), metrics);
  t.after(async () => {
    await storage.close();
    await removeTempDir(dir);
  });
  return { registry, handle: createMessageHandler({ storage, metrics }), storage };
}

const ops = (registry: Registry, operation: string): number =>
  getValue(registry, 'storage_operations_total', { operation, backend: 'local' });

function storageTotals(registry: Registry): Record<string, number> {
  return { get: ops(registry, 'get'), put: ops(registry, 'put'), delete: ops(registry, 'delete') };
}

describe('a known mix', () => {
  test('N valid messages: exact message and storage counts, histogram counts match', async (t) => {
    const { registry, handle } = await setup(t);
    // 7 puts, 5 gets (3 hits, 2 misses), 3 deletes (2 existed) = 15 messages.
    const results = [];
    for (let i = 0; i < 7; i++) {
      results.push(await handle(JSON.stringify({ type: 'put', key: `k${i}`, value: { i } })));
    }
    for (const key of ['k0', 'k1', 'k2', 'nope', 'nada']) {
      results.push(await handle({ type: 'get', key }));
    }
    for (const key of ['k0', 'k1', 'never']) {
      results.push(await handle(Buffer.from(JSON.stringify({ type: 'delete', key }))));
    }
    assert.deepEqual(results.slice(0, 7), Array(7).fill({ ok: true }));
    assert.deepEqual(results.slice(7, 12), [
      { ok: true, found: true, value: { i: 0 } },
      { ok: true, found: true, value: { i: 1 } },
      { ok: true, found: true, value: { i: 2 } },
      { ok: true, found: false },
      { ok: true, found: false },
    ]);
    assert.deepEqual(results.slice(12), [
      { ok: true, found: true },
      { ok: true, found: true },
      { ok: true, found: false },
    ]);
    assert.equal(getValue(registry, 'messages_received_total'), 15);
    assert.equal(getValue(registry, 'message_processing_duration_seconds'), 15);
    assert.deepEqual(storageTotals(registry), { put: 7, get: 5, delete: 3 });
    for (const operation of ['get', 'put', 'delete']) {
      assert.equal(
        getValue(registry, 'storage_operation_duration_seconds', { operation, backend: 'local' }),
        ops(registry, operation),
      );
    }
    for (const reason of ['invalid_json', 'invalid_message', 'too_large', 'storage_error']) {
      assert.equal(getValue(registry, 'messages_rejected_total', { reason }), 0);
    }
  });
});

describe('bad input', () => {
  const cases: Array<[string, unknown, number, RegExp, string]> = [
    ['malformed JSON', '{"type":"put",', 400, /^malformed JSON: /, 'invalid_json'],
    ['empty body', '', 400, /^malformed JSON/, 'invalid_json'],
    ['not an object', '[1,2]', 422, /must be a JSON object/, 'invalid_message'],
    ['a JSON string', '"put"', 422, /must be a JSON object/, 'invalid_message'],
    ['null', null, 422, /must be a JSON object/, 'invalid_message'],
    ['missing type', { key: 'k' }, 422, /"type" is required/, 'invalid_message'],
    [
      'unknown type',
      { type: 'patch', key: 'k' },
      422,
      /unknown message type "patch"/,
      'invalid_message',
    ],
    [
      'type of the wrong kind',
      { type: 7, key: 'k' },
      422,
      /unknown message type 7/,
      'invalid_message',
    ],
    ['missing key', { type: 'get' }, 422, /"key" is required/, 'invalid_message'],
    ['empty key', { type: 'get', key: '' }, 422, /non-empty string/, 'invalid_message'],
    ['numeric key', { type: 'get', key: 5 }, 422, /non-empty string/, 'invalid_message'],
    [
      'control character in key',
      { type: 'get', key: 'a\u0000b' },
      422,
      /control characters/,
      'invalid_message',
    ],
    [
      'put without value',
      { type: 'put', key: 'k' },
      422,
      /"value" is required for put/,
      'invalid_message',
    ],
    [
      'key too long',
      { type: 'get', key: 'k'.repeat(257) },
      413,
      /"key" is 257 bytes, more than the limit of 256/,
      'too_large',
    ],
    [
      'value too large',
      { type: 'put', key: 'k', value: 'v'.repeat(16_384) },
      413,
      /"value" is 16386 bytes as JSON, more than the limit of 16384/,
      'too_large',
    ],
    [
      'message too large',
      JSON.stringify({ type: 'put', key: 'k', value: 'v'.repeat(70_000) }),
      413,
      /more than the limit of 65536/,
      'too_large',
    ],
    [
      'value nested past the depth limit (text)',
      `{"type":"put","key":"k","value":${'['.repeat(DEFAULT_MAX_DEPTH)}${']'.repeat(DEFAULT_MAX_DEPTH)}}`,
      422,
      /^message is nested deeper than the limit of 64 levels of arrays and objects$/,
      'too_deep',
    ],
    [
      'a get with a deeply nested extra field (parsed input, as from a peer)',
      { type: 'get', key: 'k', extra: JSON.parse(`${'['.repeat(50_000)}${']'.repeat(50_000)}`) },
      422,
      /^message is nested deeper than the limit of 64 levels/,
      'too_deep',
    ],
    [
      'a cyclic value (in-process only)',
      (() => {
        const v: unknown[] = [];
        v.push(v);
        return { type: 'put', key: 'k', value: v };
      })(),
      422,
      /nested deeper than the limit/,
      'too_deep',
    ],
    [
      'a value sharing one array 2^40 times over (in-process only)',
      (() => {
        let v: unknown[] = [];
        for (let i = 0; i < 40; i++) v = [v, v];
        return { type: 'put', key: 'k', value: v };
      })(),
      413,
      /^message has more than 32768 arrays and objects, more than fit in the limit of 65536 bytes$/,
      'too_large',
    ],
    [
      'a value that is not JSON-serialisable (in-process only)',
      { type: 'put', key: 'k', value: { n: 1n } },
      422,
      /^"value" must be JSON-serialisable: Do not know how to serialize a BigInt$/,
      'invalid_message',
    ],
    [
      'a function value (in-process only)',
      { type: 'put', key: 'k', value: () => 1 },
      422,
      /^"value" must be JSON-serialisable$/,
      'invalid_message',
    ],
  ];
  for (const [name, input, status, error, reason] of cases) {
    test(`${name} → ${status}, counted as ${reason}, no storage operation`, async (t) => {
      const { registry, handle } = await setup(t);
      const result = await handle(input);
      assert.equal(result.ok, false);
      assert.ok(!result.ok);
      assert.equal(result.status, status);
      assert.match(result.error, error);
      assert.deepEqual(storageTotals(registry), { get: 0, put: 0, delete: 0 });
      assert.equal(getValue(registry, 'messages_received_total'), 0);
      assert.equal(getValue(registry, 'message_processing_duration_seconds'), 0);
      assert.equal(getValue(registry, 'messages_rejected_total', { reason }), 1);
      // The handler still works afterwards.
      assert.deepEqual(await handle({ type: 'put', key: 'k', value: 1 }), { ok: true });
      assert.equal(getValue(registry, 'messages_received_total'), 1);
    });
  }

  test('the limits are options; values at the limit pass', async (t) => {
    const dir = await makeTempDir('agent-handler');
    const registry = createRegistry();
    const metrics = createAgentMetrics(registry);
    const storage = instrumentStorage(await openLocalStorage({ path: dir }), metrics);
    t.after(async () => {
      await storage.close();
      await removeTempDir(dir);
    });
    const handle = createMessageHandler({
      storage,
      metrics,
      limits: { maxKeyBytes: 4, maxValueBytes: 5, maxMessageBytes: 60 },
    });
    assert.deepEqual(await handle({ type: 'put', key: 'kkkk', value: 'abc' }), { ok: true });
    assert.equal((await handle({ type: 'put', key: 'kkkkk', value: 1 })).ok, false);
    assert.equal((await handle({ type: 'put', key: 'k', value: 'abcd' })).ok, false);
    const r = await handle(JSON.stringify({ type: 'get', key: 'k', pad: 'x'.repeat(40) }));
    assert.ok(!r.ok && r.status === 413);
    const shallow = createMessageHandler({ storage, metrics, limits: { maxDepth: 3 } });
    assert.deepEqual(await shallow({ type: 'put', key: 'k', value: [[1]] }), { ok: true });
    assert.deepEqual(await shallow({ type: 'put', key: 'k', value: [[[1]]] }), {
      ok: false,
      status: 422,
      error: 'message is nested deeper than the limit of 3 levels of arrays and objects',
    });
  });
});

describe('checkNesting', () => {
  test('depth counts arrays and objects, the outer one is level 1; scalars are level 0', () => {
    assert.equal(checkNesting(1, 1, 10), 'ok');
    assert.equal(checkNesting('x', 0, 0), 'ok');
    assert.equal(checkNesting([], 1, 10), 'ok');
    assert.equal(checkNesting([], 0, 10), 'too_deep');
    assert.equal(checkNesting({ a: [{ b: 1 }] }, 3, 10), 'ok');
    assert.equal(checkNesting({ a: [{ b: {} }] }, 3, 10), 'too_deep');
    assert.equal(checkNesting([[], [], []], 2, 4), 'ok');
    assert.equal(checkNesting([[], [], []], 2, 3), 'too_many');
    // A million levels: no stack overflow.
    assert.equal(
      checkNesting(JSON.parse(`${'['.repeat(1e6)}${']'.repeat(1e6)}`), 64, 1e7),
      'too_deep',
    );
  });

  test('createMessageHandler rejects a maxDepth outside 1..1000', async (t) => {
    const { registry } = await setup(t);
    const metrics = createAgentMetrics(registry);
    const storage = {} as Storage;
    for (const maxDepth of [0, 1001, 1.5, Number.NaN]) {
      assert.throws(() => createMessageHandler({ storage, metrics, limits: { maxDepth } }), {
        name: 'RangeError',
        message: `limits.maxDepth must be an integer from 1 to 1000, got ${maxDepth}`,
      });
    }
  });
});

describe('storage failures', () => {
  test('a failing storage gives 503, counted as storage_error and as a storage error by operation', async () => {
    const registry = createRegistry();
    const metrics = createAgentMetrics(registry);
    const broken: Storage = {
      backend: 'local',
      get: async () => {
        throw new Error('disk on fire');
      },
      put: async () => {
        throw new Error('disk on fire');
      },
      delete: async () => {
        throw new Error('disk on fire');
      },
      close: async () => {},
    };
    const warnings: object[] = [];
    const handle = createMessageHandler({
      storage: instrumentStorage(broken, metrics),
      metrics,
      logger: { warn: (fields) => warnings.push(fields) },
    });
    assert.deepEqual(await handle({ type: 'put', key: 'k', value: 1 }), {
      ok: false,
      status: 503,
      error: 'storage (local) unavailable: disk on fire',
    });
    await handle({ type: 'get', key: 'k' });
    await handle({ type: 'delete', key: 'k' });
    assert.equal(getValue(registry, 'messages_received_total'), 0);
    assert.equal(getValue(registry, 'messages_rejected_total', { reason: 'storage_error' }), 3);
    for (const operation of ['get', 'put', 'delete']) {
      assert.equal(ops(registry, operation), 1);
      assert.equal(
        getValue(registry, 'storage_operation_errors_total', { operation, backend: 'local' }),
        1,
      );
    }
    // One line for the first failure; the next two within 5 s are only counted.
    assert.equal(warnings.length, 1);
    assert.deepEqual(Object.keys(warnings[0]!).sort(), [
      'backend',
      'err',
      'key',
      'suppressed',
      'type',
    ]);
    assert.equal((warnings[0] as { suppressed: number }).suppressed, 0);
  });
});

test('with the no-op registry the handler works the same and records nothing', async (t) => {
  const dir = await makeTempDir('agent-handler');
  const registry = createNoopRegistry();
  const metrics = createAgentMetrics(registry);
  const storage = instrumentStorage(await openLocalStorage({ path: dir }), metrics);
  t.after(async () => {
    await storage.close();
    await removeTempDir(dir);
  });
  const handle = createMessageHandler({ storage, metrics });
  assert.deepEqual(await handle({ type: 'put', key: 'k', value: 1 }), { ok: true });
  assert.deepEqual(await handle({ type: 'get', key: 'k' }), { ok: true, found: true, value: 1 });
  assert.equal((await handle('nope')).ok, false);
  assert.equal(registry.snapshot ? Object.keys(registry.snapshot()).length : 0, 0);
});
