// The agent as a process (examples/agent/main.ts): bad config exits 2 with the field named, SIGTERM exits 0 with storage closed, data survives a restart, and the npm start config brings up the companion peer.

import assert from 'node:assert/strict';
import { access, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { SHIPPED_CONFIG_FILE } from '../../../examples/agent/config.js';
import { ManagedProcess } from '../../helpers/child.js';
import { getFreePort } from '../../helpers/ports.js';
import { REPO_ROOT, spawnNodeTs } from '../../helpers/process.js';
import { makeTempDir, removeTempDir } from '../../helpers/tmp.js';
import { pollUntil } from '../../helpers/wait.js';

const ENTRY = 'examples/agent/main.ts';

/** The agent's variables, all unset, so the parent's environment cannot leak in. */
const CLEAN_ENV: Record<string, string | undefined> = {
  AGENT_CONFIG: undefined,
  AGENT_HOST: undefined,
  AGENT_PORT: undefined,
  METRICS_ENABLED: undefined,
  METRICS_HOST: undefined,
  METRICS_PORT: undefined,
  METRICS_PATH: undefined,
  STORAGE_BACKEND: undefined,
  STORAGE_PATH: undefined,
  REDIS_URL: undefined,
  LOG_LEVEL: undefined,
  LOG_FORMAT: undefined,
  AGENT_HEADERS_TIMEOUT_MS: undefined,
  AGENT_REQUEST_TIMEOUT_MS: undefined,
  MAX_PEERS: undefined,
  PEER_IDLE_TIMEOUT_MS: undefined,
  PEER_MAX_BUFFERED_BYTES: undefined,
  DRAIN_DELAY_MS: '0',
};

function spawnAgent(
  t: { after(fn: () => unknown): void },
  cwd: string,
  env: Record<string, string | undefined>,
  args: string[] = [],
): ManagedProcess {
  const child = spawnNodeTs(ENTRY, { cwd, args, env: { ...CLEAN_ENV, ...env } });
  t.after(() => child.stop());
  return child;
}

/** Runs the real `npm start` (npm → setup.sh --npm-only → exec node main.ts) in the repository root. */
function spawnNpmStart(
  t: { after(fn: () => unknown): void },
  env: Record<string, string | undefined>,
  args: string[] = [],
): ManagedProcess {
  const full: NodeJS.ProcessEnv = { ...process.env };
  delete full['NODE_TEST_CONTEXT'];
  for (const [k, v] of Object.entries({ ...CLEAN_ENV, ...env })) {
    if (v === undefined) delete full[k];
    else full[k] = v;
  }
  const child = ManagedProcess.start(
    'npm',
    ['start', '--silent', ...(args.length > 0 ? ['--', ...args] : [])],
    { name: 'npm start', cwd: REPO_ROOT, env: full },
  );
  t.after(() => child.stop());
  return child;
}

describe('examples/agent/main.ts', { concurrency: true }, () => {
  test('an invalid config: a clear error on stderr naming the field, exit code 2', async (t) => {
    const dir = await makeTempDir('agent-main');
    t.after(() => removeTempDir(dir));
    const bad = spawnAgent(t, dir, { METRICS_PORT: 'eighty' });
    assert.deepEqual(await bad.exited, { code: 2, signal: null });
    assert.deepEqual(bad.stderrLines, [
      'agent: invalid config: metrics.port must be an integer from 0 to 65535, got "eighty" (environment variable METRICS_PORT)',
    ]);
    const missing = spawnAgent(t, dir, {}, ['--config', 'nowhere.yaml']);
    assert.equal((await missing.exited).code, 2);
    assert.match(
      missing.stderrLines.join('\n'),
      /invalid config: config file .*nowhere\.yaml cannot be read: no such file \(--config\)/,
    );
  });

  test('DRAIN_DELAY_MS=abc fails at startup with exit 2 naming the variable, before anything listens', async (t) => {
    const dir = await makeTempDir('agent-main');
    t.after(() => removeTempDir(dir));
    const apiPort = await getFreePort();
    const bad = spawnAgent(t, dir, {
      AGENT_PORT: String(apiPort),
      METRICS_PORT: '0',
      DRAIN_DELAY_MS: 'abc',
    });
    assert.deepEqual(await bad.exited, { code: 2, signal: null });
    assert.deepEqual(bad.stderrLines, [
      'agent: invalid config: shutdown.drainDelayMs must be an integer number of milliseconds from 0 to 20000, got "abc" (environment variable DRAIN_DELAY_MS)',
    ]);
    assert.deepEqual(bad.stdoutLines, [], 'nothing started, nothing logged');
  });

  test('npm start names no config file: it honours AGENT_CONFIG, `npm start -- --config x` wins over it, and with neither the shipped agent.yaml applies', async (t) => {
    const pkg = JSON.parse(await readFile(join(REPO_ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    for (const [name, script] of Object.entries(pkg.scripts)) {
      assert.doesNotMatch(script, /--config|\.ya?ml\b/, `npm script ${name} names a config file`);
    }
    const dir = await makeTempDir('agent-npm');
    t.after(() => removeTempDir(dir));
    const ports = [await getFreePort(), await getFreePort(), await getFreePort()];
    const yaml = (port: number, sub: string) =>
      `server: { port: ${port} }\nmetrics: { enabled: false }\nstorage: { path: ${JSON.stringify(join(dir, sub))} }\nworkload: { enabled: false, rate: 0 }\n`;
    const envFile = join(dir, 'from-env.yaml');
    const argFile = join(dir, 'from-arg.yaml');
    await writeFile(envFile, yaml(ports[0]!, 'env'));
    await writeFile(argFile, yaml(ports[1]!, 'arg'));

    const run = async (child: ManagedProcess, file: string, port: number) => {
      await child.waitForLine(/^agent: storage local in /, 30_000);
      assert.ok(child.stderrLines.includes(`agent: config from ${file}`), child.tail());
      assert.ok(
        child.stderrLines.some((l) => l.startsWith(`agent: API at http://127.0.0.1:${port} `)),
        child.tail(),
      );
      assert.equal((await fetch(`http://127.0.0.1:${port}/health/ready`)).status, 200);
      // SIGTERM to npm reaches the agent (the script execs node): a graceful stop, exit 0.
      child.kill('SIGTERM');
      assert.deepEqual(await child.exited, { code: 0, signal: null });
      assert.ok(
        child.stdoutLines.some((l) => l.includes('"msg":"Agent stopped, storage closed"')),
        child.tail(),
      );
    };
    await run(spawnNpmStart(t, { AGENT_CONFIG: envFile }), envFile, ports[0]!);
    await run(
      spawnNpmStart(t, { AGENT_CONFIG: envFile }, ['--config', argFile]),
      argFile,
      ports[1]!,
    );
    // Neither: main.ts falls back to the shipped examples/agent/agent.yaml (workload on, companion).
    const shipped = spawnAgent(t, dir, {
      AGENT_PORT: String(ports[2]),
      METRICS_ENABLED: 'false',
      STORAGE_PATH: 'shipped',
      LOG_LEVEL: 'warn',
    });
    await shipped.waitForLine(/^agent: workload 20 messages\/s; companion agent /, 20_000);
    assert.ok(shipped.stderrLines.includes(`agent: config from ${SHIPPED_CONFIG_FILE}`));
    shipped.kill('SIGTERM');
    assert.deepEqual(await shipped.exited, { code: 0, signal: null });
  });

  test('SIGTERM: exit 0, storage closed; a second start reads the data back (persistence across restarts)', async (t) => {
    const dir = await makeTempDir('agent-main');
    t.after(() => removeTempDir(dir));
    const [apiPort, metricsPort] = [await getFreePort(), await getFreePort()];
    const env = {
      AGENT_PORT: String(apiPort),
      METRICS_PORT: String(metricsPort),
      STORAGE_PATH: 'state',
      LOG_LEVEL: 'info',
    };
    const api = `http://127.0.0.1:${apiPort}`;

    const first = spawnAgent(t, dir, env);
    await first.waitForLine(/^agent: storage local in /, 20_000);
    assert.ok(
      first.stderrLines.includes(`agent: metrics at http://127.0.0.1:${metricsPort}/metrics`),
    );
    assert.ok(
      first.stderrLines.includes(
        `agent: health at ${api}/health/ready (also /health/live, /health, /health/startup)`,
      ),
    );
    for (let i = 0; i < 20; i++) {
      const r = await fetch(`${api}/messages`, {
        method: 'POST',
        body: JSON.stringify({ type: 'put', key: `k${i}`, value: { i } }),
      });
      assert.equal(r.status, 200);
    }
    await fetch(`${api}/messages`, { method: 'POST', body: '{"type":"delete","key":"k0"}' });
    await access(join(dir, 'state', 'LOCK'));
    first.kill('SIGTERM');
    assert.deepEqual(await first.exited, { code: 0, signal: null });
    // stdout is the JSON log alone (the banner went to stderr): every line parses.
    assert.ok(first.stdoutLines.length > 0);
    for (const line of first.stdoutLines) {
      const rec = JSON.parse(line) as { level?: unknown; time?: unknown; msg?: unknown };
      assert.ok(['debug', 'info', 'warn', 'error', 'fatal'].includes(String(rec.level)), line);
      assert.equal(typeof rec.time, 'number', line);
      assert.equal(typeof rec.msg, 'string', line);
    }
    const text = first.stdoutLines.join('\n');
    assert.match(text, /"msg":"Agent stopped, storage closed"/);
    assert.match(text, /"msg":"Shutdown complete"/);
    await assert.rejects(access(join(dir, 'state', 'LOCK')), { code: 'ENOENT' }, 'lock released');

    const second = spawnAgent(t, dir, env);
    await second.waitForLine(/^agent: storage local in /, 20_000);
    const kv = await fetch(`${api}/kv/k7`);
    assert.equal(kv.status, 200);
    assert.deepEqual(((await kv.json()) as { value: unknown }).value, { i: 7 });
    assert.equal((await fetch(`${api}/kv/k0`)).status, 404, 'the delete persisted too');
    second.kill('SIGTERM');
    assert.equal((await second.exited).code, 0);
  });

  test('the npm start config: companion peer connected, workload running, every agent metric non-zero in 10 s', async (t) => {
    const dir = await makeTempDir('agent-main');
    t.after(() => removeTempDir(dir));
    const [apiPort, metricsPort] = [await getFreePort(), await getFreePort()];
    const child = spawnAgent(
      t,
      dir,
      { AGENT_PORT: String(apiPort), METRICS_PORT: String(metricsPort), LOG_LEVEL: 'warn' },
      ['--config', join(process.cwd(), 'examples/agent/agent.yaml')],
    );
    await child.waitForLine(
      /^agent: workload 20 messages\/s; companion agent http:\/\/127\.0\.0\.1:\d+ is connected as a peer$/,
      20_000,
    );
    const started = Date.now();
    const wanted = [
      'process_cpu_usage',
      'process_memory_bytes',
      'agent_peers_connected',
      'messages_received_total',
      'message_processing_duration_seconds_count',
      'storage_operations_total{operation="put",backend="local"}',
      'storage_operations_total{operation="get",backend="local"}',
      'storage_operations_total{operation="delete",backend="local"}',
      'storage_operation_duration_seconds_count{operation="delete",backend="local"}',
    ];
    await pollUntil(
      async () => {
        const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
        const values = new Map(
          text
            .split('\n')
            .filter((l) => l !== '' && !l.startsWith('#'))
            .map((l) => [l.slice(0, l.lastIndexOf(' ')), Number(l.slice(l.lastIndexOf(' ') + 1))]),
        );
        return wanted.every((s) => (values.get(s) ?? 0) > 0) ? true : undefined;
      },
      { description: 'every agent metric non-zero', timeoutMs: 10_000, intervalMs: 250 },
    );
    assert.ok(Date.now() - started < 10_000);
    child.kill('SIGTERM');
    assert.deepEqual(await child.exited, { code: 0, signal: null });
  });
});
