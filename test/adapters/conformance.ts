// The adapter conformance suite: identical scenarios and identical expectations for node:http, Express, Fastify and Hono.
import assert from 'node:assert/strict';
import { Agent, METHODS, request } from 'node:http';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { encodeOpenMetrics } from '../../src/exposition/index.js';
import { pathOf, STANDARD_METHODS } from '../../src/instrument/index.js';
import { createLogger } from '../../src/log/index.js';
import {
  createRegistry,
  labelsOf,
  type MetricPoint,
  type Registry,
} from '../../src/metrics/index.js';
import { createTelemetry } from '../../src/trace/index.js';
import {
  assertOpenMetricsBodyValid,
  assertPromtoolClean,
  assertTextBodyValid,
  type HttpRequestOptions,
  httpRequest,
  pollUntil,
  ResponseStreamError,
} from '../helpers/index.js';
import { type AdapterCase, ROUTES, type RunningApp } from './apps.js';

/** One response, as the suite sees it. */
export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * Sends one request; `agent` may keep connections alive. Resolves with status 0 when no answer
 * came (a socket error or the timeout); a response that broke off after it started still rejects.
 */
export async function send(
  base: string,
  method: string,
  path: string,
  options: {
    headers?: Record<string, string>;
    body?: string;
    agent?: Agent;
  } = {},
): Promise<Reply> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.body !== undefined) {
    headers['content-type'] = 'text/plain';
    headers['content-length'] = String(Buffer.byteLength(options.body));
  }
  const request: HttpRequestOptions = { method, headers };
  if (options.body !== undefined) request.body = options.body;
  if (options.agent !== undefined) request.agent = options.agent;
  try {
    return await httpRequest(`${base}${path}`, request);
  } catch (err) {
    if (err instanceof ResponseStreamError) throw err;
    return { status: 0, headers: {}, body: '' };
  }
}

/** A destination stream for telltale's logger that keeps every JSON line, parsed. */
export function captureLogs(): { lines: Record<string, unknown>[]; stream: Writable } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
      }
      done();
    },
  });
  return { lines, stream };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT_ID = '00f067aa0ba902b7';
const TRACEPARENT = `00-${TRACE_ID}-${PARENT_ID}-01`;

/** The points of `family` in the registry's snapshot ([] when absent). */
export function series(registry: Registry, family: string): readonly MetricPoint[] {
  return registry.snapshot()[family]?.points ?? [];
}

/** A counter's or gauge's value, a histogram's or summary's count; undefined for other points. */
export function numberOf(p: MetricPoint | undefined): number | undefined {
  if (p === undefined) return undefined;
  if ('value' in p) return p.value;
  if ('count' in p) return p.count;
  return undefined;
}

/** A histogram's or summary's sum; undefined for other points. */
function sumOf(p: MetricPoint): number | undefined {
  return 'sum' in p ? p.sum : undefined;
}

function key(labels: Readonly<Record<string, string>>, names: readonly string[]): string {
  return names.map((n) => labels[n]).join(' ');
}

/** `{ "GET /hello/:name 200": 4, … }` for a counter, `{ "GET /hello/:name": 4 }` (counts) for a histogram. */
function counts(
  registry: Registry,
  family: string,
  names: readonly string[],
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of series(registry, family)) out[key(labelsOf(s), names)] = numberOf(s) ?? 0;
  return out;
}

function sums(registry: Registry, family: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of series(registry, family))
    out[key(labelsOf(s), ['method', 'route'])] = sumOf(s) ?? 0;
  return out;
}

function inFlight(registry: Registry, prefix = ''): number | undefined {
  return numberOf(series(registry, `${prefix}http_requests_in_flight`)[0]);
}

function total(registry: Registry, prefix = ''): number {
  let n = 0;
  for (const s of series(registry, `${prefix}http_requests`)) n += numberOf(s) ?? 0;
  return n;
}

/** Waits until `n` requests are recorded and none is in flight (the response's close event comes after the client saw it). */
async function settled(registry: Registry, n: number, prefix = ''): Promise<void> {
  await pollUntil(
    () => (total(registry, prefix) === n && inFlight(registry, prefix) === 0 ? true : undefined),
    {
      description: `${n} requests recorded, in-flight 0 (now ${total(registry, prefix)}, ${inFlight(registry, prefix)})`,
      timeoutMs: 5000,
      intervalMs: 10,
    },
  );
}

/** The standard workload: what each request is, and what every adapter must record for it. */
async function workload(url: string): Promise<Reply[]> {
  const replies: Reply[] = [];
  for (const name of ['ann', 'bob', 'ann']) replies.push(await send(url, 'GET', `/hello/${name}`));
  replies.push(await send(url, 'GET', '/hello/cy?debug=1'));
  replies.push(await send(url, 'GET', '/api/users/42'));
  replies.push(await send(url, 'POST', '/echo', { body: 'ping' }));
  replies.push(await send(url, 'POST', '/echo', { body: 'pong!' }));
  replies.push(await send(url, 'GET', '/fail'));
  replies.push(await send(url, 'GET', '/nope/at/all'));
  replies.push(await send(url, 'GET', '/hello/x/y'));
  replies.push(await send(url, 'PURGE', '/hello/x'));
  replies.push(await send(url, 'GET', '/metrics'));
  replies.push(await send(url, 'GET', '/health'));
  return replies;
}
const RECORDED = 11; // the workload minus /metrics and /health

const EXPECTED_REQUESTS = {
  'GET /hello/:name 200': 4,
  'GET /api/users/:id 200': 1,
  'POST /echo 200': 2,
  'GET /fail 500': 1,
  'GET unmatched 404': 2,
  'OTHER unmatched 404': 1,
};
const EXPECTED_DURATION_COUNTS = {
  'GET /hello/:name': 4,
  'GET /api/users/:id': 1,
  'POST /echo': 2,
  'GET /fail': 1,
  'GET unmatched': 2,
  'OTHER unmatched': 1,
};

/**
 * Runs the whole suite against one adapter. Every adapter gets the same requests and the same
 * assertions; nothing here branches on the framework.
 */
export function runConformance(adapter: AdapterCase): void {
  describe(`${adapter.name} adapter conformance`, () => {
    describe('metrics only', () => {
      const registry = createRegistry();
      let app: RunningApp;
      let replies: Reply[];
      before(async () => {
        app = await adapter.start({ registry });
        replies = await workload(app.url);
        await settled(registry, RECORDED);
      });
      after(() => app?.close());

      it('answers the app shape', () => {
        assert.deepEqual(
          replies.map((r) => r.status),
          [200, 200, 200, 200, 200, 200, 200, 500, 404, 404, 404, 200, 200],
        );
        assert.equal(replies[0]?.body, 'hello ann');
        assert.equal(replies[5]?.body, 'ping');
        assert.equal(
          replies[0]?.headers['x-request-id'],
          undefined,
          'no request id without full mode',
        );
      });

      it('counts http_requests_total by method, route template and exact status', () => {
        assert.deepEqual(
          counts(registry, 'http_requests', ['method', 'route', 'status']),
          EXPECTED_REQUESTS,
        );
      });

      it('observes one duration per request, by method and route', () => {
        assert.deepEqual(
          counts(registry, 'http_request_duration_seconds', ['method', 'route']),
          EXPECTED_DURATION_COUNTS,
        );
        for (const s of series(registry, 'http_request_duration_seconds')) {
          const sum = sumOf(s);
          assert.ok((sum ?? -1) >= 0 && (sum ?? 1e9) < 5, `plausible duration sum ${sum}`);
        }
      });

      it('brings http_requests_in_flight back to 0', () => {
        assert.equal(inFlight(registry), 0);
      });

      it('observes request sizes from Content-Length (0 without a body)', () => {
        assert.deepEqual(
          counts(registry, 'http_request_size_bytes', ['method', 'route']),
          EXPECTED_DURATION_COUNTS,
        );
        const s = sums(registry, 'http_request_size_bytes');
        assert.equal(s['POST /echo'], 9);
        assert.equal(s['GET /hello/:name'], 0);
      });

      it('observes response sizes for every response', () => {
        assert.deepEqual(
          counts(registry, 'http_response_size_bytes', ['method', 'route']),
          EXPECTED_DURATION_COUNTS,
        );
        const s = sums(registry, 'http_response_size_bytes');
        assert.equal(s['GET /hello/:name'], 9 + 9 + 9 + 8); // hello ann, hello bob, hello ann, hello cy
        assert.equal(s['GET /api/users/:id'], 'user 42'.length);
        assert.equal(s['POST /echo'], 'ping'.length + 'pong!'.length);
      });

      it('records a client that gives up before the response as 499 and frees the in-flight slot', async () => {
        const req = request(`${app.url}/slow`, { agent: false });
        req.on('error', () => {});
        req.end();
        await pollUntil(() => (inFlight(registry) === 1 ? true : undefined), {
          description: '/slow in flight',
          timeoutMs: 5000,
          intervalMs: 5,
        });
        req.destroy();
        await settled(registry, RECORDED + 1);
        assert.equal(
          counts(registry, 'http_requests', ['method', 'route', 'status'])['GET /slow 499'],
          1,
        );
      });

      it('keeps /metrics and /health out of the metrics', () => {
        const routes = new Set(series(registry, 'http_requests').map((s) => labelsOf(s).route));
        assert.ok(!routes.has('/metrics') && !routes.has('/health'));
      });

      it('serves a metrics body that promtool and the Python parsers accept (text and OpenMetrics)', async () => {
        const body = (await send(app.url, 'GET', '/metrics')).body;
        assert.match(
          body,
          /^http_requests_total\{method="GET",route="\/hello\/:name",status="200"\} 4$/m,
        );
        await assertPromtoolClean(body);
        await assertTextBodyValid(body);
        await assertOpenMetricsBodyValid(encodeOpenMetrics(registry.gatherSync()));
      });
    });

    describe('prefix and custom unmatched value', () => {
      const registry = createRegistry();
      let app: RunningApp;
      before(async () => {
        app = await adapter.start({
          registry,
          prefix: 'canvas_',
          unmatchedRoute: 'none',
          ignore: false,
        });
        await send(app.url, 'GET', '/hello/ann');
        await send(app.url, 'GET', '/zzz');
        await send(app.url, 'GET', '/health');
        await settled(registry, 3, 'canvas_');
      });
      after(() => app?.close());

      it('names every metric with the prefix', () => {
        const names = Object.keys(registry.snapshot()).sort();
        assert.deepEqual(names, [
          'canvas_http_request_duration_seconds',
          'canvas_http_request_size_bytes',
          'canvas_http_requests',
          'canvas_http_requests_in_flight',
          'canvas_http_response_size_bytes',
        ]);
      });

      it('uses the configured unmatched value, and ignore: false records /health', () => {
        const c = counts(registry, 'canvas_http_requests', ['method', 'route', 'status']);
        assert.equal(c['GET /hello/:name 200'], 1);
        assert.equal(c['GET none 404'], 1);
        assert.equal(Object.keys(c).length, 3);
      });
    });

    describe('full mode: request id, context, span and access log', () => {
      const registry = createRegistry();
      const logs = captureLogs();
      const logger = createLogger({
        name: 'http',
        destination: logs.stream,
        env: {},
        level: 'debug',
        base: null,
      });
      // Span-close events at info to the same logger; OpenTelemetry off for this suite only.
      const telemetry = createTelemetry({
        logger,
        tracing: { level: 'info', openTelemetry: false },
      });
      let app: RunningApp;
      before(async () => {
        app = await adapter.start({
          telemetry,
          registry,
          requestId: true,
          tracing: true,
          accessLog: { logger },
        });
      });
      after(async () => {
        await app?.close();
      });

      it('echoes a valid incoming x-request-id', async () => {
        for (const id of ['abc-123', 'A.b_c:d-9', 'x'.repeat(128)]) {
          const r = await send(app.url, 'GET', '/hello/ann', { headers: { 'x-request-id': id } });
          assert.equal(r.headers['x-request-id'], id);
        }
      });

      it('replaces a missing, empty, oversized or injected id with a UUID', async () => {
        const bad = [
          '',
          'x'.repeat(129),
          'a b',
          '"quoted"',
          'a,b',
          '{"admin":true}',
          'id;drop',
          'é',
        ];
        const seen = new Set<string>();
        for (const id of [undefined, ...bad]) {
          const headers: Record<string, string> = id === undefined ? {} : { 'x-request-id': id };
          const r = await send(app.url, 'GET', '/hello/ann', { headers });
          const echoed = r.headers['x-request-id'];
          assert.equal(typeof echoed, 'string');
          assert.match(echoed as string, UUID);
          seen.add(echoed as string);
        }
        assert.equal(seen.size, bad.length + 1, 'a fresh id each time');
      });

      it('runs the handler inside the request context (across an await)', async () => {
        const r = await send(app.url, 'GET', '/ctx', {
          headers: { 'x-request-id': 'ctx-1', traceparent: TRACEPARENT },
        });
        assert.equal(r.body, `ctx-1 ${TRACE_ID}`);
        const fresh = await send(app.url, 'GET', '/ctx', {
          headers: { traceparent: `00-${'0'.repeat(32)}-00f067aa0ba902b7-01` },
        });
        const [id, trace] = fresh.body.split(' ');
        assert.equal(id, fresh.headers['x-request-id']);
        assert.match(trace ?? '', /^[0-9a-f]{32}$/);
        assert.notEqual(trace, '0'.repeat(32), 'an all-zero traceparent starts a new trace');
      });

      it('writes one access-log line and one server span per request, with the same fields', async () => {
        logs.lines.length = 0;
        const before = total(registry);
        const h = (id: string) => ({ 'x-request-id': id, traceparent: TRACEPARENT });
        await send(app.url, 'GET', '/hello/ann?token=secret', { headers: h('req-1') });
        await send(app.url, 'POST', '/echo', { body: 'ping', headers: h('req-2') });
        await send(app.url, 'GET', '/nope', { headers: h('req-3') });
        await send(app.url, 'GET', '/fail', { headers: h('req-5') });
        await send(app.url, 'GET', '/metrics', { headers: h('req-4') });
        await settled(registry, before + 4);
        const access = logs.lines.filter((l) => l.msg === 'request finished');
        const spans = logs.lines.filter((l) => l.msg === 'span closed');
        assert.equal(access.length, 4, 'no line for /metrics');
        assert.equal(spans.length, 4, 'no span for /metrics');
        const byId = new Map(access.map((l) => [l.request_id, l]));
        const pick = (l: Record<string, unknown> | undefined): Record<string, unknown> => {
          assert.ok(l);
          assert.equal(typeof l.duration_ms, 'number');
          assert.ok((l.duration_ms as number) >= 0);
          assert.match(String(l.span_id), /^[0-9a-f]{16}$/);
          const out: Record<string, unknown> = {};
          for (const k of [
            'level',
            'name',
            'msg',
            'method',
            'route',
            'path',
            'status',
            'bytes',
            'request_id',
            'trace_id',
            'error',
          ]) {
            if (k in l) out[k] = l[k];
          }
          return out;
        };
        const common = { level: 'info', name: 'http', msg: 'request finished', trace_id: TRACE_ID };
        assert.deepEqual(pick(byId.get('req-1')), {
          ...common,
          method: 'GET',
          route: '/hello/:name',
          path: '/hello/ann',
          status: 200,
          bytes: 9,
          request_id: 'req-1',
        });
        assert.deepEqual(pick(byId.get('req-2')), {
          ...common,
          method: 'POST',
          route: '/echo',
          path: '/echo',
          status: 200,
          bytes: 4,
          request_id: 'req-2',
        });
        const l3 = pick(byId.get('req-3'));
        assert.equal(typeof l3.bytes, 'number');
        assert.deepEqual(
          { ...l3, bytes: 0 },
          {
            ...common,
            method: 'GET',
            route: 'unmatched',
            path: '/nope',
            status: 404,
            bytes: 0,
            request_id: 'req-3',
          },
        );
        const l5 = pick(byId.get('req-5'));
        assert.deepEqual(l5, {
          ...common,
          method: 'GET',
          route: '/fail',
          path: '/fail',
          status: 500,
          bytes: l5.bytes,
          request_id: 'req-5',
          error: 'boom',
        });

        const spanById = new Map(spans.map((l) => [l.request_id, l]));
        const s1 = spanById.get('req-1');
        assert.ok(s1);
        assert.equal(s1.span, 'GET /hello/:name');
        assert.equal(s1.span_kind, 'server');
        assert.equal(s1.trace_id, TRACE_ID);
        assert.equal(s1.parent_span_id, PARENT_ID);
        assert.equal(
          s1.span_id,
          byId.get('req-1')?.span_id,
          'the access log names the server span',
        );
        assert.equal(s1.status, 'ok');
        assert.equal(s1['http.route'], '/hello/:name');
        assert.equal(s1['http.response.status_code'], 200);
        assert.equal(spanById.get('req-3')?.span, 'GET unmatched');
        assert.equal(spanById.get('req-5')?.status, 'error');
        assert.equal(spanById.get('req-5')?.error, 'boom');
      });

      it('still records the same metrics in full mode', () => {
        const c = counts(registry, 'http_requests', ['method', 'route', 'status']);
        assert.ok((c['GET /hello/:name 200'] ?? 0) >= 12);
        assert.equal(c['GET /ctx 200'], 2);
        assert.equal(inFlight(registry), 0);
      });
    });

    describe('a malformed percent-encoding in the path: 400, recorded as unmatched', () => {
      // Each path has a `%` that is not two hex digits, or escapes that are not UTF-8: what
      // decodeURIComponent rejects. The query string is not checked.
      const MALFORMED = [
        '/hello/%ZZ',
        '/hello/%E0%A4%A',
        '/hello/%FF',
        '/hello/%',
        '/api/users/%zz',
        '/nope/%ZZ?x=1',
      ];
      for (const full of [false, true]) {
        describe(full ? 'full mode' : 'metrics only', () => {
          const registry = createRegistry();
          const logs = captureLogs();
          const logger = createLogger({
            name: 'http',
            destination: logs.stream,
            env: {},
            base: null,
          });
          let app: RunningApp;
          let replies: Reply[];
          before(async () => {
            app = await adapter.start(
              full ? { registry, requestId: true, accessLog: { logger } } : { registry },
            );
            replies = [];
            for (const p of MALFORMED) {
              replies.push(await send(app.url, 'GET', p, { headers: { 'x-request-id': 'bad-1' } }));
            }
            replies.push(await send(app.url, 'PURGE', '/hello/%ZZ'));
            // Valid escapes and a malformed query string are served as usual.
            replies.push(await send(app.url, 'GET', '/hello/caf%C3%A9'));
            replies.push(await send(app.url, 'GET', '/hello/ann?q=%ZZ'));
            await settled(registry, MALFORMED.length + 3);
          });
          after(() => app?.close());

          it('answers 400 to each, and serves valid escapes and a malformed query', () => {
            assert.deepEqual(
              replies.map((r) => r.status),
              [...MALFORMED.map(() => 400), 400, 200, 200],
            );
            assert.equal(replies.at(-2)?.body, 'hello café');
            assert.equal(replies.at(-1)?.body, 'hello ann');
          });

          it('records them under the unmatched route with status 400, never the raw path', () => {
            assert.deepEqual(counts(registry, 'http_requests', ['method', 'route', 'status']), {
              'GET unmatched 400': MALFORMED.length,
              'OTHER unmatched 400': 1,
              'GET /hello/:name 200': 2,
            });
            assert.deepEqual(
              counts(registry, 'http_request_duration_seconds', ['method', 'route']),
              { 'GET unmatched': MALFORMED.length, 'OTHER unmatched': 1, 'GET /hello/:name': 2 },
            );
            assert.equal(inFlight(registry), 0);
          });

          if (full) {
            it('echoes the request id and writes one access-log line per rejected request', () => {
              assert.equal(replies[0]?.headers['x-request-id'], 'bad-1');
              const lines = logs.lines.filter((l) => l.msg === 'request finished');
              const rejected = lines.filter((l) => l.status === 400);
              assert.deepEqual(
                rejected.map((l) => [l.method, l.route, l.path, l.request_id]),
                [
                  ...MALFORMED.map((p) => ['GET', 'unmatched', pathOf(p), 'bad-1']),
                  ['PURGE', 'unmatched', '/hello/%ZZ', rejected.at(-1)?.request_id],
                ],
              );
              assert.equal(lines.length, MALFORMED.length + 3);
            });
          }
        });
      }
    });

    describe('bad input: label values stay bounded', () => {
      const registry = createRegistry();
      let app: RunningApp;
      const agent = new Agent({ keepAlive: true, maxSockets: 8 });
      before(async () => {
        app = await adapter.start({ registry });
      });
      after(async () => {
        agent.destroy();
        await app?.close();
      });

      it('1,000 random paths and 50 methods add no route or method values', {
        timeout: 60_000,
      }, async () => {
        let seed = 42;
        const rand = (n: number): number => {
          seed = (seed * 1103515245 + 12345) & 0x7fffffff;
          return seed % n;
        };
        const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789-._~%:@!$&()*+,;=';
        const word = (): string => {
          let s = '';
          for (let i = 1 + rand(12); i > 0; i--) s += alphabet[rand(alphabet.length)];
          return s;
        };
        const paths: string[] = [];
        for (let i = 0; i < 1000; i++) {
          const kind = rand(5);
          if (kind === 0) paths.push(`/hello/${word()}`);
          else if (kind === 1) paths.push(`/api/users/${word()}/${word()}`);
          else if (kind === 2) paths.push(`/${word()}?${word()}=${word()}`);
          else paths.push(`/${word()}/${word()}/${word()}`);
        }
        // Every method node:http parses (except CONNECT, which never reaches a request handler),
        // then made-up tokens that node's parser answers with 400 before any handler runs.
        const methods = METHODS.filter((m) => m !== 'CONNECT');
        for (let i = 0; methods.length < 50; i++)
          methods.push(
            `X${word()
              .replace(/[^a-z0-9]/g, '')
              .toUpperCase()}${i}`,
          );
        const jobs: Array<() => Promise<Reply>> = [];
        for (const p of paths) jobs.push(() => send(app.url, 'GET', p, { agent }));
        for (const m of methods) jobs.push(() => send(app.url, m, '/hello/x'));
        for (const m of methods) jobs.push(() => send(app.url, m, `/${word()}`));
        let next = 0;
        const replies: Reply[] = [];
        await Promise.all(
          Array.from({ length: 8 }, async () => {
            while (next < jobs.length) replies.push(await (jobs[next++] as () => Promise<Reply>)());
          }),
        );
        await pollUntil(() => (inFlight(registry) === 0 ? true : undefined), {
          description: 'in-flight back to 0',
          timeoutMs: 5000,
          intervalMs: 10,
        });
        const known = new Set<string>([...ROUTES, 'unmatched']);
        const allowedMethods = new Set<string>([...STANDARD_METHODS, 'OTHER']);
        for (const family of [
          'http_requests',
          'http_request_duration_seconds',
          'http_request_size_bytes',
          'http_response_size_bytes',
        ]) {
          for (const s of series(registry, family)) {
            const labels = labelsOf(s);
            assert.ok(
              known.has(labels.route as string),
              `${family}: unexpected route ${labels.route}`,
            );
            assert.ok(
              allowedMethods.has(labels.method as string),
              `${family}: unexpected method ${labels.method}`,
            );
          }
        }
        const routes = new Set(series(registry, 'http_requests').map((s) => labelsOf(s).route));
        // Exactly the template the random paths could match, and the one unmatched value.
        assert.deepEqual([...routes].sort(), ['/hello/:name', 'unmatched']);
        const methodsSeen = new Set(
          series(registry, 'http_requests').map((s) => labelsOf(s).method),
        );
        assert.ok(methodsSeen.has('OTHER'));
        assert.ok(series(registry, 'http_requests').length <= known.size * allowedMethods.size * 8);
        // Every request that reached the server's handler is recorded: the routed ones (200, 404)
        // and the malformed paths every adapter answers 400 (the random words may hold a `%`).
        // Node's parser answers the made-up methods 400 before any handler: never recorded.
        const routed = replies.filter((r) => r.status === 200 || r.status === 404).length;
        assert.ok(routed >= 900, `${routed} requests routed`);
        let malformed = 0;
        for (const s of series(registry, 'http_requests')) {
          if (labelsOf(s).status === '400') malformed += numberOf(s) ?? 0;
        }
        assert.ok(malformed > 0, 'some random paths are malformed percent-encoding');
        assert.equal(total(registry), routed + malformed);
      });
    });
  });
}
