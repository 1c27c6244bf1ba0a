// Tests for createMetricsServer: bind-before-ready, EADDRINUSE, disabled mode, routes, close, option validation.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { encodeText } from '../../src/exposition/index.js';
import { TelltaleError } from '../../src/internal/errors.js';
import { type LogFields, logArgs } from '../../src/internal/logger.js';
import { createRegistry } from '../../src/metrics/index.js';
import {
  createMetricsServer,
  type MinimalLogger,
  type RunningMetricsServer,
} from '../../src/server/index.js';
import { DISABLED_MESSAGE } from '../../src/server/server.js';
import { FAMILIES, fetchRaw, HeldGatherer, StaticGatherer, until } from './fixtures.js';

function recordingLogger(): MinimalLogger & { calls: [string, string, unknown][] } {
  const calls: [string, string, unknown][] = [];
  return {
    calls,
    info: (a: LogFields | string, b?: string) =>
      calls.push(['info', logArgs(a, b).msg, logArgs(a, b).fields]),
    warn: (a: LogFields | string, b?: string) =>
      calls.push(['warn', logArgs(a, b).msg, logArgs(a, b).fields]),
    error: (a: LogFields | string, b?: string) =>
      calls.push(['error', logArgs(a, b).msg, logArgs(a, b).fields]),
  };
}

async function running(
  opts: Partial<Parameters<typeof createMetricsServer>[0]> = {},
): Promise<RunningMetricsServer> {
  const server = await createMetricsServer({
    registry: new StaticGatherer(),
    port: 0,
    selfMetrics: false,
    ...opts,
  });
  assert.equal(server.enabled, true);
  if (!server.enabled) throw new Error('unreachable');
  return server;
}

/** Resolves with the error code of a connection attempt, or 'connected'. */
function connectResult(port: number): Promise<string> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/metrics', agent: false }, (res) => {
      res.resume();
      resolve('connected');
    });
    req.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    req.end();
  });
}

describe('createMetricsServer', () => {
  it('resolves after binding: url, port, and it serves immediately', async () => {
    const logger = recordingLogger();
    const server = await running({ logger });
    try {
      assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
      assert.equal(server.url, `http://127.0.0.1:${server.port}/metrics`);
      assert.notEqual(server.port, 0);
      assert.equal(server.host, '127.0.0.1');
      assert.deepEqual(logger.calls, [['info', 'Metrics endpoint listening', { url: server.url }]]);
      const res = await fetchRaw(server.url);
      assert.equal(res.status, 200);
      assert.equal(res.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
      assert.equal(res.text, encodeText(FAMILIES));
    } finally {
      await server.close();
    }
  });

  it('IPv6 host: the URL brackets the address', async (t) => {
    let server: RunningMetricsServer;
    try {
      server = await running({ host: '::1' });
    } catch (err) {
      if (err instanceof TelltaleError && err.code === 'TT_LISTEN_FAILED') {
        t.skip('no IPv6 loopback on this machine');
        return;
      }
      throw err;
    }
    try {
      assert.equal(server.url, `http://[::1]:${server.port}/metrics`);
      assert.equal((await fetchRaw(server.url)).status, 200);
    } finally {
      await server.close();
    }
  });

  it('custom path', async () => {
    const server = await running({ path: '/internal/prom' });
    try {
      assert.ok(server.url.endsWith('/internal/prom'));
      assert.equal((await fetchRaw(server.url)).status, 200);
      assert.equal((await fetchRaw(server.url.replace('/internal/prom', '/metrics'))).status, 404);
    } finally {
      await server.close();
    }
  });

  it('rejects with TT_LISTEN_FAILED naming host:port and EADDRINUSE when the port is taken', async () => {
    const blocker = createServer();
    blocker.listen(0, '127.0.0.1');
    await once(blocker, 'listening');
    const { port } = blocker.address() as AddressInfo;
    try {
      await assert.rejects(
        createMetricsServer({ registry: new StaticGatherer(), port, selfMetrics: false }),
        (err: unknown) => {
          assert.ok(err instanceof TelltaleError);
          assert.equal(err.code, 'TT_LISTEN_FAILED');
          assert.ok(
            err.message.startsWith(
              `TT_LISTEN_FAILED: metrics server could not listen on 127.0.0.1:${port}: EADDRINUSE`,
            ),
            err.message,
          );
          assert.equal((err.cause as NodeJS.ErrnoException).code, 'EADDRINUSE');
          return true;
        },
      );
    } finally {
      blocker.close();
    }
  });

  it('rejects with TT_LISTEN_FAILED for a host that is not local', async () => {
    // 192.0.2.1 is TEST-NET-1 (RFC 5737): never assigned to this machine.
    await assert.rejects(
      createMetricsServer({
        registry: new StaticGatherer(),
        host: '192.0.2.1',
        port: 0,
        selfMetrics: false,
      }),
      (err: unknown) =>
        err instanceof TelltaleError &&
        err.code === 'TT_LISTEN_FAILED' &&
        err.message.includes('192.0.2.1:0: EADDRNOTAVAIL'),
    );
  });

  it('enabled: false logs exactly "Metrics endpoint disabled" and listens nowhere', async () => {
    // Find a port that is free, then make sure nothing listens on it after a disabled start.
    const probe = createServer();
    probe.listen(0, '127.0.0.1');
    await once(probe, 'listening');
    const { port } = probe.address() as AddressInfo;
    await new Promise((r) => probe.close(r));

    const logger = recordingLogger();
    const server = await createMetricsServer({
      registry: new StaticGatherer(),
      enabled: false,
      port,
      logger,
    });
    assert.equal(server.enabled, false);
    assert.equal(server.url, undefined);
    assert.equal(server.port, undefined);
    assert.equal(server.server, undefined);
    assert.deepEqual(logger.calls, [['info', 'Metrics endpoint disabled', undefined]]);
    assert.equal(DISABLED_MESSAGE, 'Metrics endpoint disabled');
    assert.equal(await connectResult(port), 'ECONNREFUSED');
    await server.close();
    await server.close();
  });

  it('enabled: false registers no self-metrics in the registry', async () => {
    const registry = createRegistry();
    const logger = recordingLogger();
    const server = await createMetricsServer({ registry, enabled: false, logger });
    assert.equal(server.enabled, false);
    assert.deepEqual(registry.instruments(), []);
    await assert.rejects(
      createMetricsServer({ registry, enabled: false, logger, selfMetrics: {} as never }),
      (err: unknown) => err instanceof TelltaleError && err.code === 'TT_INVALID_OPTION',
    );
  });

  it('enabled: false still validates options', async () => {
    await assert.rejects(
      createMetricsServer({ registry: new StaticGatherer(), enabled: false, port: 70_000 }),
      (err: unknown) => err instanceof TelltaleError && err.code === 'TT_INVALID_OPTION',
    );
  });

  it('routes: exact path, any method, no metrics auth; a throwing route → 500', async () => {
    const logger = recordingLogger();
    const server = await running({
      logger,
      auth: { bearer: 't' },
      routes: {
        '/healthz': (_req, res) => {
          res.writeHead(200, { 'Content-Type': 'text/plain' });
          res.end('ok\n');
        },
        '/broken': () => {
          throw new Error('route boom');
        },
        '/broken-async': async () => {
          throw new Error('async route boom');
        },
      },
    });
    try {
      const base = server.url.replace('/metrics', '');
      const h = await fetchRaw(`${base}/healthz?verbose`);
      assert.equal(h.status, 200);
      assert.equal(h.text, 'ok\n');
      assert.equal((await fetchRaw(`${base}/healthz/`)).status, 404);
      assert.equal((await fetchRaw(server.url)).status, 401);
      assert.equal((await fetchRaw(`${base}/broken`)).status, 500);
      assert.equal((await fetchRaw(`${base}/broken-async`)).status, 500);
      assert.deepEqual(
        logger.calls.filter((c) => c[0] === 'error').map((c) => c[1]),
        ['Route handler failed', 'Route handler failed'],
      );
    } finally {
      await server.close();
    }
  });

  it('close(): stops accepting, waits for an in-flight scrape, closes idle keep-alive connections', async () => {
    const g = new HeldGatherer();
    const server = await running({ registry: g, keepAliveTimeoutMs: 60_000 });
    // A keep-alive connection left idle after one request.
    const { Agent } = await import('node:http');
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const idle = new Promise<number>((resolve, reject) => {
      const req = request(server.url.replace('/metrics', '/nope'), { agent }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      req.end();
    });
    assert.equal(await idle, 404);
    const inflight = fetchRaw(server.url);
    await until(() => g.calls === 1);
    let closed = false;
    const closing = server.close().then(() => {
      closed = true;
    });
    assert.equal(server.close(), server.close());
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(closed, false, 'close() must wait for the in-flight scrape');
    assert.equal(await connectResult(server.port), 'ECONNREFUSED');
    g.release();
    const res = await inflight;
    assert.equal(res.status, 200);
    await closing;
    assert.equal(closed, true);
    agent.destroy();
  });
});

describe('createMetricsServer: option validation', () => {
  const bad: [string, Record<string, unknown>, RegExp][] = [
    ['port -1', { port: -1 }, /port must be an integer from 0 to 65535, got -1/],
    ['port 65536', { port: 65_536 }, /port must be an integer from 0 to 65535/],
    ['port 80.5', { port: 80.5 }, /port must be an integer/],
    ['port as string', { port: '9464' }, /port must be an integer/],
    ['path without /', { path: 'metrics' }, /path must be a path starting with "\/"/],
    ['empty host', { host: '' }, /host must be a non-empty string/],
    ['enabled as string', { enabled: 'false' }, /enabled must be true or false/],
    [
      'negative headersTimeoutMs',
      { headersTimeoutMs: -5 },
      /headersTimeoutMs must be a number >= 0/,
    ],
    [
      'negative requestTimeoutMs',
      { requestTimeoutMs: -1 },
      /requestTimeoutMs must be a number >= 0/,
    ],
    [
      'negative keepAliveTimeoutMs',
      { keepAliveTimeoutMs: -1 },
      /keepAliveTimeoutMs must be a number >= 0/,
    ],
    [
      'headers > request timeout',
      { headersTimeoutMs: 20_000, requestTimeoutMs: 10_000 },
      /must not exceed requestTimeoutMs/,
    ],
    ['maxInFlight 0', { maxInFlight: 0 }, /maxInFlight must be an integer >= 1/],
    ['negative scrapeTimeoutMs', { scrapeTimeoutMs: -1 }, /scrapeTimeoutMs/],
    ['bad auth', { auth: { token: 'x' } }, /auth must have exactly one key/],
    [
      'route path without /',
      { routes: { healthz: () => {} } },
      /routes\["healthz"\] must be a path/,
    ],
    ['route not a function', { routes: { '/healthz': 'ok' } }, /must be a function/],
    [
      'route on the metrics path',
      { routes: { '/metrics': () => {} } },
      /clashes with the metrics path/,
    ],
    ['a null registry', { registry: null }, /registry must be a Gatherer/],
  ];
  for (const [label, opts, message] of bad) {
    it(`rejects ${label} with TT_INVALID_OPTION`, async () => {
      await assert.rejects(
        createMetricsServer({ registry: new StaticGatherer(), port: 0, ...opts } as never),
        (err: unknown) => {
          assert.ok(err instanceof TelltaleError);
          assert.equal(err.code, 'TT_INVALID_OPTION');
          assert.match(err.message, message);
          return true;
        },
      );
    });
  }
});
