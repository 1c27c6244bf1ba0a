// A tiny HTTP client and a static HTTP server for tests: one request per connection, bodies as strings.
import {
  type Agent,
  createServer,
  request as httpRequestRaw,
  type IncomingHttpHeaders,
} from 'node:http';
import type { ManagedProcess } from './child.js';
import { pollUntil } from './wait.js';

/** Options for {@link httpRequest}. */
export interface HttpRequestOptions {
  /** HTTP method. Default `GET`. */
  method?: string;
  /** Request headers. */
  headers?: Record<string, string>;
  /** Request body, sent as-is. */
  body?: string | Buffer;
  /** Abort the whole exchange after this many milliseconds. Default 5000. */
  timeoutMs?: number;
  /** A keep-alive agent to reuse connections. Default `false`: a fresh connection, closed after. */
  agent?: Agent | false;
}

/** {@link httpRequest}'s rejection when the response had started and its stream then failed. */
export class ResponseStreamError extends Error {
  constructor(url: string, cause: Error) {
    super(`${url}: the response broke off: ${cause.message}`, { cause });
    this.name = 'ResponseStreamError';
  }
}

/** What {@link httpRequest} resolves with. */
export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** The response body decoded as UTF-8. */
  body: string;
}

/**
 * Sends one HTTP request and reads the full response.
 *
 * Uses `node:http` with `agent: false` (a fresh connection, closed afterwards), so no keep-alive
 * socket outlives the test and nothing depends on a global connection pool. Non-2xx statuses
 * resolve normally; only network errors and the timeout reject.
 *
 * @throws On connection errors (e.g. `ECONNREFUSED`) and when `timeoutMs` passes;
 * {@link ResponseStreamError} when the response started and then broke off.
 * @example
 * const res = await httpRequest('http://127.0.0.1:9091/-/ready');
 * assert.equal(res.status, 200);
 */
export function httpRequest(url: string, options: HttpRequestOptions = {}): Promise<HttpResponse> {
  const timeoutMs = options.timeoutMs ?? 5000;
  return new Promise((resolve, reject) => {
    const req = httpRequestRaw(
      url,
      {
        method: options.method ?? 'GET',
        headers: options.headers ?? {},
        agent: options.agent ?? false,
        signal: AbortSignal.timeout(timeoutMs),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', (err) => reject(new ResponseStreamError(url, err)));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
    );
    req.on('error', (err) =>
      reject(err.name === 'AbortError' ? new Error(`${url}: no response in ${timeoutMs} ms`) : err),
    );
    req.end(options.body);
  });
}

/** A request seen by a {@link startStaticServer} server. */
export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
}

/** Options for {@link startStaticServer}. */
export interface StaticServerOptions {
  /** The body for `path`; a function is called per request (so it can change between scrapes). */
  body: string | (() => string);
  /** Content-Type of the body. Default `text/plain; version=0.0.4; charset=utf-8`. */
  contentType?: string;
  /** The only path that answers 200. Default `/metrics`; other paths get 404. */
  path?: string;
}

/** A running {@link startStaticServer} server. */
export interface StaticServer {
  readonly port: number;
  /** e.g. `http://127.0.0.1:41234/metrics` */
  readonly url: string;
  /** Every request received, oldest first (the scraper's Accept header, User-Agent, ...). */
  readonly requests: readonly RecordedRequest[];
  /** Closes the server and any open connections. Safe to call twice. */
  close(): Promise<void>;
}

/**
 * Serves a fixed exposition body over HTTP on 127.0.0.1 (a port chosen by the kernel), recording
 * each request. A stand-in scrape target for Prometheus tests that are about the consumer, not
 * about our server.
 *
 * @example
 * const target = await startStaticServer({ body: '# TYPE x gauge\nx 42\n' });
 * t.after(() => target.close());
 * const prom = await startPrometheus({ targets: [{ port: target.port }] });
 */
export async function startStaticServer(options: StaticServerOptions): Promise<StaticServer> {
  const path = options.path ?? '/metrics';
  const requests: RecordedRequest[] = [];
  const server = createServer((req, res) => {
    requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    if (req.url !== path) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    const body = typeof options.body === 'function' ? options.body() : options.body;
    res
      .writeHead(200, {
        'content-type': options.contentType ?? 'text/plain; version=0.0.4; charset=utf-8',
      })
      .end(body);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  let closing: Promise<void> | undefined;
  return {
    port,
    url: `http://127.0.0.1:${port}${path}`,
    requests,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

/**
 * Polls `${url}/-/ready` (Prometheus and the Pushgateway answer it) until it returns 200, failing
 * at once if `proc` exits, with the process's output tail in the error.
 *
 * @throws When the deadline passes or the process exits first.
 */
export async function waitForReadyEndpoint(
  proc: ManagedProcess,
  url: string,
  name: string,
  timeoutMs: number,
  intervalMs: number,
): Promise<void> {
  await pollUntil(
    async () =>
      (await httpRequest(`${url}/-/ready`, { timeoutMs: 1000 })).status === 200 ? true : undefined,
    {
      description: `${name} ${url}/-/ready`,
      timeoutMs,
      intervalMs,
      abortIf: () => (proc.exitInfo ? `${name.toLowerCase()} exited\n${proc.tail()}` : undefined),
      diagnostics: () => proc.tail(),
    },
  );
}
