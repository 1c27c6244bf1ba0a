// node-redis: subscribes to the library's own diagnostics_channel tracing channels, filtered to one client; a sendCommand wrapper for versions without them.

import { type TracingChannel, tracingChannel } from 'node:diagnostics_channel';
import type { CommandTable } from './commands.js';

/** The part of a node-redis client this module uses. `_clientId` exists from the versions that trace. */
export interface NodeRedisLike {
  readonly isReady: boolean;
  readonly _clientId?: string;
  sendCommand(args: readonly unknown[], options?: unknown): Promise<unknown>;
}

/** Whether `client` looks like a single node-redis client (v4+): `isReady`, `isOpen` and `sendCommand`. */
export function isNodeRedis(client: object): client is NodeRedisLike {
  const c = client as { sendCommand?: unknown; isReady?: unknown; isOpen?: unknown };
  return (
    typeof c.sendCommand === 'function' &&
    typeof c.isReady === 'boolean' &&
    typeof c.isOpen === 'boolean'
  );
}

/** Whether `client` is a node-redis cluster (`createCluster()`), whose commands run on child clients. */
export function isNodeRedisCluster(client: object): boolean {
  return 'masters' in client && 'slots' in client && typeof client.masters === 'object';
}

/** The channel names node-redis publishes (`@redis/client/dist/lib/client/tracing.js`). */
export const NODE_REDIS_COMMAND_CHANNEL = 'node-redis:command';
/** node-redis publishes each `multi().exec()` and each pipeline as one batch here. */
export const NODE_REDIS_BATCH_CHANNEL = 'node-redis:batch';

/** The fields of node-redis' command trace context this module reads. */
interface CommandContext {
  readonly command: string;
  readonly clientId: string;
  error?: unknown;
}

/** The fields of node-redis' batch trace context this module reads. */
interface BatchContext {
  readonly batchMode: 'MULTI' | 'PIPELINE';
  readonly clientId: string;
  error?: unknown;
  /** The EXEC reply: one entry per command, an error object for a command that failed. */
  result?: unknown;
}

type Stamped = Record<symbol, number | undefined>;

/** Whether this client publishes on the tracing channels (node-redis with `_clientId`, Node with `tracingChannel`). */
export function canTrace(client: NodeRedisLike): boolean {
  return typeof client._clientId === 'string' && typeof tracingChannel === 'function';
}

/**
 * Subscribes to `node-redis:command` and `node-redis:batch`, keeping only this client's events
 * (`ctx.clientId`). No wrapping at all: the channels are the library's public instrumentation
 * point, and they cost nothing while nobody subscribes. Each command's start time is stored on
 * its trace context (one symbol per instrumentation), the only state there is.
 *
 * - A command (direct, `sendCommand`, or one of a pipeline's commands) is one observation.
 * - A `multi().exec()` transaction is one observation under `exec`: node-redis traces the
 *   transaction as a batch and not the commands inside it. A command that failed inside it
 *   makes it an `exec` error.
 * - A pipeline's batch event is ignored (its commands are already recorded one by one).
 *
 * Returns the function that unsubscribes.
 */
export function subscribeNodeRedis(client: NodeRedisLike, table: CommandTable): () => void {
  const clientId = client._clientId as string;
  const commands = tracingChannel<unknown, CommandContext>(NODE_REDIS_COMMAND_CHANNEL);
  const batches = tracingChannel<unknown, BatchContext>(NODE_REDIS_BATCH_CHANNEL);
  const start = Symbol('telltale.redis.start');

  const commandHandlers = {
    start(ctx: CommandContext): void {
      if (ctx.clientId === clientId) (ctx as unknown as Stamped)[start] = performance.now();
    },
    // Before the command's promise settles on the async path; after a synchronous throw.
    end(ctx: CommandContext): void {
      const t0 = (ctx as unknown as Stamped)[start];
      if (t0 !== undefined && 'error' in ctx)
        table.record(table.entry(ctx.command), t0, true, ctx.error);
    },
    // The promise settled: `error` is set when it rejected (published just before).
    asyncStart(ctx: CommandContext): void {
      const t0 = (ctx as unknown as Stamped)[start];
      if (t0 !== undefined) table.record(table.entry(ctx.command), t0, 'error' in ctx, ctx.error);
    },
  };
  const batchHandlers = {
    start(ctx: BatchContext): void {
      if (ctx.clientId === clientId && ctx.batchMode === 'MULTI') {
        (ctx as unknown as Stamped)[start] = performance.now();
      }
    },
    end(ctx: BatchContext): void {
      const t0 = (ctx as unknown as Stamped)[start];
      if (t0 !== undefined && 'error' in ctx)
        table.record(table.entry('exec'), t0, true, ctx.error);
    },
    asyncStart(ctx: BatchContext): void {
      const t0 = (ctx as unknown as Stamped)[start];
      if (t0 === undefined) return;
      if ('error' in ctx) table.record(table.entry('exec'), t0, true, ctx.error);
      else table.recordReply(table.entry('exec'), t0, ctx.result);
    },
  };
  commands.subscribe(
    commandHandlers as Parameters<TracingChannel<unknown, CommandContext>['subscribe']>[0],
  );
  batches.subscribe(
    batchHandlers as Parameters<TracingChannel<unknown, BatchContext>['subscribe']>[0],
  );
  let subscribed = true;
  return () => {
    if (!subscribed) return;
    subscribed = false;
    commands.unsubscribe(
      commandHandlers as Parameters<TracingChannel<unknown, CommandContext>['unsubscribe']>[0],
    );
    batches.unsubscribe(
      batchHandlers as Parameters<TracingChannel<unknown, BatchContext>['unsubscribe']>[0],
    );
  };
}

/**
 * For node-redis versions without tracing channels: wraps `client.sendCommand` on this instance
 * only (on `client._self`, the instance behind node-redis' per-options proxies). It sees what
 * passes through the instance's `sendCommand` (in v5 and v6 every plain
 * command; not the commands of a pipeline or `multi()`, which go to the queue directly).
 * Returns the function that undoes the wrap.
 */
export function wrapNodeRedis(handle: NodeRedisLike, table: CommandTable): () => void {
  type Send = NodeRedisLike['sendCommand'];
  // createClient() returns Object.create(instance), and the command methods call
  // `this._self.sendCommand`: the wrapper goes on the instance so both paths see it.
  const client = (handle as { _self?: NodeRedisLike })._self ?? handle;
  const hadOwn = Object.hasOwn(client, 'sendCommand');
  const previousOwn = hadOwn ? client.sendCommand : undefined;
  const original: Send = client.sendCommand;
  let active = true;
  const wrapped: Send = function telltaleSendCommand(
    this: unknown,
    args: readonly unknown[],
    options?: unknown,
  ): Promise<unknown> {
    if (!active || !Array.isArray(args)) return original.call(this, args, options);
    const name = args[0];
    const entry = table.entry(typeof name === 'string' ? name : String(name));
    const t0 = performance.now();
    let promise: Promise<unknown>;
    try {
      promise = original.call(this, args, options);
    } catch (err) {
      table.record(entry, t0, true, err);
      throw err;
    }
    promise.then(
      () => table.record(entry, t0, false, undefined),
      (err: unknown) => table.record(entry, t0, true, err),
    );
    return promise;
  };
  (client as { sendCommand: Send }).sendCommand = wrapped;
  return () => {
    active = false;
    if (client.sendCommand !== wrapped) return;
    if (hadOwn) (client as { sendCommand: Send }).sendCommand = previousOwn as Send;
    else delete (client as { sendCommand?: Send }).sendCommand;
  };
}
