// A tree of AbortSignals: cancelling a node cancels its descendants, never its ancestors (a parent/child cancellation token).
import { fail } from '../internal/errors.js';
import { checkOptionKeys } from '../internal/option-keys.js';

/**
 * One node of a cancellation tree: an `AbortSignal` plus the means to cancel it and to derive
 * children: the parent/child cancellation-token pattern (as tokio-util's `CancellationToken`),
 * built on `AbortController`.
 *
 * - Cancelling a node aborts its signal and, synchronously, every descendant's, each with the
 *   same `reason` object.
 * - Cancelling a child leaves its parent and siblings running.
 * - A child created from an already-cancelled node starts cancelled, with the parent's reason.
 *
 * No listener leaks: a child holds one `abort` listener on its parent's signal and removes it
 * when it is cancelled or disposed, so a long-lived root that hands out a child per request or
 * per run does not accumulate listeners. (We do not use `AbortSignal.any`: on Node 20 the
 * combined signals stay reachable from long-lived sources until they are collected, and a
 * disposable child makes the lifetime explicit.)
 *
 * @example
 * ```ts
 * const root = createCancellation({ name: 'service' });
 * const heartbeat = root.child('heartbeat');
 * const fast = heartbeat.child('fast');
 * fetch(url, { signal: fast.signal });
 * root.cancel(new Error('shutting down')); // heartbeat and fast abort, with that reason
 * ```
 */
export interface Cancellation {
  /** The name given at creation; children are named `parent/child` in {@link path}. */
  readonly name: string;
  /** Names from the root down to this node, joined with `/`, e.g. `service/heartbeat/fast`. */
  readonly path: string;
  /** Aborts when this node or any ancestor is cancelled. */
  readonly signal: AbortSignal;
  /** Whether the signal has aborted. */
  readonly cancelled: boolean;
  /**
   * Aborts this node and its descendants. `reason` becomes `signal.reason` (default: a
   * `DOMException` named `AbortError`, as `AbortController.abort()` gives). Idempotent: the first
   * reason wins.
   */
  cancel(reason?: unknown): void;
  /**
   * Creates a child that aborts when this node does.
   *
   * @throws {TelltaleError} `TT_INVALID_OPTION` when `name` is not a non-empty string.
   */
  child(name: string): Cancellation;
  /**
   * Detaches this node from its parent without aborting it: the parent's listener is removed, so
   * a child that finished its work costs the parent nothing. A disposed node no longer follows
   * its parent; its own descendants still follow it. Idempotent.
   */
  dispose(): void;
}

/** Options of {@link createCancellation}. */
export interface CancellationOptions {
  /** The root's name, for logs and {@link Cancellation.path}. Required, non-empty. */
  readonly name: string;
  /**
   * An `AbortSignal` the root follows (a framework's shutdown signal, say): when it aborts, the
   * whole tree is cancelled with its reason. Default: none.
   */
  readonly signal?: AbortSignal | undefined;
}

/** Every key of {@link CancellationOptions}: `createCancellation` refuses any other. */
const CANCELLATION_OPTIONS = ['name', 'signal'] as const;

/**
 * Creates the root of a cancellation tree.
 *
 * @throws {TelltaleError} `TT_INVALID_OPTION` when `options` is not an object or has a key other
 *   than `name` and `signal`, `name` is not a non-empty string or `signal` is not an `AbortSignal`.
 * @example
 * ```ts
 * const root = createCancellation({ name: 'service' });
 * const loop = root.child('poller');
 * while (!loop.cancelled) await poll({ signal: loop.signal });
 * ```
 */
export function createCancellation(options: CancellationOptions): Cancellation {
  if (typeof options !== 'object' || options === null) {
    fail(
      'TT_INVALID_OPTION',
      `createCancellation: options must be an object, such as { name: 'service' }, got ${String(options)}`,
    );
  }
  checkOptionKeys('createCancellation', options, CANCELLATION_OPTIONS);
  const { name, signal } = options;
  checkName(name);
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    fail('TT_INVALID_OPTION', `createCancellation: signal must be an AbortSignal`);
  }
  return new Node(name, name, signal);
}

function checkName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || name.length === 0) {
    fail(
      'TT_INVALID_OPTION',
      `a cancellation name must be a non-empty string, got ${String(name)}`,
    );
  }
}

class Node implements Cancellation {
  readonly name: string;
  readonly path: string;
  readonly #controller = new AbortController();
  #parent: AbortSignal | undefined;
  #onParentAbort: (() => void) | undefined;

  constructor(name: string, path: string, parent: AbortSignal | undefined) {
    this.name = name;
    this.path = path;
    if (parent === undefined) return;
    if (parent.aborted) {
      this.#controller.abort(parent.reason);
      return;
    }
    this.#parent = parent;
    this.#onParentAbort = () => this.cancel(parent.reason);
    parent.addEventListener('abort', this.#onParentAbort, { once: true });
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  get cancelled(): boolean {
    return this.#controller.signal.aborted;
  }

  cancel(reason?: unknown): void {
    if (this.#controller.signal.aborted) return;
    // Detach first: a cancelled child needs no listener on its parent any more.
    this.dispose();
    // abort() dispatches 'abort' synchronously, so every descendant is cancelled before this returns.
    this.#controller.abort(reason);
  }

  child(name: string): Cancellation {
    checkName(name);
    return new Node(name, `${this.path}/${name}`, this.#controller.signal);
  }

  dispose(): void {
    if (this.#parent !== undefined && this.#onParentAbort !== undefined) {
      this.#parent.removeEventListener('abort', this.#onParentAbort);
    }
    this.#parent = undefined;
    this.#onParentAbort = undefined;
  }
}
