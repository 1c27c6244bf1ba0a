// The agent's message handler: validates a message from the API or a peer, carries it out against storage, and records the message metrics.

import type { AgentMetrics } from './metrics.js';
import type { Storage } from './storage.js';

/** A message the agent understands. `value` is any JSON value. */
export type Message =
  | { type: 'put'; key: string; value: unknown }
  | { type: 'get'; key: string }
  | { type: 'delete'; key: string };

/**
 * The answer to one message. Success: `put` gives `{ ok: true }`; `get` gives
 * `{ ok: true, found, value? }`; `delete` gives `{ ok: true, found }` (whether the key existed).
 * Failure carries the HTTP status the API answers with.
 */
export type MessageResult =
  | { ok: true; value?: unknown; found?: boolean }
  | { ok: false; status: 400 | 404 | 413 | 422 | 503; error: string };

/** A handler: takes a message as JSON text (string or bytes) or as an already parsed value. */
export type MessageHandler = (raw: unknown) => Promise<MessageResult>;

/** Limits of {@link createMessageHandler}; each has a default. */
export interface MessageLimits {
  /** Largest message as JSON text, in bytes (text and bytes input only). Default 65536. */
  readonly maxMessageBytes?: number;
  /** Longest key, in UTF-8 bytes. Default 256. */
  readonly maxKeyBytes?: number;
  /** Largest value, as JSON, in UTF-8 bytes. Default 16384. */
  readonly maxValueBytes?: number;
  /**
   * Deepest nesting of arrays and objects in a message, the message object itself being level 1
   * (so `{"type":"put","key":"k","value":[[1]]}` is 3 deep). Default {@link DEFAULT_MAX_DEPTH}.
   */
  readonly maxDepth?: number;
}

/**
 * The default nesting limit of a message (arrays and objects). Far below the ~4,000 levels at
 * which `JSON.stringify` (the size check, the storage backends, the reply) overflows the stack.
 */
export const DEFAULT_MAX_DEPTH = 64;

/** What {@link checkNesting} found. */
export type Nesting = 'ok' | 'too_deep' | 'too_many';

/**
 * Walks `value`'s arrays and objects (`value` itself is level 1 when it is one) and reports
 * `too_deep` at the first one deeper than `maxDepth`, or `too_many` when there are more than
 * `maxContainers` (a shared or cyclic reference, possible only in-process, counts each time it is
 * reached, as `JSON.stringify` would write it; a cycle ends as `too_deep`). Iterative, with an
 * explicit stack: it cannot overflow the call stack whatever the depth, and it is bounded by
 * `maxContainers` whatever the shape.
 */
export function checkNesting(value: unknown, maxDepth: number, maxContainers: number): Nesting {
  if (typeof value !== 'object' || value === null) return 'ok';
  const values: object[] = [value];
  const depths: number[] = [1];
  let seen = 0;
  while (values.length > 0) {
    const v = values.pop() as object;
    const d = depths.pop() as number;
    if (d > maxDepth) return 'too_deep';
    if (++seen > maxContainers) return 'too_many';
    const children: unknown[] = Array.isArray(v) ? v : Object.values(v);
    for (const c of children) {
      if (typeof c === 'object' && c !== null) {
        values.push(c);
        depths.push(d + 1);
      }
    }
  }
  return 'ok';
}

/** Options of {@link createMessageHandler}. */
export interface MessageHandlerOptions {
  readonly storage: Storage;
  readonly metrics: AgentMetrics;
  /**
   * Storage failures are logged at `warn` (without the value): the first one, then at most one
   * line per 5 s with the number of failures in between (`suppressed`), so an outage does not
   * flood the log. Default: not logged.
   */
  readonly logger?: { warn(fields: object, msg: string): void } | undefined;
  readonly limits?: MessageLimits;
}

type Fail = Extract<MessageResult, { ok: false }>;

// Control characters make keys unreadable in logs and URLs; everything else is allowed.
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * Returns the agent's message handler. One call handles one message:
 *
 * 1. Parse (string or bytes input): not JSON → 400; larger than `maxMessageBytes` → 413.
 * 2. Validate: not an object, nested deeper than `maxDepth` (arrays and objects), an unknown or
 *    missing `type`, a missing, empty, non-string or control-character key, or a `put` without a
 *    JSON-serialisable `value` → 422; a key or value over its limit, or more arrays and objects
 *    than `maxMessageBytes / 2` (more than fit in a message) → 413. The nesting is checked
 *    first, without recursion, for text and already parsed input alike (a peer's frame).
 * 3. Carry it out: `put` → `storage.put`, `get` → `storage.get`, `delete` → `storage.delete`,
 *    exactly one storage call. A storage failure → 503.
 *
 * Metrics (see `createAgentMetrics`): a message that succeeds increments
 * `messages_received_total` and observes `message_processing_duration_seconds` (the whole
 * call, parse included). A message that fails increments `messages_rejected_total{reason}`
 * instead (`too_deep` for the nesting limit). Steps 1 and 2 never touch storage, so invalid
 * input is never a storage operation (nor a storage error). The handler never throws: every
 * outcome is a {@link MessageResult}.
 *
 * @example
 * ```ts
 * const handle = createMessageHandler({ storage, metrics });
 * await handle('{"type":"put","key":"k","value":1}'); // { ok: true }
 * await handle({ type: 'get', key: 'k' });             // { ok: true, found: true, value: 1 }
 * ```
 */
export function createMessageHandler(options: MessageHandlerOptions): MessageHandler {
  const { storage, metrics, logger } = options;
  const maxMessageBytes = options.limits?.maxMessageBytes ?? 65_536;
  const maxKeyBytes = options.limits?.maxKeyBytes ?? 256;
  const maxValueBytes = options.limits?.maxValueBytes ?? 16_384;
  const maxDepth = options.limits?.maxDepth ?? DEFAULT_MAX_DEPTH;
  if (!Number.isInteger(maxDepth) || maxDepth < 1 || maxDepth > 1000) {
    throw new RangeError(`limits.maxDepth must be an integer from 1 to 1000, got ${maxDepth}`);
  }
  // Handles resolved once: the hot path does no label lookups.
  const received = metrics.messagesReceived.labels();
  const duration = metrics.messageDuration.labels();
  const rejected = {
    invalid_json: metrics.messagesRejected.labels({ reason: 'invalid_json' }),
    invalid_message: metrics.messagesRejected.labels({ reason: 'invalid_message' }),
    too_large: metrics.messagesRejected.labels({ reason: 'too_large' }),
    too_deep: metrics.messagesRejected.labels({ reason: 'too_deep' }),
    storage_error: metrics.messagesRejected.labels({ reason: 'storage_error' }),
  };
  const invalid = (error: string): Fail => {
    rejected.invalid_message.inc();
    return { ok: false, status: 422, error };
  };
  let lastWarn = Number.NEGATIVE_INFINITY;
  let suppressed = 0;
  const warnStorage = (err: unknown, type: string, key: string): void => {
    if (logger === undefined) return;
    const now = performance.now();
    if (now - lastWarn < 5000) {
      suppressed++;
      return;
    }
    logger.warn(
      { err, type, key, backend: storage.backend, suppressed },
      'storage operation failed',
    );
    lastWarn = now;
    suppressed = 0;
  };
  const tooLarge = (error: string): Fail => {
    rejected.too_large.inc();
    return { ok: false, status: 413, error };
  };

  return async function handle(raw: unknown): Promise<MessageResult> {
    const start = performance.now();
    let msg: unknown = raw;
    if (typeof raw === 'string' || raw instanceof Uint8Array) {
      const bytes = typeof raw === 'string' ? Buffer.byteLength(raw) : raw.byteLength;
      if (bytes > maxMessageBytes) {
        return tooLarge(`message is ${bytes} bytes, more than the limit of ${maxMessageBytes}`);
      }
      const text = typeof raw === 'string' ? raw : Buffer.from(raw).toString('utf8');
      try {
        msg = JSON.parse(text);
      } catch (err) {
        rejected.invalid_json.inc();
        return { ok: false, status: 400, error: `malformed JSON: ${(err as Error).message}` };
      }
    }
    if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) {
      return invalid('a message must be a JSON object with "type" and "key"');
    }
    // Before anything that recurses (JSON.stringify here, in storage and in the reply). Every
    // array or object takes at least 2 bytes of JSON, so more than half the byte limit of them
    // cannot fit in a message.
    const nesting = checkNesting(msg, maxDepth, Math.floor(maxMessageBytes / 2));
    if (nesting === 'too_deep') {
      rejected.too_deep.inc();
      return {
        ok: false,
        status: 422,
        error: `message is nested deeper than the limit of ${maxDepth} levels of arrays and objects`,
      };
    }
    if (nesting === 'too_many') {
      return tooLarge(
        `message has more than ${Math.floor(maxMessageBytes / 2)} arrays and objects, more than fit in the limit of ${maxMessageBytes} bytes`,
      );
    }
    const m = msg as { type?: unknown; key?: unknown; value?: unknown };
    if (m.type === undefined) return invalid('"type" is required (put, get or delete)');
    if (m.type !== 'put' && m.type !== 'get' && m.type !== 'delete') {
      return invalid(
        `unknown message type ${JSON.stringify(m.type)}; expected "put", "get" or "delete"`,
      );
    }
    if (m.key === undefined) return invalid('"key" is required');
    if (typeof m.key !== 'string' || m.key === '')
      return invalid('"key" must be a non-empty string');
    if (CONTROL.test(m.key)) return invalid('"key" must not contain control characters');
    const keyBytes = Buffer.byteLength(m.key);
    if (keyBytes > maxKeyBytes) {
      return tooLarge(`"key" is ${keyBytes} bytes, more than the limit of ${maxKeyBytes}`);
    }
    let result: MessageResult;
    if (m.type === 'put') {
      if (!('value' in m) || m.value === undefined) return invalid('"value" is required for put');
      let valueJson: string | undefined;
      try {
        valueJson = JSON.stringify(m.value);
      } catch (err) {
        // Only an in-process caller can pass one (a cycle, a BigInt): parsed JSON always serialises.
        return invalid(`"value" must be JSON-serialisable: ${(err as Error).message}`);
      }
      if (valueJson === undefined) return invalid('"value" must be JSON-serialisable');
      const valueBytes = Buffer.byteLength(valueJson);
      if (valueBytes > maxValueBytes) {
        return tooLarge(
          `"value" is ${valueBytes} bytes as JSON, more than the limit of ${maxValueBytes}`,
        );
      }
    }
    try {
      if (m.type === 'put') {
        await storage.put(m.key, m.value);
        result = { ok: true };
      } else if (m.type === 'get') {
        const value = await storage.get(m.key);
        result =
          value === undefined ? { ok: true, found: false } : { ok: true, found: true, value };
      } else {
        result = { ok: true, found: await storage.delete(m.key) };
      }
    } catch (err) {
      rejected.storage_error.inc();
      warnStorage(err, m.type, m.key);
      return {
        ok: false,
        status: 503,
        error: `storage (${storage.backend}) unavailable: ${(err as Error)?.message ?? String(err)}`,
      };
    }
    received.inc();
    duration.observe((performance.now() - start) / 1000);
    return result;
  };
}
