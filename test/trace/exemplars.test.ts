// Exemplars from spans: { trace_id } attached inside a span and nowhere else, one labels object per trace, OpenMetrics only, and a real Prometheus 2.42 storing them.
import assert from 'node:assert/strict';
import { after, afterEach, describe, it } from 'node:test';
import { encodeOpenMetrics, encodeText } from '../../src/exposition/index.js';
import { exemplarSource, setExemplarSource } from '../../src/internal/exemplar-source.js';
import type { CounterFamily, HistogramFamily } from '../../src/metrics/index.js';
import { createRegistry } from '../../src/metrics/index.js';
import { createMetricsServer } from '../../src/server/index.js';
import { openSpanCount } from '../../src/trace/exemplars.js';
import {
  configureTracing,
  createRequestContext,
  enableExemplars,
  runWithContext,
  span,
  startRequestSpan,
  startSpan,
} from '../../src/trace/index.js';
import { startPrometheus } from '../helpers/index.js';

let disable: (() => void) | undefined;
afterEach(() => {
  disable?.();
  disable = undefined;
  assert.equal(openSpanCount(), 0, 'a test left a span open');
  assert.equal(exemplarSource, null);
});

function setup() {
  const registry = createRegistry();
  const requests = registry.counter({ name: 'jobs', help: 'Jobs.', labelNames: ['kind'] });
  const other = registry.counter({ name: 'other', help: 'Other.' });
  const latency = registry.histogram({
    name: 'job_duration_seconds',
    help: 'Job latency.',
    buckets: [0.1, 1],
  });
  return { registry, requests, other, latency };
}

function families(registry: ReturnType<typeof createRegistry>) {
  const all = registry.gatherSync();
  const find = (name: string) => all.find((f) => f.name === name);
  return {
    jobs: find('jobs') as CounterFamily,
    other: find('other') as CounterFamily,
    hist: find('job_duration_seconds') as HistogramFamily,
  };
}

describe('enableExemplars()', () => {
  it('a counter increment and a histogram observation inside a span attach { trace_id }', async () => {
    disable = enableExemplars();
    const { registry, requests, latency } = setup();
    const traceId = await span('job', async (s) => {
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
    disable = enableExemplars();
    const { registry, requests, latency } = setup();
    requests.inc({ kind: 'a' });
    latency.observe(0.05);
    assert.doesNotMatch(encodeOpenMetrics(registry.gatherSync()), /trace_id/);
  });

  it('a request context without a span attaches nothing while no span is open (exemplars follow spans)', () => {
    disable = enableExemplars();
    const { registry, other } = setup();
    const ctx = createRequestContext({});
    runWithContext(ctx, () => other.inc());
    assert.equal(exemplarSource, null);
    assert.doesNotMatch(encodeOpenMetrics(registry.gatherSync()), /trace_id/);
    // While a span is open somewhere, the installed source reads the active context as before.
    const s = startSpan('elsewhere');
    try {
      runWithContext(ctx, () => other.inc());
    } finally {
      s.end();
    }
    assert.match(encodeOpenMetrics(registry.gatherSync()), new RegExp(`trace_id="${ctx.traceId}"`));
  });

  it('the labels object is made once per trace: shared by updates and by child spans', () => {
    disable = enableExemplars();
    const { registry, requests, other, latency } = setup();
    span('parent', () => {
      requests.inc({ kind: 'a' });
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

  it('sampledOnly skips unsampled traces; the returned function restores the previous source', () => {
    disable = enableExemplars({ sampledOnly: true });
    const { registry, other } = setup();
    const unsampled = startRequestSpan('GET /', {
      traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00',
    });
    unsampled.run(() => other.inc());
    unsampled.end();
    assert.doesNotMatch(encodeOpenMetrics(registry.gatherSync()), /trace_id/);
    disable();
    disable = undefined;
    span('after-disable', () => other.inc());
    assert.doesNotMatch(encodeOpenMetrics(registry.gatherSync()), /trace_id/);
  });
});

describe('the exemplar source is installed only while a span is open', () => {
  it('no span: null; inside span(): set and attaches { trace_id }; after: null again', () => {
    disable = enableExemplars();
    assert.equal(exemplarSource, null);
    const { registry, other } = setup();
    const traceId = span('one', (s) => {
      assert.notEqual(exemplarSource, null);
      other.inc();
      return s.context.traceId;
    });
    assert.equal(exemplarSource, null);
    assert.deepEqual(families(registry).other.points[0]?.exemplar?.labels, { trace_id: traceId });
  });

  it('nested and concurrent async spans keep it installed until the last one ends', async () => {
    disable = enableExemplars();
    const { registry, requests } = setup();
    let releaseA!: () => void;
    let releaseB!: () => void;
    const gateA = new Promise<void>((r) => {
      releaseA = r;
    });
    const gateB = new Promise<void>((r) => {
      releaseB = r;
    });
    const a = span('a', async (s) => {
      await span('a.child', async () => {
        await gateA;
      });
      return s.context.traceId;
    });
    const b = span('b', async (s) => {
      await gateB;
      requests.inc({ kind: 'b' });
      return s.context.traceId;
    });
    assert.equal(openSpanCount(), 3);
    assert.notEqual(exemplarSource, null);
    releaseA();
    await a;
    assert.equal(openSpanCount(), 1);
    assert.notEqual(exemplarSource, null);
    releaseB();
    const tb = await b;
    assert.equal(openSpanCount(), 0);
    assert.equal(exemplarSource, null);
    assert.deepEqual(families(registry).jobs.points[0]?.exemplar?.labels, { trace_id: tb });
  });

  it('a throwing or rejecting span still decrements; ending twice decrements once', async () => {
    disable = enableExemplars();
    assert.throws(() =>
      span('boom', () => {
        throw new Error('boom');
      }),
    );
    assert.equal(openSpanCount(), 0);
    assert.equal(exemplarSource, null);
    await assert.rejects(span('reject', () => Promise.reject(new Error('no'))));
    assert.equal(openSpanCount(), 0);
    const outer = startSpan('outer');
    const s = startSpan('manual');
    s.end();
    s.end(new Error('again'));
    assert.equal(openSpanCount(), 1, 'only the first end() counts');
    assert.notEqual(exemplarSource, null);
    outer.end();
    assert.equal(exemplarSource, null);
    const r = startRequestSpan('GET /');
    assert.notEqual(exemplarSource, null);
    r.end('HTTP 500');
    assert.equal(exemplarSource, null);
  });

  it('an update in a continuation that runs after every span has ended attaches nothing', async () => {
    disable = enableExemplars();
    const { registry, other } = setup();
    let later!: Promise<void>;
    span('short', () => {
      later = new Promise<void>((r) => setImmediate(r)).then(() => other.inc());
    });
    await later;
    assert.doesNotMatch(encodeOpenMetrics(registry.gatherSync()), /trace_id/);
  });

  it('enabled while a span is open: installed at once; disable() while open leaves no source after it ends', () => {
    const s = startSpan('open-first');
    disable = enableExemplars();
    assert.notEqual(exemplarSource, null);
    disable();
    disable = undefined;
    assert.equal(exemplarSource, null);
    s.end();
    assert.equal(exemplarSource, null);
    // And the other order: disabled after the span ended.
    disable = enableExemplars();
    const t2 = startSpan('two');
    t2.end();
    disable();
    disable = undefined;
    assert.equal(exemplarSource, null);
  });

  it('disable() restores a source installed before, span open or not; stacked enables unwind', () => {
    const mine = () => ({ trace_id: 'external' });
    const prev = setExemplarSource(mine);
    try {
      const d1 = enableExemplars();
      assert.equal(
        exemplarSource,
        null,
        'no span: nothing installed, not even the previous source',
      );
      const d2 = enableExemplars({ sampledOnly: true });
      const s = startSpan('open');
      const installed = exemplarSource;
      assert.ok(installed !== null && installed !== mine);
      d2();
      assert.ok(exemplarSource !== null && exemplarSource !== installed && exemplarSource !== mine);
      d1();
      assert.equal(exemplarSource, mine);
      s.end();
      assert.equal(
        exemplarSource,
        mine,
        'a span ending after disable() leaves the restored source',
      );
      const d3 = enableExemplars();
      const s3 = startSpan('open-again');
      d3();
      assert.equal(exemplarSource, mine);
      s3.end();
      assert.equal(exemplarSource, mine);
    } finally {
      setExemplarSource(prev);
    }
  });
});

describe('exemplars in a real Prometheus 2.42', { timeout: 60_000 }, () => {
  after(() => configureTracing({ logger: null }));

  it('--enable-feature=exemplar-storage: query_exemplars returns the exact trace_id', async (t) => {
    disable = enableExemplars();
    const { registry, latency } = setup();
    const traceId = await span('job', async (s) => {
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
