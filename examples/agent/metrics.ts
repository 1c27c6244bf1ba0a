// The agent's own instruments (messages and storage), declared once on a registry that the caller picks: real, or no-op for the overhead benchmark.

import { BucketPresets, type Registry } from 'telltale/metrics';

/**
 * Declares the agent's message and storage metrics on `registry` and returns the instruments.
 * Registration is idempotent for an identical spec, so calling it twice on one registry is fine.
 * Pass `createNoopRegistry()` to get instruments that do nothing (the "metrics off" baseline).
 *
 * - `messages_received_total` (counter): valid messages the handler carried out successfully,
 *   from the API and from peers.
 * - `messages_rejected_total{reason}` (counter): messages that were not carried out; `reason` is
 *   `invalid_json`, `invalid_message`, `too_large`, `too_deep` (nesting limit) or `storage_error`.
 * - `message_processing_duration_seconds` (histogram): time from the handler's entry to its
 *   answer, for the messages counted in `messages_received_total` (so its `_count` equals it).
 * - `storage_operations_total{operation,backend}` (counter): every storage call, success or failure.
 * - `storage_operation_duration_seconds{operation,backend}` (histogram): their durations.
 * - `storage_operation_errors_total{operation,backend}` (counter): the calls that failed (they are
 *   also in `storage_operations_total`).
 *
 * `agent_peers_connected` is registered by the peers module, which owns the connections.
 *
 * @example
 * ```ts
 * const metrics = createAgentMetrics(createRegistry());
 * metrics.messagesReceived.inc();
 * ```
 */
export function createAgentMetrics(registry: Registry) {
  return {
    registry,
    messagesReceived: registry.counter({
      name: 'messages_received_total',
      help: 'Messages the agent handled successfully (API and peers).',
    }),
    messagesRejected: registry.counter({
      name: 'messages_rejected_total',
      help: 'Messages the agent did not carry out, by reason.',
      labelNames: ['reason'],
    }),
    messageDuration: registry.histogram({
      name: 'message_processing_duration_seconds',
      help: 'Time to handle a message, for the messages counted in messages_received_total.',
      unit: 'seconds',
      buckets: BucketPresets.fastOperation,
    }),
    storageOperations: registry.counter({
      name: 'storage_operations_total',
      help: 'Storage operations (success or failure), by operation and backend.',
      labelNames: ['operation', 'backend'],
    }),
    storageDuration: registry.histogram({
      name: 'storage_operation_duration_seconds',
      help: 'Duration of storage operations, by operation and backend.',
      unit: 'seconds',
      labelNames: ['operation', 'backend'],
      buckets: BucketPresets.fastOperation,
    }),
    storageErrors: registry.counter({
      name: 'storage_operation_errors_total',
      help: 'Storage operations that failed, by operation and backend.',
      labelNames: ['operation', 'backend'],
    }),
  };
}

/** The agent's instruments. */
export type AgentMetrics = ReturnType<typeof createAgentMetrics>;

/** Reasons in `messages_rejected_total{reason}`. */
export type RejectReason =
  | 'invalid_json'
  | 'invalid_message'
  | 'too_large'
  | 'too_deep'
  | 'storage_error';
