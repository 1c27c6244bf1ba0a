// The optional OpenTelemetry bridge: when a tracer provider is registered through @opentelemetry/api, telltale's spans go there too.

import { createRequire } from 'node:module';
import type * as OTelApi from '@opentelemetry/api';
import type { Attributes } from '../context/context.js';

type Api = typeof OTelApi;

/**
 * The API module: `undefined` until first needed, `null` when it is not installed. Loaded with a
 * synchronous `require` (spans start synchronously). The API keeps its registrations on a global
 * symbol, so this CommonJS copy sees a provider registered through the ESM build as well.
 */
let api: Api | null | undefined;

/** The tracer spans go to; `undefined` while the bridge is inactive (the only check on the span path). */
export let otelTracer: OTelApi.Tracer | undefined;

/**
 * The next time (span clock, ms) an inactive bridge looks for a registered provider again, so a
 * provider registered after the first span is picked up within a second. `Infinity` when the API
 * is absent or the bridge is switched off.
 */
export let otelNextCheck = 0;

const RECHECK_MS = 1000;
let enabled = true;

function loadApi(): Api | null {
  if (api !== undefined) return api;
  try {
    api = createRequire(import.meta.url)('@opentelemetry/api') as Api;
  } catch {
    api = null;
  }
  return api;
}

/** @internal The loaded API (only valid while {@link otelTracer} is set). */
export function otelApi(): Api {
  return api as Api;
}

/**
 * @internal Looks for a registered tracer provider; sets {@link otelTracer} if one is there. A
 * provider is "registered" when the global `ProxyTracerProvider` has a delegate (the API's own
 * no-op provider otherwise hands out spans with all-zero ids).
 */
export function refreshOtel(now: number): void {
  const a = enabled ? loadApi() : null;
  if (a === null) {
    otelTracer = undefined;
    otelNextCheck = Number.POSITIVE_INFINITY;
    return;
  }
  const provider = a.trace.getTracerProvider() as OTelApi.TracerProvider & {
    getDelegateTracer?: (name: string, version?: string) => OTelApi.Tracer | undefined;
  };
  otelTracer =
    typeof provider.getDelegateTracer === 'function'
      ? provider.getDelegateTracer('telltale', '0.1.0')
      : provider.getTracer('telltale', '0.1.0');
  otelNextCheck = otelTracer === undefined ? now + RECHECK_MS : Number.POSITIVE_INFINITY;
}

/** @internal Switches the bridge on (`true`, look for a provider now) or off. */
export function setOtelEnabled(on: boolean, now: number): void {
  enabled = on;
  refreshOtel(now);
}

/** The span kinds telltale passes to OpenTelemetry. */
export type SpanKind = 'internal' | 'server' | 'client' | 'producer' | 'consumer';

const KINDS: Record<SpanKind, number> = {
  internal: 0,
  server: 1,
  client: 2,
  producer: 3,
  consumer: 4,
};

/** The parent for an OpenTelemetry span when the OTel context has no active span. */
export interface OtelParent {
  /** The parent's OpenTelemetry span, if it has one. */
  readonly span: unknown;
  readonly traceId: string;
  readonly spanId: string;
  readonly sampled: boolean;
  readonly traceState: string | undefined;
  /** The parent came from an incoming `traceparent` (another process). */
  readonly remote: boolean;
}

/** The attributes without `undefined` values (the SDK warns about those). Copies only if it must. */
function definedOnly(attributes: Attributes): OTelApi.Attributes {
  for (const k in attributes) {
    if (attributes[k] === undefined) {
      const out: OTelApi.Attributes = {};
      for (const [key, v] of Object.entries(attributes)) if (v !== undefined) out[key] = v;
      return out;
    }
  }
  return attributes as OTelApi.Attributes;
}

/** @internal The started span and the id of the parent OpenTelemetry chose. */
export interface OtelStart {
  readonly span: OTelApi.Span;
  readonly parentSpanId: string | undefined;
}

/**
 * @internal Starts an OpenTelemetry span. The parent is the active OTel span if there is one
 * (an OTel context manager and instrumentation are in use), else `parent`: its OTel span, or a
 * span context made from its ids, so OTel keeps telltale's trace id.
 */
export function startOtelSpan(
  tracer: OTelApi.Tracer,
  name: string,
  kind: SpanKind,
  attributes: Attributes | undefined,
  parent: OtelParent | undefined,
): OtelStart {
  const a = api as Api;
  let octx = a.context.active();
  let parentSpanId = a.trace.getSpanContext(octx)?.spanId;
  if (parentSpanId === undefined && parent !== undefined) {
    if (parent.span !== undefined) {
      octx = a.trace.setSpan(octx, parent.span as OTelApi.Span);
    } else {
      const sc: OTelApi.SpanContext = {
        traceId: parent.traceId,
        spanId: parent.spanId,
        traceFlags: parent.sampled ? 1 : 0,
        isRemote: parent.remote,
      };
      if (parent.traceState !== undefined) sc.traceState = a.createTraceState(parent.traceState);
      octx = a.trace.setSpanContext(octx, sc);
    }
    parentSpanId = parent.spanId;
  }
  const options: OTelApi.SpanOptions = { kind: KINDS[kind] };
  if (attributes !== undefined) options.attributes = definedOnly(attributes);
  return { span: tracer.startSpan(name, options, octx), parentSpanId };
}

/** @internal Runs `fn` with `span` as the active OTel span (a plain call without an OTel context manager). */
export function withOtelSpan<R>(span: unknown, fn: () => R): R {
  const a = api as Api;
  return a.context.with(a.trace.setSpan(a.context.active(), span as OTelApi.Span), fn);
}

/**
 * @internal Ends an OTel span. Success leaves the status UNSET, as the OpenTelemetry spec asks
 * of instrumentation libraries; an error sets ERROR with the message and records the exception.
 */
export function endOtelSpan(span: unknown, error: unknown, message: string | undefined): void {
  const s = span as OTelApi.Span;
  if (message !== undefined) {
    if (error instanceof Error) s.recordException(error);
    s.setStatus({ code: 2, message });
  }
  s.end();
}
