// Serves 100,000 series over HTTP and measures the longest event-loop block: the body must stream in many chunks.
import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { encodeText } from '../../src/exposition/index.js';
import { createMetricsHandler } from '../../src/server/index.js';
import { bigFamilies, fetchRaw, StaticGatherer, serve } from './fixtures.js';

const SERIES = 100_000;

/** Runs `fn` while measuring the longest gap between 1 ms interval ticks and the loop-delay max. */
async function measureBlocking<T>(
  fn: () => Promise<T>,
): Promise<{ result: T; maxGapMs: number; histMaxMs: number }> {
  const hist = monitorEventLoopDelay({ resolution: 1 });
  let last = performance.now();
  let maxGapMs = 0;
  const tick = setInterval(() => {
    const now = performance.now();
    maxGapMs = Math.max(maxGapMs, now - last);
    last = now;
  }, 1);
  hist.enable();
  try {
    const result = await fn();
    return { result, maxGapMs, histMaxMs: hist.max / 1e6 };
  } finally {
    hist.disable();
    clearInterval(tick);
  }
}

describe('100,000 series over HTTP', () => {
  const families = bigFamilies(SERIES);
  const expected = encodeText(families);

  for (const gzip of [false, true]) {
    it(`streams in many chunks${gzip ? ' (gzip)' : ''}`, async (t) => {
      const handler = createMetricsHandler({
        registry: new StaticGatherer(families),
        selfMetrics: false,
      });
      let writes = 0;
      const s = await serve((req, res: ServerResponse) => {
        const write = res.write.bind(res) as (chunk: unknown) => boolean;
        res.write = ((chunk: unknown) => {
          writes++;
          return write(chunk);
        }) as typeof res.write;
        handler(req, res);
      });
      try {
        const headers: Record<string, string> = gzip ? { 'accept-encoding': 'gzip' } : {};
        // Twice: the first scrape in a process pays for JIT warm-up and GC of the fixture.
        for (const run of ['first', 'second']) {
          writes = 0;
          const t0 = performance.now();
          const { result, maxGapMs, histMaxMs } = await measureBlocking(() =>
            fetchRaw(`${s.base}/metrics`, { headers }),
          );
          const elapsed = performance.now() - t0;
          assert.equal(result.status, 200);
          const body = gzip ? gunzipSync(result.body).toString('utf8') : result.text;
          assert.equal(body.length, expected.length);
          assert.equal(body, expected);
          // Streaming, not one big write: about 64 Ki UTF-16 units per chunk.
          assert.ok(writes > 1, `expected more than one write, got ${writes}`);
          t.diagnostic(
            `${run} scrape: ${SERIES} series, ${(result.body.length / 1e6).toFixed(2)} MB on the wire${gzip ? ' (gzip)' : ''}, ${writes} writes, ${elapsed.toFixed(0)} ms; longest event-loop block ${maxGapMs.toFixed(1)} ms (1 ms interval gap), ${histMaxMs.toFixed(1)} ms (monitorEventLoopDelay max)`,
          );
        }
      } finally {
        await s.close();
      }
    });
  }

  it('regression: yields a full event-loop turn between chunks even when drain comes on nextTick', async () => {
    // Fast loopback writes complete synchronously and emit 'drain' on process.nextTick; a loop
    // that only awaited 'drain' never let timers or I/O run until the whole body was out.
    const handler = createMetricsHandler({
      registry: new StaticGatherer(bigFamilies(20_000)),
      selfMetrics: false,
    });
    let turns = 0;
    let spinning = true;
    const spin = (): void => {
      turns++;
      if (spinning) setImmediate(spin);
    };
    const seen: number[] = [];
    const s = await serve((req, res: ServerResponse) => {
      const write = res.write.bind(res) as (chunk: unknown) => boolean;
      res.write = ((chunk: unknown) => {
        seen.push(turns);
        return write(chunk);
      }) as typeof res.write;
      handler(req, res);
    });
    try {
      setImmediate(spin);
      const res = await fetchRaw(`${s.base}/metrics`);
      assert.equal(res.status, 200);
      assert.ok(seen.length > 3, `expected several writes, got ${seen.length}`);
      for (let i = 1; i < seen.length; i++) {
        assert.ok(seen[i]! > seen[i - 1]!, `no event-loop turn between writes ${i - 1} and ${i}`);
      }
    } finally {
      spinning = false;
      await s.close();
    }
  });

  it('for comparison: encoding the same set in one synchronous call', (t) => {
    const t0 = performance.now();
    const body = encodeText(families);
    const ms = performance.now() - t0;
    assert.equal(body.length, expected.length);
    t.diagnostic(`one-shot encodeText of ${SERIES} series blocks for ${ms.toFixed(1)} ms`);
  });
});
