// The hook through which tracing attaches trace_id exemplars to counter and histogram updates.

/**
 * Returns the exemplar labels for the current context (for example `{ trace_id }` of the active
 * span), or `undefined` outside a traced context. The returned object must not be mutated later:
 * it is stored as is.
 */
export type ExemplarSource = () => Readonly<Record<string, string>> | undefined;

/**
 * The installed source, or `null`. Read on every counter increment and histogram observation, so
 * "no tracing" costs one module-variable load and a compare.
 */
export let exemplarSource: ExemplarSource | null = null;

/**
 * Installs (or, with `null`, removes) the exemplar source. Returns the previous one. Used by
 * telltale's tracing; exported for other tracers.
 */
export function setExemplarSource(source: ExemplarSource | null): ExemplarSource | null {
  const prev = exemplarSource;
  exemplarSource = source;
  return prev;
}
