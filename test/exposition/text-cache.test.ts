// The text render cache: encodes with it give exactly the bytes of encodes without it, however the registry changes between scrapes, and it holds no more than one entry per live series.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  createProtobufCache,
  createTextCache,
  encodeChunks,
  encodeOpenMetrics,
  encodeOpenMetricsChunks,
  encodeProtobuf,
  encodeText,
  encodeTextChunks,
} from '../../src/exposition/index.js';
import { TEXT_CACHE_KEEP_ENCODES } from '../../src/exposition/text-cache.js';
import { TelltaleError } from '../../src/index.js';
import { createRegistry, type MetricFamily } from '../../src/metrics/index.js';

/** A registry with a labelled family of every kind the text formats write labels for. */
function registry() {
  const r = createRegistry({ defaultLabels: { service: 'shop' }, now: () => 1_700_000_000_000 });
  const c = r.counter({ name: 'jobs', help: 'Jobs.', labelNames: ['queue', 'path'] });
  const g = r.gauge({ name: 'depth', help: 'Depth.', labelNames: ['queue'] });
  const h = r.histogram({
    name: 'rpc_seconds',
    help: 'RPC.',
    labelNames: ['m'],
    buckets: [0.1, 1],
  });
  const s = r.summary({ name: 'size_bytes', help: 'Sizes.', labelNames: ['k'], quantiles: [0.5] });
  const u = r.stateSet({ name: 'mode', help: 'Mode.', states: ['on', 'off'], labelNames: ['u'] });
  for (let i = 0; i < 5; i++) {
    c.inc({ queue: `q${i}`, path: i === 2 ? '/a"b\\c\nd' : `/p/${i}` }, i + 1);
    g.set({ queue: `q${i}` }, i * 1.5);
    h.observe({ m: `m${i}` }, i / 4);
    s.observe({ k: `k${i}` }, i);
  }
  u.labels('x').set('off');
  return { r, c, g, h, s };
}

/** Every text encoding of `families`, without a cache and with `cache`. */
function bodies(families: readonly MetricFamily[], cache?: ReturnType<typeof createTextCache>) {
  const opts = cache === undefined ? {} : { cache };
  return {
    text: encodeText(families, opts),
    textChunks: [...encodeTextChunks(families, { ...opts, chunkSize: 64 })].join(''),
    om: encodeOpenMetrics(families, { ...opts, created: true }),
    omChunks: [...encodeOpenMetricsChunks(families, { ...opts, chunkSize: 64 })].join(''),
  };
}

/** The cache's family entries (internal, for the bound checks). */
function entries(cache: object): Map<string, { sets: unknown[]; texts: string[] }> {
  return (cache as unknown as { families: Map<string, { sets: unknown[]; texts: string[] }> })
    .families;
}

describe('text render cache', () => {
  it('gives the same bytes as no cache on the first and every later encode, text and OpenMetrics sharing one cache', async () => {
    const { r, c } = registry();
    const cache = createTextCache();
    for (let scrape = 0; scrape < 3; scrape++) {
      const families = await r.gather();
      assert.deepEqual(bodies(families, cache), bodies(families), `scrape ${scrape}`);
      c.inc({ queue: 'q0', path: '/p/0' });
    }
    // One entry per labelled series and label text shape: text counter head, OpenMetrics counter
    // labels, gauge head (the same in both formats), histogram and summary fragments (info and
    // stateset families are small and rendered whole, without the cache).
    const keys = [...entries(cache).keys()].map((k) => k.split('\u0000').slice(0, 2).join(' '));
    assert.deepEqual(keys.sort(), [
      'counter jobs',
      'counter jobs',
      'gauge depth',
      'histogram rpc_seconds',
      'summary size_bytes',
    ]);
    for (const e of entries(cache).values()) assert.ok(e.texts.length <= 5);
  });

  it('stays exact when series are removed, replaced and added between scrapes (slots move)', async () => {
    const { r, c, h } = registry();
    const cache = createTextCache();
    await r.gather().then((fs) => encodeText(fs, { cache }));
    // A removal swaps the last series into the freed slot; a new series takes the last slot.
    c.remove({ queue: 'q1', path: '/p/1' });
    c.inc({ queue: 'new', path: '/n' }, 7);
    h.remove({ m: 'm0' });
    h.observe({ m: 'fresh' }, 0.5);
    const families = await r.gather();
    const cached = encodeText(families, { cache });
    assert.equal(cached, encodeText(families));
    assert.match(cached, /^jobs_total\{service="shop",queue="new",path="\/n"\} 7$/m);
    assert.doesNotMatch(cached, /^jobs_total\{[^}]*queue="q1"/m);
    assert.match(cached, /^rpc_seconds_count\{service="shop",m="fresh"\} 1$/m);
    assert.doesNotMatch(cached, /^rpc_seconds_\w+\{[^}]*m="m0"/m);
    // The counter family shrank by one and grew by one: still five entries.
    const counterHead = [...entries(cache)].find(([k]) => k.startsWith('counter\u0000jobs'))!;
    assert.equal(counterHead[1].texts.length, 5);
  });

  it('never caches families whose label sets are not the registry records (cloned or hand-built): same bytes, no entries', async () => {
    const { r } = registry();
    const cache = createTextCache();
    const cloned = structuredClone(await r.gather());
    assert.equal(encodeText(cloned, { cache }), encodeText(cloned));
    assert.equal(encodeOpenMetrics(cloned, { cache }), encodeOpenMetrics(cloned));
    assert.equal(entries(cache).size, 0);
  });

  it(`drops a family absent from ${TEXT_CACHE_KEEP_ENCODES} finished encodes in a row`, async () => {
    const { r } = registry();
    const cache = createTextCache();
    encodeText(await r.gather(), { cache });
    assert.equal(entries(cache).size, 4);
    const onlyJobs = await r.gather({ names: ['jobs_total'] });
    for (let i = 1; i < TEXT_CACHE_KEEP_ENCODES; i++) encodeText(onlyJobs, { cache });
    assert.equal(entries(cache).size, 4, 'kept while absent from fewer encodes');
    encodeText(onlyJobs, { cache });
    assert.deepEqual(
      [...entries(cache).keys()].map((k) => k.split('\u0000')[1]),
      ['jobs'],
    );
  });

  it('refuses a cache that is not a text cache, naming the fix; encodeChunks gives each format its own kind', async () => {
    const { r } = registry();
    const families = await r.gather();
    const bad = { kind: 'telltale.textCache' } as unknown as ReturnType<typeof createTextCache>;
    const expected = {
      code: 'TT_INVALID_OPTION',
      message:
        'TT_INVALID_OPTION: cache must come from createTextCache(); omit it to encode without one',
    };
    assert.throws(() => encodeText(families, { cache: bad }), expected);
    assert.throws(() => encodeTextChunks(families, { cache: bad }), expected);
    assert.throws(() => encodeOpenMetricsChunks(families, { cache: bad }), TelltaleError);
    // A protobuf cache given to a text format, and a text cache to protobuf, are not used.
    const pb = createProtobufCache();
    const text = createTextCache();
    assert.equal([...encodeChunks(families, 'text', { cache: pb })].join(''), encodeText(families));
    const bytes = Buffer.concat([...encodeChunks(families, 'protobuf', { cache: text })]);
    assert.deepEqual(bytes, Buffer.from(encodeProtobuf(families)));
    assert.equal(entries(text).size, 0);
    assert.throws(() => [...encodeChunks(families, 'protobuf', { cache: bad })], {
      code: 'TT_INVALID_OPTION',
    });
  });
});
