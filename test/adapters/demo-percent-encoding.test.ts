// The demo process (examples/demo/main.ts) answers a malformed percent-encoding in the path with 400, as the agent does, and records it as unmatched.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { httpRequest, pollUntil } from '../helpers/index.js';
import { getFreePort } from '../helpers/ports.js';
import { spawnNodeTs } from '../helpers/process.js';

test('the demo answers 400 to /hello/%ZZ (it used to be a 500) and records GET unmatched 400', {
  timeout: 60_000,
}, async (t) => {
  const port = await getFreePort();
  const child = spawnNodeTs('examples/demo/main.ts', {
    env: { PORT: String(port), DRAIN_DELAY_MS: '0', LOG_LEVEL: 'warn', LOG_FORMAT: 'json' },
  });
  t.after(() => child.stop());
  const base = `http://127.0.0.1:${port}`;
  // Up once its liveness probe answers (not the banner, whose wording is not this test's subject).
  await pollUntil(
    async () => {
      try {
        return (await httpRequest(`${base}/health/live`)).status === 200 ? true : undefined;
      } catch {
        return undefined;
      }
    },
    { description: 'the demo answers /health/live', timeoutMs: 20_000, intervalMs: 100 },
  );

  for (const path of ['/hello/%ZZ', '/hello/%E0%A4%A', '/hello/%FF']) {
    const r = await httpRequest(`${base}${path}`, { headers: { 'x-request-id': 'bad-path' } });
    assert.equal(r.status, 400, path);
    assert.equal(r.body, 'Bad Request', path);
    assert.equal(r.headers['x-request-id'], 'bad-path', 'the request id is echoed');
  }
  // A valid escape still reaches the demo's handler, decoded.
  const ok = await httpRequest(`${base}/hello/caf%C3%A9`);
  assert.equal(ok.status, 200);
  assert.equal((JSON.parse(ok.body) as { greeting: string }).greeting, 'hello, café');

  const text = (await httpRequest(`${base}/metrics`)).body;
  assert.match(
    text,
    /^http_requests_total\{service="demo",method="GET",route="unmatched",status="400"\} 3$/m,
  );
  assert.doesNotMatch(text, /route="\/hello\/:name",status="500"/);
  assert.doesNotMatch(text, /%ZZ|%FF|%E0/, 'raw paths never become label values');
});
