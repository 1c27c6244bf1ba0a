// ioredis: an explicit wrapper around one client instance's sendCommand (the library's own tracing channel cannot tell clients apart and skips commands that fail before the write).

import type { CommandTable } from './commands.js';

/** The part of an ioredis `Command` this module reads. */
export interface IoredisCommandLike {
  readonly name: string;
  readonly promise: Promise<unknown>;
}

/** The part of an ioredis `Redis` (or `Cluster`) instance this module uses. */
export interface IoredisLike {
  sendCommand(command: IoredisCommandLike, stream?: unknown, node?: unknown): unknown;
}

type SendCommand = IoredisLike['sendCommand'];

/** Whether `client` looks like an ioredis `Redis` or `Cluster`: a `sendCommand`, a `pipeline()` and a `status` string. */
export function isIoredis(client: object): client is IoredisLike {
  const c = client as { sendCommand?: unknown; pipeline?: unknown; status?: unknown };
  return (
    typeof c.sendCommand === 'function' &&
    typeof c.pipeline === 'function' &&
    typeof c.status === 'string'
  );
}

/**
 * Wraps `client.sendCommand` on this instance only (an own property shadowing the prototype's).
 * Every command the client sends passes there: direct calls, `client.call()`, pipelines and
 * `multi()` (whose `exec` sends each queued command through the client), and the connection's
 * own commands (ready check, `select`). ioredis may call sendCommand twice for one command (offline
 * queue flush, resend after reconnect), so a command is marked the first time and timed from
 * there: queueing time is part of its latency. Returns the function that undoes the wrap.
 */
export function wrapIoredis(client: IoredisLike, table: CommandTable): () => void {
  const target = client as IoredisLike & Record<symbol, unknown>;
  const hadOwn = Object.hasOwn(client, 'sendCommand');
  const previousOwn = hadOwn ? client.sendCommand : undefined;
  const original: SendCommand = client.sendCommand;
  // One symbol per instrumentation: two instrumentations of one client each see every command once.
  const seen = Symbol('telltale.redis.seen');
  let active = true;

  const wrapped: SendCommand = function telltaleSendCommand(
    this: unknown,
    command: IoredisCommandLike,
    stream?: unknown,
    node?: unknown,
  ): unknown {
    if (active && command !== null && typeof command === 'object') {
      const cmd = command as IoredisCommandLike & Record<symbol, unknown>;
      if (cmd[seen] !== true) {
        cmd[seen] = true;
        const entry = table.entry(cmd.name);
        const start = performance.now();
        // Attaching the observer marks the command's promise as handled, as ioredis' own tracing
        // does (`traced.catch(noop)`); the caller still receives the original promise.
        cmd.promise.then(
          (reply: unknown) => table.recordReply(entry, start, reply),
          (err: unknown) => table.record(entry, start, true, err),
        );
      }
    }
    return original.call(this, command, stream, node);
  };
  target.sendCommand = wrapped;

  return () => {
    active = false;
    // Restore only if nobody wrapped on top of us; otherwise the inactive wrapper stays in the
    // chain and just forwards.
    if (client.sendCommand !== wrapped) return;
    if (hadOwn) client.sendCommand = previousOwn as SendCommand;
    else delete (target as { sendCommand?: SendCommand }).sendCommand;
  };
}
