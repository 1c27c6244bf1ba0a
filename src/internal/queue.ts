// A bounded FIFO queue on a ring buffer: a fixed capacity, an overflow policy (drop the oldest or reject the new), and a count of what it dropped.
import { fail } from './errors.js';

/**
 * What a full {@link BoundedQueue} does with one more item: `drop-oldest` makes room by dropping
 * the item at the head (the freshest data wins: telemetry, samples), `reject-new` keeps what it
 * holds and refuses the new one (the oldest wins: work that must run in order).
 */
export type OverflowPolicy = 'drop-oldest' | 'reject-new';

/** Options of {@link BoundedQueue}. */
export interface BoundedQueueOptions<T> {
  /** The most items held at once: an integer from 1 to 2^20 (1,048,576). */
  readonly capacity: number;
  /** What a push into a full queue does. */
  readonly overflow: OverflowPolicy;
  /**
   * Called with each item the queue drops (the oldest one evicted, or the new one refused), after
   * the drop was counted: to count it in a metric or release what it holds. Must not throw.
   */
  readonly onDrop?: ((item: T) => void) | undefined;
}

/**
 * The largest capacity. The slots are allocated up front (8 bytes each: 8 MiB at this size), so a
 * mistyped capacity fails fast instead of taking the heap.
 */
const MAX_CAPACITY = 2 ** 20;

/**
 * A first-in, first-out queue that never holds more than `capacity` items: the bounded queue
 * every buffer in telltale uses instead of an array with `push` and `shift` (which is O(n) per
 * shift and grows without a bound). Push and shift are O(1) and allocate nothing: the slots are
 * one array of `capacity`, allocated at construction, used as a ring. A slot is cleared when its
 * item leaves, so the queue does not keep dropped or taken items alive.
 *
 * @throws {TelltaleError} `TT_INVALID_OPTION` on a capacity that is not an integer from 1 to 2^20
 *   or an unknown overflow policy.
 * @example
 * ```ts
 * const q = new BoundedQueue<Batch>({ capacity: 1000, overflow: 'drop-oldest' });
 * q.push(batch);
 * const next = q.shift(); // the oldest batch still held, or undefined
 * q.dropped;              // how many were dropped since creation
 * ```
 */
export class BoundedQueue<T> {
  /** The most items held at once. */
  readonly capacity: number;
  /** What a push into a full queue does. */
  readonly overflow: OverflowPolicy;
  readonly #slots: (T | undefined)[];
  readonly #onDrop: ((item: T) => void) | undefined;
  /** Index of the oldest item. */
  #head = 0;
  #length = 0;
  #dropped = 0;

  constructor(options: BoundedQueueOptions<T>) {
    const { capacity, overflow, onDrop } = options;
    if (!Number.isInteger(capacity) || capacity < 1 || capacity > MAX_CAPACITY) {
      fail(
        'TT_INVALID_OPTION',
        `queue capacity must be an integer from 1 to ${MAX_CAPACITY}, got ${String(capacity)}`,
      );
    }
    if (overflow !== 'drop-oldest' && overflow !== 'reject-new') {
      fail(
        'TT_INVALID_OPTION',
        `queue overflow must be 'drop-oldest' or 'reject-new', got ${String(overflow)}`,
      );
    }
    if (onDrop !== undefined && typeof onDrop !== 'function') {
      fail('TT_INVALID_OPTION', 'queue onDrop must be a function');
    }
    this.capacity = capacity;
    this.overflow = overflow;
    this.#onDrop = onDrop;
    this.#slots = new Array<T | undefined>(capacity).fill(undefined);
  }

  /** How many items the queue holds. */
  get length(): number {
    return this.#length;
  }

  /** How many items were dropped since creation (evicted by `drop-oldest` or refused by `reject-new`). */
  get dropped(): number {
    return this.#dropped;
  }

  /**
   * Adds `item` at the tail. When the queue is full, `drop-oldest` drops the head first and
   * `reject-new` drops `item`; either way the drop is counted in {@link dropped} and passed to
   * `onDrop`. Returns whether `item` is now in the queue.
   */
  push(item: T): boolean {
    if (this.#length === this.capacity) {
      if (this.overflow === 'reject-new') {
        this.#drop(item);
        return false;
      }
      this.#drop(this.shift() as T);
    }
    let tail = this.#head + this.#length;
    if (tail >= this.capacity) tail -= this.capacity;
    this.#slots[tail] = item;
    this.#length++;
    return true;
  }

  /** Removes and returns the oldest item, or `undefined` when the queue is empty. */
  shift(): T | undefined {
    if (this.#length === 0) return undefined;
    const item = this.#slots[this.#head];
    this.#slots[this.#head] = undefined;
    this.#head = this.#head + 1 === this.capacity ? 0 : this.#head + 1;
    this.#length--;
    return item;
  }

  /** The oldest item without removing it, or `undefined` when the queue is empty. */
  peek(): T | undefined {
    return this.#length === 0 ? undefined : this.#slots[this.#head];
  }

  /**
   * Removes and returns up to `max` of the oldest items, oldest first (all of them by default):
   * a batch for an exporter.
   *
   * @throws {TelltaleError} `TT_INVALID_OPTION` when `max` is not an integer ≥ 0.
   */
  drain(max: number = this.#length): T[] {
    if (!Number.isInteger(max) || max < 0) {
      fail('TT_INVALID_OPTION', `queue drain(max): max must be an integer ≥ 0, got ${String(max)}`);
    }
    const n = Math.min(max, this.#length);
    const out = new Array<T>(n);
    for (let i = 0; i < n; i++) out[i] = this.shift() as T;
    return out;
  }

  /** Empties the queue. What it held is not counted as dropped and not passed to `onDrop`. Returns how many items it held. */
  clear(): number {
    const n = this.#length;
    this.#slots.fill(undefined);
    this.#head = 0;
    this.#length = 0;
    return n;
  }

  #drop(item: T): void {
    this.#dropped++;
    this.#onDrop?.(item);
  }
}
