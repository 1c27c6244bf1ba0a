// Metrics server options from environment variables (METRICS_*) and from a YAML file's `metrics:` section.
import { parse as parseYaml } from 'yaml';
import { fail } from '../internal/errors.js';
import { describeValue, numberOption, pathOption, stringOption } from './validate.js';

/** The part of the server options that configuration files and the environment can set. */
export interface MetricsServerConfig {
  /** Whether to start the server (`METRICS_ENABLED`, `metrics.enabled`). */
  enabled?: boolean;
  /** The interface to bind (`METRICS_HOST`, `metrics.host`). */
  host?: string;
  /** The TCP port, 0–65535 (`METRICS_PORT`, `metrics.port`). */
  port?: number;
  /** The metrics path, starting with `/` (`METRICS_PATH`, `metrics.path`). */
  path?: string;
}

const TRUE: ReadonlySet<string> = new Set(['true', '1', 'yes', 'on']);
const FALSE: ReadonlySet<string> = new Set(['false', '0', 'no', 'off']);

function parseBool(name: string, raw: string): boolean {
  const v = raw.trim().toLowerCase();
  if (TRUE.has(v)) return true;
  if (FALSE.has(v)) return false;
  return fail(
    'TT_INVALID_OPTION',
    `${name} must be true/false (also 1/0, yes/no, on/off), got ${describeValue(raw)}`,
  );
}

function parsePort(name: string, raw: string): number {
  const v = raw.trim();
  if (!/^\d{1,5}$/.test(v)) {
    fail(
      'TT_INVALID_OPTION',
      `${name} must be a port number from 0 to 65535, got ${describeValue(raw)}`,
    );
  }
  return numberOption(name, Number(v), 9464, { min: 0, max: 65_535, integer: true });
}

/**
 * Reads the metrics server's settings from environment variables: `<prefix>ENABLED`
 * (true/false, 1/0, yes/no, on/off), `<prefix>HOST`, `<prefix>PORT` (0–65535) and
 * `<prefix>PATH` (starts with `/`). Unset or empty variables are left out of the result, so the
 * server's defaults (or your own, spread first) apply.
 *
 * @param env The environment to read. Default `process.env`.
 * @param prefix The variable prefix. Default `'METRICS_'`.
 * @throws {TelltaleError} `TT_INVALID_OPTION` naming the variable when a value is invalid.
 * @example
 * ```ts
 * const server = await createMetricsServer({ registry, ...metricsServerOptionsFromEnv() });
 * ```
 */
export function metricsServerOptionsFromEnv(
  env: Readonly<Record<string, string | undefined>> = process.env,
  prefix = 'METRICS_',
): MetricsServerConfig {
  const out: MetricsServerConfig = {};
  const get = (key: string): string | undefined => {
    const v = env[prefix + key];
    return v === undefined || v.trim() === '' ? undefined : v;
  };
  const enabled = get('ENABLED');
  if (enabled !== undefined) out.enabled = parseBool(`${prefix}ENABLED`, enabled);
  const host = get('HOST');
  if (host !== undefined) out.host = host.trim();
  const port = get('PORT');
  if (port !== undefined) out.port = parsePort(`${prefix}PORT`, port);
  const path = get('PATH');
  if (path !== undefined) out.path = pathOption(`${prefix}PATH`, path.trim(), '/metrics');
  return out;
}

const YAML_KEYS = ['enabled', 'host', 'port', 'path'] as const;

/**
 * Reads the metrics server's settings from the `metrics:` section of a YAML document:
 * `metrics: { enabled, host, port, path }`. Other top-level keys are ignored; an unknown key
 * inside `metrics` is an error (it is usually a typo, such as `prot`). A missing or empty
 * `metrics` section gives `{}`. `enabled` takes a YAML boolean (or the strings accepted by
 * {@link metricsServerOptionsFromEnv}); `port` an integer (or a numeric string).
 *
 * @param text The YAML document.
 * @throws {TelltaleError} `TT_INVALID_OPTION` for a YAML syntax error, a `metrics` value that is
 *   not a mapping, an unknown key, or an invalid value (named as `metrics.port`, …).
 * @example
 * ```ts
 * const text = readFileSync('config.yaml', 'utf8');
 * const server = await createMetricsServer({ registry, ...metricsServerOptionsFromYaml(text) });
 * ```
 */
export function metricsServerOptionsFromYaml(text: string): MetricsServerConfig {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    const msg = err instanceof Error ? err.message.split('\n')[0] : String(err);
    return fail('TT_INVALID_OPTION', `metrics configuration is not valid YAML: ${msg}`);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    fail('TT_INVALID_OPTION', 'metrics configuration must be a YAML mapping with a "metrics:" key');
  }
  const section = (doc as Record<string, unknown>)['metrics'];
  if (section === null || section === undefined) return {};
  if (typeof section !== 'object' || Array.isArray(section)) {
    fail(
      'TT_INVALID_OPTION',
      `metrics must be a mapping such as { enabled: true, port: 9464 }, got ${describeValue(section)}`,
    );
  }
  const m = section as Record<string, unknown>;
  for (const key of Object.keys(m)) {
    if (!(YAML_KEYS as readonly string[]).includes(key)) {
      fail(
        'TT_INVALID_OPTION',
        `metrics.${key} is not a known setting; use ${YAML_KEYS.map((k) => `metrics.${k}`).join(', ')}`,
      );
    }
  }
  const out: MetricsServerConfig = {};
  const { enabled, host, port, path } = m;
  if (enabled !== undefined && enabled !== null) {
    if (typeof enabled === 'boolean') out.enabled = enabled;
    else if (typeof enabled === 'string') out.enabled = parseBool('metrics.enabled', enabled);
    else
      fail(
        'TT_INVALID_OPTION',
        `metrics.enabled must be true or false, got ${describeValue(enabled)}`,
      );
  }
  if (host !== undefined && host !== null)
    out.host = stringOption('metrics.host', host, '127.0.0.1');
  if (port !== undefined && port !== null) {
    out.port =
      typeof port === 'string'
        ? parsePort('metrics.port', port)
        : numberOption('metrics.port', port, 9464, { min: 0, max: 65_535, integer: true });
  }
  if (path !== undefined && path !== null) out.path = pathOption('metrics.path', path, '/metrics');
  return out;
}
