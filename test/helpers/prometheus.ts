// Starts a real Prometheus 2.42 server on 127.0.0.1 that scrapes test targets, and queries it.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type ExitInfo, ManagedProcess } from './child.js';
import { httpRequest, waitForReadyEndpoint } from './http.js';
import { getFreePort, LOOPBACK } from './ports.js';
import { checkConfig } from './promtool.js';
import { makeTempDir, removeTempDir } from './tmp.js';
import { FatalPollError, pollUntil } from './wait.js';

/** One scrape target. Each target gets its own scrape job. */
export interface PrometheusTarget {
  /** TCP port of the target on 127.0.0.1. */
  port: number;
  /** Metrics path. Default `/metrics`. Must not contain `?`: use `params` for a query string. */
  path?: string;
  /** Query parameters sent with every scrape (Prometheus `params`). */
  params?: Record<string, string[]>;
  /** Job name. Default `target` for the first target, `target_1`, `target_2`, ... for the others. */
  job?: string;
  /** Extra keys merged into this target's `scrape_configs` entry, e.g. `{ honor_labels: true }`. */
  scrapeConfig?: Record<string, unknown>;
}

/** Options for {@link startPrometheus}. */
export interface StartPrometheusOptions {
  targets: readonly PrometheusTarget[];
  /**
   * Extra command-line flags, e.g. `['--enable-feature=native-histograms,exemplar-storage']` or
   * `['--web.enable-remote-write-receiver']`.
   */
  extraFlags?: readonly string[];
  /** Rule files to load (absolute paths), checked together with the config. */
  ruleFiles?: readonly string[];
  /** Deadline for `/-/ready` in milliseconds. Default 15000. */
  readyTimeoutMs?: number;
}

/** One element of an instant-query result. */
export interface InstantSample {
  /** The series labels, including `__name__` when the expression keeps it. */
  metric: Record<string, string>;
  /** Evaluation time in seconds since the epoch. */
  timestamp: number;
  /** The value as a number (`"NaN"`, `"+Inf"`, `"-Inf"` become real NaN/Infinity). NaN for native histograms. */
  value: number;
  /** The value exactly as Prometheus sent it (a string), or `undefined` for a native histogram. */
  rawValue: string | undefined;
  /** Present for native-histogram samples (Prometheus 2.42 API shape). */
  histogram?: {
    count: string;
    sum: string;
    buckets?: Array<[boundaryRule: number, lower: string, upper: string, count: string]>;
  };
}

/** A scrape target as reported by `/api/v1/targets?state=active`. */
export interface ActiveTarget {
  /** `up`, `down` or `unknown`. */
  health: string;
  /** The last scrape's error, `''` when it succeeded. */
  lastError: string;
  lastScrape: string;
  lastScrapeDuration: number;
  scrapeUrl: string;
  scrapePool: string;
  labels: Record<string, string>;
  discoveredLabels: Record<string, string>;
}

/** One series' exemplars from `/api/v1/query_exemplars`. */
export interface ExemplarSeries {
  seriesLabels: Record<string, string>;
  exemplars: Array<{ labels: Record<string, string>; value: number; timestamp: number }>;
}

/** A running Prometheus server (see {@link startPrometheus}). */
export interface PrometheusServer {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  readonly port: number;
  /** The temporary directory holding `prometheus.json` and `data/`; removed by `stop()`. */
  readonly dir: string;
  /** The supervised process; its output (Prometheus logs to stderr) is kept for error messages. */
  readonly process: ManagedProcess;
  /**
   * Runs an instant query (`/api/v1/query`) and returns the vector. A scalar result comes back as
   * one sample with empty labels.
   *
   * @param time Evaluation time in seconds since the epoch; default now.
   * @throws With Prometheus's `errorType` and `error` for a bad query (HTTP 400 `bad_data`).
   */
  query(promql: string, time?: number): Promise<InstantSample[]>;
  /**
   * Runs an instant query that must return exactly one sample, and returns its value.
   *
   * @throws When the result has zero or several samples (the message lists them).
   */
  queryScalar(promql: string): Promise<number>;
  /** The active targets (`/api/v1/targets?state=active`). */
  targets(): Promise<ActiveTarget[]>;
  /**
   * Polls every 200 ms until every configured target has been scraped successfully (`health: up`)
   * and that scrape's samples are queryable (`up == 1`), so a query right after it sees the data.
   * Prometheus 2.42 hands new targets to the scrape pools only every 5 s, so this takes 5–6 s.
   *
   * @param timeoutMs Default 20000 (anything under about 8 s fails with `health=none`).
   * @throws With each target's health and `lastError`, and the Prometheus log tail.
   */
  waitForHealthyTarget(timeoutMs?: number): Promise<ActiveTarget[]>;
  /**
   * Polls a query every 250 ms until `predicate` accepts its result, and returns that result.
   * A bad query (HTTP 400) fails at once instead of polling.
   *
   * @param timeoutMs Default 20000.
   */
  waitFor(
    promql: string,
    predicate: (result: InstantSample[]) => boolean,
    timeoutMs?: number,
  ): Promise<InstantSample[]>;
  /**
   * Exemplars of the series selected by `promql` (needs `--enable-feature=exemplar-storage`).
   * Exemplars keep their own timestamps, so the range must cover them.
   *
   * @param start Seconds since the epoch; default one hour ago.
   * @param end Seconds since the epoch; default one minute from now.
   */
  queryExemplars(promql: string, start?: number, end?: number): Promise<ExemplarSeries[]>;
  /**
   * GETs any API path (e.g. `/api/v1/status/flags`) and returns its `data` field.
   *
   * @throws When the status is not `success`.
   */
  api<T = unknown>(path: string, params?: Record<string, string>): Promise<T>;
  /** The last lines of Prometheus's output, for diagnostics. */
  logs(maxLines?: number): string;
  /** SIGTERM, wait for exit (SIGKILL after 10 s), remove the temp dir. Safe to call twice. */
  stop(): Promise<ExitInfo>;
}

/** Builds the scrape config. JSON is valid YAML, and JSON.stringify does all the quoting. */
function buildConfig(options: StartPrometheusOptions): Record<string, unknown> {
  const jobs = new Set<string>();
  const scrapeConfigs = options.targets.map((t, i) => {
    const job = t.job ?? (i === 0 ? 'target' : `target_${i}`);
    if (jobs.has(job)) throw new Error(`startPrometheus: duplicate job name ${job}`);
    jobs.add(job);
    const path = t.path ?? '/metrics';
    if (path.includes('?')) {
      throw new Error(`startPrometheus: metrics path ${path} contains "?"; use the params option`);
    }
    return {
      job_name: job,
      scheme: 'http',
      metrics_path: path,
      ...(t.params ? { params: t.params } : {}),
      static_configs: [{ targets: [`${LOOPBACK}:${t.port}`] }],
      ...t.scrapeConfig,
    };
  });
  return {
    global: { scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' },
    ...(options.ruleFiles ? { rule_files: [...options.ruleFiles] } : {}),
    scrape_configs: scrapeConfigs,
  };
}

function parseValue(raw: string): number {
  if (raw === '+Inf') return Number.POSITIVE_INFINITY;
  if (raw === '-Inf') return Number.NEGATIVE_INFINITY;
  return Number(raw); // "NaN" -> NaN
}

interface ApiEnvelope {
  status: string;
  data?: unknown;
  errorType?: string;
  error?: string;
}

class QueryError extends Error {
  readonly errorType: string;
  constructor(message: string, errorType: string) {
    super(message);
    this.errorType = errorType;
  }
}

/**
 * Starts Prometheus 2.42 scraping the given targets every second, and waits until `/-/ready`.
 *
 * It writes the config (scrape interval, timeout and evaluation interval 1 s) into a fresh temp
 * dir, validates it with `promtool check config`, and runs `prometheus --config.file=…
 * --storage.tsdb.path=<dir>/data --web.listen-address=127.0.0.1:<free port> …extraFlags`. If the
 * port was taken in the meantime it retries with another one. Always pair with `stop()`.
 *
 * @throws When the config is invalid, or Prometheus exits or is not ready within `readyTimeoutMs`
 *   (the message includes its log).
 * @example
 * const prom = await startPrometheus({ targets: [{ port }] });
 * t.after(() => prom.stop());
 * await prom.waitForHealthyTarget();
 * assert.equal(await prom.queryScalar('test_helper_value'), 42);
 */
export async function startPrometheus(options: StartPrometheusOptions): Promise<PrometheusServer> {
  if (options.targets.length === 0)
    throw new Error('startPrometheus: at least one target is needed');
  const dir = await makeTempDir('prometheus');
  try {
    const configFile = join(dir, 'prometheus.json');
    await writeFile(configFile, `${JSON.stringify(buildConfig(options), null, 2)}\n`);
    const check = await checkConfig(configFile);
    if (check.exitCode !== 0) {
      throw new Error(
        `promtool check config failed (exit ${check.exitCode}):\n${check.stdout}${check.stderr}`,
      );
    }
    for (let attempt = 1; ; attempt++) {
      const port = await getFreePort();
      const proc = ManagedProcess.start(
        'prometheus',
        [
          `--config.file=${configFile}`,
          `--storage.tsdb.path=${join(dir, 'data')}`,
          `--web.listen-address=${LOOPBACK}:${port}`,
          ...(options.extraFlags ?? []),
        ],
        { name: 'prometheus', cwd: dir },
      );
      const url = `http://${LOOPBACK}:${port}`;
      try {
        await waitForReadyEndpoint(proc, url, 'Prometheus', options.readyTimeoutMs ?? 15_000, 50);
      } catch (err) {
        await proc.stop();
        const inUse = proc.lines.some((l) => l.text.includes('address already in use'));
        if (inUse && attempt < 3) continue;
        throw err;
      }
      return makeServer(url, port, dir, proc, options.targets.length);
    }
  } catch (err) {
    await removeTempDir(dir);
    throw err;
  }
}

function makeServer(
  url: string,
  port: number,
  dir: string,
  proc: ManagedProcess,
  targetCount: number,
): PrometheusServer {
  let stopping: Promise<ExitInfo> | undefined;

  async function api<T>(path: string, params: Record<string, string> = {}): Promise<T> {
    const qs = new URLSearchParams(params).toString();
    const res = await httpRequest(`${url}${path}${qs ? `?${qs}` : ''}`, { timeoutMs: 10_000 });
    let body: ApiEnvelope;
    try {
      body = JSON.parse(res.body) as ApiEnvelope;
    } catch {
      throw new Error(
        `Prometheus ${path}: HTTP ${res.status}, not JSON: ${res.body.slice(0, 500)}`,
      );
    }
    if (body.status !== 'success') {
      throw new QueryError(
        `Prometheus ${path} ${JSON.stringify(params)}: HTTP ${res.status} ${body.errorType}: ${body.error}`,
        body.errorType ?? 'unknown',
      );
    }
    return body.data as T;
  }

  async function query(promql: string, time?: number): Promise<InstantSample[]> {
    const params: Record<string, string> = { query: promql };
    if (time !== undefined) params['time'] = String(time);
    const data = await api<{ resultType: string; result: unknown }>('/api/v1/query', params);
    if (data.resultType === 'scalar') {
      const [ts, raw] = data.result as [number, string];
      return [{ metric: {}, timestamp: ts, value: parseValue(raw), rawValue: raw }];
    }
    if (data.resultType !== 'vector') {
      throw new Error(`query ${promql}: expected a vector result, got ${data.resultType}`);
    }
    type Wire = {
      metric: Record<string, string>;
      value?: [number, string];
      histogram?: [number, NonNullable<InstantSample['histogram']>];
    };
    return (data.result as Wire[]).map((r): InstantSample => {
      if (r.histogram) {
        return {
          metric: r.metric,
          timestamp: r.histogram[0],
          value: Number.NaN,
          rawValue: undefined,
          histogram: r.histogram[1],
        };
      }
      const [ts, raw] = r.value ?? [0, 'NaN'];
      return { metric: r.metric, timestamp: ts, value: parseValue(raw), rawValue: raw };
    });
  }

  async function targets(): Promise<ActiveTarget[]> {
    const data = await api<{ activeTargets: ActiveTarget[] }>('/api/v1/targets', {
      state: 'active',
    });
    return data.activeTargets;
  }

  const describeTargets = (ts: readonly ActiveTarget[]): string =>
    ts.length === 0
      ? 'activeTargets: [] (Prometheus 2.42 adds new targets only every 5 s)'
      : ts
          .map((t) => `${t.scrapeUrl} health=${t.health} lastError=${JSON.stringify(t.lastError)}`)
          .join('\n');

  return {
    url,
    port,
    dir,
    process: proc,
    api,
    query,
    targets,
    async queryScalar(promql) {
      const result = await query(promql);
      if (result.length !== 1 || result[0] === undefined) {
        throw new Error(
          `queryScalar(${promql}): expected exactly one sample, got ${result.length}: ${JSON.stringify(result)}`,
        );
      }
      return result[0].value;
    },
    async waitForHealthyTarget(timeoutMs = 20_000) {
      let last: ActiveTarget[] = [];
      return pollUntil(
        async () => {
          last = await targets();
          if (last.length < targetCount || !last.every((t) => t.health === 'up')) return undefined;
          // Defensive, not a measured failure: target health and the scrape's commit to the TSDB
          // are separate steps, so also wait until each target's `up` sample (committed together
          // with the scraped samples) is queryable. Usually costs one extra query.
          const up = await query('up == 1');
          return up.length >= targetCount ? last : undefined;
        },
        {
          description: `healthy scrape targets on Prometheus ${url} (targets did not become healthy)`,
          timeoutMs,
          intervalMs: 200,
          abortIf: () => (proc.exitInfo ? `prometheus exited\n${proc.tail()}` : undefined),
          diagnostics: () => `${describeTargets(last)}\n${proc.tail(20)}`,
        },
      );
    },
    async waitFor(promql, predicate, timeoutMs = 20_000) {
      let last: InstantSample[] | undefined;
      return pollUntil(
        async () => {
          try {
            last = await query(promql);
          } catch (err) {
            // A malformed query will never succeed: surface it at once.
            if (err instanceof QueryError && err.errorType === 'bad_data') {
              throw new FatalPollError(err.message);
            }
            throw err;
          }
          return predicate(last) ? last : undefined;
        },
        {
          description: `query ${promql} to satisfy the predicate`,
          timeoutMs,
          intervalMs: 250,
          abortIf: () => (proc.exitInfo ? `prometheus exited\n${proc.tail()}` : undefined),
          diagnostics: () => `last result: ${JSON.stringify(last)}\n${proc.tail(20)}`,
        },
      );
    },
    async queryExemplars(promql, start, end) {
      const now = Date.now() / 1000;
      return api<ExemplarSeries[]>('/api/v1/query_exemplars', {
        query: promql,
        start: String(start ?? now - 3600),
        end: String(end ?? now + 60),
      }).then((series) =>
        (series ?? []).map((s) => ({
          seriesLabels: s.seriesLabels,
          exemplars: s.exemplars.map((e) => ({
            labels: e.labels,
            value: parseValue(String(e.value)),
            timestamp: Number(e.timestamp),
          })),
        })),
      );
    },
    logs(maxLines = 100) {
      return proc.tail(maxLines);
    },
    stop() {
      stopping ??= proc.stop({ timeoutMs: 10_000 }).then(async (info) => {
        await removeTempDir(dir);
        return info;
      });
      return stopping;
    },
  };
}
