// The main job as a user runs it: the demo process serves its API, probes and /metrics on one port, and shuts down gracefully on SIGTERM.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { getFreePort } from '../helpers/ports.js';
import { spawnNodeTs } from '../helpers/process.js';
import { assertPromtoolClean } from '../helpers/promtool.js';

test('the demo process: API with request ids, probes, runtime and HTTP metrics, graceful SIGTERM', {
  timeout: 60_000,
}, async (t) => {
  const port = await getFreePort();
  const child = spawnNodeTs('examples/demo/main.ts', {
    env: { PORT: String(port), DRAIN_DELAY_MS: '0', LOG_LEVEL: 'info', LOG_FORMAT: 'json' },
  });
  t.after(() => child.stop());
  await child.waitForLine(/telltale demo: metrics at http:\/\/127\.0\.0\.1:\d+\/metrics/, 20_000);
  const base = `http://127.0.0.1:${port}`;

  // The API echoes a valid request id and replaces an injected one.
  const hello = await fetch(`${base}/hello/ada`, { headers: { 'x-request-id': 'req-42' } });
  assert.equal(hello.status, 200);
  assert.equal(hello.headers.get('x-request-id'), 'req-42');
  assert.deepEqual(await hello.json(), { greeting: 'hello, ada', request_id: 'req-42' });
  const bad = await fetch(`${base}/hello/ada`, { headers: { 'x-request-id': 'a b"c' } });
  await bad.arrayBuffer();
  assert.match(
    bad.headers.get('x-request-id') ?? '',
    /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
  );
  const echo = await fetch(`${base}/echo`, { method: 'POST', body: 'héllo' });
  assert.equal(await echo.text(), 'héllo');
  assert.equal((await fetch(`${base}/fail`)).status, 500);

  // Probes on the same port.
  const ready = await fetch(`${base}/health/ready`);
  assert.equal(ready.status, 200);
  const body = (await ready.json()) as {
    status: string;
    state: string;
    checks: Record<string, { status: string }>;
  };
  assert.equal(body.status, 'ok');
  assert.equal(body.state, 'ready');
  assert.equal(body.checks.event_loop?.status, 'pass');
  assert.equal((await fetch(`${base}/health/live`)).status, 200);

  // Metrics on the same port: HTTP by route template, runtime collectors, health, and valid text.
  const text = await (await fetch(`${base}/metrics`)).text();
  assert.match(
    text,
    /^http_requests_total\{service="demo",method="GET",route="\/hello\/:name",status="200"\} [1-9]\d*$/m,
  );
  assert.match(
    text,
    /^http_requests_total\{service="demo",method="GET",route="\/fail",status="500"\} [1-9]\d*$/m,
  );
  for (const name of [
    'process_cpu_seconds_total',
    'process_cpu_usage',
    'process_memory_bytes',
    'process_resident_memory_bytes',
    'nodejs_eventloop_lag_p99_seconds',
    'nodejs_heap_size_used_bytes',
    'telltale_health_check_up',
  ]) {
    assert.match(text, new RegExp(`^${name}\\{`, 'm'), `${name} is exposed`);
  }
  assert.doesNotMatch(text, /route="\/hello\/ada"/, 'raw paths never become label values');
  await assertPromtoolClean(text);

  // Access log lines carry the request id and trace ids.
  const access = await child.waitForLine(/"request_id":"req-42".*"msg":"request finished"/, 5000);
  const line = JSON.parse(access.input) as Record<string, unknown>;
  assert.equal(line.route, '/hello/:name');
  assert.match(String(line.trace_id), /^[0-9a-f]{32}$/);
  assert.match(String(line.span_id), /^[0-9a-f]{16}$/);

  // SIGTERM: readiness turns 503, the server drains, hooks run, exit 0.
  child.kill('SIGTERM');
  const exit = await child.exited;
  assert.equal(exit.code, 0);
  assert.ok(child.lines.some((l) => l.text.includes('"msg":"Shutdown complete"')));
});
