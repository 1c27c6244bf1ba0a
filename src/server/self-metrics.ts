// The metrics handler's own metrics (telltale_scrape_*), registered in a registry the user picks.
import type { Gatherer } from '../metrics/model.js';
import { noopRecorder, type ScrapeRecorder } from './recorder.js';

/** The registry surface the self-metrics need. (Placeholder until the metrics core lands.) */
export interface SelfMetricsRegistry {
  counter(spec: unknown): unknown;
}

/** Builds the recorder for a handler. */
export function createSelfMetrics(
  _target: SelfMetricsRegistry | false | undefined,
  _gatherers: readonly Gatherer[],
): ScrapeRecorder {
  return noopRecorder;
}
