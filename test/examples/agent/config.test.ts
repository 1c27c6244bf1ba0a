// The agent's config loader: defaults, the three ways to name a file, env overrides, and an error naming the field for every invalid value.

import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  type AgentConfig,
  ConfigError,
  DEFAULT_CONFIG,
  DEFAULT_CONFIG_FILE,
  loadConfig,
  SHIPPED_CONFIG_FILE,
} from '../../../examples/agent/config.js';
import { DEFAULT_PEER_LIMITS } from '../../../examples/agent/peers.js';
import { makeTempDir, removeTempDir } from '../../helpers/tmp.js';

let dir: string;
before(async () => {
  dir = await makeTempDir('agent-config');
});
after(() => removeTempDir(dir));

async function file(name: string, text: string): Promise<string> {
  const p = join(dir, name);
  await writeFile(p, text);
  return p;
}

/** Asserts loadConfig throws a ConfigError for `field` whose message matches `problem`. */
function assertInvalid(
  input: Parameters<typeof loadConfig>[0],
  field: string,
  problem: RegExp,
): ConfigError {
  let caught: unknown;
  try {
    loadConfig(input);
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof ConfigError, `expected a ConfigError for ${field}, got ${caught}`);
  assert.equal(caught.field, field);
  assert.match(caught.message, problem);
  assert.ok(caught.message.startsWith(`invalid config: ${field} `), caught.message);
  return caught;
}

describe('defaults', () => {
  test('no file and no environment: the documented defaults, storage path resolved against cwd', () => {
    const c = loadConfig({ argv: [], env: {}, cwd: dir });
    const expected: AgentConfig = {
      server: { host: '127.0.0.1', port: 7000, headersTimeoutMs: 10_000, requestTimeoutMs: 30_000 },
      metrics: { enabled: true, host: '127.0.0.1', port: 8080, path: '/metrics' },
      storage: {
        backend: 'local',
        path: join(dir, '.agent-data'),
        redis: { url: 'redis://127.0.0.1:6379' },
      },
      peers: [],
      workload: { enabled: false, rate: 20 },
      log: { level: 'info', format: 'json' },
      peerLimits: { maxPeers: 64, idleTimeoutMs: 120_000, maxBufferedBytes: 4_194_304 },
      shutdown: { drainDelayMs: 2000 },
      file: undefined,
    };
    assert.deepEqual(c, expected);
    assert.deepEqual(c.peerLimits, DEFAULT_PEER_LIMITS, "the config's defaults are the hub's");
    assert.equal(DEFAULT_CONFIG.workload.enabled, false, 'the workload is off unless configured');
  });

  test('the shipped examples/agent/agent.yaml is valid and turns the workload on', () => {
    const c = loadConfig({ argv: ['--config', 'examples/agent/agent.yaml'], env: {} });
    assert.equal(c.workload.enabled, true);
    assert.equal(c.server.port, 7000);
    assert.equal(c.metrics.port, 8080);
    assert.equal(c.storage.backend, 'local');
  });
});

describe('choosing the file', () => {
  test('agent.yaml in cwd is read by default', async () => {
    const sub = join(dir, 'default');
    await import('node:fs/promises').then((fs) => fs.mkdir(sub));
    await writeFile(join(sub, 'agent.yaml'), 'server:\n  port: 7100\n');
    const c = loadConfig({ argv: [], env: {}, cwd: sub });
    assert.equal(c.server.port, 7100);
    assert.equal(c.file, join(sub, 'agent.yaml'));
  });

  test('--config PATH and --config=PATH, relative to cwd', async () => {
    await file('a.yaml', 'server:\n  port: 7200\n');
    assert.equal(loadConfig({ argv: ['--config', 'a.yaml'], env: {}, cwd: dir }).server.port, 7200);
    assert.equal(loadConfig({ argv: ['--config=a.yaml'], env: {}, cwd: dir }).server.port, 7200);
  });

  test('AGENT_CONFIG names the file; --config wins over it', async () => {
    await file('b.yaml', 'server:\n  port: 7300\n');
    await file('c.yaml', 'server:\n  port: 7400\n');
    assert.equal(
      loadConfig({ argv: [], env: { AGENT_CONFIG: 'b.yaml' }, cwd: dir }).server.port,
      7300,
    );
    assert.equal(
      loadConfig({ argv: ['--config', 'c.yaml'], env: { AGENT_CONFIG: 'b.yaml' }, cwd: dir }).server
        .port,
      7400,
    );
  });

  test('defaultFiles: the first that exists is read (main.ts: ./agent.yaml, then the shipped file); none is fine', async () => {
    const sub = join(dir, 'fallback');
    await import('node:fs/promises').then((fs) => fs.mkdir(sub));
    const main = {
      argv: [],
      env: {},
      cwd: sub,
      defaultFiles: [DEFAULT_CONFIG_FILE, SHIPPED_CONFIG_FILE],
    };
    const shipped = loadConfig(main);
    assert.equal(shipped.file, SHIPPED_CONFIG_FILE);
    assert.equal(shipped.workload.enabled, true, 'the shipped file turns the workload on');
    await writeFile(join(sub, 'agent.yaml'), 'server:\n  port: 7150\n');
    const local = loadConfig(main);
    assert.equal(local.file, join(sub, 'agent.yaml'));
    assert.equal(local.server.port, 7150);
    assert.equal(local.workload.enabled, false);
    // AGENT_CONFIG and --config still win over both.
    await file('named.yaml', 'server:\n  port: 7160\n');
    assert.equal(
      loadConfig({ ...main, env: { AGENT_CONFIG: join(dir, 'named.yaml') } }).server.port,
      7160,
    );
    assert.equal(
      loadConfig({ ...main, argv: ['--config', join(dir, 'named.yaml')] }).server.port,
      7160,
    );
    const none = loadConfig({ argv: [], env: {}, cwd: sub, defaultFiles: ['x.yaml', 'y.yaml'] });
    assert.equal(none.file, undefined);
    assert.equal(none.server.port, 7000);
  });

  test('a missing --config or AGENT_CONFIG file is an error; a missing default file is not', () => {
    assertInvalid(
      { argv: ['--config', 'nope.yaml'], env: {}, cwd: dir },
      'config file',
      /nope\.yaml cannot be read: no such file \(--config\)/,
    );
    assertInvalid(
      { argv: [], env: { AGENT_CONFIG: 'nope.yaml' }, cwd: dir },
      'config file',
      /no such file \(AGENT_CONFIG\)/,
    );
    assert.doesNotThrow(() => loadConfig({ argv: [], env: {}, cwd: join(dir, 'missing-dir') }));
  });

  test('bad command-line arguments', () => {
    assertInvalid({ argv: ['--config'], env: {}, cwd: dir }, '--config', /needs a file path/);
    assertInvalid({ argv: ['--port', '1'], env: {}, cwd: dir }, '--port', /not a known argument/);
  });

  test('a YAML syntax error names the file', async () => {
    const p = await file('broken.yaml', 'server: [\n');
    assertInvalid({ argv: ['--config', p], env: {}, cwd: dir }, 'config file', /is not valid YAML/);
  });
});

describe('a full file', () => {
  test('every field is read', async () => {
    const p = await file(
      'full.yaml',
      [
        'server: { host: 0.0.0.0, port: 7001, headersTimeoutMs: 2000, requestTimeoutMs: 5000 }',
        'metrics: { enabled: false, host: 0.0.0.0, port: 9100, path: /m }',
        'storage: { backend: redis, path: /var/lib/agent, redis: { url: "redis://10.0.0.5:6380/2" } }',
        'peers: [ "ws://10.0.0.2:7000/peers", "wss://peer.example/peers" ]',
        'workload: { enabled: true, rate: 2.5 }',
        'log: { level: "warn,agent.storage=debug", format: pretty }',
        'shutdown: { drainDelayMs: 750 }',
        'peerLimits: { maxPeers: 3, idleTimeoutMs: 0, maxBufferedBytes: 65536 }',
      ].join('\n'),
    );
    const c = loadConfig({ argv: ['--config', p], env: {}, cwd: dir });
    assert.deepEqual(c, {
      server: { host: '0.0.0.0', port: 7001, headersTimeoutMs: 2000, requestTimeoutMs: 5000 },
      metrics: { enabled: false, host: '0.0.0.0', port: 9100, path: '/m' },
      storage: {
        backend: 'redis',
        path: '/var/lib/agent',
        redis: { url: 'redis://10.0.0.5:6380/2' },
      },
      peers: ['ws://10.0.0.2:7000/peers', 'wss://peer.example/peers'],
      workload: { enabled: true, rate: 2.5 },
      log: { level: 'warn,agent.storage=debug', format: 'pretty' },
      shutdown: { drainDelayMs: 750 },
      peerLimits: { maxPeers: 3, idleTimeoutMs: 0, maxBufferedBytes: 65_536 },
      file: p,
    });
  });

  test('empty sections and an empty file give the defaults', async () => {
    const p = await file('empty.yaml', 'server:\nmetrics:\npeers:\n');
    const c = loadConfig({ argv: ['--config', p], env: {}, cwd: dir });
    assert.equal(c.server.port, 7000);
    assert.deepEqual(c.peers, []);
    const e = await file('nothing.yaml', '');
    assert.equal(loadConfig({ argv: ['--config', e], env: {}, cwd: dir }).metrics.port, 8080);
  });
});

describe('environment overrides', () => {
  test('each variable overrides the file', async () => {
    const p = await file(
      'env.yaml',
      'server: { host: 10.0.0.1, port: 7001 }\nmetrics: { enabled: true, host: 10.0.0.1, port: 9100, path: /m }\nstorage: { backend: local, path: data }\nlog: { level: info, format: json }\nshutdown: { drainDelayMs: 100 }\n',
    );
    const c = loadConfig({
      argv: ['--config', p],
      cwd: dir,
      env: {
        AGENT_HOST: '127.0.0.3',
        AGENT_PORT: '7555',
        AGENT_HEADERS_TIMEOUT_MS: '3000',
        AGENT_REQUEST_TIMEOUT_MS: '4000',
        METRICS_ENABLED: 'false',
        METRICS_HOST: '::1',
        METRICS_PORT: '9555',
        METRICS_PATH: '/prom',
        STORAGE_BACKEND: 'redis',
        STORAGE_PATH: 'elsewhere',
        REDIS_URL: 'redis://127.0.0.1:7777',
        LOG_LEVEL: 'debug',
        LOG_FORMAT: 'pretty',
        DRAIN_DELAY_MS: '0',
        MAX_PEERS: '5',
        PEER_IDLE_TIMEOUT_MS: '2500',
        PEER_MAX_BUFFERED_BYTES: '1048576',
      },
    });
    assert.deepEqual(c.peerLimits, {
      maxPeers: 5,
      idleTimeoutMs: 2500,
      maxBufferedBytes: 1_048_576,
    });
    assert.deepEqual(c.server, {
      host: '127.0.0.3',
      port: 7555,
      headersTimeoutMs: 3000,
      requestTimeoutMs: 4000,
    });
    assert.deepEqual(c.metrics, { enabled: false, host: '::1', port: 9555, path: '/prom' });
    assert.deepEqual(c.shutdown, { drainDelayMs: 0 });
    assert.deepEqual(c.storage, {
      backend: 'redis',
      path: join(dir, 'elsewhere'),
      redis: { url: 'redis://127.0.0.1:7777' },
    });
    assert.deepEqual(c.log, { level: 'debug', format: 'pretty' });
  });

  test('METRICS_ENABLED accepts the usual spellings; an empty variable counts as unset', () => {
    for (const [v, want] of [
      ['0', false],
      ['off', false],
      ['NO', false],
      ['1', true],
      ['Yes', true],
      ['on', true],
    ] as const) {
      assert.equal(loadConfig({ env: { METRICS_ENABLED: v }, cwd: dir }).metrics.enabled, want, v);
    }
    assert.equal(loadConfig({ env: { AGENT_PORT: '' }, cwd: dir }).server.port, 7000);
  });

  test('a bad variable names the field and the variable', () => {
    const e = assertInvalid(
      { env: { METRICS_PORT: 'abc' }, cwd: dir },
      'metrics.port',
      /must be an integer from 0 to 65535, got "abc" \(environment variable METRICS_PORT\)/,
    );
    assert.equal(e.source, 'environment variable METRICS_PORT');
    assertInvalid({ env: { AGENT_PORT: '70000' }, cwd: dir }, 'server.port', /AGENT_PORT/);
    assertInvalid(
      { env: { METRICS_ENABLED: 'maybe' }, cwd: dir },
      'metrics.enabled',
      /true or false/,
    );
    assertInvalid(
      { env: { METRICS_PATH: 'metrics' }, cwd: dir },
      'metrics.path',
      /start with "\/"/,
    );
    assertInvalid(
      { env: { STORAGE_BACKEND: 'sqlite' }, cwd: dir },
      'storage.backend',
      /one of local, redis, got "sqlite"/,
    );
    assertInvalid(
      { env: { REDIS_URL: 'http://x' }, cwd: dir },
      'storage.redis.url',
      /redis:\/\/ or rediss:\/\//,
    );
    assertInvalid({ env: { LOG_LEVEL: 'verbose' }, cwd: dir }, 'log.level', /got "verbose"/);
    assertInvalid({ env: { LOG_FORMAT: 'xml' }, cwd: dir }, 'log.format', /one of json, pretty/);
    assertInvalid({ env: { AGENT_HOST: '  ' }, cwd: dir }, 'server.host', /AGENT_HOST/);
    assertInvalid(
      { env: { MAX_PEERS: 'many' }, cwd: dir },
      'peerLimits.maxPeers',
      /got "many" \(environment variable MAX_PEERS\)/,
    );
    assertInvalid(
      { env: { PEER_IDLE_TIMEOUT_MS: '1.5' }, cwd: dir },
      'peerLimits.idleTimeoutMs',
      /\(environment variable PEER_IDLE_TIMEOUT_MS\)/,
    );
    assertInvalid(
      { env: { PEER_MAX_BUFFERED_BYTES: '4MiB' }, cwd: dir },
      'peerLimits.maxBufferedBytes',
      /\(environment variable PEER_MAX_BUFFERED_BYTES\)/,
    );
    assertInvalid(
      { env: { AGENT_HEADERS_TIMEOUT_MS: '10s' }, cwd: dir },
      'server.headersTimeoutMs',
      /got "10s" \(environment variable AGENT_HEADERS_TIMEOUT_MS\)/,
    );
    assertInvalid(
      { env: { AGENT_HEADERS_TIMEOUT_MS: '40000' }, cwd: dir },
      'server.requestTimeoutMs',
      /must be at least server\.headersTimeoutMs \(30000 < 40000\).*\(environment variable AGENT_HEADERS_TIMEOUT_MS\)$/,
    );
    assertInvalid({ env: { METRICS_HOST: ' ' }, cwd: dir }, 'metrics.host', /METRICS_HOST/);
  });

  test('DRAIN_DELAY_MS is validated with the rest of the config, naming the variable', () => {
    const e = assertInvalid(
      { env: { DRAIN_DELAY_MS: 'abc' }, cwd: dir },
      'shutdown.drainDelayMs',
      /must be an integer number of milliseconds from 0 to 20000, got "abc" \(environment variable DRAIN_DELAY_MS\)$/,
    );
    assert.equal(e.source, 'environment variable DRAIN_DELAY_MS');
    for (const bad of ['-1', '1.5', '20001', '1e3', '0x10']) {
      assertInvalid(
        { env: { DRAIN_DELAY_MS: bad }, cwd: dir },
        'shutdown.drainDelayMs',
        new RegExp(`got "${bad.replace('.', '\\.')}" \\(environment variable DRAIN_DELAY_MS\\)`),
      );
    }
    for (const [v, want] of [
      ['0', 0],
      ['2500', 2500],
      ['20000', 20_000],
      ['', 2000],
    ] as const) {
      assert.equal(
        loadConfig({ env: { DRAIN_DELAY_MS: v }, cwd: dir }).shutdown.drainDelayMs,
        want,
      );
    }
  });
});

describe('every invalid field in a file is named', () => {
  const cases: Array<[string, string, RegExp]> = [
    ['server: 3', 'server', /must be a mapping, got 3/],
    [
      'server: { prot: 1 }',
      'server.prot',
      /is not a known setting \(known: host, port, headersTimeoutMs, requestTimeoutMs\)/,
    ],
    [
      'server: { headersTimeoutMs: 50 }',
      'server.headersTimeoutMs',
      /integer number of milliseconds from 100 to 600000, got 50/,
    ],
    [
      'server: { requestTimeoutMs: 0 }',
      'server.requestTimeoutMs',
      /integer number of milliseconds from 100 to 3600000, got 0/,
    ],
    [
      'server: { headersTimeoutMs: 5000, requestTimeoutMs: 4000 }',
      'server.requestTimeoutMs',
      /must be at least server\.headersTimeoutMs \(4000 < 5000\)/,
    ],
    ['color: blue', 'color', /is not a known setting/],
    ['server: { host: "" }', 'server.host', /non-empty string/],
    ['server: { port: -1 }', 'server.port', /integer from 0 to 65535, got -1/],
    ['server: { port: 1.5 }', 'server.port', /got 1\.5/],
    ['metrics: { enabled: sometimes }', 'metrics.enabled', /true or false, got "sometimes"/],
    ['metrics: { host: 7 }', 'metrics.host', /non-empty string, got 7/],
    ['metrics: { port: 70000 }', 'metrics.port', /got 70000/],
    ['metrics: { path: "/a b" }', 'metrics.path', /no "\?", "#" or whitespace/],
    ['storage: { backend: memory }', 'storage.backend', /one of local, redis/],
    ['storage: { path: [] }', 'storage.path', /non-empty string, got a list/],
    ['storage: { redis: "redis://x" }', 'storage.redis', /must be a mapping/],
    ['storage: { redis: { url: "not a url" } }', 'storage.redis.url', /must be a URL/],
    ['storage: { redis: { host: x } }', 'storage.redis.host', /not a known setting \(known: url\)/],
    ['peers: "ws://x/peers"', 'peers', /must be a list of ws:\/\/ URLs/],
    ['peers: [ "ws://ok/peers", "http://x/peers" ]', 'peers[1]', /ws:\/\/ or wss:\/\//],
    ['workload: { enabled: 3 }', 'workload.enabled', /true or false, got 3/],
    ['workload: { enabled: true, rate: 0 }', 'workload.rate', /above 0 and at most 10000, got 0/],
    ['workload: { enabled: true, rate: fast }', 'workload.rate', /got "fast"/],
    ['workload: { enabled: false, rate: -1 }', 'workload.rate', /from 0 and at most 10000, got -1/],
    ['workload: { rate: fast }', 'workload.rate', /from 0 and at most 10000, got "fast"/],
    [
      'shutdown: { drainDelayMs: 1.5 }',
      'shutdown.drainDelayMs',
      /milliseconds from 0 to 20000, got 1\.5/,
    ],
    ['shutdown: { drain: 1 }', 'shutdown.drain', /not a known setting \(known: drainDelayMs\)/],
    [
      'peerLimits: { maxPeers: 0 }',
      'peerLimits.maxPeers',
      /integer number of peers from 1 to 100000, got 0/,
    ],
    [
      'peerLimits: { idleTimeoutMs: -5 }',
      'peerLimits.idleTimeoutMs',
      /milliseconds from 0 to 86400000, got -5/,
    ],
    [
      'peerLimits: { maxBufferedBytes: 1000 }',
      'peerLimits.maxBufferedBytes',
      /integer number of bytes from 65536 to 1073741824, got 1000/,
    ],
    [
      'peerLimits: { cap: 1 }',
      'peerLimits.cap',
      /not a known setting \(known: maxPeers, idleTimeoutMs, maxBufferedBytes\)/,
    ],
    ['log: { level: loud }', 'log.level', /got "loud"/],
    ['log: { level: "info,bad name=debug" }', 'log.level', /directives/],
    ['log: { format: text }', 'log.format', /one of json, pretty, got "text"/],
    ['- just\n- a list', 'config file', /must be a mapping, got a list/],
  ];
  for (const [yaml, field, problem] of cases) {
    test(`${field}: ${yaml.replace(/\n/g, ' ')}`, async () => {
      const p = await file(`bad-${Math.random().toString(36).slice(2)}.yaml`, yaml);
      const e = assertInvalid({ argv: ['--config', p], env: {}, cwd: dir }, field, problem);
      assert.ok(e.message.endsWith(`(${p})`), `the message names the file: ${e.message}`);
    });
  }

  test('a disabled workload may have rate 0; an enabled one may not', async () => {
    const off = await file('wl-off.yaml', 'workload: {enabled: false, rate: 0}\n');
    assert.deepEqual(loadConfig({ argv: ['--config', off], env: {}, cwd: dir }).workload, {
      enabled: false,
      rate: 0,
    });
    const on = await file('wl-on.yaml', 'workload: {enabled: true, rate: 0}\n');
    assertInvalid({ argv: ['--config', on], env: {}, cwd: dir }, 'workload.rate', /above 0/);
  });

  test('the metrics port must differ from the API port', () => {
    assertInvalid(
      { env: { AGENT_PORT: '8080' }, cwd: dir },
      'metrics.port',
      /must differ from server\.port \(both are 8080\)/,
    );
    // …unless the endpoint is off, or both pick a free port.
    assert.doesNotThrow(() =>
      loadConfig({ env: { AGENT_PORT: '8080', METRICS_ENABLED: 'false' }, cwd: dir }),
    );
    assert.doesNotThrow(() =>
      loadConfig({ env: { AGENT_PORT: '0', METRICS_PORT: '0' }, cwd: dir }),
    );
  });
});
