// Process metrics: CPU, memory, file descriptors, start time and Node version, read at gather time.

import { readdirSync, readFileSync, statfsSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fail } from '../internal/errors.js';
import { checkOptionKeys } from '../internal/option-keys.js';
import {
  advanceCounter,
  COLLECTOR_OPTIONS,
  type CollectorOptions,
  checkFunction,
  checkOptions,
  OwnedFamilies,
  type RuntimeCollector,
  sharedReading,
} from './common.js';

/** CPU time used by the process, in microseconds (the shape of `process.cpuUsage()`). */
export interface CpuTimes {
  readonly user: number;
  readonly system: number;
}

/** Options of {@link startProcessMetrics}. */
export interface ProcessMetricsOptions extends CollectorOptions {
  /**
   * The procfs root read for `process_open_fds`, `process_max_fds`,
   * `process_virtual_memory_bytes` and `process_heap_bytes` (`<root>/self/fd`,
   * `<root>/self/limits`, `<root>/self/status`). Default `'/proc'`. A family whose file is not
   * readable at start is left out; nothing else changes. Point it at a fake tree in tests.
   */
  readonly procRoot?: string;
  /** CPU time source, in µs. Default `process.cpuUsage`. Inject it in tests. */
  readonly cpuUsage?: () => CpuTimes;
}

/** Every key of {@link ProcessMetricsOptions}: `startProcessMetrics` refuses any other. */
export const PROCESS_METRICS_OPTIONS = [...COLLECTOR_OPTIONS, 'procRoot', 'cpuUsage'] as const;

// statfs(2) f_type of procfs. On procfs, listing /proc/self/fd opens one more descriptor (the
// directory being listed), which shows up in its own listing; a plain directory does not.
const PROC_SUPER_MAGIC = 0x9fa0;

interface ProcSources {
  fdDir?: string;
  fdListingOwnFd: number;
  limits?: string;
  status?: string;
}

function readable(file: string): boolean {
  try {
    readFileSync(file, 'latin1');
    return true;
  } catch {
    return false;
  }
}

function probeProc(root: string): ProcSources {
  const out: ProcSources = { fdListingOwnFd: 0 };
  const fdDir = join(root, 'self', 'fd');
  try {
    readdirSync(fdDir);
    out.fdDir = fdDir;
    try {
      if (statfsSync(fdDir).type === PROC_SUPER_MAGIC) out.fdListingOwnFd = 1;
    } catch {
      // statfs unsupported: assume a plain directory.
    }
  } catch {
    // No fd directory (macOS, Windows, a container without /proc): leave the fd families out.
  }
  const limits = join(root, 'self', 'limits');
  if (readable(limits) && maxOpenFiles(readFileSync(limits, 'latin1')) !== undefined) {
    out.limits = limits;
  }
  const status = join(root, 'self', 'status');
  if (readable(status) && statusKb(readFileSync(status, 'latin1'), 'VmSize') !== undefined) {
    out.status = status;
  }
  return out;
}

/** @internal The soft "Max open files" limit from a /proc/self/limits text; +Inf for unlimited. */
export function maxOpenFiles(text: string): number | undefined {
  const m = /^Max open files\s+(\S+)/m.exec(text);
  if (m === null) return undefined;
  const soft = m[1] as string;
  if (soft === 'unlimited') return Number.POSITIVE_INFINITY;
  const n = Number(soft);
  return Number.isFinite(n) ? n : undefined;
}

/** @internal A `Key:   123 kB` field of /proc/self/status, in bytes. */
export function statusKb(text: string, key: string): number | undefined {
  const m = new RegExp(`^${key}:\\s+(\\d+)\\s+kB`, 'm').exec(text);
  return m === null ? undefined : Number(m[1]) * 1024;
}

/**
 * Starts the process collector. Every value is read when the registry gathers (collect
 * callbacks); no timer runs.
 *
 * Families: `process_cpu_user_seconds_total`, `process_cpu_system_seconds_total`,
 * `process_cpu_seconds_total` (counters, from `process.cpuUsage()`),
 * `process_resident_memory_bytes`, `process_start_time_seconds`, `nodejs_version_info`, and where
 * procfs is readable `process_virtual_memory_bytes`, `process_heap_bytes`, `process_open_fds`,
 * `process_max_fds`. CPU usage over an interval is `rate(process_cpu_seconds_total[…])` in
 * PromQL (1 = one core busy).
 *
 * @throws TelltaleError `TT_INVALID_OPTION` on a bad or unknown option; `TT_CONFLICTING_REGISTRATION` when
 * one of its names is already registered (nothing is registered then).
 * @example
 * ```ts
 * const proc = startProcessMetrics({ registry, prefix: 'myapp_' });
 * // … later
 * proc.stop();
 * ```
 */
export function startProcessMetrics(options?: ProcessMetricsOptions): RuntimeCollector {
  const where = 'startProcessMetrics';
  const { registry, prefix } = checkOptions(where, options);
  checkOptionKeys(where, options ?? {}, PROCESS_METRICS_OPTIONS);
  const o = options ?? {};
  checkFunction(where, 'cpuUsage', o.cpuUsage);
  if (o.procRoot !== undefined && (typeof o.procRoot !== 'string' || o.procRoot === '')) {
    fail('TT_INVALID_OPTION', `${where}: procRoot must be a non-empty path such as "/proc"`);
  }
  const cpuUsage = o.cpuUsage ?? (() => process.cpuUsage());
  const proc = probeProc(o.procRoot ?? '/proc');

  const names = [
    'process_cpu_user_seconds_total',
    'process_cpu_system_seconds_total',
    'process_cpu_seconds_total',
    'process_resident_memory_bytes',
    'process_start_time_seconds',
    'nodejs_version_info',
  ];
  if (proc.status !== undefined) names.push('process_virtual_memory_bytes', 'process_heap_bytes');
  if (proc.fdDir !== undefined) names.push('process_open_fds');
  if (proc.limits !== undefined) names.push('process_max_fds');
  const fam = new OwnedFamilies(registry, prefix, where);
  fam.preflight(names);

  // One cpuUsage() per gather, shared by the three counters (so total = user + system exactly).
  const cpu = sharedReading(() => cpuUsage());
  fam.own(
    registry.counter({
      name: fam.name('process_cpu_user_seconds_total'),
      help: 'User CPU time spent by the process, in seconds.',
      collect: (c) => advanceCounter(c, cpu(0).user / 1e6),
    }),
  );
  fam.own(
    registry.counter({
      name: fam.name('process_cpu_system_seconds_total'),
      help: 'System CPU time spent by the process, in seconds.',
      collect: (c) => advanceCounter(c, cpu(1).system / 1e6),
    }),
  );
  fam.own(
    registry.counter({
      name: fam.name('process_cpu_seconds_total'),
      help: 'Total user and system CPU time spent by the process, in seconds.',
      collect: (c) => {
        const t = cpu(2);
        advanceCounter(c, (t.user + t.system) / 1e6);
      },
    }),
  );

  const rss = sharedReading(() => process.memoryUsage.rss());
  fam.own(
    registry.gauge({
      name: fam.name('process_resident_memory_bytes'),
      help: 'Resident memory size of the process, in bytes.',
      collect: (g) => g.set(rss(0)),
    }),
  );

  // performance.timeOrigin is when this process started, in Unix ms.
  fam
    .own(
      registry.gauge({
        name: fam.name('process_start_time_seconds'),
        help: 'Start time of the process since the Unix epoch, in seconds.',
      }),
    )
    .set(Math.round(performance.timeOrigin) / 1000);

  const [major = '', minor = '', patch = ''] = process.versions.node.split('.');
  fam
    .own(
      registry.info({
        name: fam.name('nodejs_version_info'),
        help: 'Node.js version of the process.',
        labelNames: ['version', 'major', 'minor', 'patch'],
      }),
    )
    .set({ version: process.version, major, minor, patch });

  if (proc.status !== undefined) {
    const file = proc.status;
    const status = sharedReading(() => readFileSync(file, 'latin1'));
    fam.own(
      registry.gauge({
        name: fam.name('process_virtual_memory_bytes'),
        help: 'Virtual memory size of the process, in bytes (VmSize).',
        collect: (g) => g.set(statusKb(status(0), 'VmSize') ?? Number.NaN),
      }),
    );
    fam.own(
      registry.gauge({
        name: fam.name('process_heap_bytes'),
        help: 'Size of the process data segment, in bytes (VmData).',
        collect: (g) => g.set(statusKb(status(1), 'VmData') ?? Number.NaN),
      }),
    );
  }
  if (proc.fdDir !== undefined) {
    const dir = proc.fdDir;
    const own = proc.fdListingOwnFd;
    fam.own(
      registry.gauge({
        name: fam.name('process_open_fds'),
        help: 'Number of open file descriptors.',
        collect: (g) => g.set(readdirSync(dir).length - own),
      }),
    );
  }
  if (proc.limits !== undefined) {
    const file = proc.limits;
    fam.own(
      registry.gauge({
        name: fam.name('process_max_fds'),
        help: 'Maximum number of open file descriptors (the soft limit).',
        collect: (g) => g.set(maxOpenFiles(readFileSync(file, 'latin1')) ?? Number.NaN),
      }),
    );
  }

  return { stop: () => fam.unregisterAll() };
}
