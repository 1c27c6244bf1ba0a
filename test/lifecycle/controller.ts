// A tiny local HTTP "controller" for periodic-task tests: registrations and heartbeats, switchable between down, hanging and up.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * - `up`: POST /register → 200; POST /heartbeat → 200 when registered, else 404 (not found).
 * - `down-503`: every request → 503.
 * - `down-reset`: every connection is destroyed (the client sees a network error).
 * - `hang`: requests are accepted and never answered.
 */
export type ControllerMode = 'up' | 'down-503' | 'down-reset' | 'hang';

/** An error carrying the HTTP status, as a real client would throw. */
export class HttpStatusError extends Error {
  readonly status: number;
  constructor(status: number, path: string) {
    super(`${path} answered ${status}`);
    this.status = status;
  }
}

export interface Controller {
  url: string;
  mode: ControllerMode;
  registered: boolean;
  /** Every request seen, as `path status` (`path reset` / `path hang` when not answered). */
  log: string[];
  /** Heartbeat bodies received (JSON). */
  heartbeats: unknown[];
  /** Forgets every registration, as a restarted controller does. */
  forget(): void;
  stop(): Promise<void>;
}

export async function startController(): Promise<Controller> {
  const c: Controller = {
    url: '',
    mode: 'up',
    registered: false,
    log: [],
    heartbeats: [],
    forget() {
      c.registered = false;
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server: Server = createServer((req, res) => {
    const path = req.url ?? '/';
    const chunks: Buffer[] = [];
    req.on('data', (b: Buffer) => chunks.push(b));
    req.on('end', () => {
      if (c.mode === 'down-reset') {
        c.log.push(`${path} reset`);
        req.socket.destroy();
        return;
      }
      if (c.mode === 'hang') {
        c.log.push(`${path} hang`);
        return;
      }
      let status = 503;
      if (c.mode === 'up') {
        if (path === '/register') {
          c.registered = true;
          status = 200;
        } else if (path === '/heartbeat') {
          status = c.registered ? 200 : 404;
          if (status === 200) c.heartbeats.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        } else status = 404;
      }
      c.log.push(`${path} ${status}`);
      res.writeHead(status, { 'content-type': 'text/plain' }).end(String(status));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  c.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return c;
}

/** POSTs JSON to the controller and throws {@link HttpStatusError} on a non-2xx answer. */
export async function post(url: string, body: unknown, signal: AbortSignal): Promise<void> {
  const res = await fetch(url, {
    method: 'POST',
    body: JSON.stringify(body),
    headers: { 'content-type': 'application/json' },
    signal,
  });
  await res.arrayBuffer();
  if (res.status < 200 || res.status > 299)
    throw new HttpStatusError(res.status, new URL(url).pathname);
}
