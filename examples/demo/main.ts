// Entry point of `npm run demo`: the demo on $HOST:$PORT (default 127.0.0.1:9464), with graceful shutdown.

import { createLifecycle } from 'telltale/lifecycle';
import { createLogger } from 'telltale/log';
import { startDemo } from './demo.js';

const logger = createLogger({ name: 'demo' });
const port = process.env.PORT === undefined ? 9464 : Number(process.env.PORT);
const host = process.env.HOST ?? '127.0.0.1';

try {
  const demo = await startDemo({ host, port, logger });
  // Without a registry the shutdown metrics would go to defaultRegistry(), which this service does
  // not serve; they matter only when pushed before exit (docs/lifecycle.md), so none here.
  const lifecycle = createLifecycle({
    health: demo.health,
    metrics: false,
    drainDelayMs: Number(process.env.DRAIN_DELAY_MS ?? 2000),
    logger: logger.named('lifecycle'),
  });
  lifecycle.addServer(demo.server);
  lifecycle.onShutdown('demo', () => demo.stop());
  lifecycle.install();
  // The banner is for the person at the terminal, so it goes to stderr: stdout carries only the
  // log, one JSON object per line (with LOG_FORMAT=json, the default), whatever LOG_LEVEL is.
  console.error(`telltale demo: metrics at ${demo.metricsUrl}`);
  console.error(
    `telltale demo: health at ${demo.url}/health/ready (also /health/live, /health, /health/startup)`,
  );
  console.error(
    `telltale demo: API at ${demo.url}/hello/world, POST ${demo.url}/echo, ${demo.url}/fail`,
  );
} catch (err) {
  logger.fatal({ err }, 'demo could not start');
  process.exit(1);
}
