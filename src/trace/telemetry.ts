// Telemetry: one object carrying what HTTP instrumentation, spans, exemplars and request ids share (a registry, a logger, tracing, request-id rules); each library or app makes its own, and a default one is created lazily.

import { randomUUID } from 'node:crypto';
import type { Attributes, RequestContext } from '../context/context.js';
import { type Clock, monotonicClock } from '../internal/clock.js';
import { fail } from '../internal/errors.js';
import type { ExemplarSlot } from '../internal/exemplar-source.js';
import { checkOptionKeys } from '../internal/option-keys.js';
import { defaultRegistry, exemplarSlotOf, type Registry } from '../metrics/registry.js';
import { EVERY_TRACE, type ExemplarOptions, SAMPLED_TRACES } from './exemplars.js';
import { OtelBridge } from './otel.js';
import { isValidRequestId } from './request-id.js';
import {
  type IncomingTraceHeaders,
  requestContextIn,
  requestSpanIn,
  SPAN_LOG_LEVELS,
  type Span,
  type SpanLogger,
  type SpanLogLevel,
  type StartSpanOptions,
  spanIn,
  startSpanIn,
} from './span.js';

/**
 * The `tracing` options of {@link createTelemetry}: span-close logging, the OpenTelemetry bridge,
 * the sampled flag of new traces, the span clock and exemplars. Every one is optional.
 *
 * @example
 * ```ts
 * createTelemetry({ logger, tracing: { level: 'info', errorLevel: 'warn', exemplars: true } });
 * ```
 */
export interface TracingOptions {
  /**
   * Where span-close events go: any logger with pino-style level methods. Default: the
   * telemetry's `logger` (so spans are logged when the telemetry has one); `null`: spans are not
   * logged.
   */
  readonly logger?: SpanLogger | null | undefined;
  /** The level of span-close events. Default `'debug'`. */
  readonly level?: SpanLogLevel | undefined;
  /** The level of span-close events for spans that ended with an error. Default: `level`. */
  readonly errorLevel?: SpanLogLevel | undefined;
  /**
   * Send spans to the OpenTelemetry tracer provider registered through `@opentelemetry/api`, if
   * any. Default `true`. After replacing the global provider, call
   * {@link Telemetry.refreshOpenTelemetry}.
   */
  readonly openTelemetry?: boolean | undefined;
  /** The `sampled` flag of traces telltale starts (without OpenTelemetry's sampler). Default `true`. */
  readonly sampled?: boolean | undefined;
  /**
   * The span clock: a `Clock`'s `now`, in milliseconds (only differences are used). Default
   * monotonic: `performance.timeOrigin + performance.now()`. Tests inject one.
   */
  readonly now?: Clock['now'] | undefined;
  /**
   * Attach `{ trace_id }` exemplars to the counter increments and histogram observations of this
   * telemetry's `registry` made while one of its spans is open (docs/tracing.md, "Exemplars").
   * `true`, or `{ sampledOnly: true }` for sampled traces only. Default `false`.
   */
  readonly exemplars?: boolean | ExemplarOptions | undefined;
}

/**
 * The `requestId` options of {@link createTelemetry}: how a request gets its id when it arrives
 * without an acceptable one, and which incoming ids are acceptable.
 *
 * @example
 * ```ts
 * createTelemetry({ requestId: { generate: () => `req-${ulid()}`, accept: (id) => id.startsWith('req-') } });
 * ```
 */
export interface RequestIdRules {
  /**
   * Makes the id of a request that comes without an acceptable one. Default: `crypto.randomUUID()`
   * (a random v4 UUID). It must return ids that `isValidRequestId` accepts (they are echoed in a
   * header and written to log lines unescaped); it is not checked per request.
   */
  readonly generate?: (() => string) | undefined;
  /**
   * Narrows which incoming ids are kept: called only with ids that already pass
   * `isValidRequestId` (1–128 characters of `[A-Za-z0-9._:-]`), so it cannot let a header
   * injection or a forged log field through. Return `false` to replace the id. Default: every
   * valid id is kept.
   */
  readonly accept?: ((id: string) => boolean) | undefined;
}

/** Options of {@link createTelemetry}. Every one is optional. */
export interface TelemetryOptions {
  /**
   * The registry HTTP instrumentation records into when its own `registry` option is omitted, and
   * that exemplars attach to. Default: `defaultRegistry()` (see docs/telemetry.md, "An omitted
   * registry").
   */
  readonly registry?: Registry | undefined;
  /**
   * The telemetry's logger: span-close events go here (unless `tracing.logger` says otherwise),
   * and so do HTTP access-log lines when their own `accessLog.logger` is omitted. A telltale
   * `createLogger()` logger, a pino logger or `console`. Default: none.
   */
  readonly logger?: SpanLogger | undefined;
  /** Span logging, the OpenTelemetry bridge, sampling, the span clock and exemplars. */
  readonly tracing?: TracingOptions | undefined;
  /** How request ids are generated and which incoming ones are kept. */
  readonly requestId?: RequestIdRules | undefined;
}

/**
 * One set of telemetry settings: the registry, the logger, tracing and request-id rules that a
 * library or an application's HTTP instrumentation, spans and exemplars share. Each is created
 * with {@link createTelemetry} and passed to the factories that need it (`telltaleExpress({
 * telemetry })`, `fastifyGenReqId({ telemetry })`, …); two telemetries in one process never see
 * each other's settings. A request served with a telemetry carries it in its context, so spans
 * started inside the request (`span()`, `startSpan()`) use it too. Outside any request, spans use
 * {@link defaultTelemetry}.
 *
 * @example
 * ```ts
 * const telemetry = createTelemetry({ registry, logger: createLogger({ name: 'shop' }) });
 * app.use(telltaleExpress({ telemetry, tracing: true }));
 * await telemetry.span('warm-cache', () => warm());
 * ```
 */
export interface Telemetry {
  /** The registry (see {@link TelemetryOptions.registry}). */
  readonly registry: Registry;
  /** The logger, or `undefined` when none was given. */
  readonly logger: SpanLogger | undefined;
  /**
   * The request id for an incoming header value: the value when it is valid (`isValidRequestId`)
   * and `requestId.accept` keeps it, else a generated one. Never throws on any input.
   */
  resolveRequestId(value: unknown): string;
  /** `span()` of telltale/trace, the span belonging to this telemetry. */
  span<R>(name: string, fn: (span: Span) => R): R;
  /** `span()` of telltale/trace with attributes, the span belonging to this telemetry. */
  span<R>(name: string, attributes: Attributes | undefined, fn: (span: Span) => R): R;
  /** `startSpan()` of telltale/trace, the span belonging to this telemetry. */
  startSpan(name: string, attributes?: Attributes, options?: StartSpanOptions): Span;
  /** `startRequestSpan()` of telltale/trace with this telemetry's request ids, clock and bridge. */
  startRequestSpan(name: string, headers?: IncomingTraceHeaders, attributes?: Attributes): Span;
  /** `createRequestContext()` of telltale/trace with this telemetry's request ids and clock. */
  createRequestContext(headers?: IncomingTraceHeaders, attributes?: Attributes): RequestContext;
  /**
   * Looks for a registered OpenTelemetry tracer provider again now (it is looked for on the first
   * span, then at most once a second until one is found). Call it after replacing the global
   * provider. Does nothing with `tracing.openTelemetry: false`.
   */
  refreshOpenTelemetry(): void;
}

function isFn(v: unknown): v is (...args: never[]) => unknown {
  return typeof v === 'function';
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

function level(name: string, v: unknown): SpanLogLevel | undefined {
  if (v !== undefined && !SPAN_LOG_LEVELS.includes(v as SpanLogLevel)) {
    fail(
      'TT_INVALID_OPTION',
      `createTelemetry: tracing.${name} must be one of ${SPAN_LOG_LEVELS.join(', ')}, got ${String(v)}`,
    );
  }
  return v as SpanLogLevel | undefined;
}

function flag(name: string, v: unknown, fallback: boolean): boolean {
  if (v === undefined) return fallback;
  if (typeof v !== 'boolean') {
    fail('TT_INVALID_OPTION', `createTelemetry: ${name} must be true or false, got ${String(v)}`);
  }
  return v;
}

function fn<F>(name: string, v: unknown): F | undefined {
  if (v !== undefined && !isFn(v)) {
    fail('TT_INVALID_OPTION', `createTelemetry: ${name} must be a function, got ${typeof v}`);
  }
  return v as F | undefined;
}

/** Every key of {@link TelemetryOptions}: `createTelemetry` refuses any other. */
const TELEMETRY_OPTIONS = ['registry', 'logger', 'tracing', 'requestId'] as const;

/** Every key of {@link TracingOptions}. */
const TRACING_OPTIONS = [
  'logger',
  'level',
  'errorLevel',
  'openTelemetry',
  'sampled',
  'now',
  'exemplars',
] as const;

/** Every key of {@link ExemplarOptions}. */
const EXEMPLAR_OPTIONS = ['sampledOnly'] as const;

/** Every key of {@link RequestIdRules}. */
const REQUEST_ID_RULES = ['generate', 'accept'] as const;

function isRegistry(v: unknown): v is Registry {
  return isObject(v) && ['counter', 'gauge', 'histogram', 'gather'].every((k) => isFn(v[k]));
}

/** @internal The telemetry implementation; users see {@link Telemetry}. */
export class TelemetryImpl implements Telemetry {
  readonly registry: Registry;
  readonly logger: SpanLogger | undefined;
  /** @internal Where span-close events go, or `null`. */
  readonly _spanLogger: SpanLogger | null;
  /** @internal */
  readonly _level: SpanLogLevel;
  /** @internal */
  readonly _errorLevel: SpanLogLevel;
  /** @internal The `sampled` flag of traces this telemetry starts. */
  readonly _sampled: boolean;
  /** @internal The span clock, ms. */
  readonly _now: Clock['now'];
  /** @internal */
  readonly _generate: () => string;
  /** @internal */
  readonly _accept: ((id: string) => boolean) | undefined;
  /** @internal This telemetry's OpenTelemetry bridge. */
  readonly _otel: OtelBridge;
  /** @internal The registry's exemplar hook its spans count into, or `undefined` (exemplars off). */
  readonly _slot: ExemplarSlot | undefined;

  constructor(options: TelemetryOptions) {
    if (!isObject(options)) fail('TT_INVALID_OPTION', 'createTelemetry: options must be an object');
    checkOptionKeys('createTelemetry', options as TelemetryOptions, TELEMETRY_OPTIONS);
    const { registry, logger, tracing = {}, requestId = {} } = options;
    if (registry !== undefined && !isRegistry(registry)) {
      fail(
        'TT_INVALID_OPTION',
        'createTelemetry: registry must be a telltale registry (from createRegistry()); omit it for defaultRegistry()',
      );
    }
    if (logger !== undefined && !isObject(logger)) {
      fail(
        'TT_INVALID_OPTION',
        'createTelemetry: logger must be a logger object (createLogger(), pino or console)',
      );
    }
    if (!isObject(tracing)) fail('TT_INVALID_OPTION', 'createTelemetry: tracing must be an object');
    if (!isObject(requestId)) {
      fail('TT_INVALID_OPTION', 'createTelemetry: requestId must be an object');
    }
    checkOptionKeys('createTelemetry', tracing as TracingOptions, TRACING_OPTIONS, 'tracing.');
    checkOptionKeys('createTelemetry', requestId as RequestIdRules, REQUEST_ID_RULES, 'requestId.');
    const lv = level('level', tracing.level) ?? 'debug';
    const elv = level('errorLevel', tracing.errorLevel) ?? lv;
    const spanLogger = tracing.logger === undefined ? logger : tracing.logger;
    if (spanLogger !== undefined && spanLogger !== null) {
      for (const l of [lv, elv]) {
        if (!isObject(spanLogger) || !isFn(spanLogger[l])) {
          fail(
            'TT_INVALID_OPTION',
            `createTelemetry: the span logger (${tracing.logger === undefined ? 'logger' : 'tracing.logger'}) has no "${l}" method; pass tracing.logger: null to log no spans`,
          );
        }
      }
    }
    const now = fn<() => number>('tracing.now', tracing.now);
    const generate = fn<() => string>('requestId.generate', requestId.generate);
    this._accept = fn<(id: string) => boolean>('requestId.accept', requestId.accept);
    const ex = tracing.exemplars ?? false;
    if (typeof ex !== 'boolean' && !isObject(ex)) {
      fail(
        'TT_INVALID_OPTION',
        `createTelemetry: tracing.exemplars must be true, false or { sampledOnly }, got ${String(ex)}`,
      );
    }
    if (typeof ex === 'object') {
      checkOptionKeys(
        'createTelemetry',
        ex as ExemplarOptions,
        EXEMPLAR_OPTIONS,
        'tracing.exemplars.',
      );
    }
    const sampledOnly =
      typeof ex === 'object' && flag('tracing.exemplars.sampledOnly', ex.sampledOnly, false);

    this.registry = registry ?? defaultRegistry();
    this.logger = logger;
    this._spanLogger = spanLogger ?? null;
    this._level = lv;
    this._errorLevel = elv;
    this._sampled = flag('tracing.sampled', tracing.sampled, true);
    this._now = now ?? monotonicClock.now;
    this._generate = generate ?? randomUUID;
    this._otel = new OtelBridge(flag('tracing.openTelemetry', tracing.openTelemetry, true));
    const slot = ex === false ? undefined : exemplarSlotOf(this.registry);
    if (slot !== undefined && !slot.enable(sampledOnly ? SAMPLED_TRACES : EVERY_TRACE)) {
      fail(
        'TT_INVALID_OPTION',
        `createTelemetry: another telemetry already attaches exemplars to this registry with sampledOnly: ${!sampledOnly}; one registry attaches them one way, so use the same setting`,
      );
    }
    this._slot = slot;
  }

  resolveRequestId(value: unknown): string {
    if (isValidRequestId(value) && (this._accept === undefined || this._accept(value))) {
      return value;
    }
    return this._generate();
  }

  span<R>(name: string, fn: (span: Span) => R): R;
  span<R>(name: string, attributes: Attributes | undefined, fn: (span: Span) => R): R;
  span<R>(name: string, a: Attributes | undefined | ((span: Span) => R), b?: (span: Span) => R): R {
    return spanIn(this, name, a, b);
  }

  startSpan(name: string, attributes?: Attributes, options?: StartSpanOptions): Span {
    return startSpanIn(this, name, attributes, options);
  }

  startRequestSpan(name: string, headers?: IncomingTraceHeaders, attributes?: Attributes): Span {
    return requestSpanIn(this, name, headers, attributes);
  }

  createRequestContext(headers?: IncomingTraceHeaders, attributes?: Attributes): RequestContext {
    return requestContextIn(this, headers, attributes);
  }

  refreshOpenTelemetry(): void {
    if (this._otel.enabled) this._otel.refresh(this._now());
  }
}

/**
 * Creates a telemetry: the registry, logger, tracing settings and request-id rules that the
 * factories given it share (HTTP instrumentation and its adapters, `fastifyGenReqId`, spans and
 * exemplars). Validated here, once. Create one per application or library and pass it along; it
 * never changes afterwards, and nothing about it is process-wide.
 *
 * @throws {TelltaleError} `TT_INVALID_OPTION` for an option of the wrong type, a key it (or
 * `tracing`, `tracing.exemplars`, `requestId`) does not know, a span level the
 * span logger has no method for, or exemplars on a registry another telemetry already attaches
 * them to with the other `sampledOnly`.
 * @example
 * ```ts
 * import { createTelemetry } from 'telltale/trace';
 * const telemetry = createTelemetry({
 *   registry,
 *   logger: createLogger({ name: 'shop' }),
 *   tracing: { level: 'info', exemplars: true },
 *   requestId: { generate: () => `shop-${randomUUID()}` },
 * });
 * app.use(telltaleExpress({ telemetry, requestId: true, tracing: true }));
 * ```
 */
export function createTelemetry(options: TelemetryOptions = {}): Telemetry {
  return new TelemetryImpl(options);
}

/**
 * The lazily created default telemetry: `undefined` until the first {@link defaultTelemetry}
 * call. Allowed module-level state (docs/architecture.md, "Module-level state").
 */
let defaultTel: TelemetryImpl | undefined;

/**
 * The default telemetry: what a factory uses when its `telemetry` option is omitted, and what a
 * span started outside any request belongs to. It is `createTelemetry()` with every default: the
 * registry is `defaultRegistry()`, there is no logger (spans are not logged), the OpenTelemetry
 * bridge is on, exemplars are off, request ids are random UUIDs. It is created on the first call
 * (never on import) and cannot be changed: to log spans or attach exemplars, create a telemetry
 * and pass it to your factories.
 *
 * @example
 * ```ts
 * defaultTelemetry().registry === defaultRegistry(); // true
 * ```
 */
export function defaultTelemetry(): Telemetry {
  return theDefault();
}

/** @internal {@link defaultTelemetry}, as the implementation. */
export function theDefault(): TelemetryImpl {
  defaultTel ??= new TelemetryImpl({});
  return defaultTel;
}

/**
 * @internal The `telemetry` option of a factory, checked: a telemetry from {@link createTelemetry},
 * or the default one when omitted.
 *
 * @throws {TelltaleError} `TT_INVALID_OPTION` for anything else.
 */
export function telemetryOption(where: string, value: unknown): TelemetryImpl {
  if (value === undefined) return theDefault();
  if (!(value instanceof TelemetryImpl)) {
    fail(
      'TT_INVALID_OPTION',
      `${where}: telemetry must be a telemetry from createTelemetry() (telltale/trace), or omitted for the default one`,
    );
  }
  return value;
}
