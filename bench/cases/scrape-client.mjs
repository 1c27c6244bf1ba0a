// Worker thread: the HTTP client for cases/scrape.mjs, so fetching and checking the body never
// runs on the server's event loop.
import { parentPort } from 'node:worker_threads';
import { DEFAULT_BUCKETS } from './data.mjs';
import { checkCounterText, checkHistogramText } from './parse.mjs';

parentPort.on('message', async ({ url, kind, series, total, count, concurrency }) => {
  try {
    const start = performance.now();
    // identity: every library then sends the same uncompressed text (telltale would gzip for a client that asks).
    const one = async () => {
      const res = await fetch(url, { headers: { 'accept-encoding': 'identity' } });
      const body = await res.text();
      if (res.status !== 200) throw new Error(`scrape answered ${res.status}`);
      return { body, contentType: res.headers.get('content-type') };
    };
    const answers = await Promise.all(Array.from({ length: concurrency }, one));
    const ms = performance.now() - start;
    // Every body is checked: the totals include the server's bump before this scrape, so a body
    // served from a stale gather fails. (Concurrent bodies may differ in a library's own
    // self-metrics, so each is checked rather than compared.)
    for (const { body } of answers) {
      if (kind === 'counters') checkCounterText(body, series, total);
      else checkHistogramText(body, series, count, total, DEFAULT_BUCKETS.length);
    }
    const body = answers[0].body;
    parentPort.postMessage({
      ms,
      bytes: Buffer.byteLength(body),
      contentType: answers[0].contentType,
    });
  } catch (err) {
    parentPort.postMessage({ error: String(err?.stack ?? err) });
  }
});
