// Entry point of `npm run demo`: starts the demo on $HOST:$PORT (default 127.0.0.1:9464) and prints its URL.

import { startDemo } from './demo.js';

const port = process.env.PORT === undefined ? 9464 : Number(process.env.PORT);
const host = process.env.HOST ?? '127.0.0.1';

try {
  const demo = await startDemo({ host, port });
  console.log(`telltale demo: metrics at ${demo.server.url}`);
  const stop = (signal: string) => {
    console.log(`telltale demo: ${signal} received, stopping`);
    demo.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(err);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
} catch (err) {
  console.error(
    `telltale demo: could not start: ${err instanceof Error ? err.message : String(err)}`,
  );
  process.exit(1);
}
