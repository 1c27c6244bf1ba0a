// Type-level tests: the logger from createLogger is a MinimalLogger and a pino Logger; named() and child() keep telltale's type.
// Each `@ts-expect-error` fails the type check (npx tsc -p tsconfig.json) if the line below it compiles.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { pino } from 'pino';
import type { MinimalLogger as InternalMinimalLogger } from '../../src/internal/logger.js';
import { createLogger, type Logger, type MinimalLogger } from '../../src/log/index.js';
import type { MetricsServerOptions } from '../../src/server/index.js';
import { capture } from './capture.js';

it('a telltale Logger is assignable to MinimalLogger, pino.Logger and the server’s logger option', () => {
  const log = createLogger({ env: {}, destination: capture() });
  const minimal: MinimalLogger = log;
  const internal: InternalMinimalLogger = log.named('a');
  const asPino: pino.Logger = log.child({ a: 1 });
  const option: MetricsServerOptions['logger'] = log.named('metrics');
  // child() and named() return telltale Loggers, so both chain in any order.
  const chained: Logger = log.child({ a: 1 }).named('b').child({ c: 2 }).named('d');
  // Both of pino's argument orders that MinimalLogger allows.
  minimal.info({ url: 'http://x' }, 'listening');
  minimal.warn('just a message');
  internal.error({ err: new Error('x') }, 'failed');
  assert.ok(asPino && option && chained);
});

it('rejects what the types forbid', () => {
  const log = createLogger({ env: {}, destination: capture() });
  assert.throws(() => {
    // @ts-expect-error: a logger name is a string.
    log.named(1);
  });
  assert.throws(() => {
    // @ts-expect-error: format is 'json' or 'pretty'.
    createLogger({ format: 'xml' });
  });
});
