// The OpenTelemetry bridge picks up a provider registered after telltale's first span, within a second of the span clock.
import assert from 'node:assert/strict';
import { after, it } from 'node:test';
import { trace } from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { createTelemetry } from '../../src/trace/index.js';

after(() => trace.disable());

it('no provider: spans are telltale-only; a late provider is found at the next check (1 s later)', () => {
  let t = 0;
  const tel = createTelemetry({ tracing: { now: () => t } });
  const first = tel.span('before', (s) => s.context.traceId);
  assert.match(first, /^[0-9a-f]{32}$/);

  const exporter = new InMemorySpanExporter();
  trace.setGlobalTracerProvider(
    new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }),
  );
  t = 999;
  tel.span('too-soon', () => {});
  assert.equal(exporter.getFinishedSpans().length, 0);
  t = 1000;
  const ids = tel.span('found', (s) => s.context);
  const exported = exporter.getFinishedSpans();
  assert.deepEqual(
    exported.map((s) => s.name),
    ['found'],
  );
  assert.equal(exported[0]?.spanContext().traceId, ids.traceId);
  assert.equal(exported[0]?.spanContext().spanId, ids.spanId);
});
