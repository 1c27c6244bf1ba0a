// System CPU and memory percentages read at call time, for the demo's heartbeat (a heartbeat payload gathered when it is sent).
import { cpus, freemem, totalmem } from 'node:os';

/** System-wide load at one moment, as a heartbeat reports it. */
export interface SystemStats {
  /**
   * Busy CPU time as a percentage of all CPU time, over every core, in [0, 100]: since the
   * previous call of the same sampler, or since boot on its first call.
   */
  cpuPercent: number;
  /** Memory in use as a percentage of the total, in [0, 100]: `1 - os.freemem() / os.totalmem()`. */
  memoryPercent: number;
  /** `os.totalmem()`, in bytes. */
  memoryTotalBytes: number;
  /** `os.freemem()`, in bytes (on Linux, the kernel's `MemAvailable`). */
  memoryFreeBytes: number;
}

interface CpuTotals {
  busy: number;
  total: number;
}

function cpuTotals(): CpuTotals {
  let busy = 0;
  let total = 0;
  for (const cpu of cpus()) {
    const t = cpu.times;
    const all = t.user + t.nice + t.sys + t.irq + t.idle;
    total += all;
    busy += all - t.idle;
  }
  return { busy, total };
}

function clampPercent(v: number): number {
  if (!Number.isFinite(v) || v < 0) return 0;
  return Math.min(v, 100);
}

/**
 * Creates a sampler with its own previous CPU reading, so that each caller (one per heartbeat
 * task) measures the CPU over its own interval. Nothing runs between calls: a call reads
 * `os.cpus()` and the memory counters and compares with the previous call (gathered at heartbeat
 * time rather than by a background sampler).
 *
 * @example
 * ```ts
 * const sample = createSystemSampler();
 * await send({ ...payload, cpu: sample().cpuPercent });
 * ```
 */
export function createSystemSampler(): () => SystemStats {
  let prev: CpuTotals = { busy: 0, total: 0 };
  return () => {
    const now = cpuTotals();
    const dTotal = now.total - prev.total;
    const dBusy = now.busy - prev.busy;
    // No CPU time elapsed between two calls (or a counter went backwards): report 0, not NaN.
    const cpuPercent = dTotal > 0 ? clampPercent((dBusy / dTotal) * 100) : 0;
    prev = now;
    const total = totalmem();
    const free = freemem();
    return {
      cpuPercent,
      memoryPercent: total > 0 ? clampPercent((1 - free / total) * 100) : 0,
      memoryTotalBytes: total,
      memoryFreeBytes: free,
    };
  };
}
