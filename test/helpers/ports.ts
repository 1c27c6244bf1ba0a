// Free TCP ports on 127.0.0.1 for the servers that tests start (Prometheus, Redis, Pushgateway, ...).
import { createServer } from 'node:net';

/** The only address test servers listen on: loopback, never a public interface. */
export const LOOPBACK = '127.0.0.1';

/**
 * Asks the kernel for a TCP port on 127.0.0.1 that is free right now, and releases it.
 *
 * There is an unavoidable race: another process may take the port between this call and the moment
 * a child server binds it. The server helpers (`startPrometheus`, `startRedis`, `startPushgateway`)
 * therefore retry with a fresh port when the child reports "address already in use". In-process
 * `node:http` servers should simply `listen(0, '127.0.0.1')` instead of calling this.
 *
 * @returns A port number in the kernel's ephemeral range.
 * @throws When no socket can be bound on 127.0.0.1.
 * @example
 * const port = await getFreePort();
 * spawn('redis-server', ['--bind', '127.0.0.1', '--port', String(port)]);
 */
export function getFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host: LOOPBACK, port: 0, exclusive: true }, () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error(`getFreePort: unexpected server address ${String(address)}`));
        return;
      }
      const { port } = address;
      server.close((err) => (err ? reject(err) : resolve(port)));
    });
  });
}
