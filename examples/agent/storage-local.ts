// The agent's embedded storage: an append-only log of CRC-checked JSON lines, replayed into a Map at open, compacted by temp file + rename.

import { closeSync, fsync, fsyncSync, ftruncateSync, openSync, write } from 'node:fs';
import { mkdir, open, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import type { Storage } from './storage.js';

/** Options of {@link openLocalStorage}. */
export interface LocalStorageOptions {
  /** The data directory; created if missing. It holds `data.log` and a `LOCK` file. */
  readonly path: string;
  /**
   * When a write is made durable (fsync):
   * - `'interval'` (default): every write reaches the file (the kernel) before its promise
   *   resolves, so a crash of the process loses nothing acknowledged; the file is fsynced every
   *   `syncIntervalMs` while there are unsynced writes, and on close. A crash of the machine
   *   (power loss, kernel panic) loses at most the last `syncIntervalMs` of acknowledged writes.
   * - `'always'`: a write resolves only after an fsync that started after it was written (group
   *   commit: concurrent writes share one fsync). Nothing acknowledged is ever lost.
   */
  readonly sync?: 'interval' | 'always';
  /** Period of the background fsync in `'interval'` mode, in ms. Default 100. */
  readonly syncIntervalMs?: number;
  /**
   * Compaction runs when the log is at least twice the size of the live data and at least this
   * many bytes. Default 1 MiB (small logs are not worth rewriting). `0` in tests.
   */
  readonly compactMinBytes?: number;
  /** Receives a warning when a torn last record is dropped, or a stale lock taken over, at open. Default: none. */
  readonly onWarning?: (message: string, fields: Record<string, unknown>) => void;
}

/** The local backend, with a few extras for tests and the ADR's claims. */
export interface LocalStorage extends Storage {
  readonly backend: 'local';
  /** Bytes in the log file right now. */
  readonly logBytes: number;
  /** Bytes the live records would take in a freshly compacted log. */
  readonly liveBytes: number;
  /** Number of compactions since open. */
  readonly compactions: number;
  /** Number of live keys. */
  readonly size: number;
  /** Rewrites the log with only the live records (also runs on its own at the 2× threshold). */
  compact(): Promise<void>;
}

const LOG_FILE = 'data.log';
const LOCK_FILE = 'LOCK';

/** One record: `<crc32 of the JSON, 8 hex digits> <JSON>\n`; the JSON is `{"k":key,"v":value}` or `{"k":key,"d":1}`. */
function encodeRecord(json: string): string {
  return `${crc32(json).toString(16).padStart(8, '0')} ${json}\n`;
}

function putJson(key: string, valueJson: string): string {
  return `{"k":${JSON.stringify(key)},"v":${valueJson}}`;
}

function deleteJson(key: string): string {
  return `{"k":${JSON.stringify(key)},"d":1}`;
}

/** Error from a log that is damaged somewhere other than its last record. */
export class CorruptLogError extends Error {
  override readonly name = 'CorruptLogError';
}

type Replay = {
  readonly map: Map<string, string>;
  readonly goodBytes: number;
  readonly torn: boolean;
};

/**
 * Replays a log. A damaged record that is the last one in the file (a torn write: no newline,
 * a short line, or a CRC mismatch with nothing valid after it) ends the replay there; one with
 * valid records after it is corruption and throws, because dropping acknowledged writes that
 * follow it silently would be worse than refusing to start.
 */
function replay(buf: Buffer, file: string): Replay {
  const map = new Map<string, string>();
  let offset = 0;
  while (offset < buf.length) {
    const nl = buf.indexOf(0x0a, offset);
    const end = nl === -1 ? buf.length : nl;
    const rec = parseRecord(buf.subarray(offset, end));
    if (rec === undefined || nl === -1) {
      // Damaged: tolerated only if nothing valid follows.
      if (nl !== -1 && hasValidRecordAfter(buf, nl + 1)) {
        throw new CorruptLogError(
          `storage log ${file} is corrupt at byte ${offset}: a damaged record is followed by valid ones; restore it from a backup or move it away`,
        );
      }
      return { map, goodBytes: offset, torn: true };
    }
    if (rec.deleted) map.delete(rec.key);
    else map.set(rec.key, rec.valueJson);
    offset = nl + 1;
  }
  return { map, goodBytes: offset, torn: false };
}

function hasValidRecordAfter(buf: Buffer, from: number): boolean {
  let offset = from;
  while (offset < buf.length) {
    const nl = buf.indexOf(0x0a, offset);
    if (nl === -1) return false;
    if (parseRecord(buf.subarray(offset, nl)) !== undefined) return true;
    offset = nl + 1;
  }
  return false;
}

function parseRecord(
  line: Buffer,
): { key: string; deleted: boolean; valueJson: string } | undefined {
  if (line.length < 10 || line[8] !== 0x20) return undefined;
  const json = line.subarray(9);
  if (line.subarray(0, 8).toString('latin1') !== crc32(json).toString(16).padStart(8, '0')) {
    return undefined;
  }
  try {
    const o = JSON.parse(json.toString('utf8')) as { k?: unknown; v?: unknown; d?: unknown };
    if (typeof o.k !== 'string') return undefined;
    if (o.d === 1) return { key: o.k, deleted: true, valueJson: '' };
    if (!('v' in o)) return undefined;
    return { key: o.k, deleted: false, valueJson: JSON.stringify(o.v) };
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Who holds a LOCK file: the pid, and on Linux the boot id and the process's start time (field 22
 * of `/proc/<pid>/stat`, clock ticks since boot). A pid alone is not an identity: after a crash it
 * is reused, and in a container the agent is PID 1 on every start.
 */
export interface LockHolder {
  readonly pid: number;
  /** `/proc/sys/kernel/random/boot_id`; absent where there is no /proc. */
  readonly boot?: string;
  /** Start time of `pid`, from `/proc/<pid>/stat`; absent where there is no /proc. */
  readonly start?: string;
}

async function readBootId(): Promise<string | undefined> {
  try {
    return (await readFile('/proc/sys/kernel/random/boot_id', 'utf8')).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Field 22 (starttime) of `/proc/<pid>/stat`, or `undefined` (no such process, no /proc). */
async function readStartTime(pid: number): Promise<string | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) state ppid …": comm may hold spaces and parentheses, so count from the last ")".
    // Field 3 (state) is the first after it, so field 22 is the 20th.
    const start = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
    return start !== undefined && /^\d+$/.test(start) ? start : undefined;
  } catch {
    return undefined;
  }
}

/** This process as a {@link LockHolder}. */
export async function currentLockHolder(): Promise<LockHolder> {
  const [boot, start] = await Promise.all([readBootId(), readStartTime(process.pid)]);
  return {
    pid: process.pid,
    ...(boot === undefined ? {} : { boot }),
    ...(start === undefined ? {} : { start }),
  };
}

/** Reads a LOCK file's text: the JSON this module writes, or a bare pid (older versions). */
export function parseLockHolder(text: string): LockHolder | undefined {
  const t = text.trim();
  if (/^\d+$/.test(t)) return { pid: Number(t) };
  try {
    const o = JSON.parse(t) as { pid?: unknown; boot?: unknown; start?: unknown };
    if (typeof o.pid !== 'number' || !Number.isInteger(o.pid) || o.pid <= 0) return undefined;
    return {
      pid: o.pid,
      ...(typeof o.boot === 'string' ? { boot: o.boot } : {}),
      ...(typeof o.start === 'string' ? { start: o.start } : {}),
    };
  } catch {
    return undefined;
  }
}

/**
 * Whether `holder` (read from a LOCK file) is this process (`self`), another live process
 * (`held`), or gone (`stale`: its lock may be taken over).
 *
 * - Our pid: it is us only if the start time (and boot id) match ours. A different start time is
 *   an earlier process that had our pid (kill -9, then a restart as PID 1 in a container). A
 *   record without a start time, where we can read ours, was written by an older version, so it
 *   is not us either. Without /proc we cannot tell, and say `self` (refusing is the safe side).
 * - Another pid: `stale` when no such process runs, when it was recorded under another boot, or
 *   when the process now running under that pid started at another time (the pid was reused).
 */
export async function lockHolderState(
  holder: LockHolder,
  self: LockHolder,
): Promise<'self' | 'held' | 'stale'> {
  const otherBoot =
    holder.boot !== undefined && self.boot !== undefined && holder.boot !== self.boot;
  if (holder.pid === self.pid) {
    if (self.start === undefined) return 'self';
    return !otherBoot && holder.start === self.start ? 'self' : 'stale';
  }
  if (!isAlive(holder.pid) || otherBoot) return 'stale';
  if (holder.start !== undefined) {
    const now = await readStartTime(holder.pid);
    if (now !== undefined && now !== holder.start) return 'stale';
  }
  return 'held';
}

/**
 * Takes the directory's lock file, or throws if a live process holds it. A stale lock (its
 * process is gone, even if its pid now belongs to another process or to us) is taken over.
 */
async function lock(dir: string, onWarning: LocalStorageOptions['onWarning']): Promise<string> {
  const file = join(dir, LOCK_FILE);
  const self = await currentLockHolder();
  const record = `${JSON.stringify(self)}\n`;
  try {
    await writeFile(file, record, { flag: 'wx' });
    return file;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const text = await readFile(file, 'utf8').catch(() => '');
  const holder = parseLockHolder(text);
  if (holder !== undefined) {
    const state = await lockHolderState(holder, self);
    if (state === 'self') {
      throw new Error(`storage directory ${dir} is already open in this process`);
    }
    if (state === 'held') {
      throw new Error(
        `storage directory ${dir} is in use by process ${holder.pid} (${file}); stop it or use another storage.path`,
      );
    }
  }
  onWarning?.('storage lock was stale (its process is gone); taken over', {
    file,
    holder: text.trim().slice(0, 200),
  });
  await writeFile(file, record);
  return file;
}

/**
 * Opens (or creates) the local storage in `options.path`: replays the log into memory, drops a
 * torn last record, and takes the directory's lock. Reads are served from memory; each write is
 * one appended line. Writes are applied in call order (one queue), and `close()` flushes, fsyncs
 * and releases the lock.
 *
 * @throws CorruptLogError when the log is damaged anywhere but its last record; an Error when
 * another live process holds the directory.
 * @example
 * ```ts
 * const storage = await openLocalStorage({ path: '.agent-data' });
 * await storage.put('k', { n: 1 });
 * await storage.close();
 * ```
 */
export async function openLocalStorage(options: LocalStorageOptions): Promise<LocalStorage> {
  const dir = options.path;
  const syncMode = options.sync ?? 'interval';
  const syncIntervalMs = options.syncIntervalMs ?? 100;
  const compactMinBytes = options.compactMinBytes ?? 1024 * 1024;
  await mkdir(dir, { recursive: true });
  const lockFile = await lock(dir, options.onWarning);
  const file = join(dir, LOG_FILE);
  let fd: number;
  let map: Map<string, string>;
  let logBytes: number;
  try {
    const buf = await readFile(file).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return Buffer.alloc(0);
      throw err;
    });
    const r = replay(buf, file);
    map = r.map;
    logBytes = r.goodBytes;
    // Leftover of a compaction that crashed before its rename: the log itself is still whole.
    await rm(`${file}.tmp`, { force: true });
    if (r.torn) {
      options.onWarning?.('storage log had a torn last record; it was dropped', {
        file,
        dropped_bytes: buf.length - r.goodBytes,
      });
      const h = await open(file, 'r+');
      await h.truncate(r.goodBytes);
      await h.sync();
      await h.close();
    }
    fd = openSync(file, 'a');
  } catch (err) {
    await rm(lockFile, { force: true });
    throw err;
  }

  let liveBytes = 0;
  for (const [k, v] of map) liveBytes += Buffer.byteLength(encodeRecord(putJson(k, v)));
  let compactions = 0;
  let closed = false;
  let dirty = false;
  // The write queue: every mutation (and compaction, and close) runs after the previous one.
  let tail: Promise<unknown> = Promise.resolve();
  const enqueue = <T>(fn: () => Promise<T> | T): Promise<T> => {
    const p = tail.then(fn);
    tail = p.catch(() => undefined);
    return p;
  };

  // fsync with group commit: a caller waits for an fsync that started after its write finished.
  // Writes that arrive while one runs share the next one, so `'always'` costs one disk flush per
  // batch of concurrent writes, not one per write.
  let syncing: Promise<void> | undefined;
  let nextSync: Promise<void> | undefined;
  const fsyncFd = (): Promise<void> => {
    dirty = false;
    const f = fd;
    return new Promise<void>((resolve, reject) => {
      fsync(f, (err) => (err ? reject(err) : resolve()));
    });
  };
  const groupSync = (): Promise<void> => {
    if (syncing === undefined) {
      const p: Promise<void> = fsyncFd().finally(() => {
        if (syncing === p) syncing = undefined;
      });
      syncing = p;
      return p;
    }
    nextSync ??= syncing
      .catch(() => undefined)
      .then(() => {
        nextSync = undefined;
        return groupSync();
      });
    return nextSync;
  };
  // Compaction and close swap or close the descriptor: no fsync may be running on it then.
  const syncIdle = async (): Promise<void> => {
    while (syncing !== undefined || nextSync !== undefined) {
      await (nextSync ?? syncing)?.catch(() => undefined);
    }
  };
  const timer =
    syncMode === 'interval'
      ? setInterval(() => {
          if (dirty && !closed) {
            groupSync().catch((err: unknown) =>
              options.onWarning?.('storage fsync failed', { file, err }),
            );
          }
        }, syncIntervalMs)
      : undefined;
  timer?.unref();

  const append = async (line: string): Promise<void> => {
    if (closed) throw new Error('storage is closed');
    const bytes = Buffer.from(line, 'utf8');
    let written = 0;
    try {
      while (written < bytes.length) {
        written += await new Promise<number>((resolve, reject) => {
          write(fd, bytes, written, bytes.length - written, null, (err, n) =>
            err ? reject(err) : resolve(n),
          );
        });
      }
    } catch (err) {
      // A half-written record (disk full, I/O error) must not stay in front of later ones: that
      // would read as corruption at the next open. Cut the file back to the last whole record.
      if (written > 0) ftruncateSync(fd, logBytes);
      throw err;
    }
    logBytes += bytes.length;
    dirty = true;
  };
  // In 'always' mode a write resolves after the fsync that covers it, outside the queue, so the
  // next writes can be appended meanwhile and share the following fsync.
  const durable = <T>(p: Promise<T>): Promise<T> =>
    syncMode === 'always'
      ? p.then(async (v) => {
          await groupSync();
          return v;
        })
      : p;

  const compactNow = async (): Promise<void> => {
    await syncIdle();
    const tmp = `${file}.tmp`;
    const parts: string[] = [];
    let bytes = 0;
    for (const [k, v] of map) {
      const line = encodeRecord(putJson(k, v));
      bytes += Buffer.byteLength(line);
      parts.push(line);
    }
    const h = await open(tmp, 'w');
    try {
      await h.writeFile(parts.join(''));
      await h.sync();
    } finally {
      await h.close();
    }
    // Everything the old log holds is already in the temp file; sync it, then swap atomically.
    fsyncSync(fd);
    closeSync(fd);
    await rename(tmp, file);
    const d = await open(dir, 'r');
    try {
      await d.sync();
    } catch {
      // Some platforms cannot fsync a directory; the rename is still atomic there.
    } finally {
      await d.close();
    }
    fd = openSync(file, 'a');
    logBytes = bytes;
    liveBytes = bytes;
    dirty = false;
    compactions++;
  };

  const maybeCompact = async (): Promise<void> => {
    if (logBytes >= compactMinBytes && logBytes >= 2 * liveBytes) await compactNow();
  };

  const storage: LocalStorage = {
    backend: 'local',
    get logBytes() {
      return logBytes;
    },
    get liveBytes() {
      return liveBytes;
    },
    get compactions() {
      return compactions;
    },
    get size() {
      return map.size;
    },
    async get(key: string): Promise<unknown> {
      if (closed) throw new Error('storage is closed');
      const v = map.get(key);
      return v === undefined ? undefined : JSON.parse(v);
    },
    put(key: string, value: unknown): Promise<void> {
      const valueJson = JSON.stringify(value);
      if (valueJson === undefined) {
        return Promise.reject(new TypeError('value must be JSON-serialisable'));
      }
      return durable(
        enqueue(async () => {
          const line = encodeRecord(putJson(key, valueJson));
          await append(line);
          const old = map.get(key);
          if (old !== undefined) liveBytes -= Buffer.byteLength(encodeRecord(putJson(key, old)));
          map.set(key, valueJson);
          liveBytes += Buffer.byteLength(line);
          await maybeCompact();
        }),
      );
    },
    delete(key: string): Promise<boolean> {
      return durable(
        enqueue(async () => {
          if (closed) throw new Error('storage is closed');
          const old = map.get(key);
          if (old === undefined) return false;
          await append(encodeRecord(deleteJson(key)));
          map.delete(key);
          liveBytes -= Buffer.byteLength(encodeRecord(putJson(key, old)));
          await maybeCompact();
          return true;
        }),
      );
    },
    compact(): Promise<void> {
      return enqueue(compactNow);
    },
    async ready(): Promise<void> {
      if (closed) throw new Error('storage is closed');
    },
    close(): Promise<void> {
      if (closed) return tail.then(() => undefined);
      return enqueue(async () => {
        if (closed) return;
        closed = true;
        if (timer !== undefined) clearInterval(timer);
        await syncIdle();
        fsyncSync(fd);
        closeSync(fd);
        await rm(lockFile, { force: true });
      });
    },
  };
  return storage;
}
