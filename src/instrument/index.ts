// telltale/http: the transport-neutral HTTP server instrumentation core that the node:http, Express, Fastify and Hono adapters share.

export {
  CLIENT_CLOSED_STATUS,
  createHttpInstrumentation,
  DEFAULT_UNMATCHED_ROUTE,
  type HttpInstrumentation,
  type HttpInstrumentationOptions,
} from './core.js';
export type {
  AccessLogFields,
  AccessLogger,
  AccessLogLevel,
  AccessLogOptions,
  RequestIdOptions,
} from './full.js';
export {
  contentLength,
  type HeaderSource,
  type RequestHeaders,
  recordHeaders,
} from './headers.js';
export {
  compileIgnore,
  DEFAULT_IGNORE_PATHS,
  type IgnoreMatcher,
  type IgnoreOption,
  pathOf,
} from './ignore.js';
export { isMalformedPath, MALFORMED_PATH_BODY, MALFORMED_PATH_STATUS } from './malformed.js';
export { foldMethod, type MethodLabel, OTHER_METHOD, STANDARD_METHODS } from './methods.js';
export { createHttpMetrics, type HttpMetrics, type HttpMetricsOptions } from './metrics.js';
export { type RequestOwner, type RequestTracker, targetOf } from './request.js';
export {
  createRequestIdResolver,
  DEFAULT_REQUEST_ID_HEADER,
  type RequestIdResolver,
  type RequestIdResolverOptions,
} from './request-id.js';
