// Entry point of the agent (`npm start`): loads the config, starts the agent (and, with the workload on, a companion agent as its peer), prints the URLs, and shuts down gracefully on SIGTERM.
//
// Exit codes: 0 after a graceful shutdown; 2 for an invalid configuration (the error names the
// field or variable, DRAIN_DELAY_MS included); 1 when the agent cannot start (storage cannot be
// opened, a port is taken) or the shutdown passes its deadline.
//
// The config file: `--config PATH`, else AGENT_CONFIG, else `agent.yaml` in the working
// directory, else the shipped examples/agent/agent.yaml (workload on), so `npm start` names no
// file and both `AGENT_CONFIG=x npm start` and `npm start -- --config x` work.

import { join } from 'node:path';
import { createLifecycle } from 'telltale/lifecycle';
import { createLogger } from 'telltale/log';
import { type Agent, startAgent } from './agent.js';
import {
  type AgentConfig,
  ConfigError,
  DEFAULT_CONFIG_FILE,
  loadConfig,
  SHIPPED_CONFIG_FILE,
} from './config.js';

let config: AgentConfig;
try {
  config = loadConfig({
    argv: process.argv.slice(2),
    env: process.env,
    cwd: process.cwd(),
    defaultFiles: [DEFAULT_CONFIG_FILE, SHIPPED_CONFIG_FILE],
  });
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  console.error(`agent: ${err.message}`);
  process.exit(2);
}

const logger = createLogger({ name: 'agent', level: config.log.level, format: config.log.format });
const background = new AbortController();
let agent: Agent | undefined;
let companion: Agent | undefined;
try {
  agent = await startAgent(config, { logger, signal: background.signal });
  if (config.workload.enabled) {
    // A second agent in this process dials the first one, so the peer path carries traffic on a
    // fresh start: each workload sends half its messages to the other agent over the WebSocket.
    // Its own metrics endpoint is off, and its log is quiet (warnings only).
    companion = await startAgent(
      {
        ...config,
        server: { ...config.server, port: 0 },
        metrics: { ...config.metrics, enabled: false },
        storage: {
          ...config.storage,
          backend: 'local',
          path: join(config.storage.path, 'companion'),
        },
        peers: [`${agent.apiUrl.replace(/^http/, 'ws')}/peers`],
      },
      {
        logger: createLogger({ name: 'companion', level: 'warn', format: config.log.format }),
        signal: background.signal,
      },
    );
  }
} catch (err) {
  logger.fatal({ err }, 'Agent could not start');
  console.error(`agent: could not start: ${(err as Error).message}`);
  await companion?.stop();
  await agent?.stop();
  process.exit(1);
}

// Without a registry the shutdown metrics would go to defaultRegistry(), which this service does
// not serve; they matter only when pushed before exit (docs/lifecycle.md), so none here.
const lifecycle = createLifecycle({
  health: agent.health,
  metrics: false,
  drainDelayMs: config.shutdown.drainDelayMs,
  logger: logger.named('lifecycle'),
});
// The root signal aborts at the start of shutdown: the workloads and peer dials stop first.
lifecycle.signal.addEventListener('abort', () => background.abort(), { once: true });
lifecycle.addServer(agent.server);
lifecycle.addWebSocketServer(agent.hub.wss);
// Hooks run in reverse order: the companion first, then the agent, whose stop() closes the
// storage last (flushed, fsynced, lock released).
const main = agent;
lifecycle.onShutdown('agent', () => main.stop());
if (companion !== undefined) {
  const c = companion;
  lifecycle.onShutdown('companion', () => c.stop());
}
lifecycle.install();

// The banner goes to stderr: stdout carries only the JSON log, one object per line.
const host = agent.apiUrl;
console.error(
  config.file === undefined
    ? 'agent: config from defaults and environment (no file)'
    : `agent: config from ${config.file}`,
);
console.error(
  `agent: API at ${host} (POST /messages, GET /kv/:key, peers at ${host.replace(/^http/, 'ws')}/peers)`,
);
console.error(
  agent.metricsUrl === undefined
    ? 'agent: metrics endpoint disabled'
    : `agent: metrics at ${agent.metricsUrl}`,
);
console.error(
  `agent: health at ${host}/health/ready (also /health/live, /health, /health/startup)`,
);
console.error(
  config.storage.backend === 'local'
    ? `agent: storage local in ${config.storage.path}`
    : `agent: storage redis at ${config.storage.redis.url}`,
);
if (companion !== undefined) {
  console.error(
    `agent: workload ${config.workload.rate} messages/s; companion agent ${companion.apiUrl} is connected as a peer`,
  );
}
