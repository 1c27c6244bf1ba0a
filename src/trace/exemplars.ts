// Exemplars: counters and histograms updated inside a span attach { trace_id } through the exemplar source hook.

import { activeRecord } from '../context/context.js';
import { type ExemplarSource, setExemplarSource } from '../internal/exemplar-source.js';
import { detachString } from './ids.js';

/** Options of {@link enableExemplars}. */
export interface ExemplarOptions {
  /** Attach exemplars only for sampled traces (those a tracing backend records). Default `false`: the trace id also finds the request's log lines. */
  readonly sampledOnly?: boolean | undefined;
}

/**
 * Makes every counter increment and histogram observation inside a span (or request context)
 * attach the exemplar `{ trace_id }`, by installing telltale's exemplar source. The labels object
 * is made once per trace and shared by its spans, never per update. Outside a context nothing is
 * attached. Exemplars are rendered only in OpenMetrics output. Returns the function that restores
 * the previous source.
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
  const prev = setExemplarSource(source);
  let on = true;
  return () => {
    if (!on) return;
    on = false;
    setExemplarSource(prev);
  };
}
