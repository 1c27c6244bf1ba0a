// The gathered model is plain data: structuredClone and JSON keep everything every encoder needs, byte for byte.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeOpenMetrics, encodeProtobuf, encodeText } from '../../src/exposition/index.js';
import { createRegistry, type MetricFamily } from '../../src/metrics/index.js';

/** A registry with every family kind: default labels, escaped values, exemplars, native buckets. */
function everyKind(finite: boolean) {
  let t = 1_700_000_000_000;
  const r = createRegistry({ defaultLabels: { service: 'shop' }, now: () => t });
  const c = r.counter({ name: 'jobs', help: 'Jobs.', labelNames: ['queue', 'path'] });
  c.inc({ queue: 'a', path: '/x"y\\z\nw' }, 3);
  c.labels('b', 'plain').incWithExemplar(2, { trace_id: 'abc123' });
  t += 1_500;
  const g = r.gauge({ name: 'temp_celsius', help: 'Temperature.', unit: 'celsius' });
  g.set(finite ? -12.5 : Number.POSITIVE_INFINITY);
  const h = r.histogram({
    name: 'rpc_seconds',
    help: 'RPC latency.',
    labelNames: ['method'],
    buckets: [0.1, 1],
    native: { schema: 3 },
  });
  for (const v of [0.05, 0.2, 0.2, 3, 0]) h.observe({ method: 'get' }, v);
  h.labels('put').observeWithExemplar(0.5, { trace_id: 'def' });
  const n = r.histogram({ name: 'only_native_seconds', help: 'Native only.', native: {} });
  n.observe(0.001);
  n.observe(-2);
  const s = r.summary({ name: 'size_bytes', help: 'Sizes.', labelNames: ['k'], quantiles: [0.5] });
  s.observe({ k: 'a' }, 10);
  s.observe({ k: 'a' }, 20);
  if (!finite) r.summary({ name: 'empty', help: 'No observation yet: NaN quantiles.' });
  r.info({ name: 'build', help: 'Build.', labelNames: ['version'] }).set({ version: '1.2.3' });
  const st = r.stateSet({ name: 'mode', help: 'Mode.', states: ['on', 'off'], labelNames: ['u'] });
  st.labels('x').set('off');
  return r;
}

/** Every encoder's bytes for a family list, protobuf as hex. */
function encodeAll(families: readonly MetricFamily[]): Record<string, string> {
  return {
    text: encodeText(families),
    openmetrics: encodeOpenMetrics(families, { created: true }),
    protobuf: Buffer.from(encodeProtobuf(families)).toString('hex'),
  };
}

describe('the gathered model is plain data', () => {
  it('structuredClone keeps every family kind: every encoder gives the same bytes', async () => {
    const families = await everyKind(false).gather();
    const clone = structuredClone(families);
    // The label shape hint is not data: the clone, which has none, equals the original.
    assert.deepStrictEqual(clone, families);
    assert.deepEqual(encodeAll(clone), encodeAll(families));
    assert.equal(clone.length, 8);
  });

  it('a JSON round trip keeps every family kind: every encoder gives the same bytes', async () => {
    // JSON has no NaN or Infinity (they become null), so this registry's values are finite.
    const families = await everyKind(true).gather();
    const json: MetricFamily[] = JSON.parse(JSON.stringify(families));
    assert.deepEqual(encodeAll(json), encodeAll(families));
    assert.equal(json.length, 7);
  });

  it('label names and values are data properties, with no getters and no classes', async () => {
    const families = await everyKind(false).gather();
    const walk = (x: unknown, path: string): void => {
      if (typeof x !== 'object' || x === null) return;
      const proto = Object.getPrototypeOf(x);
      assert.ok(proto === Object.prototype || proto === Array.prototype, `${path}: plain`);
      for (const [k, d] of Object.entries(Object.getOwnPropertyDescriptors(x))) {
        assert.ok('value' in d, `${path}.${k} is a data property`);
        walk(d.value, `${path}.${k}`);
      }
    };
    walk(families, 'families');
    const jobs = families.find((f) => f.name === 'jobs')!;
    assert.deepEqual(
      jobs.points.map((p) => p.labels),
      [
        { service: 'shop', queue: 'a', path: '/x"y\\z\nw' },
        { service: 'shop', queue: 'b', path: 'plain' },
      ],
    );
  });

  it('families, point lists and label sets are frozen; a gather is a copy', async () => {
    const r = everyKind(true);
    const families = await r.gather();
    assert.ok(Object.isFrozen(families[0]));
    for (const f of families) {
      assert.ok(Object.isFrozen(f), f.name);
      assert.ok(Object.isFrozen(f.points), f.name);
      for (const p of f.points) assert.ok(Object.isFrozen(p.labels), f.name);
    }
    const jobs = families.find((f) => f.name === 'jobs')!;
    // A label set is the series' own object: the same in the next gather.
    const again = (await r.gather()).find((f) => f.name === 'jobs')!;
    assert.equal(again.points[0]!.labels, jobs.points[0]!.labels);
    (r.get('jobs') as { inc(l: object, v: number): void }).inc({ queue: 'a', path: 'new' }, 1);
    assert.equal(jobs.points.length, 2, 'an earlier gather does not change');
  });

  it('a value that needs escaping is escaped in every gather after it appears, even once removed', async () => {
    const r = createRegistry({ defaultLabels: { env: 'prod' } });
    const c = r.counter({ name: 'req', help: 'Requests.', labelNames: ['path', 'code'] });
    const h = r.histogram({ name: 'lat', help: 'L.', labelNames: ['path'], buckets: [1] });
    c.inc({ path: '/a', code: '200' });
    h.observe({ path: '/a' }, 0.5);
    const before = encodeText(await r.gather());
    assert.match(before, /^req_total\{env="prod",path="\/a",code="200"\} 1$/m);
    c.inc({ path: 'say "hi"\\\n', code: '500' }, 2);
    h.observe({ path: 'x"y' }, 2);
    const text = encodeText(await r.gather());
    assert.match(text, /^req_total\{env="prod",path="\/a",code="200"\} 1$/m);
    assert.match(text, /^req_total\{env="prod",path="say \\"hi\\"\\\\\\n",code="500"\} 2$/m);
    assert.match(text, /^lat_bucket\{env="prod",path="x\\"y",le="\+Inf"\} 1$/m);
    const om = encodeOpenMetrics(await r.gather());
    assert.match(om, /^req_total\{env="prod",path="say \\"hi\\"\\\\\\n",code="500"\} 2$/m);
    // The clone (no label shape) escapes value by value: the same bytes.
    const families = await r.gather();
    assert.deepEqual(encodeAll(structuredClone(families)), encodeAll(families));
    assert.equal(c.remove({ path: 'say "hi"\\\n', code: '500' }), true);
    c.inc({ path: '/b', code: '404' }, 3);
    const after = encodeText(await r.gather());
    assert.match(after, /^req_total\{env="prod",path="\/b",code="404"\} 3$/m);
    assert.doesNotMatch(after, /say/);
  });

  it('a default label value that needs escaping is escaped on every series', async () => {
    const r = createRegistry({ defaultLabels: { zone: 'a"b' } });
    r.counter({ name: 'n', help: 'N.', labelNames: ['k'] }).inc({ k: 'v' });
    r.gauge({ name: 'g', help: 'G.' }).set(1);
    const text = encodeText(await r.gather());
    assert.match(text, /^n_total\{zone="a\\"b",k="v"\} 1$/m);
    assert.match(text, /^g\{zone="a\\"b"\} 1$/m);
  });
});
