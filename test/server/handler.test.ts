// Tests for createMetricsHandler over real HTTP: negotiation, gzip, name[] filter, status codes, auth, in-flight cap, shared gathers, timeouts.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { encodeOpenMetrics, encodeProtobuf, encodeText } from '../../src/exposition/index.js';
import { resetWarnings, setWarningSink, TelltaleError } from '../../src/internal/errors.js';
import { type LogFields, logArgs } from '../../src/internal/logger.js';
import type { MetricFamily } from '../../src/metrics/model.js';
import { createMetricsHandler, type MinimalLogger } from '../../src/server/index.js';
import {
  bigFamilies,
  explodingFamily,
  FAMILIES,
  failingGatherer,
  fetchRaw,
  HeldGatherer,
  labels,
  StaticGatherer,
  serve,
  until,
} from './fixtures.js';

const TEXT = 'text/plain; version=0.0.4; charset=utf-8';
const OM = 'application/openmetrics-text; version=1.0.0; charset=utf-8';
const PB =
  'application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited';
// Captured from Prometheus 2.42 (shared/notes/real-consumers.md (c)).
const PROM_242_DEFAULT =
  'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';
const PROM_242_NATIVE =
  'application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited,application/openmetrics-text;version=1.0.0;q=0.8,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';

/** The body each content type must carry for FAMILIES. */
function expectedBody(type: string | undefined): Buffer {
  if (type === PB) return Buffer.from(encodeProtobuf(FAMILIES));
  return Buffer.from(type === OM ? encodeOpenMetrics(FAMILIES) : encodeText(FAMILIES));
}

/** The fixture family with this name. */
function family(name: string): MetricFamily {
  const f = FAMILIES.find((x) => x.name === name);
  if (f === undefined) throw new Error(`no fixture family ${name}`);
  return f;
}

/** Collects log calls so tests can assert on them without writing to stderr. */
function recordingLogger(): MinimalLogger & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    info: (a: LogFields | string, b?: string) => lines.push(`info ${logArgs(a, b).msg}`),
    warn: (a: LogFields | string, b?: string) => lines.push(`warn ${logArgs(a, b).msg}`),
    error: (a: LogFields | string, b?: string) => lines.push(`error ${logArgs(a, b).msg}`),
  };
}

describe('createMetricsHandler: negotiation and bodies', () => {
  const gatherer = new StaticGatherer();
  let base = '';
  let close: () => Promise<void>;
  before(async () => {
    const h = createMetricsHandler({ registry: gatherer, selfMetrics: false });
    ({ base, close } = await serve(h));
  });
  after(() => close());

  const cases: [label: string, accept: string | undefined, type: string][] = [
    ['no Accept header', undefined, TEXT],
    ['Prometheus 2.42 default', PROM_242_DEFAULT, OM],
    ['Prometheus 2.42 with native histograms', PROM_242_NATIVE, PB],
    ['text/plain', 'text/plain', TEXT],
    ['text/plain;version=0.0.4', 'text/plain;version=0.0.4', TEXT],
    ['application/openmetrics-text', 'application/openmetrics-text', OM],
    ['OpenMetrics 0.0.1', 'application/openmetrics-text; version=0.0.1', OM],
    ['*/*', '*/*', TEXT],
    ['malformed', 'this is;;not=a media,,type', TEXT],
    ['unsupported only', 'application/json', TEXT],
    ['q-values prefer text', 'application/openmetrics-text;q=0.2,text/plain;q=0.9', TEXT],
  ];
  for (const [label, accept, type] of cases) {
    it(`Content-Type for ${label}`, async () => {
      const res = await fetchRaw(
        `${base}/metrics`,
        accept === undefined ? {} : { headers: { accept } },
      );
      assert.equal(res.status, 200);
      assert.equal(res.headers['content-type'], type);
      assert.equal(res.headers['content-encoding'], undefined);
      assert.equal(res.headers['vary'], 'Accept, Accept-Encoding');
      assert.deepEqual(res.body, expectedBody(type));
    });
  }

  it('the format is per request, never sticky', async () => {
    const a = await fetchRaw(`${base}/metrics`, { headers: { accept: PROM_242_DEFAULT } });
    const b = await fetchRaw(`${base}/metrics`);
    const c = await fetchRaw(`${base}/metrics`, { headers: { accept: PROM_242_DEFAULT } });
    assert.deepEqual(
      [a.headers['content-type'], b.headers['content-type'], c.headers['content-type']],
      [OM, TEXT, OM],
    );
    assert.ok(a.text.endsWith('# EOF\n'));
    assert.ok(!b.text.includes('# EOF'));
  });

  it('gzip: Content-Encoding set and the body decodes to the same bytes', async () => {
    for (const accept of [undefined, PROM_242_DEFAULT]) {
      const headers: Record<string, string> = { 'accept-encoding': 'gzip' };
      if (accept !== undefined) headers['accept'] = accept;
      const zipped = await fetchRaw(`${base}/metrics`, { headers });
      const plainHeaders = { ...headers };
      delete plainHeaders['accept-encoding'];
      const plain = await fetchRaw(`${base}/metrics`, { headers: plainHeaders });
      assert.equal(zipped.status, 200);
      assert.equal(zipped.headers['content-encoding'], 'gzip');
      assert.equal(zipped.body[0], 0x1f);
      assert.equal(zipped.body[1], 0x8b);
      assert.deepEqual(gunzipSync(zipped.body), plain.body);
      assert.equal(zipped.headers['content-type'], plain.headers['content-type']);
    }
  });

  it('gzip;q=0 and identity get an uncompressed body', async () => {
    for (const ae of ['gzip;q=0', 'identity', 'br']) {
      const res = await fetchRaw(`${base}/metrics`, { headers: { 'accept-encoding': ae } });
      assert.equal(res.headers['content-encoding'], undefined, ae);
      assert.equal(res.text, encodeText(FAMILIES));
    }
  });

  it('name[] filters families, counters by name or name_total, info by name or name_info', async () => {
    const get = async (q: string) => (await fetchRaw(`${base}/metrics?${q}`)).text;
    const only = (...names: string[]) => encodeText(FAMILIES.filter((f) => names.includes(f.name)));
    assert.equal(await get('name[]=queue_depth'), only('queue_depth'));
    assert.deepEqual(gatherer.lastNames, new Set(['queue_depth']));
    assert.equal(await get('name[]=http_requests_total'), only('http_requests'));
    assert.deepEqual(gatherer.lastNames, new Set(['http_requests_total', 'http_requests']));
    assert.equal(await get('name[]=http_requests'), only('http_requests'));
    assert.equal(await get('name[]=app_build_info'), only('app_build'));
    assert.equal(
      await get('name%5B%5D=app_build&name[]=queue_depth'),
      only('app_build', 'queue_depth'),
    );
    assert.equal(await get('name[]=request_seconds_bucket'), only('request_seconds'));
    assert.equal(await get('name[]=request_seconds_count'), only('request_seconds'));
    assert.equal(await get('name[]=http_requests_created'), only('http_requests'));
    // A suffix only matches the types that expose it.
    assert.equal(await get('name[]=queue_depth_total&name[]=app_build_total'), '');
    assert.equal(await get('name[]=no_such_metric'), '');
    // Unrelated query parameters and empty name[] values do not filter.
    assert.equal(await get('foo=bar&name[]='), encodeText(FAMILIES));
    assert.equal(gatherer.lastNames, undefined);
  });

  it('a gauge named x is not returned for name[]=x_total', async () => {
    const g = new StaticGatherer([
      { name: 'x', help: 'h', unit: '', type: 'gauge', points: [{ labels: labels(), value: 1 }] },
    ]);
    const s = await serve(createMetricsHandler({ registry: g, selfMetrics: false }));
    try {
      assert.equal((await fetchRaw(`${s.base}/metrics?name[]=x_total`)).text, '');
      assert.equal((await fetchRaw(`${s.base}/metrics?name[]=x`)).text, encodeText(g.families));
    } finally {
      await s.close();
    }
  });

  it('HEAD answers with the GET headers, no body, and gathers nothing', async () => {
    const before = gatherer.calls;
    const res = await fetchRaw(`${base}/metrics`, {
      method: 'HEAD',
      headers: { accept: PROM_242_DEFAULT, 'accept-encoding': 'gzip' },
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-type'], OM);
    assert.equal(res.headers['content-encoding'], 'gzip');
    assert.equal(res.body.length, 0);
    assert.equal(gatherer.calls, before);
  });

  it('unknown path → 404, wrong method → 405 with Allow', async () => {
    for (const p of ['/', '/metric', '/metrics/', '/other?x=1']) {
      const res = await fetchRaw(`${base}${p}`);
      assert.equal(res.status, 404, p);
      assert.equal(res.text, 'Not Found\n');
    }
    for (const method of ['POST', 'PUT', 'DELETE', 'OPTIONS']) {
      const res = await fetchRaw(`${base}/metrics`, { method });
      assert.equal(res.status, 405, method);
      assert.equal(res.headers['allow'], 'GET, HEAD');
      assert.equal(res.text, 'Method Not Allowed\n');
    }
  });
});

describe('createMetricsHandler: several gatherers', () => {
  it('merges by name, sorted; a duplicate series is dropped (first wins) with a warning', async () => {
    const g1 = new StaticGatherer([family('queue_depth'), family('app_build')]);
    const dup: MetricFamily = {
      name: 'queue_depth',
      help: 'Duplicate from the second registry.',
      unit: '',
      type: 'gauge',
      points: [{ labels: labels(), value: 99 }],
    };
    const g2 = new StaticGatherer([family('request_seconds'), family('http_requests'), dup]);
    const s = await serve(createMetricsHandler({ registry: [g1, g2], selfMetrics: false }));
    const warnings: string[] = [];
    resetWarnings();
    const previous = setWarningSink((code) => warnings.push(code));
    try {
      const res = await fetchRaw(`${s.base}/metrics`);
      assert.equal(res.text, encodeText(FAMILIES));
      assert.equal(g1.calls, 1);
      assert.equal(g2.calls, 1);
      assert.deepEqual(warnings, ['TT_DUPLICATE_SERIES']);
    } finally {
      setWarningSink(previous);
      await s.close();
    }
  });
});

describe('createMetricsHandler: auth', () => {
  it('bearer: 401 with WWW-Authenticate without or with a wrong token, 200 with it', async () => {
    const s = await serve(
      createMetricsHandler({
        registry: new StaticGatherer(),
        auth: { bearer: 's3cret' },
        selfMetrics: false,
      }),
    );
    try {
      for (const authorization of [
        undefined,
        'Bearer wrong',
        'Bearer s3cret2',
        'Basic czNjcmV0',
        's3cret',
      ]) {
        const res = await fetchRaw(
          `${s.base}/metrics`,
          authorization === undefined ? {} : { headers: { authorization } },
        );
        assert.equal(res.status, 401, String(authorization));
        assert.equal(res.headers['www-authenticate'], 'Bearer realm="metrics"');
        assert.equal(res.text, 'Unauthorized\n');
      }
      for (const authorization of ['Bearer s3cret', 'bearer s3cret']) {
        const res = await fetchRaw(`${s.base}/metrics`, { headers: { authorization } });
        assert.equal(res.status, 200, authorization);
        assert.equal(res.text, encodeText(FAMILIES));
      }
      // Auth is checked before method handling reveals anything beyond 404/405.
      assert.equal((await fetchRaw(`${s.base}/metrics`, { method: 'HEAD' })).status, 401);
    } finally {
      await s.close();
    }
  });

  it('basic: 401 for wrong user or password, 200 for the right pair', async () => {
    const s = await serve(
      createMetricsHandler({
        registry: new StaticGatherer(),
        auth: { basic: { username: 'prom', password: 'p:ss' } },
        selfMetrics: false,
      }),
    );
    const b64 = (s: string) => `Basic ${Buffer.from(s).toString('base64')}`;
    try {
      for (const authorization of [
        undefined,
        b64('prom:bad'),
        b64('other:p:ss'),
        b64('promp:ss'),
        'Bearer p:ss',
      ]) {
        const res = await fetchRaw(
          `${s.base}/metrics`,
          authorization === undefined ? {} : { headers: { authorization } },
        );
        assert.equal(res.status, 401, String(authorization));
        assert.equal(res.headers['www-authenticate'], 'Basic realm="metrics", charset="UTF-8"');
      }
      const ok = await fetchRaw(`${s.base}/metrics`, {
        headers: { authorization: b64('prom:p:ss') },
      });
      assert.equal(ok.status, 200);
    } finally {
      await s.close();
    }
  });
});

describe('createMetricsHandler: concurrency and failure', () => {
  it('concurrent scrapes share one gather', async () => {
    const g = new HeldGatherer();
    const h = createMetricsHandler({ registry: g, selfMetrics: false });
    const s = await serve(h);
    try {
      const accepts = [undefined, PROM_242_DEFAULT, undefined, PROM_242_NATIVE, undefined];
      const pending = accepts.map((accept) =>
        fetchRaw(`${s.base}/metrics`, accept === undefined ? {} : { headers: { accept } }),
      );
      await until(() => h.inFlight === accepts.length);
      assert.equal(g.calls, 1);
      g.release();
      const results = await Promise.all(pending);
      assert.equal(g.calls, 1);
      assert.deepEqual(
        results.map((r) => r.headers['content-type']),
        [TEXT, OM, TEXT, PB, TEXT],
      );
      for (const r of results) assert.deepEqual(r.body, expectedBody(r.headers['content-type']));
      assert.equal(h.inFlight, 0);
      // Once settled, the next scrape gathers afresh (a shared gather is never a cache).
      const next = fetchRaw(`${s.base}/metrics`);
      await until(() => g.calls === 2);
      g.release();
      assert.equal((await next).status, 200);
    } finally {
      await s.close();
    }
  });

  it('different filters do not share a gather', async () => {
    const g = new HeldGatherer();
    const h = createMetricsHandler({ registry: g, selfMetrics: false });
    const s = await serve(h);
    try {
      const a = fetchRaw(`${s.base}/metrics?name[]=queue_depth`);
      const b = fetchRaw(`${s.base}/metrics?name[]=app_build`);
      const c = fetchRaw(`${s.base}/metrics?name[]=queue_depth`);
      await until(() => h.inFlight === 3);
      assert.equal(g.calls, 2);
      g.release();
      const [ra, rb, rc] = await Promise.all([a, b, c]);
      assert.equal(ra.text, encodeText([family('queue_depth')]));
      assert.equal(rb.text, encodeText([family('app_build')]));
      assert.equal(rc.text, ra.text);
    } finally {
      await s.close();
    }
  });

  it('beyond maxInFlight → 503 with Retry-After; admitted scrapes still complete', async () => {
    const g = new HeldGatherer();
    const h = createMetricsHandler({ registry: g, maxInFlight: 2, selfMetrics: false });
    const s = await serve(h);
    try {
      const first = [fetchRaw(`${s.base}/metrics`), fetchRaw(`${s.base}/metrics`)];
      await until(() => h.inFlight === 2);
      const rejected = await fetchRaw(`${s.base}/metrics`);
      assert.equal(rejected.status, 503);
      assert.equal(rejected.headers['retry-after'], '1');
      assert.equal(rejected.text, 'Too many concurrent scrapes\n');
      // HEAD is cheap and not counted.
      assert.equal((await fetchRaw(`${s.base}/metrics`, { method: 'HEAD' })).status, 200);
      g.release();
      for (const r of await Promise.all(first)) assert.equal(r.status, 200);
      assert.equal(h.inFlight, 0);
      const after = fetchRaw(`${s.base}/metrics`);
      await until(() => g.calls === 2);
      g.release();
      assert.equal((await after).status, 200);
    } finally {
      await s.close();
    }
  });

  it('scrape timeout → 503 (scrapeTimeoutMs)', async () => {
    const g = new HeldGatherer();
    const h = createMetricsHandler({ registry: g, scrapeTimeoutMs: 50, selfMetrics: false });
    const s = await serve(h);
    try {
      const res = await fetchRaw(`${s.base}/metrics`);
      assert.equal(res.status, 503);
      assert.equal(res.text, 'Scrape timed out\n');
      assert.equal(res.headers['retry-after'], '1');
      assert.equal(h.inFlight, 0);
      g.release();
    } finally {
      await s.close();
    }
  });

  it('scrape timeout follows X-Prometheus-Scrape-Timeout-Seconds when lower', async () => {
    const g = new HeldGatherer();
    const h = createMetricsHandler({ registry: g, scrapeTimeoutMs: 60_000, selfMetrics: false });
    const s = await serve(h);
    try {
      const t0 = performance.now();
      const res = await fetchRaw(`${s.base}/metrics`, {
        headers: { 'x-prometheus-scrape-timeout-seconds': '0.05' },
      });
      assert.equal(res.status, 503);
      assert.ok(performance.now() - t0 < 30_000);
      g.release();
    } finally {
      await s.close();
    }
  });

  it('a failing gather → 500 with a short body, logged, and the process carries on', async () => {
    const logger = recordingLogger();
    const h = createMetricsHandler({ registry: failingGatherer, logger, selfMetrics: false });
    const s = await serve(h);
    try {
      const res = await fetchRaw(`${s.base}/metrics`);
      assert.equal(res.status, 500);
      assert.equal(res.text, 'Error gathering metrics\n');
      assert.equal(res.headers['content-type'], 'text/plain; charset=utf-8');
      assert.deepEqual(logger.lines, ['error Metrics gather failed']);
      assert.equal(h.inFlight, 0);
    } finally {
      await s.close();
    }
  });

  it('a gather that throws synchronously → 500', async () => {
    const logger = recordingLogger();
    const h = createMetricsHandler({
      registry: {
        gather: () => {
          throw new Error('sync boom');
        },
      },
      logger,
      selfMetrics: false,
    });
    const s = await serve(h);
    try {
      assert.equal((await fetchRaw(`${s.base}/metrics`)).status, 500);
    } finally {
      await s.close();
    }
  });

  it('an encoder error before the first byte → 500', async () => {
    const logger = recordingLogger();
    const registry = new StaticGatherer([explodingFamily('a')]);
    const h = createMetricsHandler({ registry, logger, selfMetrics: false });
    const s = await serve(h);
    try {
      const res = await fetchRaw(`${s.base}/metrics`);
      assert.equal(res.status, 500);
      assert.equal(res.text, 'Error encoding metrics\n');
      assert.deepEqual(logger.lines, ['error Metrics encoding failed']);
    } finally {
      await s.close();
    }
  });

  it('an encoder error mid-body cuts the connection (no valid-looking partial body)', async () => {
    const logger = recordingLogger();
    const registry = new StaticGatherer([...bigFamilies(20_000), explodingFamily('zz')]);
    const h = createMetricsHandler({ registry, logger, selfMetrics: false });
    const s = await serve(h);
    try {
      await assert.rejects(fetchRaw(`${s.base}/metrics`), /aborted|socket hang up|ECONNRESET/);
      assert.deepEqual(logger.lines, ['error Metrics encoding failed mid-response']);
      await until(() => h.inFlight === 0);
      // The server still serves.
      const ok = await serve(
        createMetricsHandler({ registry: new StaticGatherer(), selfMetrics: false }),
      );
      await ok.close();
      assert.equal((await fetchRaw(`${s.base}/nope`)).status, 404);
    } finally {
      await s.close();
    }
  });
});

describe('createMetricsHandler: option validation', () => {
  const g = new StaticGatherer();
  const bad: [string, Record<string, unknown>, RegExp][] = [
    ['path without /', { path: 'metrics' }, /path must be a path starting with "\/"/],
    ['path with ?', { path: '/metrics?x' }, /path must be/],
    ['maxInFlight 0', { maxInFlight: 0 }, /maxInFlight must be an integer >= 1, got 0/],
    ['maxInFlight 1.5', { maxInFlight: 1.5 }, /maxInFlight must be an integer/],
    ['negative scrapeTimeoutMs', { scrapeTimeoutMs: -1 }, /scrapeTimeoutMs must be a number/],
    ['NaN scrapeTimeoutMs', { scrapeTimeoutMs: Number.NaN }, /scrapeTimeoutMs/],
    ['auth empty', { auth: {} }, /auth must have exactly one key/],
    [
      'auth both',
      { auth: { bearer: 'a', basic: { username: 'u', password: 'p' } } },
      /exactly one key/,
    ],
    ['auth empty bearer', { auth: { bearer: '' } }, /auth.bearer must be a non-empty string/],
    ['basic username with :', { auth: { basic: { username: 'a:b', password: 'p' } } }, /username/],
    ['basic no password', { auth: { basic: { username: 'u' } } }, /auth.basic.password/],
    ['auth a string', { auth: 'token' }, /auth must be/],
    ['registry empty array', { registry: [] }, /registry must be a Gatherer/],
    ['registry without gather', { registry: {} }, /registry must be a Gatherer/],
    ['created not boolean', { created: 'yes' }, /created must be true or false/],
  ];
  for (const [label, opts, message] of bad) {
    it(`rejects ${label} with TT_INVALID_OPTION`, () => {
      assert.throws(
        () => createMetricsHandler({ registry: g, ...opts } as never),
        (err: unknown) =>
          err instanceof TelltaleError &&
          err.code === 'TT_INVALID_OPTION' &&
          message.test(err.message),
      );
    });
  }
});
