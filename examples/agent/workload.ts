// The agent's built-in load generator: a steady, deterministic mix of put/get/delete messages at a fixed rate.

/** A message the workload sends (the agent's message shapes). */
export type WorkloadMessage =
  | { type: 'put'; key: string; value: { n: number; at: number } }
  | { type: 'get'; key: string }
  | { type: 'delete'; key: string };

/**
 * The repeating cycle of operations: 4 puts, 5 gets, 1 delete in every 10 messages, so the key
 * space fills up and reads mostly hit.
 */
export const WORKLOAD_CYCLE = [
  'put',
  'get',
  'put',
  'get',
  'get',
  'put',
  'get',
  'delete',
  'put',
  'get',
] as const;

/**
 * The `i`-th message (from 0) of a workload over `keys` keys: operation `WORKLOAD_CYCLE[i % 10]`
 * on key `wl-${(i * 7) % keys}` (7 is coprime to the default 16 keys, so keys rotate). Pure: the
 * same `i` always gives the same message (`at` is the only field that is not, and only on puts).
 */
export function workloadMessage(
  i: number,
  keys = 16,
  now: () => number = Date.now,
): WorkloadMessage {
  const type = WORKLOAD_CYCLE[i % WORKLOAD_CYCLE.length] ?? 'get';
  const key = `wl-${(i * 7) % keys}`;
  if (type === 'put') return { type, key, value: { n: i, at: now() } };
  return { type, key };
}

/** How many of each operation the first `n` messages contain. */
export function workloadMix(n: number): { put: number; get: number; delete: number } {
  const mix = { put: 0, get: 0, delete: 0 };
  for (let i = 0; i < n; i++) mix[WORKLOAD_CYCLE[i % WORKLOAD_CYCLE.length] ?? 'get']++;
  return mix;
}

export interface WorkloadOptions {
  /** Messages per second, > 0. */
  readonly rate: number;
  /** Sends one message; a rejection counts as an error and the workload goes on. */
  readonly send: (msg: WorkloadMessage) => Promise<void>;
  /** Aborting it stops the workload (as `stop()` does). */
  readonly signal?: AbortSignal;
  /** Size of the key space. Default 16. */
  readonly keys?: number;
  /** Sends in flight at most; a message that comes due while all are busy is skipped, not queued. Default 8. */
  readonly concurrency?: number;
  /** Called with each failed send's error (rate-limit your logging). Default: ignored. */
  readonly onError?: (err: unknown, msg: WorkloadMessage) => void;
}

export interface Workload {
  /** Stops issuing messages and resolves when the sends in flight have settled. Idempotent. */
  stop(): Promise<void>;
  /** Messages whose send resolved. */
  sent(): number;
  /** Messages whose send rejected. */
  failed(): number;
  /** Messages skipped because `concurrency` sends were already in flight. */
  skipped(): number;
}

/**
 * Starts the load generator: message `i` comes due `i / rate` seconds after the start and is sent
 * on the next tick (every `max(1000 / rate, 20)` ms). At most `concurrency` sends are in flight;
 * due messages beyond that are skipped (counted), so a slow agent sees the same rate, never a
 * backlog. The timer is unref'd: the workload alone does not keep the process alive.
 *
 * @example
 * ```ts
 * const wl = startWorkload({ rate: 50, signal, send: (msg) => hub.request(msg).then(() => {}) });
 * ```
 */
export function startWorkload(options: WorkloadOptions): Workload {
  const { rate, send, signal, keys = 16, concurrency = 8, onError } = options;
  if (!(Number.isFinite(rate) && rate > 0))
    throw new RangeError(`workload rate must be > 0, got ${rate}`);
  if (!(Number.isInteger(keys) && keys > 0))
    throw new RangeError(`workload keys must be a positive integer, got ${keys}`);
  if (!(Number.isInteger(concurrency) && concurrency > 0)) {
    throw new RangeError(`workload concurrency must be a positive integer, got ${concurrency}`);
  }
  const tickMs = Math.max(1000 / rate, 20);
  const started = performance.now();
  let issued = 0; // messages that came due (sent, in flight, or skipped)
  let ok = 0;
  let failed = 0;
  let skipped = 0;
  let stopped = false;
  const inFlight = new Set<Promise<void>>();
  let timer: NodeJS.Timeout | undefined;

  const issue = (i: number): void => {
    const msg = workloadMessage(i, keys);
    const p: Promise<void> = send(msg).then(
      () => {
        ok++;
      },
      (err: unknown) => {
        failed++;
        onError?.(err, msg);
      },
    );
    const tracked = p.finally(() => inFlight.delete(tracked));
    inFlight.add(tracked);
  };

  const tick = (): void => {
    timer = undefined;
    if (stopped) return;
    const due = Math.floor(((performance.now() - started) * rate) / 1000) + 1;
    while (issued < due) {
      if (inFlight.size >= concurrency) {
        skipped += due - issued;
        issued = due;
        break;
      }
      issue(issued++);
    }
    timer = setTimeout(tick, tickMs);
    timer.unref();
  };

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      await Promise.all([...inFlight]);
    })();
    return stopping;
  };
  const onAbort = (): void => void stop();

  if (signal?.aborted === true) {
    stopped = true;
    stopping = Promise.resolve();
  } else {
    signal?.addEventListener('abort', onAbort, { once: true });
    tick();
  }

  return { stop, sent: () => ok, failed: () => failed, skipped: () => skipped };
}
