// Temporary directories for test servers' config and state, always removed by their owner.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Creates a fresh, empty directory under the OS temp dir, named `telltale-<prefix>-XXXXXX`.
 *
 * The caller owns it and must remove it with {@link removeTempDir} (the server helpers do this in
 * their `stop()`).
 *
 * @param prefix A short word saying what the directory is for, e.g. `prometheus`.
 * @returns The absolute path of the new directory.
 * @example
 * const dir = await makeTempDir('prometheus');
 * t.after(() => removeTempDir(dir));
 */
export function makeTempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `telltale-${prefix}-`));
}

/**
 * Removes a directory tree made by {@link makeTempDir}. Missing directories are ignored, so it is
 * safe to call twice.
 *
 * @param dir The path returned by {@link makeTempDir}.
 */
export function removeTempDir(dir: string): Promise<void> {
  return rm(dir, { recursive: true, force: true, maxRetries: 3 });
}
