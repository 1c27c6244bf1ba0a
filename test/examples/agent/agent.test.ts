// The agent in-process with local storage: the API's answers to good and bad input over HTTP, the metrics endpoint (on, off), peers between two agents, and every agent metric wired.

import assert from 'node:assert/strict';
import { request } from 'node:http';
import { describe, test } from 'node:test';
import { createLogger, type Logger } from 'telltale/log';
import { type Agent, type StartAgentOptions, startAgent } from '../../../examples/agent/agent.js';
import { loadConfig } from '../../../examples/agent/config.js';
import { getFreePort } from '../../helpers/ports.js';
import { makeTempDir, removeTempDir } from '../../helpers/tmp.js';
import { pollUntil } from '../../helpers/wait.js';

type T = { after(fn: () => unknown): void };

function captureLogger(): { logger: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const logger = createLogger({
    name: 'agent',
    level: 'info',
    destination: {
      write(line: string) {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      },
    },
  });
  return { logger, lines };
}

async function start(
  t: T,
  env: Record<string, string> = {},
  options: StartAgentOptions = {},
): Promise<Agent> {
  const dir = await makeTempDir('agent');
  t.after(() => removeTempDir(dir));
  const config = loadConfig({
    cwd: dir,
    env: { AGENT_PORT: '0', METRICS_PORT: '0', LOG_LEVEL: 'silent', ...env },
  });
  const agent = await startAgent(config, options);
  t.after(() => agent.stop());
  return agent;
}

async function post(agent: Agent, body: string | Buffer, headers: Record<string, string> = {}) {
  const res = await fetch(`${agent.apiUrl}/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
  return {
    status: res.status,
    headers: res.headers,
    body: (await res.json()) as Record<string, unknown>,
  };
}

/** A sample's value from a text exposition, or undefined. */
function sample(text: string, series: string): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith(`${series} `)) return Number(line.slice(series.length + 1));
  }
  return undefined;
}

async function scrape(agent: Agent): Promise<{ type: string | null; text: string }> {
  const res = await fetch(agent.metricsUrl!);
  return { type: res.headers.get('content-type'), text: await res.text() };
}

const STORAGE_SERIES = ['get', 'put', 'delete'].map(
  (op) => `storage_operations_total{operation="${op}",backend="local"}`,
);

describe('the API', () => {
  test('put, get through /messages and /kv/:key, delete; request ids echoed', async (t) => {
    const agent = await start(t);
    const put = await post(
      agent,
      JSON.stringify({ type: 'put', key: 'a/b c', value: { x: [1] } }),
      {
        'x-request-id': 'req-1',
      },
    );
    assert.equal(put.status, 200);
    assert.deepEqual(put.body, { ok: true, request_id: 'req-1' });
    assert.equal(put.headers.get('x-request-id'), 'req-1');

    const kv = await fetch(`${agent.apiUrl}/kv/${encodeURIComponent('a/b c')}`);
    assert.equal(kv.status, 200);
    const kvBody = (await kv.json()) as Record<string, unknown>;
    assert.deepEqual(
      { ...kvBody, request_id: undefined },
      {
        ok: true,
        found: true,
        value: { x: [1] },
        request_id: undefined,
      },
    );
    assert.match(String(kvBody.request_id), /^[0-9a-f-]{36}$/);

    const get = await post(agent, JSON.stringify({ type: 'get', key: 'a/b c' }));
    assert.deepEqual(get.body.value, { x: [1] });
    const del = await post(agent, JSON.stringify({ type: 'delete', key: 'a/b c' }));
    assert.equal(del.body.found, true);
    const gone = await fetch(`${agent.apiUrl}/kv/${encodeURIComponent('a/b c')}`);
    assert.equal(gone.status, 404);
    assert.match(((await gone.json()) as { error: string }).error, /no value under key "a\/b c"/);
  });

  test('bad input: exact 4xx with a JSON error, never a storage operation, the agent keeps serving', async (t) => {
    const agent = await start(t);
    await post(agent, JSON.stringify({ type: 'put', key: 'seed', value: 1 }));
    const before = (await scrape(agent)).text;
    const cases: Array<[string, string | Buffer, number, RegExp]> = [
      ['malformed JSON', '{"type":"put","key":', 400, /^malformed JSON: /],
      ['unknown type', '{"type":"merge","key":"k"}', 422, /unknown message type "merge"/],
      ['missing key', '{"type":"put","value":1}', 422, /"key" is required/],
      [
        'oversized value',
        JSON.stringify({ type: 'put', key: 'k', value: 'x'.repeat(20_000) }),
        413,
        /"value" is 20002 bytes as JSON, more than the limit of 16384/,
      ],
      [
        'oversized body',
        Buffer.alloc(70_000, 0x20),
        413,
        /request body is larger than the limit of 65536 bytes/,
      ],
    ];
    for (const [name, body, status, error] of cases) {
      const r = await post(agent, body);
      assert.equal(r.status, status, name);
      assert.equal(r.body.ok, false, name);
      assert.match(String(r.body.error), error, name);
      assert.equal(typeof r.body.request_id, 'string', name);
    }
    const after = (await scrape(agent)).text;
    for (const s of STORAGE_SERIES) assert.equal(sample(after, s), sample(before, s), s);
    assert.equal(sample(after, 'messages_received_total'), 1);
    assert.equal(sample(after, 'messages_rejected_total{reason="invalid_json"}'), 1);
    assert.equal(sample(after, 'messages_rejected_total{reason="invalid_message"}'), 2);
    assert.equal(
      sample(after, 'messages_rejected_total{reason="too_large"}'),
      1,
      'the HTTP 413 never reached the handler',
    );
    // Still serving.
    assert.equal((await post(agent, JSON.stringify({ type: 'get', key: 'seed' }))).body.value, 1);
    assert.equal((await fetch(`${agent.apiUrl}/health/ready`)).status, 200);
  });

  test('a huge body with a Content-Length is refused before it is read', async (t) => {
    const agent = await start(t);
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${agent.apiUrl}/messages`, {
        method: 'POST',
        headers: { 'content-length': String(1024 * 1024 * 1024) },
      });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.write('{');
    });
    assert.equal(status, 413);
    assert.equal((await fetch(`${agent.apiUrl}/health/live`)).status, 200);
  });

  test('wrong methods get 405, unknown paths 404, a bad percent-encoding 400', async (t) => {
    const agent = await start(t);
    const get = await fetch(`${agent.apiUrl}/messages`);
    assert.equal(get.status, 405);
    assert.equal(get.headers.get('allow'), 'POST');
    const put = await fetch(`${agent.apiUrl}/kv/k`, { method: 'PUT', body: '1' });
    assert.equal(put.status, 405);
    assert.equal(put.headers.get('allow'), 'GET, HEAD');
    assert.equal((await fetch(`${agent.apiUrl}/nope`)).status, 404);
    const bad = await fetch(`${agent.apiUrl}/kv/%E0%A4%A`, { headers: { 'x-request-id': 'k1' } });
    assert.equal(bad.status, 400);
    // The agent's own answer (rejectMalformedPaths: false), not the adapter's plain-text one.
    assert.deepEqual(await bad.json(), {
      ok: false,
      error: 'the key in the path is not valid percent-encoding',
      request_id: 'k1',
    });
  });
});

describe('the metrics endpoint', () => {
  test('no Accept: text/plain 0.0.4 with the plan metrics, route templates, no raw keys', async (t) => {
    const agent = await start(t);
    await post(agent, JSON.stringify({ type: 'put', key: 'k', value: 1 }));
    await fetch(`${agent.apiUrl}/kv/k`);
    await fetch(`${agent.apiUrl}/kv/other`);
    const { type, text } = await scrape(agent);
    assert.equal(type, 'text/plain; version=0.0.4; charset=utf-8');
    assert.ok(agent.metricsPort !== agent.port);
    for (const name of ['process_cpu_usage', 'process_memory_bytes', 'agent_peers_connected']) {
      assert.match(text, new RegExp(`^# TYPE ${name} gauge$`, 'm'));
    }
    assert.equal(sample(text, 'agent_peers_connected'), 0);
    assert.equal(sample(text, 'messages_received_total'), 3);
    assert.match(text, /^http_requests_total\{method="GET",route="\/kv\/:key",status="200"\} 1$/m);
    assert.match(text, /^http_requests_total\{method="GET",route="\/kv\/:key",status="404"\} 1$/m);
    assert.match(text, /^http_requests_total\{method="POST",route="\/messages",status="200"\} 1$/m);
    assert.doesNotMatch(text, /route="\/kv\/other"/);
  });

  test('metrics.enabled false (METRICS_ENABLED=false): nothing listens, the exact log line, the API works', async (t) => {
    const port = await getFreePort();
    const { logger, lines } = captureLogger();
    const agent = await start(
      t,
      { METRICS_ENABLED: 'false', METRICS_PORT: String(port) },
      { logger },
    );
    assert.equal(agent.metricsUrl, undefined);
    assert.equal(agent.metricsPort, undefined);
    const disabled = lines.filter((l) => l.msg === 'Metrics endpoint disabled');
    assert.equal(disabled.length, 1);
    assert.equal(disabled[0]!.level, 'info');
    await assert.rejects(fetch(`http://127.0.0.1:${port}/metrics`), (err: Error) => {
      assert.equal((err.cause as NodeJS.ErrnoException).code, 'ECONNREFUSED');
      return true;
    });
    const r = await post(agent, JSON.stringify({ type: 'put', key: 'k', value: 1 }));
    assert.equal(r.status, 200);
    // The registry still records (the endpoint is what is off).
    assert.ok(agent.registry.snapshot().messages_received !== undefined);
  });

  test('AGENT_HOST and METRICS_HOST choose the addresses the API and the metrics endpoint bind', async (t) => {
    // Both are loopback addresses other than 127.0.0.1, so 127.0.0.1 on the same port must refuse.
    const agent = await start(t, { AGENT_HOST: '127.0.0.3', METRICS_HOST: '127.0.0.2' });
    assert.equal(agent.apiUrl, `http://127.0.0.3:${agent.port}`);
    assert.equal(agent.metricsUrl, `http://127.0.0.2:${agent.metricsPort}/metrics`);
    assert.equal((await fetch(`http://127.0.0.3:${agent.port}/health/live`)).status, 200);
    assert.equal((await fetch(`http://127.0.0.2:${agent.metricsPort}/metrics`)).status, 200);
    for (const url of [
      `http://127.0.0.1:${agent.port}/health/live`,
      `http://127.0.0.1:${agent.metricsPort}/metrics`,
    ]) {
      await assert.rejects(fetch(url), (err: Error) => {
        assert.equal((err.cause as NodeJS.ErrnoException).code, 'ECONNREFUSED', url);
        return true;
      });
    }
  });

  test('a taken API or metrics port fails the start with a clear error and leaves nothing running', async (t) => {
    const blocker = await start(t);
    const dir = await makeTempDir('agent');
    t.after(() => removeTempDir(dir));
    await assert.rejects(
      startAgent(
        loadConfig({
          cwd: dir,
          env: { AGENT_PORT: String(blocker.port), METRICS_PORT: '0', LOG_LEVEL: 'silent' },
        }),
      ),
      new RegExp(
        `server\\.port: the API could not listen on 127\\.0\\.0\\.1:${blocker.port}: EADDRINUSE`,
      ),
    );
    await assert.rejects(
      startAgent(
        loadConfig({
          cwd: dir,
          env: { AGENT_PORT: '0', METRICS_PORT: String(blocker.metricsPort), LOG_LEVEL: 'silent' },
        }),
      ),
      /TT_LISTEN_FAILED/,
    );
    // The failed starts released the storage directory.
    const ok = await startAgent(
      loadConfig({ cwd: dir, env: { AGENT_PORT: '0', METRICS_PORT: '0', LOG_LEVEL: 'silent' } }),
    );
    await ok.stop();
  });
});

describe('peers and wiring', () => {
  test('a second agent dials the first; messages over the peer connection go through the same handler', async (t) => {
    const a = await start(t);
    const dir = await makeTempDir('agent');
    t.after(() => removeTempDir(dir));
    const cfg = loadConfig({
      cwd: dir,
      env: { AGENT_PORT: '0', METRICS_ENABLED: 'false', LOG_LEVEL: 'silent' },
    });
    const dialer = await startAgent({ ...cfg, peers: [`${a.apiUrl.replace('http', 'ws')}/peers`] });
    t.after(() => dialer.stop());
    await pollUntil(
      () => (a.hub.connected() === 1 && dialer.hub.connected() === 1 ? true : undefined),
      {
        description: 'the peer connection',
        timeoutMs: 5000,
      },
    );
    assert.deepEqual(await dialer.hub.request({ type: 'put', key: 'p', value: 'via peer' }), {
      ok: true,
    });
    assert.deepEqual(await dialer.hub.request({ type: 'get', key: 'p' }), {
      ok: true,
      found: true,
      value: 'via peer',
    });
    const bad = (await dialer.hub.request({ type: 'nope', key: 'p' })) as {
      ok: boolean;
      status: number;
    };
    assert.equal(bad.ok, false);
    assert.equal(bad.status, 422);
    const { text } = await scrape(a);
    assert.equal(sample(text, 'agent_peers_connected'), 1);
    assert.equal(sample(text, 'messages_received_total'), 2);
    assert.equal(sample(text, 'storage_operations_total{operation="put",backend="local"}'), 1);
    assert.equal(sample(text, 'storage_operations_total{operation="get",backend="local"}'), 1);
    assert.equal(sample(text, 'messages_rejected_total{reason="invalid_message"}'), 1);
  });

  test('with the workload on, every agent metric of the plan is non-zero within seconds', async (t) => {
    const a = await start(t);
    const dir = await makeTempDir('agent');
    t.after(() => removeTempDir(dir));
    const cfg = loadConfig({
      cwd: dir,
      env: { AGENT_PORT: '0', METRICS_ENABLED: 'false', LOG_LEVEL: 'silent' },
    });
    const b = await startAgent({
      ...cfg,
      peers: [`${a.apiUrl.replace('http', 'ws')}/peers`],
      workload: { enabled: true, rate: 200 },
    });
    t.after(() => b.stop());
    const wanted = [
      'process_cpu_usage',
      'process_memory_bytes',
      'agent_peers_connected',
      'messages_received_total',
      'message_processing_duration_seconds_count',
      ...['get', 'put', 'delete'].flatMap((op) => [
        `storage_operations_total{operation="${op}",backend="local"}`,
        `storage_operation_duration_seconds_count{operation="${op}",backend="local"}`,
      ]),
    ];
    const zero = await pollUntil(
      async () => {
        const { text } = await scrape(a);
        const missing = wanted.filter((s) => !((sample(text, s) ?? 0) > 0));
        return missing.length === 0 ? true : undefined;
      },
      {
        description:
          'every agent metric non-zero on the first agent (b sends half its workload to a)',
        timeoutMs: 10_000,
      },
    );
    assert.equal(zero, true);
    const { text } = await scrape(a);
    assert.equal(
      sample(text, 'messages_received_total'),
      sample(text, 'message_processing_duration_seconds_count'),
    );
  });
});
