// The agent plan's two process gauges (process_cpu_usage in percent, process_memory_bytes), built from a registry's gauges with collect callbacks.

import { performance } from 'node:perf_hooks';
import type { Registry } from 'telltale/metrics';

/** CPU time used by the process, in microseconds (the shape of `process.cpuUsage()`). */
export interface CpuTimes {
  readonly user: number;
  readonly system: number;
}

/** Options of {@link startAgentProcessMetrics}; the defaults read this process. */
export interface AgentProcessMetricsOptions {
  /** CPU time source, in µs. Default `process.cpuUsage`. Tests inject one. */
  readonly cpuUsage?: () => CpuTimes;
  /** Monotonic clock, in ms. Default `performance.now`. Tests inject one. */
  readonly clock?: () => number;
  /** Resident memory source, in bytes. Default `process.memoryUsage.rss`. */
  readonly rss?: () => number;
}

/** The running gauges. */
export interface AgentProcessMetrics {
  /** Unregisters both gauges (the ones this call registered). Idempotent. */
  stop(): void;
}

/**
 * Registers the names the agent plan asks for, next to telltale's runtime collectors (which expose
 * the same readings in Prometheus's base units: `process_cpu_seconds_total` and
 * `process_resident_memory_bytes`). Both are read when the registry gathers; no timer runs.
 *
 * - `process_cpu_usage` (gauge): CPU of the process in percent of one core, over the interval
 *   since the previous gather (since this call, for the first). 100 = one core busy; like top(1)
 *   it can exceed 100 when GC helper threads, the libuv pool or workers run in parallel. Two
 *   gathers in the same clock instant keep the last value rather than divide by zero.
 * - `process_memory_bytes` (gauge): resident set size, in bytes.
 *
 * @example
 * ```ts
 * const runtime = startRuntimeMetrics({ registry });
 * const agentProcess = startAgentProcessMetrics(registry);
 * // … on shutdown
 * agentProcess.stop();
 * runtime.stop();
 * ```
 */
export function startAgentProcessMetrics(
  registry: Registry,
  options: AgentProcessMetricsOptions = {},
): AgentProcessMetrics {
  const cpuUsage = options.cpuUsage ?? (() => process.cpuUsage());
  const clock = options.clock ?? (() => performance.now());
  const rss = options.rss ?? (() => process.memoryUsage.rss());
  const base = cpuUsage();
  let prevCpu = base.user + base.system;
  let prevAt = clock();
  const cpu = registry.gauge({
    name: 'process_cpu_usage',
    help: 'CPU usage of the process in percent of one core, over the interval since the previous gather.',
    collect: (g) => {
      const t = cpuUsage();
      const now = clock();
      const used = t.user + t.system;
      const wallMs = now - prevAt;
      if (!(wallMs > 0)) return;
      // µs of CPU over ms of wall time: /1000 to ms, ×100 to percent.
      g.set((Math.max(0, used - prevCpu) / 1000 / wallMs) * 100);
      prevCpu = used;
      prevAt = now;
    },
  });
  const memory = registry.gauge({
    name: 'process_memory_bytes',
    help: 'Memory used by the process, in bytes (resident set size).',
    collect: (g) => g.set(rss()),
  });
  let stopped = false;
  return {
    stop() {
      if (stopped) return;
      stopped = true;
      for (const m of [cpu, memory]) {
        if ((registry.get(m.name) as unknown) === m) registry.unregister(m.name);
      }
    },
  };
}
