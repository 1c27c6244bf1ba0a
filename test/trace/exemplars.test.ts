// Exemplars from a telemetry's spans: { trace_id } attached inside its spans and nowhere else, to its own registry only, one labels object per trace, OpenMetrics only, and a real Prometheus 2.42 storing them.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { runWithContext } from '../../src/context/index.js';
import { encodeOpenMetrics, encodeText } from '../../src/exposition/index.js';
import type { CounterFamily, HistogramFamily } from '../../src/metrics/index.js';
import { createNoopRegistry, createRegistry } from '../../src/metrics/index.js';
import { exemplarSlotOf, type Registry } from '../../src/metrics/registry.js';
import { createMetricsServer } from '../../src/server/index.js';
import {
  createTelemetry,
  span,
  startSpan,
  type Telemetry,
  type TracingOptions,
} from '../../src/trace/index.js';
import { startPrometheus } from '../helpers/index.js';

function slotOf(registry: Registry) {
  const slot = exemplarSlotOf(registry);
  assert.ok(slot);
  return slot;
}

const made: Registry[] = [];
afterEach(() => {
  for (const r of made.splice(0)) {
    assert.equal(slotOf(r).openSpans, 0, 'a test left a span open');
    assert.equal(slotOf(r).live, null);
  }
});

function setup(exemplars: TracingOptions['exemplars'] = true) {
  const registry = createRegistry();
  made.push(registry);
  const tel: Telemetry = createTelemetry({ registry, tracing: { exemplars } });
  const requests = registry.counter({ name: 'jobs', help: 'Jobs.', labelNames: ['kind'] });
  const other = registry.counter({ name: 'other', help: 'Other.' });
  const latency = registry.histogram({
    name: 'job_duration_seconds',
    help: 'Job latency.',
    buckets: [0.1, 1],
  });
  return { registry, tel, slot: slotOf(registry), requests, other, latency };
}

function families(registry: Registry) {
  const all = registry.gatherSync();
  const find = (name: string) => all.find((f) => f.name === name);
  return {
    jobs: find('jobs') as CounterFamily,
    other: find('other') as CounterFamily,
    hist: find('job_duration_seconds') as HistogramFamily,
  };
}

describe('tracing.exemplars', () => {
  it('a counter increment and a histogram observation inside a span attach { trace_id }', async () => {
    const { registry, tel, requests, latency } = setup();
    const traceId = await tel.span('job', async (s) => {
      requests.inc({ kind: 'a' });
      latency.observe(0.5);
      return s.context.traceId;
    });
    const { jobs, hist } = families(registry);
    assert.deepEqual(jobs.points[0]?.exemplar?.labels, { trace_id: traceId });
    assert.equal(jobs.points[0]?.exemplar?.value, 1);
    assert.deepEqual(hist.points[0]?.exemplars?.[1]?.labels, { trace_id: traceId });
    assert.equal(hist.points[0]?.exemplars?.[1]?.value, 0.5);
    assert.equal(hist.points[0]?.exemplars?.[0], null);
    const om = encodeOpenMetrics(registry.gatherSync());
    assert.match(om, new RegExp(`jobs_total\\{kind="a"\\} 1 # \\{trace_id="${traceId}"\\} 1 `));
    assert.match(
      om,
      new RegExp(`job_duration_seconds_bucket\\{le="1"\\} 1 # \\{trace_id="${traceId}"\\} 0.5 `),
    );
    // The Prometheus text format has no exemplars.
    const text = encodeText(registry.gatherSync());
    assert.doesNotMatch(text, /#\s*\{/);
    assert.doesNotMatch(text, /trace_id/);
  });

  it('outside a span nothing is attached', () => {
    const { registry, requests, latency } = setup();
    requests.inc({ kind: 'a' });
    latency.observe(0.05);
    assert.doesNotMatch(encodeOpenMetrics(registry.gatherSync()), /trace_id/);
  });

  it('off by default: spans of a telemetry without exemplars attach nothing', () => {
    const { registry, tel, other } = setup(false);
    tel.span('job', () => other.inc());
    span('default-telemetry', () => other.inc());
    assert.doesNotMatch(encodeOpenMetrics(registry.gatherSync()), /trace_id/);
  });

  it('a request context without a span attaches nothing while no span is open (exemplars follow spans)', () => {
    const { registry, tel, slot, other } = setup();
    const ctx = tel.createRequestContext({});
    runWithContext(ctx, () => other.inc());
    assert.equal(slot.live, null);
    assert.doesNotMatch(encodeOpenMetrics(registry.gatherSync()), /trace_id/);
    // While one of the telemetry's spans is open, the source reads the active context.
    const s = tel.startSpan('elsewhere');
    try {
      runWithContext(ctx, () => other.inc());
    } finally {
      s.end();
    }
    assert.match(encodeOpenMetrics(registry.gatherSync()), new RegExp(`trace_id="${ctx.traceId}"`));
  });

  it('the labels object is made once per trace: shared by updates and by child spans', () => {
    const { registry, tel, requests, other, latency } = setup();
    tel.span('parent', () => {
      requests.inc({ kind: 'a' });
      // A plain span() inside belongs to the parent's telemetry.
      span('child', () => {
        other.inc();
        latency.observe(0.01);
      });
    });
    const { jobs, other: oth, hist } = families(registry);
    const a = jobs.points[0]?.exemplar?.labels;
    assert.ok(a);
    assert.equal(oth.points[0]?.exemplar?.labels, a);
    assert.equal(hist.points[0]?.exemplars?.[0]?.labels, a);
    assert.ok(Object.isFrozen(a));
  });

  it('sampledOnly skips unsampled traces', () => {
    const { registry, tel, other } = setup({ sampledOnly: true });
    const unsampled = tel.startRequestSpan('GET /', {
      traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00',
    });
    unsampled.run(() => other.inc());
    unsampled.end();
    assert.doesNotMatch(encodeOpenMetrics(registry.gatherSync()), /trace_id/);
    const sampled = tel.startRequestSpan('GET /', {
      traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    });
    sampled.run(() => other.inc());
    sampled.end();
    assert.match(
      encodeOpenMetrics(registry.gatherSync()),
      /trace_id="4bf92f3577b34da6a3ce929d0e0e4736"/,
    );
  });
});

describe('exemplars belong to one telemetry and its registry', () => {
  it('inside A’s span, B’s registry (exemplars off) gets none, and A’s gets A’s trace', () => {
    const a = setup();
    const b = setup(false);
    const traceId = a.tel.span('a-job', (s) => {
      a.other.inc();
      b.other.inc();
      return s.context.traceId;
    });
    assert.deepEqual(families(a.registry).other.points[0]?.exemplar?.labels, {
      trace_id: traceId,
    });
    assert.equal(families(b.registry).other.points[0]?.exemplar, undefined);
    assert.equal(b.slot.live, null);
  });

  it('B’s spans (exemplars off) do not make A’s source live', () => {
    const a = setup();
    const b = setup(false);
    b.tel.span('b-job', () => {
      assert.equal(a.slot.live, null);
      a.other.inc();
    });
    assert.doesNotMatch(encodeOpenMetrics(a.registry.gatherSync()), /trace_id/);
  });

  it('two telemetries with exemplars on one registry share its count; a different sampledOnly is refused', () => {
    const a = setup();
    const second = createTelemetry({ registry: a.registry, tracing: { exemplars: true } });
    const sa = a.tel.startSpan('a');
    const sb = second.startSpan('b');
    assert.equal(a.slot.openSpans, 2);
    sa.end();
    assert.notEqual(a.slot.live, null, 'b is still open');
    sb.end();
    assert.equal(a.slot.live, null);
    assert.throws(
      () =>
        createTelemetry({ registry: a.registry, tracing: { exemplars: { sampledOnly: true } } }),
      {
        code: 'TT_INVALID_OPTION',
        message:
          'TT_INVALID_OPTION: createTelemetry: another telemetry already attaches exemplars to this registry with sampledOnly: false; one registry attaches them one way, so use the same setting',
      },
    );
  });

  it('a no-op registry has no exemplar hook: exemplars on it are accepted and attach nothing', () => {
    const tel = createTelemetry({ registry: createNoopRegistry(), tracing: { exemplars: true } });
    assert.equal(exemplarSlotOf(tel.registry), undefined);
    tel.span('x', () => tel.registry.counter({ name: 'n', help: 'N.' }).inc());
  });
});

describe('the source is live only while one of the telemetry’s spans is open', () => {
  it('no span: null; inside a span: live and attaches { trace_id }; after: null again', () => {
    const { registry, tel, slot, other } = setup();
    assert.equal(slot.live, null);
    const traceId = tel.span('one', (s) => {
      assert.notEqual(slot.live, null);
      other.inc();
      return s.context.traceId;
    });
    assert.equal(slot.live, null);
    assert.deepEqual(families(registry).other.points[0]?.exemplar?.labels, { trace_id: traceId });
  });

  it('nested and concurrent async spans keep it live until the last one ends', async () => {
    const { registry, tel, slot, requests } = setup();
    let releaseA!: () => void;
    let releaseB!: () => void;
    const gateA = new Promise<void>((r) => {
      releaseA = r;
    });
    const gateB = new Promise<void>((r) => {
      releaseB = r;
    });
    const a = tel.span('a', async (s) => {
      await span('a.child', async () => {
        await gateA;
      });
      return s.context.traceId;
    });
    const b = tel.span('b', async (s) => {
      await gateB;
      requests.inc({ kind: 'b' });
      return s.context.traceId;
    });
    assert.equal(slot.openSpans, 3);
    assert.notEqual(slot.live, null);
    releaseA();
    await a;
    assert.equal(slot.openSpans, 1);
    assert.notEqual(slot.live, null);
    releaseB();
    const tb = await b;
    assert.equal(slot.openSpans, 0);
    assert.equal(slot.live, null);
    assert.deepEqual(families(registry).jobs.points[0]?.exemplar?.labels, { trace_id: tb });
  });

  it('a throwing or rejecting span still decrements; ending twice decrements once', async () => {
    const { tel, slot } = setup();
    assert.throws(() =>
      tel.span('boom', () => {
        throw new Error('boom');
      }),
    );
    assert.equal(slot.openSpans, 0);
    assert.equal(slot.live, null);
    await assert.rejects(tel.span('reject', () => Promise.reject(new Error('no'))));
    assert.equal(slot.openSpans, 0);
    const outer = tel.startSpan('outer');
    const s = tel.startSpan('manual');
    s.end();
    s.end(new Error('again'));
    assert.equal(slot.openSpans, 1, 'only the first end() counts');
    assert.notEqual(slot.live, null);
    outer.end();
    assert.equal(slot.live, null);
    const r = tel.startRequestSpan('GET /');
    assert.notEqual(slot.live, null);
    r.end('HTTP 500');
    assert.equal(slot.live, null);
    // Spans of the default telemetry are not counted here.
    startSpan('default').end();
    assert.equal(slot.openSpans, 0);
  });

  it('an update in a continuation that runs after every span has ended attaches nothing', async () => {
    const { registry, tel, other } = setup();
    let later!: Promise<void>;
    tel.span('short', () => {
      later = new Promise<void>((r) => setImmediate(r)).then(() => other.inc());
    });
    await later;
    assert.doesNotMatch(encodeOpenMetrics(registry.gatherSync()), /trace_id/);
  });
});

describe('exemplars in a real Prometheus 2.42', { timeout: 60_000 }, () => {
  it('--enable-feature=exemplar-storage: query_exemplars returns the exact trace_id', async (t) => {
    const { registry, tel, latency } = setup();
    const traceId = await tel.span('job', async (s) => {
      latency.observe(0.42);
      return s.context.traceId;
    });
    const server = await createMetricsServer({ registry, port: 0 });
    if (!server.enabled) throw new Error('expected a running server');
    t.after(() => server.close());
    const prom = await startPrometheus({
      targets: [{ port: server.port }],
      extraFlags: ['--enable-feature=exemplar-storage'],
    });
    t.after(() => prom.stop());
    await prom.waitForHealthyTarget();
    const series = await prom.queryExemplars('job_duration_seconds_bucket');
    assert.equal(series.length, 1, JSON.stringify(series));
    assert.equal(series[0]?.seriesLabels.le, '1');
    assert.equal(series[0]?.exemplars.length, 1);
    assert.deepEqual(series[0]?.exemplars[0]?.labels, { trace_id: traceId });
    assert.equal(series[0]?.exemplars[0]?.value, 0.42);
  });
});
