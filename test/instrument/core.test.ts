// Unit tests of the HTTP instrumentation core: method folding, ignore list, the handle cache, options validation, aborted requests.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { createNodeInstrumentation } from '../../src/adapters/node.js';
import { instrumentHandler } from '../../src/adapters/node-http.js';
import {
  compileIgnore,
  createHttpInstrumentation,
  createHttpMetrics,
  createRequestIdResolver,
  foldMethod,
  isMalformedPath,
  pathOf,
  recordHeaders,
} from '../../src/instrument/index.js';
import { TelltaleError } from '../../src/internal/errors.js';
import {
  BucketPresets,
  createRegistry,
  defaultRegistry,
  labelsOf,
} from '../../src/metrics/index.js';
import { httpRequest, pollUntil } from '../helpers/index.js';

function invalidOption(err: unknown): boolean {
  assert.ok(err instanceof TelltaleError);
  assert.equal(err.code, 'TT_INVALID_OPTION');
  return true;
}

describe('foldMethod', () => {
  it('keeps the nine standard methods and folds everything else into OTHER', () => {
    for (const m of [
      'GET',
      'HEAD',
      'POST',
      'PUT',
      'DELETE',
      'PATCH',
      'OPTIONS',
      'CONNECT',
      'TRACE',
    ]) {
      assert.equal(foldMethod(m), m);
    }
    for (const m of ['PURGE', 'PROPFIND', 'get', 'Get', '', 'GET ', undefined]) {
      assert.equal(foldMethod(m), 'OTHER');
    }
  });
});

describe('ignore list', () => {
  it('ignores /metrics, /health, /health/* and /ready by default', () => {
    const ignored = compileIgnore(undefined);
    assert.ok(ignored);
    for (const p of ['/metrics', '/health', '/health/live', '/health/a/b', '/ready'])
      assert.equal(ignored(p), true, p);
    for (const p of ['/metricsx', '/healthz', '/readyz', '/', '/api/health'])
      assert.equal(ignored(p), false, p);
  });
  it('takes a list, a predicate or false, and rejects entries without a leading slash', () => {
    assert.equal(compileIgnore(false), undefined);
    assert.equal(compileIgnore([]), undefined);
    const fn = (p: string): boolean => p === '/x';
    assert.equal(compileIgnore(fn), fn);
    assert.equal(compileIgnore(['/internal/*'])?.('/internal/a'), true);
    assert.throws(() => compileIgnore(['metrics']), invalidOption);
  });
  it('matches exactly what the list says, whatever the first check on the second character rules out', () => {
    const cases: Array<[readonly string[], string[], string[]]> = [
      // [list, ignored, not ignored]
      [['/'], ['/'], ['/a', '//', '/?']],
      [['/*'], ['/', '/a', '/é', '/x/y'], []],
      [
        ['/é', '/ü/*'],
        ['/é', '/ü/a'],
        ['/e', '/ü', '/éa', '/'],
      ],
      [
        ['/m', '/metrics'],
        ['/m', '/metrics'],
        ['/mx', '/n', '/', '/metric'],
      ],
      [
        ['/a/*', '/b'],
        ['/a/', '/a/x', '/b'],
        ['/a', '/ab', '/bb', '/c'],
      ],
    ];
    for (const [list, yes, no] of cases) {
      const ignored = compileIgnore(list);
      assert.ok(ignored);
      for (const p of yes) assert.equal(ignored(p), true, `${list} ${p}`);
      for (const p of no) assert.equal(ignored(p), false, `${list} ${p}`);
    }
  });
  it('pathOf drops the query string without allocating when there is none', () => {
    assert.equal(pathOf('/a/b?x=1'), '/a/b');
    const s = '/a/b';
    assert.equal(pathOf(s), s);
  });
});

describe('createHttpMetrics', () => {
  it('registers the five metrics with default buckets, idempotently', () => {
    const registry = createRegistry();
    const a = createHttpMetrics({ registry });
    const b = createHttpMetrics({ registry });
    assert.equal(a.requests, b.requests);
    assert.deepEqual(a.duration.buckets, BucketPresets.httpLatency);
    assert.deepEqual(a.requestSize.buckets, BucketPresets.bytes);
    assert.deepEqual(Object.keys(registry.snapshot()).sort(), [
      'http_request_duration_seconds',
      'http_request_size_bytes',
      'http_requests',
      'http_requests_in_flight',
      'http_response_size_bytes',
    ]);
  });

  it('takes a prefix and custom buckets', () => {
    const registry = createRegistry();
    const m = createHttpMetrics({
      registry,
      prefix: 'canvas_',
      durationBuckets: [0.1, 1],
      sizeBuckets: [10],
    });
    assert.equal(m.requests.name, 'canvas_http_requests');
    assert.deepEqual(m.duration.buckets, [0.1, 1]);
    assert.deepEqual(m.responseSize.buckets, [10]);
  });

  it('records a request into the right series; status as the exact code', () => {
    const registry = createRegistry();
    const m = createHttpMetrics({ registry });
    m.record('GET', '/users/:id', 200, 0.02, 0, 100);
    m.record('GET', '/users/:id', 200, 0.03, 0, 100);
    m.record('PURGE', '/users/:id', 418, 0.01, 5, undefined);
    assert.equal(m.requests.get({ method: 'GET', route: '/users/:id', status: '200' }), 2);
    assert.equal(m.requests.get({ method: 'OTHER', route: '/users/:id', status: '418' }), 1);
    assert.equal(m.duration.point({ method: 'GET', route: '/users/:id' })?.count, 2);
    assert.equal(m.requestSize.point({ method: 'OTHER', route: '/users/:id' })?.sum, 5);
    assert.equal(
      m.responseSize.point({ method: 'OTHER', route: '/users/:id' })?.count,
      0,
      'unknown size not observed',
    );
  });

  it('stops caching beyond maxCachedRoutes but still records under the series cap', () => {
    const registry = createRegistry();
    const m = createHttpMetrics({ registry, maxCachedRoutes: 2, maxSeries: 5 });
    for (let i = 0; i < 20; i++) m.record('GET', `/r${i}`, 200, 0.001, 0, 0);
    m.record('GET', '/r19', 200, 0.001, 0, 0);
    assert.equal(m.requests.seriesCount, 6); // 5 real series and the overflow series
    let sum = 0;
    const fam = registry.snapshot().http_requests;
    assert.ok(fam?.type === 'counter');
    for (const s of fam.points) sum += s.value;
    assert.equal(sum, 21);
  });

  it('rejects a bad maxCachedRoutes', () => {
    assert.throws(() => createHttpMetrics({ registry: createRegistry(), maxCachedRoutes: -1 }), {
      name: 'TelltaleError',
      code: 'TT_INVALID_OPTION',
      message:
        'TT_INVALID_OPTION: createHttpMetrics: maxCachedRoutes must be an integer ≥ 0, got -1',
    });
  });

  it('records into defaultRegistry() without a registry, as every factory does', () => {
    const m = createHttpMetrics({ prefix: 'default_registry_probe_' });
    assert.equal(defaultRegistry().get('default_registry_probe_http_requests_total'), m.requests);
    assert.equal(createHttpMetrics().requests, createHttpMetrics({}).requests);
  });

  it('refuses options that are not an object with TT_INVALID_OPTION naming the factory', () => {
    const cases: [unknown, string][] = [
      [null, 'null'],
      ['shop_', 'string'],
      [42, 'number'],
      [[], 'an array'],
    ];
    for (const [options, got] of cases) {
      assert.throws(() => createHttpMetrics(options as never), {
        name: 'TelltaleError',
        code: 'TT_INVALID_OPTION',
        message: `TT_INVALID_OPTION: createHttpMetrics: options must be an object, such as { registry, prefix: "shop_" }, got ${got}`,
      });
    }
  });

  it('refuses the positional registry of before issue 12, with the new form in the message', () => {
    const registry = createRegistry();
    for (const args of [[registry], [registry, { prefix: 'shop_' }]]) {
      assert.throws(() => (createHttpMetrics as (...a: unknown[]) => unknown)(...args), {
        code: 'TT_INVALID_OPTION',
        message:
          'TT_INVALID_OPTION: createHttpMetrics: takes one options object; pass the registry as createHttpMetrics({ registry, ...options })',
      });
    }
    assert.equal(registry.get('http_requests_total'), undefined, 'nothing registered');
  });

  it('refuses a registry that is not one', () => {
    for (const registry of [null, {}, 'registry']) {
      assert.throws(() => createHttpMetrics({ registry: registry as never }), {
        code: 'TT_INVALID_OPTION',
        message:
          'TT_INVALID_OPTION: createHttpMetrics: registry must be a telltale registry (from createRegistry()), or omitted for the default one',
      });
    }
  });
});

describe('createHttpInstrumentation', () => {
  it('validates options once, at creation', () => {
    assert.throws(
      () => createHttpInstrumentation({ registry: createRegistry(), unmatchedRoute: '' }),
      invalidOption,
    );
    assert.throws(
      () => createHttpInstrumentation({ metrics: false, requestId: { header: 'bad header' } }),
      invalidOption,
    );
    assert.throws(
      () => createHttpInstrumentation({ metrics: false, accessLog: { level: 'trace' as 'info' } }),
      invalidOption,
    );
  });

  it('start/finish without node:http: in-flight, unmatched default, ignore', () => {
    const registry = createRegistry();
    const http = createHttpInstrumentation({ registry });
    assert.equal(http.start('GET', '/metrics'), undefined);
    const t = http.start('GET', '/x?y=1', recordHeaders({ 'content-length': '12' }));
    assert.ok(t);
    assert.equal(t.path, '/x');
    assert.equal(t.requestBytes, 12);
    assert.equal(http.metrics?.inFlight.get(), 1);
    http.finish(t, 404, 3);
    http.finish(t, 404, 3); // a second finish does nothing
    assert.equal(http.metrics?.inFlight.get(), 0);
    assert.equal(http.metrics?.requests.get({ method: 'GET', route: 'unmatched', status: 404 }), 1);
  });

  it('metrics: false registers nothing', () => {
    const registry = createRegistry();
    const http = createHttpInstrumentation({ registry, metrics: false });
    assert.equal(http.metrics, undefined);
    assert.deepEqual(registry.snapshot(), {});
  });

  it('records a client that goes away before the response as 499, and frees the in-flight slot', async () => {
    const registry = createRegistry();
    const node = createNodeInstrumentation({ registry });
    const http = node.instrumentation;
    const server = createServer((req, res) => {
      const t = node.start(req, res);
      if (t) t.route = '/slow';
      // never answers
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    const req = request({ host: '127.0.0.1', port, path: '/slow', agent: false });
    req.on('error', () => {});
    req.end();
    await pollUntil(() => (http.metrics?.inFlight.get() === 1 ? true : undefined), {
      description: 'request in flight',
      timeoutMs: 5000,
      intervalMs: 10,
    });
    req.destroy();
    await pollUntil(() => (http.metrics?.inFlight.get() === 0 ? true : undefined), {
      description: 'in-flight back to 0',
      timeoutMs: 5000,
      intervalMs: 10,
    });
    assert.equal(http.metrics?.requests.get({ method: 'GET', route: '/slow', status: 499 }), 1);
    server.close();
  });
});

describe('malformed percent-encoding in the path', () => {
  it('isMalformedPath is exactly what decodeURIComponent rejects', () => {
    for (const p of [
      '/a/%ZZ',
      '/a/%',
      '/a/%4',
      '/a/%FF',
      '/a/%E0%A4%A',
      '/a/%C3',
      '/%zz/b',
      '/%ED%A0%80',
    ])
      assert.equal(isMalformedPath(p), true, p);
    for (const p of ['/', '/a/b', '/a/%41', '/caf%C3%A9', '/a%2Fb', '/100%25', '/%F0%9F%98%80'])
      assert.equal(isMalformedPath(p), false, p);
  });

  it('start() marks the tracker for a malformed path only, never for the query string', () => {
    const http = createHttpInstrumentation({ registry: createRegistry() });
    assert.equal(http.start('GET', '/a/%ZZ')?.malformedPath, true);
    assert.equal(http.start('GET', '/a/%FF?x=1')?.malformedPath, true);
    assert.equal(http.start('GET', '/a/b?q=%ZZ')?.malformedPath, false);
    assert.equal(http.start('GET', '/a/%41')?.malformedPath, false);
    assert.equal(http.start('GET', '/metrics'), undefined, 'ignored paths stay ignored');
    const off = createHttpInstrumentation({
      registry: createRegistry(),
      rejectMalformedPaths: false,
    });
    assert.equal(off.start('GET', '/a/%ZZ')?.malformedPath, false);
    assert.throws(
      () => createHttpInstrumentation({ rejectMalformedPaths: 'yes' as unknown as boolean }),
      invalidOption,
    );
  });

  it('rejectMalformedPaths: false leaves the path to the app (node-http: its own answer)', async () => {
    for (const reject of [true, false]) {
      const registry = createRegistry();
      let reached = 0;
      const server = createServer(
        instrumentHandler(
          (_req, res) => {
            reached++;
            res.statusCode = 404;
            res.end('mine');
          },
          { registry, rejectMalformedPaths: reject },
        ),
      );
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      const { port } = server.address() as AddressInfo;
      try {
        const r = await httpRequest(`http://127.0.0.1:${port}/a/%ZZ`);
        assert.deepEqual(
          [r.status, r.body, reached],
          reject ? [400, 'Bad Request', 0] : [404, 'mine', 1],
        );
        assert.equal(r.headers['content-type'], reject ? 'text/plain; charset=utf-8' : undefined);
        const status = reject ? 400 : 404;
        await pollUntil(
          () =>
            registry
              .snapshot()
              .http_requests?.points.find((s) => labelsOf(s).status === String(status)),
          { description: `${status} recorded`, timeoutMs: 5000, intervalMs: 10 },
        );
        assert.deepEqual(
          registry.snapshot().http_requests?.points.map((s) => labelsOf(s)),
          [{ method: 'GET', route: 'unmatched', status: String(status) }],
        );
      } finally {
        server.close();
      }
    }
  });
});

describe('createRequestIdResolver', () => {
  it('keeps 1–128 characters of [A-Za-z0-9._:-], replaces anything else with a UUID', () => {
    const resolve = createRequestIdResolver();
    assert.equal(resolve.header, 'x-request-id');
    assert.equal(resolve('abc.DEF_1:2-3'), 'abc.DEF_1:2-3');
    assert.equal(resolve('x'.repeat(128)), 'x'.repeat(128));
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
    for (const bad of [
      undefined,
      '',
      'x'.repeat(129),
      'a\r\nb',
      'a"b',
      'a b',
      '{"x":1}',
      ['a', 'b'],
    ]) {
      assert.match(resolve(bad), uuid);
    }
    assert.equal(
      createRequestIdResolver({ header: 'X-Correlation-ID' }).header,
      'x-correlation-id',
    );
    assert.equal(createRequestIdResolver({}).header, 'x-request-id');
  });

  it("applies the telemetry's request-id rules", async () => {
    const { createTelemetry } = await import('../../src/trace/index.js');
    const telemetry = createTelemetry({
      requestId: { generate: () => 'generated', accept: (id) => id.startsWith('req-') },
    });
    const resolve = createRequestIdResolver({ header: 'x-correlation-id', telemetry });
    assert.deepEqual(
      [resolve('req-1'), resolve('other'), resolve(undefined)],
      ['req-1', 'generated', 'generated'],
    );
  });

  it('refuses bad options with TT_INVALID_OPTION naming the factory', () => {
    const cases: [unknown, string][] = [
      [
        'x-correlation-id',
        'takes one options object; pass the header as createRequestIdResolver({ header: "x-correlation-id" })',
      ],
      [null, "options must be an object, such as { header: 'x-request-id', telemetry }, got null"],
      [7, "options must be an object, such as { header: 'x-request-id', telemetry }, got number"],
      [{ header: 'bad header' }, 'header must be an HTTP header name, got bad header'],
      [{ header: 7 }, 'header must be an HTTP header name, got 7'],
      [
        { telemetry: {} },
        'telemetry must be a telemetry from createTelemetry() (telltale/trace), or omitted for the default one',
      ],
    ];
    for (const [options, message] of cases) {
      assert.throws(() => createRequestIdResolver(options as never), {
        name: 'TelltaleError',
        code: 'TT_INVALID_OPTION',
        message: `TT_INVALID_OPTION: createRequestIdResolver: ${message}`,
      });
    }
  });
});

describe('recording errors', () => {
  it("a coded error while recording (onLongLabelValue: 'throw') warns once instead of crashing", async () => {
    const { setWarningSink } = await import('../../src/internal/errors.js');
    const warnings: string[] = [];
    const messages: string[] = [];
    const prev = setWarningSink((code, message) => {
      warnings.push(code);
      messages.push(message);
    });
    const registry = createRegistry({ onLongLabelValue: 'throw' });
    const node = createNodeInstrumentation({ registry });
    const server = createServer((req, res) => {
      const t = node.start(req, res);
      if (t) t.route = `/${'x'.repeat(100)}`;
      res.end('ok');
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    try {
      for (let i = 0; i < 2; i++) {
        await new Promise<void>((resolve, reject) => {
          request({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
            res.resume();
            res.on('end', resolve);
          })
            .on('error', reject)
            .end();
        });
      }
      await pollUntil(() => (warnings.length > 0 ? true : undefined), {
        description: 'a warning',
        timeoutMs: 5000,
        intervalMs: 10,
      });
      assert.deepEqual(warnings, ['TT_HTTP_RECORD_FAILED']);
      // The warning names the error that stopped the recording, by its code.
      assert.match(
        messages[0] ?? '',
        /^TT_HTTP_RECORD_FAILED: HTTP instrumentation could not record a request: TT_LABEL_VALUE_TOO_LONG: /,
      );
    } finally {
      setWarningSink(prev);
      server.close();
    }
  });
});
