// One catalog with every kind of entry the generators handle, shared by the golden-file tests.
import { defineMetrics } from '../../src/catalog/index.js';

/** Counters, gauges, classic, native and mixed histograms, a summary, every objective, odd text. */
export const DOCS_CATALOG = defineMetrics({
  requests: {
    name: 'http_requests_total',
    type: 'counter',
    help: 'HTTP requests handled.',
    labels: {
      method: { values: ['GET', 'POST'] },
      route: { help: 'The route template, never the raw path.' },
      outcome: { values: ['ok', 'error', 'timeout'] },
    },
    slo: { errorRatio: { target: 0.999, label: 'outcome', values: ['error', 'timeout'] } },
    dashboard: { row: 'HTTP', title: 'Requests' },
  },
  latency: {
    name: 'http_request_duration_seconds',
    type: 'histogram',
    unit: 'seconds',
    help: 'HTTP request latency.',
    labels: { method: { values: ['GET', 'POST'] } },
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5],
    slo: { latency: { threshold: 0.25, target: 0.99 } },
    dashboard: { row: 'HTTP' },
  },
  rpc: {
    name: 'rpc_duration_seconds',
    type: 'histogram',
    unit: 'seconds',
    help: 'RPC latency, native buckets only.',
    native: { schema: 3 },
  },
  mixed: {
    name: 'storage_operation_seconds',
    type: 'histogram',
    unit: 'seconds',
    help: 'Storage operations | both bucket kinds.',
    labels: { operation: { values: ['get', 'put', 'delete'], help: 'The `operation` called.' } },
    buckets: [0.001, 0.01, 0.1],
    native: {},
    dashboard: { row: 'Storage' },
  },
  depth: {
    name: 'queue_depth',
    type: 'gauge',
    help: 'Jobs waiting.',
    slo: { saturation: { threshold: 1000 } },
    dashboard: { row: 'Queue', title: 'Queue depth' },
  },
  payload: {
    name: 'payload_bytes',
    type: 'summary',
    unit: 'bytes',
    help: 'Payload sizes.',
    quantiles: [0.5, 0.99],
  },
});
