// Timing helpers: time(fn) with an outcome label, and an explicit wrapper that instruments an object's methods.

import { type ErrorCode, fail } from '../internal/errors.js';
import { checkOptionKeys, checkOptionsObject } from '../internal/option-keys.js';
import type { LabelValue } from './labels.js';
import type {
  Counter,
  CounterHandle,
  Histogram,
  HistogramHandle,
  LabelNames,
  Summary,
  SummaryHandle,
} from './types.js';

/**
 * A metric that records durations: a histogram or a summary, with or without labels. (A
 * label-less one is listed apart: its `observe(value)` is not assignable to the labelled
 * `observe(labels, value)`, so `Histogram<LabelNames>` alone would refuse it.)
 */
export type DurationMetric =
  | Histogram<LabelNames>
  | Summary<LabelNames>
  | Histogram<readonly []>
  | Summary<readonly []>;

/** A counter with or without labels (see {@link DurationMetric} for why both are listed). */
type AnyCounter = Counter<LabelNames> | Counter<readonly []>;

type AnyLabels = Readonly<Record<string, LabelValue>>;

function isThenable(x: unknown): x is PromiseLike<unknown> {
  return (
    (typeof x === 'object' || typeof x === 'function') &&
    x !== null &&
    typeof (x as PromiseLike<unknown>).then === 'function'
  );
}

/** Options of {@link time}. */
export interface TimeOptions {
  /** The label that gets `success` or `error`, if the metric declares it. Default `'outcome'`. */
  readonly outcomeLabel?: string;
  /** Maps a thrown error to an outcome value. Default: {@link classifyError}. */
  readonly classify?: (error: unknown) => string;
}

/** telltale's own timeout codes, which {@link classifyError} counts as `'timeout'`. */
const TIMEOUT_CODES: ReadonlySet<unknown> = new Set<ErrorCode>([
  'TT_COLLECT_TIMEOUT',
  'TT_HOOK_TIMEOUT',
  'TT_TASK_TIMEOUT',
]);

/**
 * The default outcome for an error: `'timeout'` for timeout-like errors (`TimeoutError`,
 * `ETIMEDOUT`, an aborted signal's timeout, telltale's `TT_COLLECT_TIMEOUT`, `TT_HOOK_TIMEOUT`
 * and `TT_TASK_TIMEOUT`), else `'error'`.
 */
export function classifyError(error: unknown): string {
  if (typeof error === 'object' && error !== null) {
    const e = error as { name?: unknown; code?: unknown };
    if (e.name === 'TimeoutError' || e.code === 'ETIMEDOUT' || TIMEOUT_CODES.has(e.code))
      return 'timeout';
  }
  return 'error';
}

function labelsWith(
  base: AnyLabels | undefined,
  key: string | undefined,
  value: string,
): AnyLabels | undefined {
  if (key === undefined) return base;
  return { ...base, [key]: value };
}

/**
 * Runs `fn` (sync or async) and records its duration in seconds, on success and on failure.
 * When the metric declares the outcome label (default `outcome`), it gets `success`, or the
 * error's class (`error`, `timeout`). The result or error passes through unchanged.
 * @example
 * ```ts
 * const h = registry.histogram({ name: 'job_duration_seconds', help: '…', labelNames: ['job', 'outcome'] });
 * await time(h, { job: 'sync' }, () => syncAll());
 * ```
 */
export function time<T>(
  metric: DurationMetric,
  labels: AnyLabels | undefined,
  fn: () => T,
  options: TimeOptions = {},
): T {
  if (typeof fn !== 'function') fail('TT_INVALID_OPTION', `time(): fn must be a function`);
  const outcomeLabel = options.outcomeLabel ?? 'outcome';
  const key = (metric.labelNames as LabelNames).includes(outcomeLabel) ? outcomeLabel : undefined;
  const classify = options.classify ?? classifyError;
  const record = (outcome: string, start: number): void => {
    const l = labelsWith(labels, key, outcome);
    const seconds = (performance.now() - start) / 1000;
    const observe = metric.observe as unknown as (a: unknown, b?: number) => void;
    if (l === undefined) observe.call(metric, seconds);
    else observe.call(metric, l, seconds);
  };
  const start = performance.now();
  let result: T;
  try {
    result = fn();
  } catch (err) {
    record(classify(err), start);
    throw err;
  }
  if (isThenable(result)) {
    return (result as PromiseLike<unknown>).then(
      (v) => {
        record('success', start);
        return v;
      },
      (err: unknown) => {
        record(classify(err), start);
        throw err;
      },
    ) as T;
  }
  record('success', start);
  return result;
}

/** Options of {@link instrumentMethods}. */
export interface InstrumentMethodsOptions<M extends string> {
  /** The methods to wrap. Each must be a function on the target. */
  readonly methods: readonly M[];
  /** Records each call's duration in seconds. */
  readonly duration?: DurationMetric;
  /** Counts each call (success or failure). */
  readonly total?: AnyCounter;
  /** Counts failed calls. */
  readonly errors?: AnyCounter;
  /** The label that carries the method name, if the metrics declare it. Default `'method'`. */
  readonly methodLabel?: string;
  /** Maps a method name to its label value (e.g. `put` → `put`). Default: the name itself. */
  readonly methodValue?: (method: M) => string;
  /** Fixed labels for every call, such as `{ backend: 'redis' }`. */
  readonly labels?: AnyLabels;
  /** The label that gets the outcome, if the metrics declare it. Default `'outcome'`. */
  readonly outcomeLabel?: string;
  /** Maps an error to an outcome value. Default {@link classifyError}. */
  readonly classify?: (error: unknown) => string;
}

/** Every key of {@link InstrumentMethodsOptions}: `instrumentMethods` refuses any other. */
const INSTRUMENT_METHODS_OPTIONS = [
  'methods',
  'duration',
  'total',
  'errors',
  'methodLabel',
  'methodValue',
  'labels',
  'outcomeLabel',
  'classify',
] as const;

type Handles = {
  duration?: HistogramHandle | SummaryHandle;
  total?: CounterHandle;
  errors?: CounterHandle;
};

/**
 * Returns a wrapper around `target` whose listed methods are timed and counted; everything else
 * is the target's own (the wrapper is a Proxy: other properties read and write the target, and
 * every method runs with `this` = target, so `#private` fields work). The target is not modified:
 * there is no monkeypatching. Label handles are resolved
 * once per method and outcome, so a call costs two clock reads and a few slab writes.
 * @throws TelltaleError `TT_INVALID_OPTION` when `target` or `options` is not an object, an
 * option is unknown, `methods` is empty or names a non-method, or no metric is given.
 * @example
 * ```ts
 * const store = instrumentMethods(new RedisStore(), {
 *   methods: ['get', 'put', 'delete'],
 *   duration: storageDuration, total: storageOps, errors: storageErrors,
 *   methodLabel: 'operation', labels: { backend: 'redis' },
 * });
 * ```
 */
export function instrumentMethods<T extends object, M extends string & keyof T>(
  target: T,
  options: InstrumentMethodsOptions<M>,
): T {
  if (typeof target !== 'object' || target === null)
    fail('TT_INVALID_OPTION', 'instrumentMethods: target must be an object');
  checkOptionsObject('instrumentMethods', options, "{ methods: ['get'], duration }");
  checkOptionKeys('instrumentMethods', options, INSTRUMENT_METHODS_OPTIONS);
  if (!Array.isArray(options.methods) || options.methods.length === 0) {
    fail('TT_INVALID_OPTION', 'instrumentMethods: methods must list at least one method name');
  }
  if (
    options.duration === undefined &&
    options.total === undefined &&
    options.errors === undefined
  ) {
    fail('TT_INVALID_OPTION', 'instrumentMethods: give at least one of duration, total or errors');
  }
  const methodLabel = options.methodLabel ?? 'method';
  const outcomeLabel = options.outcomeLabel ?? 'outcome';
  const classify = options.classify ?? classifyError;
  const wrapped = new Map<PropertyKey, (...args: unknown[]) => unknown>();

  for (const method of options.methods) {
    const original = (target as Record<string, unknown>)[method];
    if (typeof original !== 'function') {
      fail('TT_INVALID_OPTION', `instrumentMethods: "${method}" is not a method of the target`);
    }
    const value = options.methodValue?.(method) ?? method;
    const cache = new Map<string, Handles>();
    const handlesFor = (outcome: string): Handles => {
      let h = cache.get(outcome);
      if (h === undefined) {
        const resolve = <H>(
          m: { labelNames: LabelNames; labels: (...a: never[]) => H } | undefined,
        ): H | undefined => {
          if (m === undefined) return undefined;
          const l: Record<string, LabelValue> = {};
          for (const name of m.labelNames) {
            if (name === methodLabel) l[name] = value;
            else if (name === outcomeLabel) l[name] = outcome;
            else {
              const v = options.labels?.[name];
              if (v === undefined) {
                fail(
                  'TT_MISSING_LABEL',
                  `instrumentMethods: metric label "${name}" has no value; add it to options.labels`,
                );
              }
              l[name] = v;
            }
          }
          return m.labelNames.length === 0
            ? (m.labels as () => H)()
            : (m.labels as (l: AnyLabels) => H)(l);
        };
        h = {};
        const d = resolve(options.duration as never);
        if (d !== undefined) h.duration = d as HistogramHandle;
        const t = resolve(options.total as never);
        if (t !== undefined) h.total = t as CounterHandle;
        if (outcome !== 'success') {
          const e = resolve(options.errors as never);
          if (e !== undefined) h.errors = e as CounterHandle;
        }
        cache.set(outcome, h);
      }
      return h;
    };
    // Resolve the success handles now, so a wrong label fails at wrap time, not on first call.
    const ok = handlesFor('success');
    const done = (h: Handles, start: number): void => {
      h.duration?.observe((performance.now() - start) / 1000);
      h.total?.inc();
      h.errors?.inc();
    };
    const fn = original as (...args: unknown[]) => unknown;
    wrapped.set(method, function instrumented(...args: unknown[]): unknown {
      const start = performance.now();
      let result: unknown;
      try {
        result = fn.apply(target, args);
      } catch (err) {
        done(handlesFor(classify(err)), start);
        throw err;
      }
      if (isThenable(result)) {
        return Promise.resolve(result).then(
          (v) => {
            done(ok, start);
            return v;
          },
          (err: unknown) => {
            done(handlesFor(classify(err)), start);
            throw err;
          },
        );
      }
      done(ok, start);
      return result;
    });
  }
  // A Proxy, not a subclass or Object.create: every other property reads and writes the target
  // itself, and other methods run with `this` = target, so state they set and `#private` fields
  // behave exactly as on the unwrapped object. Bound methods are cached per property.
  const bound = new Map<PropertyKey, { readonly orig: unknown; readonly fn: unknown }>();
  return new Proxy(target, {
    get(t, p) {
      const w = wrapped.get(p);
      if (w !== undefined) return w;
      const v: unknown = Reflect.get(t, p, t);
      if (typeof v !== 'function') return v;
      const cached = bound.get(p);
      if (cached !== undefined && cached.orig === v) return cached.fn;
      const fn = (v as (...a: unknown[]) => unknown).bind(t);
      bound.set(p, { orig: v, fn });
      return fn;
    },
  });
}
