// telltale/lifecycle: graceful shutdown, the cancellation tree for background work, and periodic tasks.

export { type Clock, systemClock } from '../internal/clock.js';
export { type Cancellation, type CancellationOptions, createCancellation } from './cancellation.js';
export {
  type ClosableServer,
  createLifecycle,
  EXIT_DEADLINE,
  EXIT_FORCED,
  EXIT_OK,
  type FetchHandler,
  type HealthTarget,
  type HttpServerLike,
  type Lifecycle,
  type LifecycleMetricsRegistry,
  type LifecycleOptions,
  type LifecycleState,
  type ShutdownHookContext,
  type ShutdownHookOptions,
  type WebSocketLike,
  type WebSocketServerLike,
} from './lifecycle.js';
export {
  createPeriodicTask,
  defaultIsNotFound,
  type PeriodicTask,
  type PeriodicTaskBaseOptions,
  type PeriodicTaskContext,
  type PeriodicTaskOptions,
  type PeriodicTaskResult,
  type RetryOptions,
  TASK_OUTCOMES,
  type TaskMetricsRegistry,
} from './periodic.js';
