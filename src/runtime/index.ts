// telltale/runtime: process, heap, event-loop, GC and handle metrics; each collector can be switched off and stopped.

export type { CollectorOptions, RuntimeCollector } from './common.js';
export { type EventLoopMetricsOptions, startEventLoopMetrics } from './event-loop.js';
export { GC_DURATION_BUCKETS, type GcKind, type GcMetricsOptions, startGcMetrics } from './gc.js';
export { type HandleMetricsOptions, startHandleMetrics } from './handles.js';
export { type HeapMetricsOptions, startHeapMetrics } from './heap.js';
export { type CpuTimes, type ProcessMetricsOptions, startProcessMetrics } from './process.js';
export {
  type RuntimeMetrics,
  type RuntimeMetricsOptions,
  startRuntimeMetrics,
} from './runtime.js';
