// Exemplars: counters and histograms updated inside a span attach { trace_id } through the exemplar source hook, installed only while a span is open.

import { activeRecord } from '../context/context.js';
import {
  type ExemplarSource,
  exemplarSource,
  setExemplarSource,
} from '../internal/exemplar-source.js';
import { detachString } from './ids.js';

/** Options of {@link enableExemplars}. */
export interface ExemplarOptions {
  /** Attach exemplars only for sampled traces (those a tracing backend records). Default `false`: the trace id also finds the request's log lines. */
  readonly sampledOnly?: boolean | undefined;
}

/** Spans started and not yet ended, in the whole process. */
let openSpans = 0;
/** The sources of the `enableExemplars()` calls not yet disabled, the newest last. */
const enabled: ExemplarSource[] = [];
/** The source installed before the first of {@link enabled}, restored when the last is disabled. */
let base: ExemplarSource | null = null;

/** @internal Counts a started span; the first open span installs the exemplar source. */
export function spanOpened(): void {
  if (++openSpans === 1 && enabled.length > 0) setExemplarSource(enabled[enabled.length - 1]!);
}

/** @internal Counts an ended span (call once per span); the last one uninstalls the source. */
export function spanClosed(): void {
  if (--openSpans === 0 && enabled.length > 0) setExemplarSource(null);
}

/** @internal The number of spans started and not yet ended (for tests). */
export function openSpanCount(): number {
  return openSpans;
}

/**
 * Makes every counter increment and histogram observation inside a span attach the exemplar
 * `{ trace_id }`, through telltale's exemplar source. The source is installed only while at least
 * one span is open in the process, so with no span open an update costs what it costs without
 * exemplars (one null check). The labels object is made once per trace and shared by its spans,
 * never per update. Outside a span nothing is attached. Exemplars are rendered only in
 * OpenMetrics output. Returns the function that restores the previous state.
 *
 * @example
 * ```ts
 * enableExemplars();
 * span('checkout', () => latency.observe(0.42)); // bucket exemplar {trace_id="…"} 0.42
 * ```
 */
export function enableExemplars(options?: ExemplarOptions): () => void {
  const sampledOnly = options?.sampledOnly === true;
  const source: ExemplarSource = () => {
    const c = activeRecord();
    if (c === undefined || (sampledOnly && !c.sampled)) return undefined;
    let ex = c._ex;
    if (ex === undefined) {
      // A flat copy: the metric keeps the exemplar, and must not keep the id pool with it.
      ex = Object.freeze({ trace_id: detachString(c.traceId) });
      c._ex = ex;
    }
    return ex;
  };
  if (enabled.length === 0) base = exemplarSource;
  enabled.push(source);
  setExemplarSource(openSpans > 0 ? source : null);
  let on = true;
  return () => {
    if (!on) return;
    on = false;
    const i = enabled.lastIndexOf(source);
    if (i >= 0) enabled.splice(i, 1);
    if (enabled.length === 0) {
      setExemplarSource(base);
      base = null;
    } else {
      setExemplarSource(openSpans > 0 ? enabled[enabled.length - 1]! : null);
    }
  };
}
