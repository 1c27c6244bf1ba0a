// The libraries under comparison: id → module, display name, and the package whose version is reported.
export const LIBS = [
  { id: 'telltale', name: 'telltale', module: './telltale.ts', pkg: null },
  { id: 'prom-client', name: 'prom-client', module: './prom-client.mjs', pkg: 'prom-client' },
  {
    id: 'prometheus-io',
    name: '@prometheus-io/client',
    module: './prometheus-io.mjs',
    pkg: '@prometheus-io/client',
  },
  { id: 'otel', name: 'OpenTelemetry', module: './otel.mjs', pkg: '@opentelemetry/sdk-metrics' },
];

/** Not a library: the loop with a Float64Array increment, to show the floor of measurement. */
const FLOOR = { id: 'floor', name: 'Float64Array increment', module: './floor.mjs', pkg: null };

/** Imports the library module for `id` (telltale's is TypeScript, loaded through tsx). */
export async function loadLib(id) {
  const lib = [...LIBS, FLOOR].find((l) => l.id === id);
  if (!lib) throw new Error(`unknown library ${id}`);
  return import(new URL(lib.module, import.meta.url).href);
}
