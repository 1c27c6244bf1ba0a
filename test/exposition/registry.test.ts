// Encoders over a real registry's gather (not hand-built model data): both formats parse strictly and satisfy promtool and Python.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeOpenMetrics } from '../../src/exposition/openmetrics.js';
import { encodeText } from '../../src/exposition/text.js';
import { createRegistry } from '../../src/metrics/index.js';
import { parseOpenMetrics, parseText } from '../../src/testing/parse.js';
import {
  assertPromtoolClean,
  parseOpenMetrics as pythonOpenMetrics,
  parseText as pythonText,
} from '../helpers/index.js';
import { asPython } from './consumers.js';

const AWKWARD = ['plain', 'say "hi"', 'C:\\dir', 'two\nlines', 'Zürich 🚀', ''];

async function gathered() {
  const r = createRegistry({ now: () => 1_700_000_000_000 });
  const c = r.counter({ name: 'app_requests', help: 'Requests "served".', labelNames: ['path'] });
  for (const [i, path] of AWKWARD.entries()) c.inc({ path }, i + 1);
  c.labels({ path: '/traced' }).incWithExemplar(2, { trace_id: '4bf92f3577b34da6' });
  const g = r.gauge({ name: 'app_temperature_celsius', help: 'Heat.', unit: 'celsius' });
  g.set(Number.NaN);
  const h = r.histogram({
    name: 'app_latency_seconds',
    help: 'Latency.\nIn seconds.',
    unit: 'seconds',
    labelNames: ['route'],
    buckets: [0.01, 0.1, 1],
  });
  h.observe({ route: 'a\\b' }, 0.05);
  h.labels({ route: 'x' }).observeWithExemplar(3, { trace_id: 't' });
  const s = r.summary({ name: 'app_rpc_seconds', help: 'RPC.', quantiles: [0.5, 0.99] });
  s.observe(0.2);
  r.summary({ name: 'app_idle_seconds', help: 'Nothing observed.', quantiles: [0.5] });
  r.info({ name: 'app_build', help: 'Build.', labelNames: ['version'] }).set({ version: '1.0"' });
  r.stateSet({ name: 'app_mode', help: 'Mode.', states: ['on', 'off'] }).set('off');
  r.gauge({ name: 'app_unused', help: 'No series.', labelNames: ['x'] });
  return r.gather();
}

describe('encoders over a registry gather', () => {
  it('both formats parse strictly, and the values come back', async () => {
    const families = await gathered();
    const text = parseText(encodeText(families));
    const om = parseOpenMetrics(encodeOpenMetrics(families, { created: true }));
    const values = (fs: typeof text, name: string) =>
      fs
        .flatMap((f) => f.samples)
        .filter((x) => x.name === name)
        .map((x) => x.labels['path']);
    for (const fs of [text, om]) {
      assert.deepEqual(values(fs, 'app_requests_total').sort(), [...AWKWARD, '/traced'].sort());
    }
    const traced = om.flatMap((f) => f.samples).find((x) => x.labels['path'] === '/traced');
    assert.deepEqual(traced?.exemplar?.labels, { trace_id: '4bf92f3577b34da6' });
  });

  it('promtool accepts the text body with no findings', async () => {
    await assertPromtoolClean(encodeText(await gathered()));
  });

  it('Python reads both bodies as our parser does', async () => {
    const families = await gathered();
    const text = encodeText(families);
    const oms = [encodeOpenMetrics(families), encodeOpenMetrics(families, { created: true })];
    const [[t], om] = await Promise.all([pythonText([text]), pythonOpenMetrics(oms)]);
    assert.ok(t?.ok, JSON.stringify(t));
    assert.deepEqual(t.families, asPython(parseText(text), 'text'));
    for (const [i, r] of om.entries()) {
      assert.ok(r.ok, JSON.stringify(r));
      assert.deepEqual(r.families, asPython(parseOpenMetrics(oms[i]!), 'openmetrics'));
    }
  });
});
