// Loads pino-pretty (an optional peer dependency) only when LOG_FORMAT=pretty asks for it.
import { createRequire } from 'node:module';

/** The part of pino-pretty's default export telltale uses: options in, a writable stream out. */
export type PrettyFactory = (options: Record<string, unknown>) => NodeJS.WritableStream;

/** Resolves a module the way `require` does; injectable for tests. */
export type ModuleLoader = (id: string) => unknown;

const requireHere: ModuleLoader = createRequire(import.meta.url);

/**
 * pino-pretty's stream factory, or `undefined` when pino-pretty is not installed. Loaded with
 * `require` on first use rather than `import()`, so `createLogger()` stays synchronous; pino-pretty
 * is CommonJS, so this is its native loader. Other load failures (a broken install) are rethrown.
 */
export function loadPretty(load: ModuleLoader = requireHere): PrettyFactory | undefined {
  let mod: unknown;
  try {
    mod = load('pino-pretty');
  } catch (err) {
    const code = (err as { code?: unknown } | null)?.code;
    if (code === 'MODULE_NOT_FOUND' || code === 'ERR_MODULE_NOT_FOUND') return undefined;
    throw err;
  }
  const factory =
    typeof mod === 'function' ? mod : (mod as { default?: unknown } | null | undefined)?.default;
  if (typeof factory !== 'function') return undefined;
  return factory as PrettyFactory;
}
