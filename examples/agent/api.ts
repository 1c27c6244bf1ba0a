// The agent's HTTP API on node:http: POST /messages, GET /kv/:key and the health probes, instrumented through telltale's node:http adapter in full mode.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Health } from 'telltale/health';
import type { Logger } from 'telltale/log';
import type { Registry } from 'telltale/metrics';
import {
  type InstrumentedHandler,
  instrumentHandler,
  requestIdOf,
  setRoute,
} from 'telltale/node-http';
import type { MessageHandler, MessageResult } from './handler.js';

/** Options of {@link createApiListener}. */
export interface ApiOptions {
  readonly handle: MessageHandler;
  readonly health: Health;
  readonly registry: Registry;
  readonly logger: Logger;
  /** Largest `POST /messages` body, bytes; a larger one gets 413 before it is parsed. Default 65536. */
  readonly maxBodyBytes?: number;
}

function json(req: IncomingMessage, res: ServerResponse, status: number, body: object): void {
  const text = JSON.stringify({ ...body, request_id: requestIdOf(req) });
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

function answer(req: IncomingMessage, res: ServerResponse, result: MessageResult): void {
  if (result.ok) json(req, res, 200, result);
  else json(req, res, result.status, { ok: false, error: result.error });
}

class TooLarge extends Error {}

/** Reads the body as bytes, at most `max`; throws {@link TooLarge} past it (or on a larger Content-Length, before reading). */
async function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > max) throw new TooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > max) throw new TooLarge();
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}

/**
 * The API's request listener (for `http.createServer`). Routes:
 *
 * | route | answer |
 * |---|---|
 * | `POST /messages` | a JSON message → the handler's result: 200 `{ ok: true, … }`, or its 4xx/503 `{ ok: false, error }` |
 * | `GET /kv/:key` | 200 `{ ok: true, found: true, value }`, 404 when the key is missing; it is a `get` message through the same handler |
 * | `/health/live`, `/health/ready`, `/health`, `/health/startup` | the probes (`telltale/health`) |
 *
 * Every JSON answer carries `request_id`. A body over `maxBodyBytes` gets 413 and the connection
 * is closed (the rest of the body is not read). Unknown paths get 404, wrong methods 405. Every
 * request except the probes is measured (`http_*` metrics, route templates `/messages`,
 * `/kv/:key`), gets a request id (`x-request-id`), a span and an access-log line.
 */
export function createApiListener(options: ApiOptions): InstrumentedHandler {
  const { handle, health, registry, logger } = options;
  const maxBody = options.maxBodyBytes ?? 65_536;
  const app = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (path === '/messages') {
      setRoute(req, '/messages');
      if (req.method !== 'POST') {
        res.setHeader('allow', 'POST');
        json(req, res, 405, { ok: false, error: 'use POST' });
        return;
      }
      let body: Buffer;
      try {
        body = await readBody(req, maxBody);
      } catch (err) {
        if (!(err instanceof TooLarge)) throw err;
        res.setHeader('connection', 'close');
        json(req, res, 413, {
          ok: false,
          error: `request body is larger than the limit of ${maxBody} bytes`,
        });
        return;
      }
      answer(req, res, await handle(body));
      return;
    }
    if (path.startsWith('/kv/')) {
      setRoute(req, '/kv/:key');
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.setHeader('allow', 'GET, HEAD');
        json(req, res, 405, { ok: false, error: 'use GET' });
        return;
      }
      let key: string;
      try {
        key = decodeURIComponent(path.slice('/kv/'.length));
      } catch {
        json(req, res, 400, {
          ok: false,
          error: 'the key in the path is not valid percent-encoding',
        });
        return;
      }
      const result = await handle({ type: 'get', key });
      if (result.ok && result.found === false) {
        json(req, res, 404, { ok: false, error: `no value under key ${JSON.stringify(key)}` });
      } else {
        answer(req, res, result);
      }
      return;
    }
    json(req, res, 404, { ok: false, error: 'not found' });
  };
  const instrumented = instrumentHandler(app, {
    registry,
    requestId: true,
    tracing: true,
    accessLog: { logger: logger.named('http') },
    logger: logger.named('http'),
    // The API answers a malformed key itself: JSON with the request id, under /kv/:key.
    rejectMalformedPaths: false,
  });
  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    if (health.handle(req, res)) return;
    instrumented(req, res);
  };
  return Object.assign(listener, { instrumentation: instrumented.instrumentation });
}
