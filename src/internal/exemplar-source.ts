// One registry's exemplar hook: through it a telemetry's spans attach trace_id exemplars to the registry's counter and histogram updates.

/**
 * Returns the exemplar labels for the current context (for example `{ trace_id }` of the active
 * span), or `undefined` outside a traced context. The returned object must not be mutated later:
 * it is stored as is.
 */
export type ExemplarSource = () => Readonly<Record<string, string>> | undefined;

/**
 * The exemplar hook of one registry (each registry has its own, so exemplars of one telemetry
 * never reach another's metrics). A telemetry with exemplars on enables its source here once, and
 * counts its spans in and out: the source is live only while at least one of them is open, so an
 * update with no span open costs one property load and a compare, as without exemplars.
 */
export class ExemplarSlot {
  /**
   * The source while it is enabled and a span is open, else `null`. Read on every counter
   * increment and histogram observation of the registry's metrics.
   */
  live: ExemplarSource | null = null;
  /** The enabled source, or `null`. */
  private _source: ExemplarSource | null = null;
  /** Spans started and not yet ended, of the telemetries whose exemplars use this slot. */
  private _open = 0;

  /**
   * Enables `source`. Returns `false` (and changes nothing) when another source is enabled
   * already: one registry attaches exemplars one way.
   */
  enable(source: ExemplarSource): boolean {
    if (this._source !== null && this._source !== source) return false;
    this._source = source;
    if (this._open > 0) this.live = source;
    return true;
  }

  /** Counts a started span; the first makes the source live. */
  opened(): void {
    if (++this._open === 1) this.live = this._source;
  }

  /** Counts an ended span (once per span); the last one makes the source not live. */
  closed(): void {
    if (--this._open === 0) this.live = null;
  }

  /** The number of spans counted in and not yet out (for tests). */
  get openSpans(): number {
    return this._open;
  }
}
