// telltale/server: the metrics HTTP server, the embeddable node:http handler, and their configuration readers.

export type { MinimalLogger } from '../internal/logger.js';
export type { MetricsAuth } from './auth.js';
export {
  type MetricsServerConfig,
  metricsServerOptionsFromEnv,
  metricsServerOptionsFromYaml,
} from './config.js';
export {
  createMetricsHandler,
  type MetricsHandler,
  type MetricsHandlerOptions,
} from './handler.js';
export type { SelfMetricsRegistry } from './self-metrics.js';
export {
  createMetricsServer,
  type DisabledMetricsServer,
  type MetricsServer,
  type MetricsServerOptions,
  type RouteHandler,
  type RunningMetricsServer,
} from './server.js';
export { type ServerTimeoutOptions, type ServerTimeouts, serverTimeouts } from './timeouts.js';
