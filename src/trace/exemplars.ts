// Exemplars: the two exemplar sources a telemetry enables on its registry, attaching { trace_id } of the active context to counter and histogram updates inside its spans.

import { activeRecord, type ContextRecord } from '../context/context.js';
import type { ExemplarSource } from '../internal/exemplar-source.js';
import { detachString } from './ids.js';

/** The `tracing.exemplars` option of `createTelemetry` as an object. */
export interface ExemplarOptions {
  /** Attach exemplars only for sampled traces (those a tracing backend records). Default `false`: the trace id also finds the request's log lines. */
  readonly sampledOnly?: boolean | undefined;
}

/** The `{ trace_id }` labels of `c`, made once per trace and shared by its spans. */
function labelsOf(c: ContextRecord): Readonly<Record<string, string>> {
  let ex = c._ex;
  if (ex === undefined) {
    // A flat copy: the metric keeps the exemplar, and must not keep the id pool with it.
    ex = Object.freeze({ trace_id: detachString(c.traceId) });
    c._ex = ex;
  }
  return ex;
}

/** @internal The source for every trace. A constant: two telemetries with it share it. */
export const EVERY_TRACE: ExemplarSource = () => {
  const c = activeRecord();
  return c === undefined ? undefined : labelsOf(c);
};

/** @internal The source for sampled traces only (`sampledOnly: true`). */
export const SAMPLED_TRACES: ExemplarSource = () => {
  const c = activeRecord();
  return c === undefined || !c.sampled ? undefined : labelsOf(c);
};
