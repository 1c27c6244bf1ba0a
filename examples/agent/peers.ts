// Peer connections of the agent: a WebSocket endpoint on the API server (`/peers`), outbound dials with backoff, and the peer metrics.

import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { MinimalLogger, Registry } from 'telltale/metrics';
import { createBackoff } from 'telltale/retry';
import WebSocket, { type RawData, WebSocketServer } from 'ws';

/**
 * Carries out one message, as the agent's HTTP API does: the handler's result (`{ ok, … }`) is
 * sent back to the peer as JSON. The agent's `createMessageHandler(...)` fits.
 */
export type PeerMessageHandler = (raw: unknown) => Promise<unknown>;

/** Reconnection delays of the outbound dials (a telltale/retry `createBackoff` policy). */
export interface PeerBackoff {
  /** Delay after the first failure in a row, ms. Default 250. */
  readonly initialDelayMs?: number;
  /** Cap, ms. Default 10,000. */
  readonly maxDelayMs?: number;
  /** Growth per failure. Default 2. */
  readonly factor?: number;
  /** Each delay is scaled by a uniform factor in `[1 - jitter, 1 + jitter]`. Default 0.2. */
  readonly jitter?: number;
}

export interface PeerHubOptions {
  /** The API's node:http server; the hub listens to its `upgrade` event. */
  readonly server: Server;
  /** The upgrade path. Default `/peers`. */
  readonly path?: string;
  /** Carries out a message from a peer. */
  readonly handle: PeerMessageHandler;
  /** Peer URLs to dial, `ws://host:port/peers`. Default none. */
  readonly peers?: readonly string[];
  /** Where `agent_peers_connected` and the peer counters are registered. */
  readonly registry: Registry;
  readonly logger: MinimalLogger;
  /** Aborting it stops the dials and closes the outbound connections (`close()` does too). */
  readonly signal: AbortSignal;
  readonly backoff?: PeerBackoff;
  /** Largest frame a peer may send, bytes; a larger one closes the connection with 1009. Default 1 MiB. */
  readonly maxMessageBytes?: number;
  /** Messages handled at once per connection; beyond it the socket is paused (TCP backpressure). Default 32. */
  readonly maxInFlight?: number;
  /** How long `close()` waits for peers to answer the 1001 close before terminating them, ms. Default 2,000. */
  readonly closeTimeoutMs?: number;
  /**
   * Most peers accepted on `path` at once (dialled connections do not count). One more gets
   * `503 Service Unavailable` at the upgrade, counted in
   * `agent_peer_refused_total{reason="max_peers"}`. Default {@link DEFAULT_PEER_LIMITS}.
   */
  readonly maxPeers?: number;
  /**
   * An accepted peer that sends no message (request or reply) for this long is closed with 1008,
   * counted in `agent_peer_disconnects_total{reason="idle_timeout"}`. Pings and pongs do not
   * count (ws libraries answer pings by themselves). `0` turns it off. Default
   * {@link DEFAULT_PEER_LIMITS}.
   */
  readonly idleTimeoutMs?: number;
  /**
   * Most bytes queued for sending to one peer (ws `bufferedAmount`: the socket's write buffer
   * plus ws's own queue). A send that leaves more queued means the peer does not read: it is
   * terminated at once (a close frame would only queue behind the rest), counted in
   * `agent_peer_disconnects_total{reason="slow_reader"}`, and its buffers are freed. Applies to
   * every connection, accepted and dialled. Default {@link DEFAULT_PEER_LIMITS}.
   */
  readonly maxBufferedBytes?: number;
}

/** The defaults of the peer limits (see {@link PeerHubOptions}). */
export const DEFAULT_PEER_LIMITS = {
  maxPeers: 64,
  idleTimeoutMs: 120_000,
  maxBufferedBytes: 4 * 1024 * 1024,
} as const;

export interface PeerHub {
  /** Open peer connections, both accepted on `path` and dialled: the value of `agent_peers_connected`. */
  connected(): number;
  /**
   * Sends `message` to a connected peer (a dialled connection first) and resolves with its reply.
   * Rejects when no peer is connected, the connection closes first, or after `timeoutMs` (10,000).
   */
  request(message: Readonly<Record<string, unknown>>, timeoutMs?: number): Promise<unknown>;
  /** Stops dialling, sends 1001 to every peer, waits for them (terminating stragglers), closes the server side. Idempotent. */
  close(): Promise<void>;
  /** The `ws` server (noServer mode); give it to telltale/lifecycle's `addWebSocketServer`. */
  readonly wss: WebSocketServer;
}

/** Why a peer was disconnected: the `reason` label of `agent_peer_protocol_errors_total`. */
export const PEER_PROTOCOL_ERRORS = ['not_json', 'binary', 'oversized', 'invalid_frame'] as const;
type ProtocolError = (typeof PEER_PROTOCOL_ERRORS)[number];

/** Why the hub disconnected a peer for breaking a peer limit: the `reason` label of `agent_peer_disconnects_total`. */
export const PEER_DISCONNECT_REASONS = ['slow_reader', 'idle_timeout'] as const;
type DisconnectReason = (typeof PEER_DISCONNECT_REASONS)[number];

/** Why the hub refused a peer at the upgrade: the `reason` label of `agent_peer_refused_total`. */
export const PEER_REFUSAL_REASONS = ['max_peers'] as const;
type RefusalReason = (typeof PEER_REFUSAL_REASONS)[number];

/** Close codes the hub sends. */
export const CLOSE_GOING_AWAY = 1001;
export const CLOSE_UNSUPPORTED_DATA = 1003;
export const CLOSE_POLICY_VIOLATION = 1008;
export const CLOSE_TOO_BIG = 1009;

interface Pending {
  resolve(value: unknown): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

interface Conn {
  readonly ws: WebSocket;
  readonly direction: 'in' | 'out';
  readonly peer: string;
  inFlight: number;
  paused: boolean;
  nextId: number;
  readonly pending: Map<string, Pending>;
  /** Re-armed by every message from the peer (accepted peers, when the idle timeout is on). */
  idle: NodeJS.Timeout | undefined;
  /** Set once the hub has cut the connection for a limit, so it is counted once. */
  dropped: boolean;
  /** Requests read while `maxInFlight` were running (the socket is paused meanwhile). */
  readonly queue: Array<{ msg: unknown; id: unknown }>;
}

function socketPeer(req: IncomingMessage): string {
  const s = req.socket;
  return `${s.remoteAddress ?? '?'}:${s.remotePort ?? '?'}`;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Starts the peer hub of an agent.
 *
 * Protocol, one JSON object per text frame, in both directions on every connection:
 * a request is a message (`{"type":"put","key":"k","value":1}`, optionally with an `id` string or
 * number); it is handed to `handle` without the `id`, and the reply is the handler's result with
 * the same `id` (`{"id":7,"ok":true}`). A frame with a boolean `ok` and no `type` is a reply.
 * A frame that is not JSON, binary, or larger than `maxMessageBytes` closes the connection
 * (1003, 1003, 1009), is logged and counted; other peers are not affected.
 *
 * Peer limits: at most `maxPeers` accepted peers (one more gets 503 at the upgrade); an accepted
 * peer silent for `idleTimeoutMs` is closed with 1008; a peer with more than `maxBufferedBytes`
 * queued for it (it does not read) is terminated. Each is logged and counted
 * (`agent_peer_refused_total{reason}`, `agent_peer_disconnects_total{reason}`).
 *
 * @throws RangeError for a limit that is not an integer in range.
 *
 * @example
 * ```ts
 * const hub = createPeerHub({ server, handle, registry, logger, signal, peers: ['ws://10.0.0.2:7000/peers'] });
 * lifecycle.addWebSocketServer(hub.wss);
 * lifecycle.onShutdown('peers', () => hub.close());
 * ```
 */
export function createPeerHub(options: PeerHubOptions): PeerHub {
  const {
    server,
    path = '/peers',
    handle,
    peers = [],
    registry,
    logger,
    signal,
    maxMessageBytes = 1024 * 1024,
    maxInFlight = 32,
    closeTimeoutMs = 2000,
    maxPeers = DEFAULT_PEER_LIMITS.maxPeers,
    idleTimeoutMs = DEFAULT_PEER_LIMITS.idleTimeoutMs,
    maxBufferedBytes = DEFAULT_PEER_LIMITS.maxBufferedBytes,
  } = options;
  const positiveInt = (name: string, v: number, min: number): void => {
    if (!Number.isInteger(v) || v < min) {
      throw new RangeError(
        `createPeerHub: ${name} must be an integer of at least ${min}, got ${v}`,
      );
    }
  };
  positiveInt('maxPeers', maxPeers, 1);
  positiveInt('idleTimeoutMs', idleTimeoutMs, 0);
  positiveInt('maxBufferedBytes', maxBufferedBytes, 1);
  const backoff = createBackoff({
    initialDelayMs: options.backoff?.initialDelayMs ?? 250,
    maxDelayMs: options.backoff?.maxDelayMs ?? 10_000,
    factor: options.backoff?.factor ?? 2,
    jitter: options.backoff?.jitter ?? 0.2,
  });

  const connectedGauge = registry.gauge({
    name: 'agent_peers_connected',
    help: 'Open peer WebSocket connections, accepted on /peers and dialled.',
  });
  const messages = registry.counter({
    name: 'agent_peer_messages_total',
    help: 'Peer frames carrying a message: direction="in" handled for a peer, "out" sent to a peer.',
    labelNames: ['direction'],
  });
  const protocolErrors = registry.counter({
    name: 'agent_peer_protocol_errors_total',
    help: 'Peers disconnected for sending garbage, by reason.',
    labelNames: ['reason'],
  });
  const disconnects = registry.counter({
    name: 'agent_peer_disconnects_total',
    help: 'Peers the agent disconnected for breaking a peer limit (slow_reader: over maxBufferedBytes unread; idle_timeout: no message for idleTimeoutMs), by reason.',
    labelNames: ['reason'],
  });
  const refused = registry.counter({
    name: 'agent_peer_refused_total',
    help: 'Peer connections refused at the WebSocket upgrade (max_peers: at the maxPeers cap), by reason.',
    labelNames: ['reason'],
  });
  const inMessages = messages.labels('in');
  const outMessages = messages.labels('out');
  for (const r of PEER_PROTOCOL_ERRORS) protocolErrors.labels(r);
  for (const r of PEER_DISCONNECT_REASONS) disconnects.labels(r);
  for (const r of PEER_REFUSAL_REASONS) refused.labels(r);

  const wss = new WebSocketServer({ noServer: true, maxPayload: maxMessageBytes });
  const conns = new Set<Conn>();
  let closing: Promise<void> | undefined;
  const dialers: Array<{ stop(): void }> = [];
  // Accepted peers, plus upgrades under way (so concurrent upgrades cannot pass the cap).
  let inbound = 0;
  let upgrading = 0;
  // Refusals are logged at most once per 5 s (with the count in between): a flood of connection
  // attempts must not flood the log.
  let lastRefusalLog = Number.NEGATIVE_INFINITY;
  let refusalsSinceLog = 0;

  /** Cuts a connection that broke a peer limit, once: counted, logged, and closed or terminated. */
  function drop(conn: Conn, reason: DisconnectReason, fields: Record<string, unknown>): void {
    if (conn.dropped) return;
    conn.dropped = true;
    disconnects.labels(reason).inc();
    logger.warn(
      { peer: conn.peer, direction: conn.direction, reason, ...fields },
      reason === 'slow_reader'
        ? 'Peer disconnected: it does not read its replies'
        : 'Peer disconnected: idle',
    );
    if (reason === 'slow_reader') {
      // A close frame would wait behind everything the peer does not read: cut it now.
      conn.ws.terminate();
      return;
    }
    if (conn.ws.readyState === WebSocket.OPEN) {
      conn.ws.close(CLOSE_POLICY_VIOLATION, `idle for ${idleTimeoutMs} ms`);
    }
    const t = setTimeout(() => conn.ws.terminate(), closeTimeoutMs);
    t.unref();
    conn.ws.once('close', () => clearTimeout(t));
  }

  /** After a send: a peer with more than maxBufferedBytes queued does not read, and is dropped. */
  function checkBuffered(conn: Conn): void {
    const queued = conn.ws.bufferedAmount;
    if (queued > maxBufferedBytes) {
      drop(conn, 'slow_reader', { buffered_bytes: queued, limit: maxBufferedBytes });
    }
  }

  function refuse(socket: Duplex, reason: RefusalReason, detail: string): void {
    refused.labels(reason).inc();
    const now = performance.now();
    if (now - lastRefusalLog >= 5000) {
      logger.warn(
        { reason, detail, suppressed: refusalsSinceLog, limit: maxPeers },
        'Peer connection refused',
      );
      lastRefusalLog = now;
      refusalsSinceLog = 0;
    } else {
      refusalsSinceLog++;
    }
    const body = `${detail}\n`;
    socket.end(
      `HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nRetry-After: 5\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  }

  function reject(conn: Conn, reason: ProtocolError, code: number, detail: string): void {
    protocolErrors.labels(reason).inc();
    logger.warn(
      { peer: conn.peer, direction: conn.direction, reason, code, detail },
      'Peer disconnected: it sent garbage',
    );
    if (conn.ws.readyState === WebSocket.OPEN) conn.ws.close(code, detail.slice(0, 120));
  }

  function send(conn: Conn, payload: unknown): void {
    if (conn.ws.readyState !== WebSocket.OPEN) return;
    conn.ws.send(JSON.stringify(payload));
    checkBuffered(conn);
  }

  /**
   * Takes a request from a peer. At most `maxInFlight` run at once per connection: at the limit
   * the socket is paused, and the frames ws had already read wait in `queue` (at most what one
   * read of the socket held), so a flood cannot start thousands of handlers before the first
   * reply is even queued for sending.
   */
  function onRequest(conn: Conn, msg: unknown, id: unknown): void {
    if (conn.inFlight >= maxInFlight) {
      conn.queue.push({ msg, id });
      return;
    }
    void run(conn, msg, id);
  }

  async function run(conn: Conn, msg: unknown, id: unknown): Promise<void> {
    inMessages.inc();
    conn.inFlight++;
    if (conn.inFlight >= maxInFlight && !conn.paused) {
      conn.paused = true;
      conn.ws.pause();
    }
    let result: unknown;
    try {
      result = await handle(msg);
    } catch (err) {
      logger.error({ err, peer: conn.peer }, 'Peer message handler failed');
      result = { ok: false, status: 500, error: 'internal error' };
    } finally {
      conn.inFlight--;
    }
    send(conn, id === undefined ? result : { id, ...(isObject(result) ? result : { result }) });
    const next =
      conn.dropped || conn.ws.readyState !== WebSocket.OPEN ? undefined : conn.queue.shift();
    if (next !== undefined) {
      void run(conn, next.msg, next.id);
    } else if (conn.paused && conn.inFlight < maxInFlight) {
      conn.paused = false;
      conn.ws.resume();
    }
  }

  function onFrame(conn: Conn, data: RawData, isBinary: boolean): void {
    // Frames ws had already parsed when the hub cut the connection: nobody would get the replies.
    if (conn.dropped) return;
    conn.idle?.refresh();
    if (isBinary) {
      reject(conn, 'binary', CLOSE_UNSUPPORTED_DATA, 'binary frames are not accepted');
      return;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(data.toString());
    } catch (err) {
      reject(conn, 'not_json', CLOSE_UNSUPPORTED_DATA, `not JSON: ${(err as Error).message}`);
      return;
    }
    if (isObject(parsed) && typeof parsed['ok'] === 'boolean' && !('type' in parsed)) {
      // A reply to one of our requests.
      const id = parsed['id'];
      const p = conn.pending.get(String(id));
      if (p !== undefined) {
        conn.pending.delete(String(id));
        clearTimeout(p.timer);
        const { id: _, ...rest } = parsed;
        p.resolve(rest);
      }
      return;
    }
    if (isObject(parsed) && 'id' in parsed) {
      const { id, ...msg } = parsed;
      onRequest(conn, msg, id);
    } else {
      onRequest(conn, parsed, undefined);
    }
  }

  function track(ws: WebSocket, direction: 'in' | 'out', peer: string): Conn {
    const conn: Conn = {
      ws,
      direction,
      peer,
      inFlight: 0,
      paused: false,
      nextId: 1,
      pending: new Map(),
      idle: undefined,
      dropped: false,
      queue: [],
    };
    conns.add(conn);
    connectedGauge.inc();
    if (direction === 'in' && idleTimeoutMs > 0) {
      conn.idle = setTimeout(
        () => drop(conn, 'idle_timeout', { idle_ms: idleTimeoutMs }),
        idleTimeoutMs,
      );
      conn.idle.unref();
    }
    logger.info({ peer, direction, connected: conns.size }, 'Peer connected');
    ws.on('message', (data, isBinary) => onFrame(conn, data, isBinary));
    ws.on('error', (err: Error & { code?: string }) => {
      // ws has already sent the close frame for a protocol error (1009 oversized, 1007 bad UTF-8, …).
      if (err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') {
        protocolErrors.labels('oversized').inc();
        logger.warn(
          { peer, direction, reason: 'oversized', code: CLOSE_TOO_BIG, limit: maxMessageBytes },
          'Peer disconnected: it sent garbage',
        );
      } else if (err.code?.startsWith('WS_ERR_') === true) {
        protocolErrors.labels('invalid_frame').inc();
        logger.warn(
          { peer, direction, reason: 'invalid_frame', detail: err.message },
          'Peer disconnected: it sent garbage',
        );
      } else {
        logger.warn({ peer, direction, err }, 'Peer connection error');
      }
    });
    ws.once('close', (code, reason) => {
      conns.delete(conn);
      conn.queue.length = 0;
      connectedGauge.dec();
      if (direction === 'in') inbound--;
      clearTimeout(conn.idle);
      for (const p of conn.pending.values()) {
        clearTimeout(p.timer);
        p.reject(new Error(`peer ${peer} closed the connection (${code})`));
      }
      conn.pending.clear();
      logger.info(
        { peer, direction, code, reason: reason.toString(), connected: conns.size },
        'Peer disconnected',
      );
    });
    return conn;
  }

  // Inbound: upgrades on `path`.
  function onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const pathname = new URL(req.url ?? '/', 'http://x').pathname;
    if (pathname !== path) {
      // Leave other paths to other upgrade listeners; refuse them when we are the only one.
      if (server.listenerCount('upgrade') === 1) {
        socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      }
      return;
    }
    if (closing !== undefined) {
      socket.end(
        'HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n',
      );
      return;
    }
    if (inbound + upgrading >= maxPeers) {
      refuse(socket, 'max_peers', `too many peers: the limit is ${maxPeers}`);
      return;
    }
    // The slot is held from here; ws answers a bad handshake itself without calling back, so the
    // socket's close releases it too.
    upgrading++;
    let holding = true;
    const release = (): void => {
      if (holding) {
        holding = false;
        upgrading--;
      }
    };
    socket.once('close', release);
    wss.handleUpgrade(req, socket, head, (ws) => {
      release();
      socket.off('close', release);
      inbound++;
      wss.emit('connection', ws, req);
      track(ws, 'in', socketPeer(req));
    });
  }
  server.on('upgrade', onUpgrade);

  // Outbound: one reconnecting dialler per URL.
  function dial(url: string): { stop(): void } {
    let failures = 0;
    let stopped = false;
    let timer: NodeJS.Timeout | undefined;
    let ws: WebSocket | undefined;

    const connect = (): void => {
      if (stopped) return;
      let opened = false;
      ws = new WebSocket(url, { maxPayload: maxMessageBytes, handshakeTimeout: 5000 });
      ws.once('open', () => {
        opened = true;
        failures = 0;
        if (ws !== undefined) track(ws, 'out', url);
      });
      ws.on('error', (err) => {
        if (!opened) logger.warn({ peer: url, err: err.message }, 'Peer dial failed');
      });
      ws.once('close', () => {
        ws = undefined;
        if (stopped) return;
        failures++;
        const delay = backoff.delay(failures);
        timer = setTimeout(connect, delay);
        timer.unref();
      });
    };
    connect();
    return {
      stop(): void {
        stopped = true;
        if (timer !== undefined) clearTimeout(timer);
        if (ws !== undefined && ws.readyState === WebSocket.CONNECTING) ws.terminate();
      },
    };
  }
  const stopDialling = (): void => {
    for (const d of dialers.splice(0)) d.stop();
    for (const c of conns) {
      if (c.direction === 'out') c.ws.close(CLOSE_GOING_AWAY, 'agent stopping');
    }
  };
  if (signal.aborted) {
    // nothing to dial
  } else {
    for (const url of peers) dialers.push(dial(url));
    signal.addEventListener('abort', stopDialling, { once: true });
  }

  return {
    wss,
    connected: () => conns.size,
    request(message, timeoutMs = 10_000): Promise<unknown> {
      let conn: Conn | undefined;
      for (const c of conns) {
        if (c.ws.readyState !== WebSocket.OPEN) continue;
        if (conn === undefined || (c.direction === 'out' && conn.direction === 'in')) conn = c;
      }
      if (conn === undefined) return Promise.reject(new Error('no peer connected'));
      const target = conn;
      const id = `r${target.nextId++}`;
      return new Promise((resolve, rejectP) => {
        const timer = setTimeout(() => {
          target.pending.delete(id);
          rejectP(new Error(`peer ${target.peer} did not answer within ${timeoutMs} ms`));
        }, timeoutMs);
        target.pending.set(id, { resolve, reject: rejectP, timer });
        outMessages.inc();
        target.ws.send(JSON.stringify({ ...message, id }));
        checkBuffered(target);
      });
    },
    close(): Promise<void> {
      closing ??= (async () => {
        signal.removeEventListener('abort', stopDialling);
        stopDialling();
        server.off('upgrade', onUpgrade);
        const open = [...conns];
        const closed = open.map(
          (c) =>
            new Promise<void>((resolve) => {
              if (c.ws.readyState === WebSocket.CLOSED) return resolve();
              c.ws.once('close', () => resolve());
            }),
        );
        for (const c of open) {
          if (c.ws.readyState === WebSocket.OPEN) {
            c.ws.close(
              CLOSE_GOING_AWAY,
              c.direction === 'in' ? 'server shutting down' : 'agent stopping',
            );
          }
        }
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<'timeout'>((resolve) => {
          timer = setTimeout(() => resolve('timeout'), closeTimeoutMs);
        });
        if ((await Promise.race([Promise.all(closed), timeout])) === 'timeout') {
          for (const c of conns) c.ws.terminate();
          await Promise.all(closed);
        }
        clearTimeout(timer);
        await new Promise<void>((resolve) => wss.close(() => resolve()));
      })();
      return closing;
    },
  };
}
