// Runs a TypeScript entry point in a child Node process (the demo, graceful-shutdown tests) and watches its output.
import { createRequire } from 'node:module';
import { isAbsolute, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ManagedProcess } from './child.js';

/** The repository root (this file lives in test/helpers/). */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

// tsx's ESM loader as a file URL, so the child finds it whatever its cwd is.
const TSX_LOADER = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/** Options for {@link spawnNodeTs}. */
export interface SpawnNodeTsOptions {
  /** Arguments after the entry file (`process.argv.slice(2)` in the child). */
  args?: readonly string[];
  /** Variables added to (or, when `undefined`, removed from) the parent's environment. */
  env?: Record<string, string | undefined>;
  /** Working directory. Default: the repository root. */
  cwd?: string;
  /** Extra Node flags placed before the entry, e.g. `['--max-old-space-size=64']`. */
  nodeFlags?: readonly string[];
  /** Give the child a writable stdin. Default: stdin is ignored. */
  pipeStdin?: boolean;
  /** Name used in error messages. Default: the entry path. */
  name?: string;
}

/**
 * Spawns `node --conditions=telltale-source --import tsx <entry> ...args`, so the child runs the
 * TypeScript sources (`telltale/*` imports resolve to `src/`) exactly like the tests do.
 *
 * The returned {@link ManagedProcess} captures stdout and stderr line by line; use
 * `waitForLine(regex, timeoutMs)`, `kill(signal)`, `exited` (resolves with `{ code, signal }`) and
 * `stop()`. `NODE_TEST_CONTEXT` is removed from the child's environment so a child is never
 * mistaken for a node:test worker. Always pair with `stop()` (e.g. `t.after(() => child.stop())`).
 *
 * @param entry Path to a `.ts` file, absolute or relative to the repository root.
 * @example
 * const app = spawnNodeTs('examples/demo/main.ts', { env: { PORT: '0' } });
 * t.after(() => app.stop());
 * const [, port] = await app.waitForLine(/listening on http:\/\/127\.0\.0\.1:(\d+)/, 10_000);
 * app.kill('SIGTERM');
 * assert.deepEqual(await app.exited, { code: 0, signal: null });
 */
export function spawnNodeTs(entry: string, options: SpawnNodeTsOptions = {}): ManagedProcess {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env['NODE_TEST_CONTEXT'];
  for (const [key, value] of Object.entries(options.env ?? {})) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  const file = isAbsolute(entry) ? entry : join(REPO_ROOT, entry);
  return ManagedProcess.start(
    process.execPath,
    [
      '--conditions=telltale-source',
      '--import',
      TSX_LOADER,
      ...(options.nodeFlags ?? []),
      file,
      ...(options.args ?? []),
    ],
    {
      name: options.name ?? entry,
      cwd: options.cwd ?? REPO_ROOT,
      env,
      ...(options.pipeStdin ? { pipeStdin: true } : {}),
    },
  );
}
