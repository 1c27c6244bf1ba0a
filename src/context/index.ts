// telltale/context: the AsyncLocalStorage request context (request id, trace and span ids) and the fields it adds to log lines.

export type { Attributes, AttributeValue, RequestContext, RequestLogFields } from './context.js';
export { currentContext, getRequestId, logContextFields, runWithContext } from './context.js';
