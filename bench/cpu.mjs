// Machine CPU load from /proc/stat (via os.cpus()): lets the runner wait for a quiet machine and
// flag a case that shared the CPUs with something else.
import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';

function snapshot() {
  let busy = 0;
  let total = 0;
  for (const { times } of os.cpus()) {
    const t = times.user + times.nice + times.sys + times.irq + times.idle;
    total += t;
    busy += t - times.idle;
  }
  return { busy, total };
}

/** Starts a measurement; the returned function gives the busy fraction of all CPUs since (0..1). */
export function busyMeter() {
  const a = snapshot();
  return () => {
    const b = snapshot();
    return b.total > a.total ? (b.busy - a.busy) / (b.total - a.total) : 0;
  };
}

/**
 * Waits until the machine is quiet (all CPUs together under `threshold` busy over a 300 ms window),
 * for at most `maxMs`. Returns the milliseconds waited and the last busy fraction seen.
 */
export async function waitForQuiet({ threshold = 0.15, maxMs = 30_000 } = {}) {
  const start = performance.now();
  let busy = 1;
  while (performance.now() - start < maxMs) {
    const m = busyMeter();
    await sleep(300);
    busy = m();
    if (busy < threshold) break;
  }
  return { waitedMs: performance.now() - start, busy };
}

/**
 * Starts measuring how much CPU *other* processes used: all CPUs' busy time minus this process's
 * own (all its threads: GC helpers, workers). The returned function gives that as a fraction of
 * the whole machine (0..1) since the start. os.cpus() counts in 10 ms ticks, so short windows are coarse.
 */
export function othersMeter() {
  const a = snapshot();
  const own = process.cpuUsage();
  return () => {
    const b = snapshot();
    const ownMs = (() => {
      const d = process.cpuUsage(own);
      return (d.user + d.system) / 1000;
    })();
    const total = b.total - a.total;
    return total > 0 ? Math.max(0, (b.busy - a.busy - ownMs) / total) : 0;
  };
}
