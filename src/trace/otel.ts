// The optional OpenTelemetry bridge: when a tracer provider is registered through @opentelemetry/api, telltale's spans go there too.

import { createRequire } from 'node:module';
import type * as OTelApi from '@opentelemetry/api';
import type { Attributes } from '../context/context.js';

/** @internal The `@opentelemetry/api` module. */
export type Api = typeof OTelApi;

const RECHECK_MS = 1000;

/**
 * The API module, or `null` when it is not installed. Loaded with a synchronous `require` (spans
 * start synchronously); Node's module cache makes a second call a lookup. The API keeps its
 * registrations on a global symbol, so this CommonJS copy sees a provider registered through the
 * ESM build as well.
 */
function loadApi(): Api | null {
  try {
    return createRequire(import.meta.url)('@opentelemetry/api') as Api;
  } catch {
    return null;
  }
}

/**
 * @internal One telemetry's OpenTelemetry bridge: whether it is on, and the tracer its spans go
 * to once a provider is registered. Each telemetry has its own, so one that turns the bridge off
 * does not turn it off for another.
 */
export class OtelBridge {
  /** The API module: `undefined` until first needed, `null` when it is not installed. */
  api: Api | null | undefined = undefined;
  /** The tracer spans go to; `undefined` while the bridge is inactive (the only check on the span path). */
  tracer: OTelApi.Tracer | undefined = undefined;
  /**
   * The next time (span clock, ms) an inactive bridge looks for a registered provider again, so a
   * provider registered after the first span is picked up within a second. `Infinity` when the
   * API is absent or the bridge is off.
   */
  nextCheck: number;
  /** `openTelemetry` as the telemetry was created with. */
  readonly enabled: boolean;

  constructor(enabled: boolean) {
    this.enabled = enabled;
    this.nextCheck = enabled ? 0 : Number.POSITIVE_INFINITY;
  }

  /**
   * Looks for a registered tracer provider; sets {@link tracer} if one is there. A provider is
   * "registered" when the global `ProxyTracerProvider` has a delegate (the API's own no-op
   * provider otherwise hands out spans with all-zero ids).
   */
  refresh(now: number): void {
    if (this.enabled && this.api === undefined) this.api = loadApi();
    const a = this.enabled ? this.api : null;
    if (a === null || a === undefined) {
      this.tracer = undefined;
      this.nextCheck = Number.POSITIVE_INFINITY;
      return;
    }
    const provider = a.trace.getTracerProvider() as OTelApi.TracerProvider & {
      getDelegateTracer?: (name: string, version?: string) => OTelApi.Tracer | undefined;
    };
    this.tracer =
      typeof provider.getDelegateTracer === 'function'
        ? provider.getDelegateTracer('telltale', '0.1.0')
        : provider.getTracer('telltale', '0.1.0');
    this.nextCheck = this.tracer === undefined ? now + RECHECK_MS : Number.POSITIVE_INFINITY;
  }
}

/** The span kinds telltale passes to OpenTelemetry. */
export type SpanKind = 'internal' | 'server' | 'client' | 'producer' | 'consumer';

const KINDS: Readonly<Record<SpanKind, number>> = {
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
  a: Api,
  tracer: OTelApi.Tracer,
  name: string,
  kind: SpanKind,
  attributes: Attributes | undefined,
  parent: OtelParent | undefined,
): OtelStart {
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
export function withOtelSpan<R>(a: Api, span: unknown, fn: () => R): R {
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
