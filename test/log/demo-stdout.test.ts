// The demo process's stdout is a pure JSON log stream: every line parses, with the logger's own fields; the banner goes to stderr.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { httpRequest } from '../helpers/http.js';
import { getFreePort } from '../helpers/ports.js';
import { spawnNodeTs } from '../helpers/process.js';

const LEVELS = new Set(['trace', 'debug', 'info', 'warn', 'error', 'fatal']);

test('the demo writes only JSON log lines to stdout (default format and level), and its banner to stderr', {
  timeout: 60_000,
}, async (t) => {
  const port = await getFreePort();
  const child = spawnNodeTs('examples/demo/main.ts', {
    // The defaults, as `npm run demo` runs it: no LOG_FORMAT (JSON), no LOG_LEVEL (info).
    env: { PORT: String(port), DRAIN_DELAY_MS: '0', LOG_FORMAT: undefined, LOG_LEVEL: undefined },
  });
  t.after(() => child.stop());
  const base = `http://127.0.0.1:${port}`;
  // Either stream: the assertions below say which one it must be on.
  await child.waitForLine(/^telltale demo: API at /, 20_000);

  // Requests that log: an access line each, a warning for /fail, a 404, a malformed path.
  assert.equal((await httpRequest(`${base}/hello/ada`)).status, 200);
  assert.equal((await httpRequest(`${base}/fail`)).status, 500);
  assert.equal((await httpRequest(`${base}/no/such/route`)).status, 404);
  assert.equal((await httpRequest(`${base}/hello/%ZZ`)).status, 400);
  child.kill('SIGTERM');
  assert.deepEqual(await child.exited, { code: 0, signal: null });

  const stdout = child.stdoutLines;
  assert.ok(stdout.length >= 8, `expected the run's log lines, got ${stdout.length}`);
  for (const [i, line] of stdout.entries()) {
    let r: Record<string, unknown>;
    try {
      r = JSON.parse(line) as Record<string, unknown>;
    } catch {
      assert.fail(`stdout line ${i + 1} is not JSON: ${JSON.stringify(line)}`);
    }
    assert.equal(typeof r, 'object', line);
    assert.ok(LEVELS.has(String(r.level)), line);
    assert.equal(typeof r.time, 'number', line);
    assert.equal(r.pid, child.pid, line);
    assert.match(String(r.name), /^demo(\.[a-z]+)*$/, line);
    assert.equal(typeof r.msg, 'string', line);
  }
  assert.deepEqual(child.stderrLines, [
    `telltale demo: metrics at ${base}/metrics`,
    `telltale demo: health at ${base}/health/ready (also /health/live, /health, /health/startup)`,
    `telltale demo: API at ${base}/hello/world, POST ${base}/echo, ${base}/fail`,
  ]);
  const records = stdout.map(
    (l) => JSON.parse(l) as { msg: string; path?: string; status?: number },
  );
  // The demo's own visitor traffic logs too; these are the requests made here.
  const access = (path: string) =>
    records.filter((r) => r.msg === 'request finished' && r.path === path).map((r) => r.status);
  assert.deepEqual(access('/hello/ada'), [200]);
  assert.deepEqual(access('/fail'), [500]);
  assert.deepEqual(access('/no/such/route'), [404]);
  assert.deepEqual(access('/hello/%ZZ'), [400]);
  assert.ok(records.some((r) => r.msg === 'the /fail route always fails'));
  assert.equal(records.at(-1)?.msg, 'Shutdown complete');
});
