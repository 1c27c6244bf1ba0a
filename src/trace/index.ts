// telltale/trace: the telemetry object, request ids, W3C traceparent, spans, the OpenTelemetry bridge, outgoing propagation and exemplars.

// Types of trace's own signatures (span attributes, the request context it creates); the context
// functions are telltale/context's alone.
export type { Attributes, AttributeValue, RequestContext } from '../context/context.js';
export type { ExemplarOptions } from './exemplars.js';
export { newSpanId, newTraceId } from './ids.js';
export {
  type FetchPropagation,
  type PropagationOptions,
  startFetchPropagation,
  type TraceHeaders,
  traceHeaders,
} from './propagation.js';
export {
  isValidRequestId,
  MAX_REQUEST_ID_LENGTH,
  REQUEST_ID_HEADER,
  type ResolveRequestIdOptions,
  resolveRequestId,
} from './request-id.js';
export {
  createRequestContext,
  type IncomingTraceHeaders,
  type ResponseHeadersOptions,
  responseHeaders,
  type Span,
  type SpanKind,
  type SpanLogger,
  type SpanLogLevel,
  type SpanStatus,
  type StartSpanOptions,
  span,
  startRequestSpan,
  startSpan,
} from './span.js';
export {
  createTelemetry,
  defaultTelemetry,
  type RequestIdRules,
  type Telemetry,
  type TelemetryOptions,
  type TracingOptions,
} from './telemetry.js';
export {
  formatTraceparent,
  MAX_TRACESTATE_LENGTH,
  normalizeTracestate,
  parseTraceparent,
  type Traceparent,
  type TraceparentSource,
} from './traceparent.js';
