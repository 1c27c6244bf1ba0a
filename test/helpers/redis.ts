// Starts a real redis-server 7 on 127.0.0.1 without persistence, and speaks just enough RESP to check it.
import { connect } from 'node:net';
import { type ExitInfo, ManagedProcess } from './child.js';
import { getFreePort, LOOPBACK } from './ports.js';
import { makeTempDir, removeTempDir } from './tmp.js';
import { pollUntil } from './wait.js';

/** A decoded RESP2 reply. Error replies inside arrays are `Error` values. */
export type RespValue = string | number | null | Error | RespValue[];

/**
 * Sends one command to Redis over a fresh TCP connection and returns the decoded reply.
 * No npm client needed: this is a minimal RESP2 encoder/decoder.
 *
 * @param args The command and its arguments, e.g. `['SET', 'k', 'v']`.
 * @param timeoutMs Default 2000.
 * @throws On connection errors, on timeout, and when Redis answers with an error reply (`-ERR …`).
 * @example
 * assert.equal(await redisCommand(redis.port, ['PING']), 'PONG');
 */
export function redisCommand(
  port: number,
  args: readonly string[],
  timeoutMs = 2000,
): Promise<RespValue> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: LOOPBACK, port });
    let buf = Buffer.alloc(0);
    const finish = (err: Error | undefined, value?: RespValue): void => {
      socket.destroy();
      if (err) reject(err);
      else resolve(value ?? null);
    };
    socket.setTimeout(timeoutMs, () =>
      finish(new Error(`redis ${LOOPBACK}:${port}: no reply to ${args[0]} in ${timeoutMs} ms`)),
    );
    socket.on('error', (err) => finish(err));
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      let parsed: { value: RespValue; next: number } | undefined;
      try {
        parsed = parseResp(buf, 0);
      } catch (err) {
        finish(err as Error);
        return;
      }
      if (parsed === undefined) return; // Incomplete: wait for more bytes.
      if (parsed.value instanceof Error) finish(parsed.value);
      else finish(undefined, parsed.value);
    });
    socket.on('end', () =>
      finish(new Error(`redis ${LOOPBACK}:${port}: connection closed before a reply`)),
    );
    const parts = args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`);
    socket.write(`*${args.length}\r\n${parts.join('')}`);
  });
}

/** Parses one RESP2 value at `offset`; `undefined` when the buffer does not hold all of it yet. */
function parseResp(buf: Buffer, offset: number): { value: RespValue; next: number } | undefined {
  const eol = buf.indexOf('\r\n', offset);
  if (eol === -1) return undefined;
  const type = String.fromCharCode(buf[offset] ?? 0);
  const line = buf.toString('utf8', offset + 1, eol);
  const next = eol + 2;
  switch (type) {
    case '+':
      return { value: line, next };
    case '-':
      return { value: new Error(`redis: ${line}`), next };
    case ':':
      return { value: Number(line), next };
    case '$': {
      const len = Number(line);
      if (len < 0) return { value: null, next };
      if (buf.length < next + len + 2) return undefined;
      return { value: buf.toString('utf8', next, next + len), next: next + len + 2 };
    }
    case '*': {
      const count = Number(line);
      if (count < 0) return { value: null, next };
      const items: RespValue[] = [];
      let at = next;
      for (let i = 0; i < count; i++) {
        const item = parseResp(buf, at);
        if (item === undefined) return undefined;
        items.push(item.value);
        at = item.next;
      }
      return { value: items, next: at };
    }
    default:
      throw new Error(`redis: unexpected RESP type byte ${JSON.stringify(type)}`);
  }
}

/** Resolves `true` when Redis on `port` answers PING with PONG, `false` on any failure. */
export async function redisPing(port: number, timeoutMs = 1000): Promise<boolean> {
  try {
    return (await redisCommand(port, ['PING'], timeoutMs)) === 'PONG';
  } catch {
    return false;
  }
}

/** Options for {@link startRedis}. */
export interface StartRedisOptions {
  /** Extra `redis-server` arguments, e.g. `['--maxmemory', '10mb']`. */
  extraArgs?: readonly string[];
  /** Deadline for the first PONG, in milliseconds. Default 10000. */
  readyTimeoutMs?: number;
}

/** A running redis-server (see {@link startRedis}). */
export interface RedisServer {
  /** The port; it stays the same across `down()`/`up()`/`restart()`. */
  readonly port: number;
  readonly host: string;
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  /** Whether the server is currently up (between `up()` and `down()`). */
  readonly running: boolean;
  /** The current (or last) redis-server process; Redis logs to its stdout. */
  readonly process: ManagedProcess;
  /** Sends one command (see {@link redisCommand}). */
  command(...args: string[]): Promise<RespValue>;
  /** Stops the server (SIGTERM, clean shutdown without saving) but keeps the port and dir for `up()`. */
  down(): Promise<ExitInfo>;
  /** Starts it again on the same port and waits for PONG. No-op when already running. */
  up(): Promise<void>;
  /** `down()` then `up()`: same port, fresh empty dataset. */
  restart(): Promise<void>;
  /** Final stop: `down()` and remove the temp dir. Safe to call twice; `up()` afterwards throws. */
  stop(): Promise<void>;
}

/**
 * Starts `redis-server` in the foreground with `--bind 127.0.0.1 --port <free port> --save ''
 * --appendonly no --dir <temp dir> --logfile ''`, and waits until a raw RESP PING gets PONG
 * (about 0.1–0.2 s). Nothing is persisted. Always pair with `stop()`.
 *
 * For "Redis goes away and comes back" tests use `down()` and `up()` (or `restart()`): the port
 * stays the same, so clients configured with `url` reconnect to the new process.
 *
 * @throws When redis-server exits or does not answer PING in time (the message includes its log).
 * @example
 * const redis = await startRedis();
 * t.after(() => redis.stop());
 * await redis.down();   // clients now see ECONNREFUSED
 * await redis.up();     // same port again
 */
export async function startRedis(options: StartRedisOptions = {}): Promise<RedisServer> {
  const dir = await makeTempDir('redis');
  let port = 0;
  let proc: ManagedProcess | undefined;
  let stopped = false;

  const spawnAndWait = async (): Promise<ManagedProcess> => {
    const p = ManagedProcess.start(
      'redis-server',
      [
        '--bind',
        LOOPBACK,
        '--port',
        String(port),
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        dir,
        '--logfile',
        '',
        ...(options.extraArgs ?? []),
      ],
      { name: 'redis-server', cwd: dir },
    );
    try {
      await pollUntil(async () => ((await redisPing(port, 500)) ? true : undefined), {
        description: `redis-server PONG on ${LOOPBACK}:${port}`,
        timeoutMs: options.readyTimeoutMs ?? 10_000,
        intervalMs: 25,
        abortIf: () => (p.exitInfo ? `redis-server exited\n${p.tail()}` : undefined),
        diagnostics: () => p.tail(),
      });
    } catch (err) {
      await p.stop();
      throw err;
    }
    return p;
  };

  try {
    for (let attempt = 1; ; attempt++) {
      port = await getFreePort();
      try {
        proc = await spawnAndWait();
        break;
      } catch (err) {
        // Another process took the port between getFreePort() and bind(): try a new one.
        if (attempt < 3 && /Address already in use/i.test(String(err))) continue;
        throw err;
      }
    }
  } catch (err) {
    await removeTempDir(dir);
    throw err;
  }

  const server: RedisServer = {
    port,
    host: LOOPBACK,
    url: `redis://${LOOPBACK}:${port}`,
    get running() {
      return proc !== undefined && proc.exitInfo === undefined;
    },
    get process() {
      return proc!;
    },
    command: (...args) => redisCommand(port, args),
    async down() {
      // SIGTERM is a clean shutdown; with --save '' nothing is written (exit code 0).
      return proc!.stop({ timeoutMs: 10_000 });
    },
    async up() {
      if (stopped) throw new Error('startRedis: up() after stop()');
      if (server.running) return;
      proc = await spawnAndWait();
    },
    async restart() {
      await server.down();
      await server.up();
    },
    async stop() {
      stopped = true;
      await proc!.stop({ timeoutMs: 10_000 });
      await removeTempDir(dir);
    },
  };
  return server;
}
