// The seam between the metrics handler and its self-metrics: what a scrape reports, and the no-op used when nothing records.

/** Why a scrape was turned away before (or instead of) being served. */
export type ScrapeRejectReason = 'in_flight' | 'auth' | 'timeout';

/**
 * Why a scrape failed: the gather rejected (`gather`), the encoder threw (`encode`), or the
 * response could not be completed because the client went away or the socket failed (`write`).
 */
export type ScrapeErrorReason = 'gather' | 'encode' | 'write';

/** What the handler reports about each scrape. Implemented by the self-metrics, or a no-op. */
export interface ScrapeRecorder {
  /** A scrape was admitted (counts toward the in-flight cap). */
  started(): void;
  /** An admitted scrape finished, whichever way. */
  ended(): void;
  /** A scrape was rejected. */
  rejected(reason: ScrapeRejectReason): void;
  /** A scrape failed. */
  failed(reason: ScrapeErrorReason): void;
  /** A scrape was served in full: wall time in seconds, body bytes as sent on the wire. */
  served(format: string, seconds: number, bytes: number): void;
}

/** The recorder used when self-metrics are off: every call does nothing. */
export const noopRecorder: ScrapeRecorder = Object.freeze({
  started(): void {},
  ended(): void {},
  rejected(): void {},
  failed(): void {},
  served(): void {},
});
