// The agent's configuration: a YAML file (agent.yaml, --config or AGENT_CONFIG), environment overrides, defaults, and a validator that names the field.

import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';

/** The agent's resolved configuration. Every field has a value. */
export interface AgentConfig {
  /**
   * The API server. `headersTimeoutMs`: a connection that has not sent a request's headers in
   * full this long after it started is answered 408 and closed; `requestTimeoutMs`: the same for
   * the whole request (headers and body). Both fire at most 500 ms late (telltale/server's
   * `serverTimeouts()` sets node's `connectionsCheckingInterval`).
   */
  readonly server: {
    readonly host: string;
    readonly port: number;
    readonly headersTimeoutMs: number;
    readonly requestTimeoutMs: number;
  };
  readonly metrics: {
    readonly enabled: boolean;
    readonly host: string;
    readonly port: number;
    readonly path: string;
  };
  readonly storage: {
    readonly backend: 'local' | 'redis';
    /** The local backend's data directory, absolute (a relative path is resolved against `cwd`). */
    readonly path: string;
    readonly redis: { readonly url: string };
  };
  /** WebSocket URLs of peers to dial (`ws://host:port/peers`). */
  readonly peers: readonly string[];
  /** `rate` is validated (above 0) only when `enabled`; a disabled workload may say `rate: 0`. */
  readonly workload: { readonly enabled: boolean; readonly rate: number };
  readonly log: { readonly level: string; readonly format: 'json' | 'pretty' };
  /**
   * Limits on peers (examples/agent/README.md, "Peer limits"): `maxPeers` accepted at once,
   * `idleTimeoutMs` without a message before an accepted peer is closed (0: off),
   * `maxBufferedBytes` queued for a peer that does not read before it is cut off.
   */
  readonly peerLimits: {
    readonly maxPeers: number;
    readonly idleTimeoutMs: number;
    readonly maxBufferedBytes: number;
  };
  /** `drainDelayMs`: how long readiness answers 503 before the servers close, in ms. */
  readonly shutdown: { readonly drainDelayMs: number };
  /** The file the config was read from, or `undefined` when only defaults and env applied. */
  readonly file: string | undefined;
}

/** The defaults: API on 127.0.0.1:7000, metrics on 127.0.0.1:8080/metrics, local storage in `./.agent-data`, no peers, workload off. */
export const DEFAULT_CONFIG = {
  server: { host: '127.0.0.1', port: 7000, headersTimeoutMs: 10_000, requestTimeoutMs: 30_000 },
  metrics: { enabled: true, host: '127.0.0.1', port: 8080, path: '/metrics' },
  storage: { backend: 'local', path: '.agent-data', redis: { url: 'redis://127.0.0.1:6379' } },
  peers: [] as string[],
  workload: { enabled: false, rate: 20 },
  log: { level: 'info', format: 'json' },
  peerLimits: { maxPeers: 64, idleTimeoutMs: 120_000, maxBufferedBytes: 4 * 1024 * 1024 },
  shutdown: { drainDelayMs: 2000 },
} as const;

/** The largest `shutdown.drainDelayMs`: the lifecycle's 30 s deadline must leave the hooks time to run. */
export const MAX_DRAIN_DELAY_MS = 20_000;

/** The config file read when neither `--config` nor `AGENT_CONFIG` names one (missing is fine). */
export const DEFAULT_CONFIG_FILE = 'agent.yaml';

/**
 * The shipped `examples/agent/agent.yaml` (absolute): `main.ts` (and so `npm start`) falls back to
 * it when no file is named and there is no `agent.yaml` in the working directory.
 */
export const SHIPPED_CONFIG_FILE = fileURLToPath(new URL('./agent.yaml', import.meta.url));

/** An invalid configuration: `field` is the dotted path (`metrics.port`), `source` where the value came from. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly field: string;
  readonly source: string;
  constructor(field: string, problem: string, source: string) {
    super(`invalid config: ${field} ${problem} (${source})`);
    this.field = field;
    this.source = source;
  }
}

/** Inputs of {@link loadConfig}. */
export interface LoadConfigOptions {
  /** Command-line arguments after the script (`process.argv.slice(2)`). Accepts `--config PATH` and `--config=PATH`. */
  readonly argv?: readonly string[];
  /** The environment. Default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Where relative paths (the config file, `storage.path`) are resolved. Default `process.cwd()`. */
  readonly cwd?: string;
  /**
   * The files tried, in order, when neither `--config` nor `AGENT_CONFIG` names one (relative to
   * `cwd`): the first that exists is read; none existing is fine (defaults and environment only).
   * Default `[DEFAULT_CONFIG_FILE]`. `main.ts` passes `[DEFAULT_CONFIG_FILE, SHIPPED_CONFIG_FILE]`.
   */
  readonly defaultFiles?: readonly string[];
}

const LEVELS = new Set([
  'trace',
  'debug',
  'info',
  'warn',
  'warning',
  'error',
  'fatal',
  'silent',
  'off',
]);

type Obj = Record<string, unknown>;

function describe(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return String(v);
}

/** Reads the sections of one mapping, rejecting unknown keys (usually typos such as `prot`). */
function section(value: unknown, field: string, keys: readonly string[], source: string): Obj {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new ConfigError(
      field || 'config file',
      `must be a mapping, got ${describe(value)}`,
      source,
    );
  }
  for (const k of Object.keys(value)) {
    if (!keys.includes(k)) {
      throw new ConfigError(
        field === '' ? k : `${field}.${k}`,
        `is not a known setting (known: ${keys.join(', ')})`,
        source,
      );
    }
  }
  return value as Obj;
}

function port(v: unknown, field: string, source: string): number {
  const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 65535) {
    throw new ConfigError(field, `must be an integer from 0 to 65535, got ${describe(v)}`, source);
  }
  return n;
}

function bool(v: unknown, field: string, source: string): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string') {
    const s = v.trim().toLowerCase();
    if (['true', '1', 'yes', 'on'].includes(s)) return true;
    if (['false', '0', 'no', 'off'].includes(s)) return false;
  }
  throw new ConfigError(field, `must be true or false, got ${describe(v)}`, source);
}

function str(v: unknown, field: string, source: string): string {
  if (typeof v !== 'string' || v.trim() === '') {
    throw new ConfigError(field, `must be a non-empty string, got ${describe(v)}`, source);
  }
  return v;
}

function httpPath(v: unknown, field: string, source: string): string {
  const s = str(v, field, source);
  if (!s.startsWith('/') || /[?#\s]/.test(s)) {
    throw new ConfigError(
      field,
      `must start with "/" and have no "?", "#" or whitespace, got ${describe(v)}`,
      source,
    );
  }
  return s;
}

function oneOf<T extends string>(
  v: unknown,
  field: string,
  allowed: readonly T[],
  source: string,
): T {
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
    throw new ConfigError(
      field,
      `must be one of ${allowed.join(', ')}, got ${describe(v)}`,
      source,
    );
  }
  return v as T;
}

function url(v: unknown, field: string, protocols: readonly string[], source: string): string {
  const s = str(v, field, source);
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    throw new ConfigError(field, `must be a URL, got ${describe(v)}`, source);
  }
  if (!protocols.includes(u.protocol)) {
    throw new ConfigError(
      field,
      `must be a ${protocols.map((p) => `${p}//`).join(' or ')} URL, got ${describe(v)}`,
      source,
    );
  }
  return s;
}

/** A rate in messages per second: above 0 (at least 0 when `allowZero`, for a disabled workload) and at most 10,000. */
function rate(v: unknown, field: string, source: string, allowZero = false): number {
  const n = typeof v === 'string' && /^\d+(\.\d+)?$/.test(v) ? Number(v) : v;
  if (
    typeof n !== 'number' ||
    !Number.isFinite(n) ||
    n < 0 ||
    (n === 0 && !allowZero) ||
    n > 10_000
  ) {
    throw new ConfigError(
      field,
      `must be a number of messages per second ${allowZero ? 'from 0' : 'above 0'} and at most 10000, got ${describe(v)}`,
      source,
    );
  }
  return n;
}

/** An integer from `min` to `max` (`what`: "an integer number of bytes"), from YAML or a variable. */
function integer(
  v: unknown,
  field: string,
  source: string,
  min: number,
  max: number,
  what: string,
): number {
  const n = typeof v === 'string' && /^\d+$/.test(v.trim()) ? Number(v.trim()) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(
      field,
      `must be ${what} from ${min} to ${max}, got ${describe(v)}`,
      source,
    );
  }
  return n;
}

/** An integer number of milliseconds from `min` to `max`. */
function millis(v: unknown, field: string, source: string, min: number, max: number): number {
  return integer(v, field, source, min, max, 'an integer number of milliseconds');
}

/** A `LOG_LEVEL`-style directive list (`info`, `warn,storage=debug`), checked piece by piece. */
function level(v: unknown, field: string, source: string): string {
  const s = str(v, field, source);
  for (const piece of s.split(',')) {
    const p = piece.trim();
    const eq = p.indexOf('=');
    const lvl = (eq === -1 ? p : p.slice(eq + 1)).trim().toLowerCase();
    const name = eq === -1 ? undefined : p.slice(0, eq).trim();
    if (
      !LEVELS.has(lvl) ||
      (name !== undefined && !/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/.test(name))
    ) {
      throw new ConfigError(
        field,
        `must be a level (trace, debug, info, warn, error, fatal, silent) or directives like "info,storage=debug", got ${describe(v)}`,
        source,
      );
    }
  }
  return s;
}

/** Picks the config file from argv, then AGENT_CONFIG, then the first default that exists; `required` is false only for a default. */
function configFile(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  cwd: string,
  defaults: readonly string[],
): { path: string; required: boolean } {
  let fromArgv: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--config') {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('--')) {
        throw new ConfigError('--config', 'needs a file path', 'command line');
      }
      fromArgv = next;
      i++;
    } else if (a.startsWith('--config=')) {
      fromArgv = a.slice('--config='.length);
      if (fromArgv === '') throw new ConfigError('--config', 'needs a file path', 'command line');
    } else {
      throw new ConfigError(a, 'is not a known argument (use --config PATH)', 'command line');
    }
  }
  if (fromArgv !== undefined) return { path: resolve(cwd, fromArgv), required: true };
  const fromEnv = env.AGENT_CONFIG;
  if (fromEnv !== undefined && fromEnv !== '')
    return { path: resolve(cwd, fromEnv), required: true };
  const candidates = defaults.map((f) => resolve(cwd, f));
  const found = candidates.find((f) => existsSync(f)) ?? candidates[0];
  return { path: found ?? resolve(cwd, DEFAULT_CONFIG_FILE), required: false };
}

/**
 * Loads the agent's configuration: the YAML file (`--config PATH`, else `AGENT_CONFIG`, else the
 * first of `defaultFiles` that exists, by default `agent.yaml` in `cwd`; none is fine), then the
 * environment overrides, over {@link DEFAULT_CONFIG}. Every value is validated; unknown keys are
 * errors.
 *
 * Environment overrides (an empty variable counts as unset): `AGENT_HOST`, `AGENT_PORT`,
 * `AGENT_HEADERS_TIMEOUT_MS`, `AGENT_REQUEST_TIMEOUT_MS` → `server.*`, `METRICS_ENABLED`, `METRICS_HOST`, `METRICS_PORT`, `METRICS_PATH` → `metrics.*`,
 * `STORAGE_BACKEND`, `STORAGE_PATH` → `storage.*`, `REDIS_URL` → `storage.redis.url`,
 * `LOG_LEVEL`, `LOG_FORMAT` → `log.*`, `MAX_PEERS`, `PEER_IDLE_TIMEOUT_MS`,
 * `PEER_MAX_BUFFERED_BYTES` → `peerLimits.*`, `DRAIN_DELAY_MS` → `shutdown.drainDelayMs`.
 *
 * @throws ConfigError naming the field, the problem and the source (file or variable), e.g.
 * `invalid config: metrics.port must be an integer from 0 to 65535, got 70000 (/etc/agent.yaml)`.
 * @example
 * ```ts
 * const config = loadConfig({ argv: process.argv.slice(2), env: process.env, cwd: process.cwd() });
 * ```
 */
export function loadConfig(options: LoadConfigOptions = {}): AgentConfig {
  const argv = options.argv ?? [];
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const { path: filePath, required } = configFile(
    argv,
    env,
    cwd,
    options.defaultFiles ?? [DEFAULT_CONFIG_FILE],
  );

  let text: string | undefined;
  try {
    text = readFileSync(filePath, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' || required) {
      throw new ConfigError(
        'config file',
        `${filePath} cannot be read: ${code === 'ENOENT' ? 'no such file' : (err as Error).message}`,
        required && argv.length > 0 ? '--config' : required ? 'AGENT_CONFIG' : 'default file',
      );
    }
  }
  const src = filePath;
  let doc: unknown;
  if (text !== undefined) {
    try {
      doc = parseYaml(text);
    } catch (err) {
      throw new ConfigError('config file', `is not valid YAML: ${(err as Error).message}`, src);
    }
  }
  const root = section(
    doc,
    '',
    ['server', 'metrics', 'storage', 'peers', 'peerLimits', 'workload', 'log', 'shutdown'],
    src,
  );
  const server = section(
    root.server,
    'server',
    ['host', 'port', 'headersTimeoutMs', 'requestTimeoutMs'],
    src,
  );
  const metrics = section(root.metrics, 'metrics', ['enabled', 'host', 'port', 'path'], src);
  const storage = section(root.storage, 'storage', ['backend', 'path', 'redis'], src);
  const redis = section(storage.redis, 'storage.redis', ['url'], src);
  const workload = section(root.workload, 'workload', ['enabled', 'rate'], src);
  const log = section(root.log, 'log', ['level', 'format'], src);
  const shutdown = section(root.shutdown, 'shutdown', ['drainDelayMs'], src);
  const limits = section(
    root.peerLimits,
    'peerLimits',
    ['maxPeers', 'idleTimeoutMs', 'maxBufferedBytes'],
    src,
  );

  const D = DEFAULT_CONFIG;
  // A value from the file (validated with the file as its source), or the default.
  const fromFile = <T>(v: unknown, dflt: T, check: (v: unknown, source: string) => T): T =>
    v === undefined || v === null ? dflt : check(v, src);
  // An environment override (validated with the variable as its source), or the current value.
  const fromEnv = <T>(name: string, current: T, check: (v: unknown, source: string) => T): T => {
    const v = env[name];
    return v === undefined || v === '' ? current : check(v, `environment variable ${name}`);
  };

  let peers: string[] = [];
  if (root.peers !== undefined && root.peers !== null) {
    if (!Array.isArray(root.peers)) {
      throw new ConfigError(
        'peers',
        `must be a list of ws:// URLs, got ${describe(root.peers)}`,
        src,
      );
    }
    peers = root.peers.map((p, i) => url(p, `peers[${i}]`, ['ws:', 'wss:'], src));
  }

  const serverPort = fromEnv(
    'AGENT_PORT',
    fromFile(server.port, D.server.port, (v, s) => port(v, 'server.port', s)),
    (v, s) => port(v, 'server.port', s),
  );
  const headersTimeoutMs = fromEnv(
    'AGENT_HEADERS_TIMEOUT_MS',
    fromFile(server.headersTimeoutMs, D.server.headersTimeoutMs as number, (v, s) =>
      millis(v, 'server.headersTimeoutMs', s, 100, 600_000),
    ),
    (v, s) => millis(v, 'server.headersTimeoutMs', s, 100, 600_000),
  );
  const requestTimeoutMs = fromEnv(
    'AGENT_REQUEST_TIMEOUT_MS',
    fromFile(server.requestTimeoutMs, D.server.requestTimeoutMs as number, (v, s) =>
      millis(v, 'server.requestTimeoutMs', s, 100, 3_600_000),
    ),
    (v, s) => millis(v, 'server.requestTimeoutMs', s, 100, 3_600_000),
  );
  if (requestTimeoutMs < headersTimeoutMs) {
    throw new ConfigError(
      'server.requestTimeoutMs',
      `must be at least server.headersTimeoutMs (${requestTimeoutMs} < ${headersTimeoutMs}): the request timeout covers the headers too`,
      env.AGENT_REQUEST_TIMEOUT_MS
        ? 'environment variable AGENT_REQUEST_TIMEOUT_MS'
        : env.AGENT_HEADERS_TIMEOUT_MS
          ? 'environment variable AGENT_HEADERS_TIMEOUT_MS'
          : src,
    );
  }
  const workloadEnabled = fromFile(workload.enabled, D.workload.enabled as boolean, (v, s) =>
    bool(v, 'workload.enabled', s),
  );
  const config: AgentConfig = {
    server: {
      host: fromEnv(
        'AGENT_HOST',
        fromFile(server.host, D.server.host as string, (v, s) => str(v, 'server.host', s)),
        (v, s) => str(v, 'server.host', s).trim(),
      ),
      port: serverPort,
      headersTimeoutMs,
      requestTimeoutMs,
    },
    metrics: {
      enabled: fromEnv(
        'METRICS_ENABLED',
        fromFile(metrics.enabled, D.metrics.enabled, (v, s) => bool(v, 'metrics.enabled', s)),
        (v, s) => bool(v, 'metrics.enabled', s),
      ),
      host: fromEnv(
        'METRICS_HOST',
        fromFile(metrics.host, D.metrics.host as string, (v, s) => str(v, 'metrics.host', s)),
        (v, s) => str(v, 'metrics.host', s).trim(),
      ),
      port: fromEnv(
        'METRICS_PORT',
        fromFile(metrics.port, D.metrics.port, (v, s) => port(v, 'metrics.port', s)),
        (v, s) => port(v, 'metrics.port', s),
      ),
      path: fromEnv(
        'METRICS_PATH',
        fromFile(metrics.path, D.metrics.path, (v, s) => httpPath(v, 'metrics.path', s)),
        (v, s) => httpPath(v, 'metrics.path', s),
      ),
    },
    storage: {
      backend: fromEnv(
        'STORAGE_BACKEND',
        fromFile(storage.backend, D.storage.backend as 'local' | 'redis', (v, s) =>
          oneOf(v, 'storage.backend', ['local', 'redis'], s),
        ),
        (v, s) => oneOf(v, 'storage.backend', ['local', 'redis'], s),
      ),
      path: resolve(
        cwd,
        fromEnv(
          'STORAGE_PATH',
          fromFile(storage.path, D.storage.path as string, (v, s) => str(v, 'storage.path', s)),
          (v, s) => str(v, 'storage.path', s),
        ),
      ),
      redis: {
        url: fromEnv(
          'REDIS_URL',
          fromFile(redis.url, D.storage.redis.url as string, (v, s) =>
            url(v, 'storage.redis.url', ['redis:', 'rediss:'], s),
          ),
          (v, s) => url(v, 'storage.redis.url', ['redis:', 'rediss:'], s),
        ),
      },
    },
    peers,
    workload: {
      enabled: workloadEnabled,
      // A disabled workload sends nothing, so its rate may be 0 (still a number, to catch typos).
      rate: fromFile(workload.rate, D.workload.rate as number, (v, s) =>
        rate(v, 'workload.rate', s, !workloadEnabled),
      ),
    },
    log: {
      level: fromEnv(
        'LOG_LEVEL',
        fromFile(log.level, D.log.level as string, (v, s) => level(v, 'log.level', s)),
        (v, s) => level(v, 'log.level', s),
      ),
      format: fromEnv(
        'LOG_FORMAT',
        fromFile(log.format, D.log.format as 'json' | 'pretty', (v, s) =>
          oneOf(v, 'log.format', ['json', 'pretty'], s),
        ),
        (v, s) => oneOf(v, 'log.format', ['json', 'pretty'], s),
      ),
    },
    peerLimits: {
      maxPeers: fromEnv(
        'MAX_PEERS',
        fromFile(limits.maxPeers, D.peerLimits.maxPeers as number, (v, s) =>
          integer(v, 'peerLimits.maxPeers', s, 1, 100_000, 'an integer number of peers'),
        ),
        (v, s) => integer(v, 'peerLimits.maxPeers', s, 1, 100_000, 'an integer number of peers'),
      ),
      idleTimeoutMs: fromEnv(
        'PEER_IDLE_TIMEOUT_MS',
        fromFile(limits.idleTimeoutMs, D.peerLimits.idleTimeoutMs as number, (v, s) =>
          millis(v, 'peerLimits.idleTimeoutMs', s, 0, 86_400_000),
        ),
        (v, s) => millis(v, 'peerLimits.idleTimeoutMs', s, 0, 86_400_000),
      ),
      maxBufferedBytes: fromEnv(
        'PEER_MAX_BUFFERED_BYTES',
        fromFile(limits.maxBufferedBytes, D.peerLimits.maxBufferedBytes as number, (v, s) =>
          integer(
            v,
            'peerLimits.maxBufferedBytes',
            s,
            65_536,
            1_073_741_824,
            'an integer number of bytes',
          ),
        ),
        (v, s) =>
          integer(
            v,
            'peerLimits.maxBufferedBytes',
            s,
            65_536,
            1_073_741_824,
            'an integer number of bytes',
          ),
      ),
    },
    shutdown: {
      drainDelayMs: fromEnv(
        'DRAIN_DELAY_MS',
        fromFile(shutdown.drainDelayMs, D.shutdown.drainDelayMs as number, (v, s) =>
          millis(v, 'shutdown.drainDelayMs', s, 0, MAX_DRAIN_DELAY_MS),
        ),
        (v, s) => millis(v, 'shutdown.drainDelayMs', s, 0, MAX_DRAIN_DELAY_MS),
      ),
    },
    file: text === undefined ? undefined : filePath,
  };
  if (
    config.metrics.enabled &&
    config.metrics.port !== 0 &&
    config.metrics.port === config.server.port
  ) {
    throw new ConfigError(
      'metrics.port',
      `must differ from server.port (both are ${config.server.port}); the metrics endpoint has its own port`,
      text === undefined ? 'defaults and environment' : src,
    );
  }
  return config;
}
