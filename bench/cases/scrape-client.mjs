// Worker thread: the HTTP client for cases/scrape.mjs, so fetching and checking the body never
// runs on the server's event loop.
import { parentPort } from 'node:worker_threads';
import { checkCounterText } from './parse.mjs';

parentPort.on('message', async ({ url, series, total, check }) => {
  try {
    const start = performance.now();
    // identity: every library then sends the same uncompressed text (telltale would gzip for a client that asks).
    const res = await fetch(url, { headers: { 'accept-encoding': 'identity' } });
    const body = await res.text();
    const ms = performance.now() - start;
    if (res.status !== 200) throw new Error(`scrape answered ${res.status}`);
    if (check) checkCounterText(body, series, total);
    parentPort.postMessage({
      ms,
      bytes: Buffer.byteLength(body),
      contentType: res.headers.get('content-type'),
    });
  } catch (err) {
    parentPort.postMessage({ error: String(err?.stack ?? err) });
  }
});
