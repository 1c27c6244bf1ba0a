// A manual Clock for tests: time moves and timers fire only when the test says so, so no test sleeps.
import type { Clock } from '../../src/internal/clock.js';

interface Timer {
  id: number;
  at: number;
  ms: number;
  fn: () => void;
}

/** A {@link Clock} whose time moves only through {@link FakeClock.fireNext} and {@link FakeClock.advance}. */
export class FakeClock implements Clock {
  #now: number;
  #seq = 0;
  readonly #timers = new Map<number, Timer>();

  constructor(start = 1_700_000_000_000) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.#seq;
    this.#timers.set(id, { id, at: this.#now + ms, ms, fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.#timers.delete(handle as number);
  }

  #sorted(): Timer[] {
    return [...this.#timers.values()].sort((a, b) => a.at - b.at || a.id - b.id);
  }

  /** Delays (ms, as scheduled) of the timers still pending, earliest first. */
  pending(): number[] {
    return this.#sorted().map((t) => t.ms);
  }

  /** Moves time to the earliest pending timer and fires it. Returns the delay it was scheduled with. */
  fireNext(): number {
    const next = this.#sorted()[0];
    if (next === undefined) throw new Error('FakeClock: no pending timer');
    this.#timers.delete(next.id);
    this.#now = next.at;
    next.fn();
    return next.ms;
  }

  /**
   * Moves time forward by `ms`, firing every timer that falls due on the way, in order, each at
   * its own time (a timer set by a firing timer fires too if it falls due). Returns how many fired.
   */
  advance(ms: number): number {
    const end = this.#now + ms;
    let fired = 0;
    for (;;) {
      const next = this.#sorted()[0];
      if (next === undefined || next.at > end) break;
      this.fireNext();
      fired++;
    }
    this.#now = end;
    return fired;
  }
}

/**
 * Yields to the event loop (setImmediate, so real I/O such as a local HTTP exchange progresses)
 * until `cond()` holds. Not a sleep: it never waits on a timer. Throws after `limitMs` of real time.
 */
export async function until(cond: () => boolean, what: string, limitMs = 5000): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > limitMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}
