// The agent's storage interface, and the factory that opens a backend and instruments it with telltale's explicit method wrapper.

import { instrumentMethods } from 'telltale/metrics';
import type { AgentMetrics } from './metrics.js';

/** A storage backend's name, the `backend` label value. */
export type BackendName = 'local' | 'redis';

/**
 * What the agent needs from storage. Values are JSON values; `get` resolves `undefined` for a
 * missing key. Every method rejects (never hangs) when the backend cannot serve it.
 */
export interface Storage {
  readonly backend: BackendName;
  /** The value stored under `key`, or `undefined`. */
  get(key: string): Promise<unknown>;
  /** Stores `value` (JSON-serialisable) under `key`. */
  put(key: string, value: unknown): Promise<void>;
  /** Removes `key`; resolves `true` if it existed. */
  delete(key: string): Promise<boolean>;
  /** Resolves when the backend can serve requests (the readiness check); rejects with the reason. */
  ready?(): Promise<void>;
  /** Flushes and releases the backend. Idempotent. */
  close(): Promise<void>;
}

/** The operations that are measured, the `operation` label values. */
export const STORAGE_OPERATIONS = ['get', 'put', 'delete'] as const;

/**
 * Wraps a backend so `get`, `put` and `delete` are timed and counted in
 * `storage_operation_duration_seconds`, `storage_operations_total` and
 * `storage_operation_errors_total`, labelled `{operation, backend}`. Through `instrumentMethods`:
 * the backend is not modified, and its methods carry no metrics code. The series of every
 * operation (and its error counter) exist at 0 from here on, so dashboards see them before traffic.
 *
 * @example
 * ```ts
 * const storage = instrumentStorage(await openLocalStorage({ path }), createAgentMetrics(registry));
 * ```
 */
export function instrumentStorage<S extends Storage>(storage: S, metrics: AgentMetrics): S {
  const backend = storage.backend;
  for (const operation of STORAGE_OPERATIONS) {
    metrics.storageErrors.labels({ operation, backend });
  }
  return instrumentMethods(storage, {
    methods: ['get', 'put', 'delete'],
    duration: metrics.storageDuration,
    total: metrics.storageOperations,
    errors: metrics.storageErrors,
    methodLabel: 'operation',
    labels: { backend },
  });
}
