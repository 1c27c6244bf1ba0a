// A registry's native histograms through the protobuf encoder, decoded with protobufjs and client_model's metrics.proto.
// (Here, not in test/metrics/: protobufjs generates code, and test/metrics/ also runs with code generation forbidden.)
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeProtobuf } from '../../src/exposition/protobuf.js';
import { createRegistry } from '../../src/metrics/index.js';
import { decodeDelimited, type Loose } from './protobuf-decode.js';

const T0 = 1_700_000_000_000;

test('protobuf carries the native buckets of registry histograms as spans and deltas (decoded with protobufjs and metrics.proto)', async () => {
  const r = createRegistry({ now: () => T0 });
  const h = r.histogram({ name: 'rpc_seconds', help: 'RPC latency.', native: { schema: 0 } });
  for (const v of [1, 3, 3, 0, -0.5]) h.observe(v);
  const both = r.histogram({
    name: 'job_seconds',
    help: 'Job time.',
    buckets: [1],
    native: { schema: 1, zeroThreshold: 0 },
  });
  both.observe(0.5);
  both.observe(2);
  const families = decodeDelimited(encodeProtobuf(await r.gather())) as Loose[];
  assert.deepEqual(
    families.map((f) => f.name),
    ['job_seconds', 'rpc_seconds'],
  );
  assert.deepEqual(families[1]!.metric[0].histogram, {
    sampleCount: '5',
    sampleSum: 6.5,
    schema: 0,
    zeroThreshold: 2 ** -128,
    zeroCount: '1',
    negativeSpan: [{ offset: -1, length: 1 }],
    negativeDelta: ['1'],
    positiveSpan: [{ offset: 0, length: 3 }],
    positiveDelta: ['1', '-1', '2'], // counts 1, 0, 2
    createdTimestamp: { seconds: String(T0 / 1000) },
  });
  const j = families[0]!.metric[0].histogram;
  assert.deepEqual(j.bucket, [{ cumulativeCount: '1', upperBound: 1 }]);
  assert.equal(j.sampleCount, '2');
  assert.equal(j.schema, 1);
  assert.equal(j.zeroThreshold, 0);
  // schema 1: 0.5 → -2, 2 → 2: one gap of 3 empty buckets, so two spans
  assert.deepEqual(j.positiveSpan, [
    { offset: -2, length: 1 },
    { offset: 3, length: 1 },
  ]);
  assert.deepEqual(j.positiveDelta, ['1', '0']);
});
