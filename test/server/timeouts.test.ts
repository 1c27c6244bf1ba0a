// Header timeouts that fire on time: serverTimeouts() values, and a slowloris socket against createMetricsServer and the demo's server, closed within the timeout + 1 s while scrapes keep answering.
import assert from 'node:assert/strict';
import { Agent, request, type Server } from 'node:http';
import { connect } from 'node:net';
import { performance } from 'node:perf_hooks';
import { describe, it } from 'node:test';
import { startDemo } from '../../examples/demo/demo.js';
import { TelltaleError } from '../../src/internal/errors.js';
import { createLogger } from '../../src/log/index.js';
import { createMetricsServer, serverTimeouts } from '../../src/server/index.js';
import { StaticGatherer } from './fixtures.js';

describe('serverTimeouts()', () => {
  it('checks connections at a quarter of the smallest enabled timeout, from 10 to 500 ms', () => {
    assert.deepEqual(serverTimeouts(), {
      headersTimeout: 10_000,
      requestTimeout: 30_000,
      keepAliveTimeout: 5_000,
      connectionsCheckingInterval: 500,
    });
    const interval = (o: Parameters<typeof serverTimeouts>[0]) =>
      serverTimeouts(o).connectionsCheckingInterval;
    assert.equal(interval({ headersTimeoutMs: 2000 }), 500);
    assert.equal(interval({ headersTimeoutMs: 1000 }), 250);
    assert.equal(interval({ headersTimeoutMs: 0, requestTimeoutMs: 800 }), 200);
    assert.equal(interval({ headersTimeoutMs: 20 }), 10);
    // Nothing to check: Node's default.
    assert.equal(interval({ headersTimeoutMs: 0, requestTimeoutMs: 0 }), 30_000);
    assert.deepEqual(
      serverTimeouts({ headersTimeoutMs: 1500, requestTimeoutMs: 0, keepAliveTimeoutMs: 65_000 }),
      {
        headersTimeout: 1500,
        requestTimeout: 0,
        keepAliveTimeout: 65_000,
        connectionsCheckingInterval: 375,
      },
    );
  });

  it('bad values throw TT_INVALID_OPTION naming the option', () => {
    const cases: [unknown, RegExp][] = [
      [
        { headersTimeoutMs: -1 },
        /^TT_INVALID_OPTION: headersTimeoutMs must be a number >= 0, got -1/,
      ],
      [
        { requestTimeoutMs: Number.NaN },
        /^TT_INVALID_OPTION: requestTimeoutMs must be a number >= 0, got NaN/,
      ],
      [
        { keepAliveTimeoutMs: '5000' },
        /^TT_INVALID_OPTION: keepAliveTimeoutMs must be a number >= 0, got "5000"/,
      ],
      [
        { headersTimeoutMs: 5000, requestTimeoutMs: 1000 },
        /^TT_INVALID_OPTION: headersTimeoutMs \(5000\) must not exceed requestTimeoutMs \(1000\)/,
      ],
      [null, /^TT_INVALID_OPTION: serverTimeouts: options must be an object/],
    ];
    for (const [options, message] of cases) {
      assert.throws(
        () => serverTimeouts(options as never),
        (err: unknown) =>
          err instanceof TelltaleError &&
          err.code === 'TT_INVALID_OPTION' &&
          message.test(err.message),
        String(message),
      );
    }
  });
});

interface Slowloris {
  /** ms from the first byte to the server closing the socket; Infinity if it never did within the bound. */
  closedAfterMs: number;
  /** What the server sent before closing. */
  received: string;
  /** Header bytes written, one per second. */
  bytesSent: number;
}

/** Sends a request's header one byte per second until the server closes the socket, or `boundMs`. */
function slowloris(port: number, path: string, boundMs: number): Promise<Slowloris> {
  const header = `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: one-byte-a-second\r\n\r\n`;
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    let sent = 0;
    let t0 = 0;
    let timer: ReturnType<typeof setInterval> | undefined;
    let timedOut = false;
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      received += chunk;
    });
    socket.on('error', () => {
      // EPIPE or ECONNRESET after the server closed: the close is what is measured.
    });
    const bound = setTimeout(() => {
      timedOut = true;
      socket.destroy();
    }, boundMs);
    socket.once('connect', () => {
      t0 = performance.now();
      const writeOne = (): void => {
        if (sent < header.length && !socket.destroyed) socket.write(header[sent++] as string);
      };
      writeOne();
      timer = setInterval(writeOne, 1000);
    });
    socket.once('close', () => {
      clearInterval(timer);
      clearTimeout(bound);
      if (t0 === 0) reject(new Error('slowloris: could not connect'));
      else
        resolve({
          closedAfterMs: timedOut ? Number.POSITIVE_INFINITY : performance.now() - t0,
          received,
          bytesSent: sent,
        });
    });
  });
}

/** Scrapes `url` every 200 ms over a keep-alive connection until `until` settles; returns each scrape's status and latency. */
async function scrapeWhile(
  port: number,
  path: string,
  until: Promise<unknown>,
): Promise<{ status: number; ms: number }[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  let done = false;
  void until.finally(() => {
    done = true;
  });
  const results: { status: number; ms: number }[] = [];
  try {
    for (let i = 0; i < 100 && !done; i++) {
      const t0 = performance.now();
      const status = await new Promise<number>((resolve) => {
        const req = request({ host: '127.0.0.1', port, path, agent }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        });
        req.setTimeout(5000, () => req.destroy());
        req.on('error', () => resolve(0));
        req.end();
      });
      results.push({ status, ms: performance.now() - t0 });
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  } finally {
    agent.destroy();
  }
  return results;
}

/** Node sets it from the createServer option; @types/node does not declare the property. */
const checkingInterval = (server: Server): unknown =>
  (server as Server & { connectionsCheckingInterval?: number }).connectionsCheckingInterval;

const REQUEST_TIMEOUT_408 = 'HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n';

function assertSlowlorisClosed(
  t: { diagnostic(msg: string): void },
  headersTimeoutMs: number,
  result: Slowloris,
  scrapes: { status: number; ms: number }[],
): void {
  t.diagnostic(
    `slowloris closed ${result.closedAfterMs.toFixed(0)} ms after its first byte (${result.bytesSent} bytes sent); ` +
      `${scrapes.length} scrapes meanwhile, slowest ${Math.max(...scrapes.map((s) => s.ms)).toFixed(0)} ms`,
  );
  assert.ok(
    result.closedAfterMs >= headersTimeoutMs && result.closedAfterMs <= headersTimeoutMs + 1000,
    `closed ${result.closedAfterMs} ms after the first byte; headersTimeoutMs is ${headersTimeoutMs}`,
  );
  assert.equal(result.received, REQUEST_TIMEOUT_408);
  assert.ok(scrapes.length >= 5, `${scrapes.length} scrapes`);
  for (const s of scrapes) {
    assert.equal(s.status, 200);
    assert.ok(s.ms < 1000, `a scrape took ${s.ms.toFixed(0)} ms`);
  }
}

describe('a slowloris socket (one header byte per second) is closed within headersTimeoutMs + 1 s, while scrapes keep answering', {
  concurrency: true,
}, () => {
  it('createMetricsServer({ headersTimeoutMs: 2000 })', async (t) => {
    const server = await createMetricsServer({
      registry: new StaticGatherer(),
      port: 0,
      selfMetrics: false,
      headersTimeoutMs: 2000,
    });
    assert.ok(server.enabled);
    t.after(() => server.close());
    assert.equal(checkingInterval(server.server), 500);
    const attack = slowloris(server.port, '/metrics', 5000);
    const scrapes = await scrapeWhile(server.port, '/metrics', attack);
    assertSlowlorisClosed(t, 2000, await attack, scrapes);
  });

  it("the demo's server (startDemo, timeouts: { headersTimeoutMs: 2000 })", async (t) => {
    const demo = await startDemo({
      port: 0,
      workloadIntervalMs: 0,
      logger: createLogger({ name: 'demo', level: 'error' }),
      timeouts: { headersTimeoutMs: 2000 },
    });
    t.after(() => demo.stop());
    assert.equal(demo.server.headersTimeout, 2000);
    assert.equal(checkingInterval(demo.server), 500);
    const attack = slowloris(demo.port, '/metrics', 5000);
    const scrapes = await scrapeWhile(demo.port, '/metrics', attack);
    assertSlowlorisClosed(t, 2000, await attack, scrapes);
  });

  it("the demo's server by default: 10 s headers, 30 s request, 5 s keep-alive, checked every 500 ms", async (t) => {
    const demo = await startDemo({
      port: 0,
      workloadIntervalMs: 0,
      logger: createLogger({ name: 'demo', level: 'error' }),
    });
    t.after(() => demo.stop());
    const { headersTimeout, requestTimeout, keepAliveTimeout } = demo.server;
    assert.deepEqual(
      {
        headersTimeout,
        requestTimeout,
        keepAliveTimeout,
        connectionsCheckingInterval: checkingInterval(demo.server),
      },
      serverTimeouts(),
    );
  });
});
