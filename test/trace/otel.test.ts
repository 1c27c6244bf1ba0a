// The OpenTelemetry bridge against the real SDK (BasicTracerProvider + InMemorySpanExporter): names, kinds, parents, attributes, status and shared ids.
import assert from 'node:assert/strict';
import { AsyncLocalStorage } from 'node:async_hooks';
import { after, beforeEach, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type Context,
  type ContextManager,
  context,
  ROOT_CONTEXT,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import {
  AlwaysOffSampler,
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { currentContext, logContextFields } from '../../src/context/index.js';
import {
  createTelemetry,
  defaultTelemetry,
  span,
  startRequestSpan,
} from '../../src/trace/index.js';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT = '00f067aa0ba902b7';

/** A minimal AsyncLocalStorage context manager (what @opentelemetry/context-async-hooks provides). */
class AlsContextManager implements ContextManager {
  private readonly als = new AsyncLocalStorage<Context>();
  active(): Context {
    return this.als.getStore() ?? ROOT_CONTEXT;
  }
  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    ctx: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    return this.als.run(ctx, () => fn.apply(thisArg, args));
  }
  bind<T>(_ctx: Context, target: T): T {
    return target;
  }
  enable(): this {
    return this;
  }
  disable(): this {
    this.als.disable();
    return this;
  }
}

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
// Registered before telltale's first span: the bridge finds it on its own.
trace.setGlobalTracerProvider(provider);

function finished(): ReadableSpan[] {
  return exporter.getFinishedSpans();
}
function byName(name: string): ReadableSpan {
  const s = finished().find((x) => x.name === name);
  assert.ok(s, `span ${name} exported`);
  return s;
}

beforeEach(() => exporter.reset());
after(async () => {
  await provider.shutdown();
  trace.disable();
  context.disable();
});

describe('OpenTelemetry bridge (no OTel context manager)', () => {
  it('exports each span with its name, kind, attributes and telltale ids', async () => {
    let ids: { traceId: string; spanId: string } | undefined;
    await span('work', { 'app.user': 'u1', n: 3, ok: true, skipped: undefined }, async (s) => {
      ids = { traceId: s.context.traceId, spanId: s.context.spanId };
      s.setAttribute('late', 'yes');
      await sleep(1);
    });
    const w = byName('work');
    assert.equal(w.kind, 0);
    assert.deepEqual(w.attributes, { 'app.user': 'u1', n: 3, ok: true, late: 'yes' });
    // Telltale adopts the OTel span's ids: log lines, exemplars and the trace backend agree.
    assert.equal(w.spanContext().traceId, ids?.traceId);
    assert.equal(w.spanContext().spanId, ids?.spanId);
    assert.equal(w.parentSpanContext, undefined);
    assert.equal(w.status.code, SpanStatusCode.UNSET);
    assert.equal(w.instrumentationScope.name, 'telltale');
  });

  it('parents follow telltale nesting across awaits (the SDK alone has no context manager)', async () => {
    await span('root', async (root) => {
      await sleep(1);
      await span('child', async (child) => {
        await sleep(1);
        span('grandchild', () => {
          assert.equal(currentContext()?.parentSpanId, child.context.spanId);
        });
      });
      assert.equal(currentContext(), root.context);
    });
    const root = byName('root');
    const child = byName('child');
    const grandchild = byName('grandchild');
    const traceId = root.spanContext().traceId;
    for (const s of [child, grandchild]) assert.equal(s.spanContext().traceId, traceId);
    assert.equal(child.parentSpanContext?.spanId, root.spanContext().spanId);
    assert.equal(grandchild.parentSpanContext?.spanId, child.spanContext().spanId);
  });

  it('errors end the OTel span with status ERROR, the message and an exception event', async () => {
    await assert.rejects(
      span('fails', async () => {
        throw new RangeError('out of range');
      }),
    );
    const s = byName('fails');
    assert.equal(s.status.code, SpanStatusCode.ERROR);
    assert.equal(s.status.message, 'out of range');
    assert.equal(s.events[0]?.name, 'exception');
    assert.equal(s.events[0]?.attributes?.['exception.type'], 'RangeError');
  });

  it('a request span continues the incoming traceparent as a remote parent, kind SERVER', () => {
    const req = startRequestSpan(
      'GET /users/:id',
      { requestId: 'r-1', traceparent: `00-${TRACE}-${PARENT}-01`, tracestate: 'vendor=abc' },
      { 'http.request.method': 'GET' },
    );
    req.run(() => span('handler', () => {}));
    req.updateName('GET /users/:id (matched)');
    req.end('HTTP 503');
    const s = byName('GET /users/:id (matched)');
    assert.equal(s.kind, 1);
    assert.equal(s.spanContext().traceId, TRACE);
    assert.equal(s.parentSpanContext?.spanId, PARENT);
    assert.equal(s.parentSpanContext?.isRemote, true);
    assert.equal(s.spanContext().traceState?.get('vendor'), 'abc');
    assert.equal(s.status.code, SpanStatusCode.ERROR);
    assert.equal(s.status.message, 'HTTP 503');
    assert.equal(req.context.traceId, TRACE);
    assert.equal(req.context.parentSpanId, PARENT);
    assert.equal(req.context.requestId, 'r-1');
    assert.equal(byName('handler').parentSpanContext?.spanId, req.context.spanId);
  });

  it('log fields carry the OTel ids', () => {
    const fields = span('logged', () => logContextFields());
    const s = byName('logged');
    assert.equal(fields?.trace_id, s.spanContext().traceId);
    assert.equal(fields?.span_id, s.spanContext().spanId);
  });

  it('a sampler that drops the trace: telltale keeps valid ids, sampled false, nothing exported', () => {
    const offExporter = new InMemorySpanExporter();
    const off = new BasicTracerProvider({
      sampler: new AlwaysOffSampler(),
      spanProcessors: [new SimpleSpanProcessor(offExporter)],
    });
    trace.disable();
    trace.setGlobalTracerProvider(off);
    // A telemetry keeps the tracer it found until asked to look again.
    const tel = createTelemetry();
    tel.span('warm', () => {});
    try {
      defaultTelemetry().refreshOpenTelemetry();
      const c = span('dropped', (s) => s.context);
      assert.match(c.traceId, /^[0-9a-f]{32}$/);
      assert.notEqual(c.traceId, '0'.repeat(32));
      assert.equal(c.sampled, false);
      assert.equal(offExporter.getFinishedSpans().length, 0);
    } finally {
      trace.disable();
      trace.setGlobalTracerProvider(provider);
      defaultTelemetry().refreshOpenTelemetry();
    }
    tel.refreshOpenTelemetry();
    tel.span('found-again', () => {});
    assert.deepEqual(
      finished().map((s) => s.name),
      ['found-again'],
    );
  });

  it('openTelemetry: false keeps one telemetry’s spans out; another’s still go', () => {
    const off = createTelemetry({ tracing: { openTelemetry: false } });
    off.span('not-exported', () => {});
    off.refreshOpenTelemetry(); // does nothing when off
    off.span('still-not-exported', () => {});
    span('exported', () => {});
    assert.deepEqual(
      finished().map((s) => s.name),
      ['exported'],
    );
  });

  it('startSpan with a parent context made without OTel keeps its trace id', () => {
    const plain = createTelemetry({ tracing: { openTelemetry: false } }).startSpan('plain');
    // A plain startSpan() under `plain` would belong to plain's telemetry (bridge off): choose one.
    const child = defaultTelemetry().startSpan('child-of-plain', undefined, {
      parent: plain.context,
    });
    child.end();
    plain.end();
    const s = byName('child-of-plain');
    assert.equal(s.spanContext().traceId, plain.context.traceId);
    assert.equal(s.parentSpanContext?.spanId, plain.context.spanId);
  });
});

describe('OpenTelemetry bridge with an OTel context manager', () => {
  it('an active OTel span is the parent of a telltale span, and a telltale span of an OTel span inside it', async () => {
    context.setGlobalContextManager(new AlsContextManager());
    try {
      const tracer = trace.getTracer('user-code');
      await tracer.startActiveSpan('user-outer', async (outer) => {
        await span('telltale-mid', async () => {
          await sleep(1);
          tracer.startActiveSpan('user-inner', (inner) => inner.end());
        });
        outer.end();
      });
      const outer = byName('user-outer');
      const mid = byName('telltale-mid');
      const inner = byName('user-inner');
      assert.equal(mid.parentSpanContext?.spanId, outer.spanContext().spanId);
      assert.equal(inner.parentSpanContext?.spanId, mid.spanContext().spanId);
      assert.equal(inner.spanContext().traceId, outer.spanContext().traceId);
    } finally {
      context.disable();
    }
  });
});
