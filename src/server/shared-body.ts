// One gather's encoding (and gzip), produced once and read by every concurrent scrape that asked for the same filter, format and compression.
import { setImmediate as nextTurn } from 'node:timers/promises';
import { createGzip, type Gzip } from 'node:zlib';
import type { MetricFamily } from '../metrics/model.js';

/**
 * Where a body failed: the gather rejected (`gather`), the encoder threw on its first chunk
 * (`encode-first`, before any consumer sent headers) or on a later one (`encode`), or the gzip
 * stream failed (`gzip`).
 */
export type BodyFailure = 'gather' | 'encode-first' | 'encode' | 'gzip';

/** What a body needs from its handler. */
export interface BodySource {
  /** The (shared) gather this body encodes. */
  readonly gather: () => Promise<MetricFamily[]>;
  /** The encoder's chunks for the gathered families. */
  readonly encode: (families: MetricFamily[]) => Iterator<string | Uint8Array, void, undefined>;
  /** Compress the encoder's output with one gzip stream. */
  readonly gzip: boolean;
  /** Called once when the body fails, for logging. */
  readonly onFailure: (failure: BodyFailure, err: unknown) => void;
  /**
   * Called once when the body stops taking new consumers: production ended (done or failed), or
   * every consumer left before it did (the body is then abandoned).
   */
  readonly onClosed: () => void;
}

/** The consumer has caught up with the producer: {@link BodyReader.wait} before stepping again. */
export const WAIT: unique symbol = Symbol('wait');
/** The body is complete and this consumer has read every chunk: end the response. */
export const END: unique symbol = Symbol('end');

/** What {@link BodyReader.step} returns: a chunk to write, a signal, or the body's failure. */
export type BodyStep = BodyChunk | typeof WAIT | typeof END | { readonly failed: BodyFailure };

/**
 * A piece of the body: text as the encoder wrote it (each socket write encodes it to UTF-8, which
 * allocates nothing the garbage collector tracks) or bytes (protobuf, gzip output).
 */
export type BodyChunk = string | Uint8Array;

/** Whether a step is a chunk of the body. */
export function isChunk(step: BodyStep): step is BodyChunk {
  return typeof step === 'string' || step instanceof Uint8Array;
}

/**
 * A body shared by concurrent scrapes. One producer gathers, pulls the encoder's chunks one per
 * event-loop turn (`setImmediate` between chunks), optionally pipes them through one gzip stream,
 * and appends the chunks to a list. Each scrape reads the list through its own
 * {@link BodyReader}, at its own socket's pace; the producer never waits for a reader.
 *
 * While it is producing, the body keeps every chunk (a consumer may still join and needs the
 * whole body); once it has finished, a chunk is released as soon as every reader has passed it,
 * and the list goes when the last reader detaches. A body whose readers all detach before it
 * finishes stops producing.
 */
export class SharedBody {
  /** Produced bytes in order; entries before `#released` have been dropped. */
  readonly #chunks: (BodyChunk | undefined)[] = [];
  #released = 0;
  /** `pending`: gathering or encoding the first chunk; `open`: headers may go; `done`: complete. */
  #state: 'pending' | 'open' | 'done' | 'failed' = 'pending';
  #failure: BodyFailure | undefined;
  #closed = false;
  #started = false;
  readonly #readers = new Set<BodyReader>();
  readonly #source: BodySource;

  constructor(source: BodySource) {
    this.#source = source;
  }

  /** Starts producing (once). It may fail, and call `onFailure` and `onClosed`, before returning. */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    this.#produce().catch((err: unknown) => this.#fail('encode', err));
  }

  /**
   * A new consumer, reading from the first chunk. Only until `onClosed` has been called (the
   * handler then forgets the body, so later scrapes start a new one).
   */
  attach(): BodyReader {
    const reader = new BodyReader(this);
    this.#readers.add(reader);
    return reader;
  }

  /** @internal The next step for a reader at `cursor`. */
  stepAt(cursor: number): BodyStep {
    const state = this.#state;
    if (state === 'failed') return { failed: this.#failure! };
    if (state === 'pending') return WAIT;
    if (cursor < this.#chunks.length) return this.#chunks[cursor]!;
    return state === 'done' ? END : WAIT;
  }

  /** Chunks produced so far, until the body drops them all (for tests and diagnostics). */
  get produced(): number {
    return this.#chunks.length;
  }

  /** Chunks still held in memory: produced and not yet released (for tests and diagnostics). */
  get retained(): number {
    return this.#chunks.length - this.#released;
  }

  /** Whether the first chunk was encoded, so a consumer may send its headers. */
  get opened(): boolean {
    return this.#state !== 'pending';
  }

  /** @internal After a reader advanced: drop the chunks every reader has passed (once done). */
  advanced(): void {
    if (this.#state !== 'done') return;
    let min = this.#chunks.length;
    for (const r of this.#readers) if (r.cursor < min) min = r.cursor;
    while (this.#released < min) this.#chunks[this.#released++] = undefined;
  }

  /** @internal A reader left. The last one to leave an unfinished body abandons it. */
  detach(reader: BodyReader): void {
    if (!this.#readers.delete(reader)) return;
    if (this.#readers.size > 0) {
      this.advanced();
      return;
    }
    if (this.#state === 'done' || this.#state === 'failed') {
      this.#drop();
      return;
    }
    // Abandoned: nobody will read the rest, and nobody can join any more.
    this.#drop();
    this.#close();
  }

  /** Releases every chunk. */
  #drop(): void {
    this.#chunks.length = 0;
    this.#released = 0;
  }

  #close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#source.onClosed();
  }

  #notify(): void {
    for (const r of this.#readers) r.wake();
  }

  #push(chunk: BodyChunk): void {
    if (this.#stopped()) return;
    this.#chunks.push(chunk);
    this.#notify();
  }

  #fail(failure: BodyFailure, err: unknown): void {
    if (this.#state === 'failed' || this.#state === 'done') return;
    this.#state = 'failed';
    this.#failure = failure;
    this.#drop();
    this.#close();
    if (this.#readers.size > 0) this.#source.onFailure(failure, err);
    this.#notify();
  }

  /** Abandoned: every reader left before production ended, so nobody will read the rest. */
  #abandoned(): boolean {
    return this.#closed && this.#state !== 'done' && this.#state !== 'failed';
  }

  /** Production should stop: the body failed (gzip, reported by an event) or was abandoned. */
  #stopped(): boolean {
    return this.#state === 'failed' || this.#abandoned();
  }

  async #produce(): Promise<void> {
    const source = this.#source;
    let families: MetricFamily[];
    try {
      families = await source.gather();
    } catch (err) {
      this.#fail('gather', err);
      return;
    }
    if (this.#abandoned()) return;

    let chunks: Iterator<string | Uint8Array, void, undefined>;
    let next: IteratorResult<string | Uint8Array, void>;
    try {
      chunks = source.encode(families);
      // The first chunk before any consumer sends headers, so an encoder error is still a 500.
      next = chunks.next();
    } catch (err) {
      this.#fail('encode-first', err);
      return;
    }
    this.#state = 'open';
    this.#notify();

    let gz: Gzip | undefined;
    if (source.gzip) {
      gz = createGzip();
      gz.on('data', (c: Buffer) => this.#push(c));
      gz.on('error', (err) => this.#fail('gzip', err));
    }
    try {
      while (next.done !== true) {
        const chunk = next.value;
        if (chunk.length > 0) {
          // Text stays a string: converting each chunk to a Buffer here measured 15 ms more per
          // 100,000 series and, as off-heap memory, brought on full garbage collections.
          if (gz === undefined) this.#push(chunk);
          else if (!gz.write(chunk)) await firstEvent(gz, ['drain', 'error', 'close']);
          // A full event-loop turn between chunks, so timers and I/O (and the consumers'
          // writes) run while a large body is encoded.
          await nextTurn();
        }
        if (this.#stopped()) {
          chunks.return?.();
          return;
        }
        try {
          next = chunks.next();
        } catch (err) {
          this.#fail('encode', err);
          return;
        }
      }
      if (gz !== undefined) {
        const ended = firstEvent(gz, ['end', 'error', 'close']);
        gz.end();
        await ended;
        if (this.#stopped()) return;
      }
      this.#state = 'done';
      this.#close();
      this.#notify();
      if (this.#readers.size === 0) this.#drop();
    } finally {
      if (gz !== undefined && this.#state !== 'done' && !gz.destroyed) gz.destroy();
    }
  }
}

/** The part of an EventEmitter that {@link firstEvent} uses (a stream, a response). */
export interface Listenable {
  on(event: string, listener: () => void): unknown;
  off(event: string, listener: () => void): unknown;
}

/**
 * Resolves on the first of `events` from `emitter`, then stops listening: a stream that can take
 * more (`drain`) or has finished (`end`), or has failed or closed. @internal
 */
export function firstEvent(emitter: Listenable, events: readonly string[]): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      for (const e of events) emitter.off(e, done);
      resolve();
    };
    for (const e of events) emitter.on(e, done);
  });
}

/** One consumer's cursor into a {@link SharedBody}. */
export class BodyReader {
  /** Index of the next chunk to write. */
  cursor = 0;
  readonly #body: SharedBody;
  #wake: (() => void) | undefined;
  #detached = false;

  constructor(body: SharedBody) {
    this.#body = body;
  }

  /** Whether headers may be sent (the body's first chunk was encoded). */
  get opened(): boolean {
    return this.#body.opened;
  }

  /**
   * The next chunk to write (the cursor moves past it), or {@link WAIT} (call {@link wait}), or
   * {@link END}, or the body's failure.
   */
  step(): BodyStep {
    const s = this.#body.stepAt(this.cursor);
    if (isChunk(s)) {
      this.cursor++;
      this.#body.advanced();
    }
    return s;
  }

  /** Resolves when the body changes (a chunk, opened, done, failed) or on {@link wake}. */
  wait(): Promise<void> {
    return new Promise((resolve) => {
      this.#wake = resolve;
    });
  }

  /** Ends a pending {@link wait} (the body changed, or the consumer timed out or closed). */
  wake(): void {
    const w = this.#wake;
    this.#wake = undefined;
    w?.();
  }

  /** Leaves the body: its chunks are no longer kept for this consumer. Idempotent. */
  detach(): void {
    if (this.#detached) return;
    this.#detached = true;
    this.wake();
    this.#body.detach(this);
  }
}
