// Starts a real Prometheus Pushgateway 1.5 on 127.0.0.1 with no persistence file.
import { type ExitInfo, ManagedProcess } from './child.js';
import { httpRequest, waitForReadyEndpoint } from './http.js';
import { getFreePort, LOOPBACK } from './ports.js';

/** Options for {@link startPushgateway}. */
export interface StartPushgatewayOptions {
  /** Extra flags, e.g. `['--web.enable-admin-api']` (needed for `/api/v1/admin/wipe`). */
  extraFlags?: readonly string[];
  /** Deadline for `/-/ready` in milliseconds. Default 10000. */
  readyTimeoutMs?: number;
}

/** A running Pushgateway (see {@link startPushgateway}). */
export interface PushgatewayServer {
  /** Base URL, e.g. `http://127.0.0.1:41234`; push to `${url}/metrics/job/<job>`. */
  readonly url: string;
  readonly port: number;
  readonly process: ManagedProcess;
  /** GET `${url}/metrics`: always text format 0.0.4, even for an OpenMetrics Accept header. */
  metrics(): Promise<string>;
  /** SIGTERM and wait for exit (SIGKILL after 10 s). Safe to call twice. */
  stop(): Promise<ExitInfo>;
}

/**
 * Starts `prometheus-pushgateway --web.listen-address=127.0.0.1:<free port> --persistence.file=`
 * and waits for `/-/ready` (under 0.1 s). The empty `--persistence.file=` matters: Debian's default
 * is /var/lib/prometheus/pushgateway.data, which would leak state between runs.
 *
 * @throws When it exits or is not ready in time (the message includes its log).
 * @example
 * const pgw = await startPushgateway();
 * t.after(() => pgw.stop());
 * await httpRequest(`${pgw.url}/metrics/job/test`, { method: 'POST', body: 'a_total 1\n' });
 */
export async function startPushgateway(
  options: StartPushgatewayOptions = {},
): Promise<PushgatewayServer> {
  for (let attempt = 1; ; attempt++) {
    const port = await getFreePort();
    const url = `http://${LOOPBACK}:${port}`;
    const proc = ManagedProcess.start(
      'prometheus-pushgateway',
      [
        `--web.listen-address=${LOOPBACK}:${port}`,
        '--persistence.file=',
        ...(options.extraFlags ?? []),
      ],
      { name: 'pushgateway' },
    );
    try {
      await waitForReadyEndpoint(proc, url, 'Pushgateway', options.readyTimeoutMs ?? 10_000, 25);
    } catch (err) {
      await proc.stop();
      if (attempt < 3 && proc.lines.some((l) => l.text.includes('address already in use')))
        continue;
      throw err;
    }
    return {
      url,
      port,
      process: proc,
      async metrics() {
        const res = await httpRequest(`${url}/metrics`);
        if (res.status !== 200)
          throw new Error(`GET ${url}/metrics: HTTP ${res.status}: ${res.body}`);
        return res.body;
      },
      stop: () => proc.stop({ timeoutMs: 10_000 }),
    };
  }
}
