// telltale/health: probes (live, ready, health, startup), checks with timeouts and caching, the readiness state machine, and health metrics.

export type { Clock } from '../internal/clock.js';
export type { MinimalLogger } from '../internal/logger.js';
export {
  type CheckFunctionResult,
  type CheckResult,
  type CheckStatus,
  errorMessage,
  type HealthCheck,
  MAX_ERROR_LENGTH,
} from './check.js';
export {
  type BuiltinCheckOptions,
  type EventLoopCheckOptions,
  eventLoopCheck,
  type HeartbeatCheckOptions,
  heartbeatCheck,
  type PingableRedisClient,
  type RedisCheckOptions,
  redisCheck,
} from './checks.js';
export {
  createHealth,
  HEALTH_STATES,
  type Health,
  type HealthHandler,
  type HealthMetricsRegistry,
  type HealthOptions,
  type HealthPaths,
  type HealthState,
  type ProbeKind,
  type ProbePath,
  type ProbeReport,
  type ReadinessReport,
  type StateChangeListener,
} from './health.js';
