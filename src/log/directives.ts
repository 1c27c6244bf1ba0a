// LOG_LEVEL directives in the style of RUST_LOG (`info,storage=debug,http.client=warn`): parsing, and resolving a logger name to its level.

/** A level telltale's loggers accept, lowest to highest; `silent` writes nothing. */
export type LevelName = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';

/** The levels, lowest first. */
export const LEVEL_NAMES: readonly LevelName[] = Object.freeze([
  'trace',
  'debug',
  'info',
  'warn',
  'error',
  'fatal',
  'silent',
]);

const ALIASES: Readonly<Record<string, LevelName>> = Object.freeze({
  trace: 'trace',
  debug: 'debug',
  info: 'info',
  warn: 'warn',
  warning: 'warn',
  error: 'error',
  fatal: 'fatal',
  silent: 'silent',
  off: 'silent',
});

/**
 * A level name as written in `LOG_LEVEL`, normalised: case-insensitive, surrounding blanks
 * ignored, `warning` → `warn`, `off` → `silent`. `undefined` for anything else.
 *
 * @example
 * ```ts
 * normalizeLevel(' WARNING '); // 'warn'
 * normalizeLevel('verbose');   // undefined
 * ```
 */
export function normalizeLevel(text: string): LevelName | undefined {
  const key = text.trim().toLowerCase();
  return Object.hasOwn(ALIASES, key) ? ALIASES[key] : undefined;
}

// Dot-separated segments of letters, digits, `_` and `-`: `http.client`, `shop-api.storage`.
const NAME = /^[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*$/;

/**
 * Whether `name` is a valid logger name: one or more segments of `[A-Za-z0-9_-]`, joined by
 * single dots (`storage`, `http.client`). Names are case-sensitive.
 *
 * @example
 * ```ts
 * isValidLoggerName('http.client'); // true
 * isValidLoggerName('http..client'); // false
 * ```
 */
export function isValidLoggerName(name: string): boolean {
  return NAME.test(name);
}

/** One `name=level` rule of a directive string. */
export interface LevelRule {
  /** The logger name the rule covers, with its children (`http` covers `http.client`). */
  readonly name: string;
  /** The level for that name. */
  readonly level: LevelName;
}

/** A directive that was ignored, and why. */
export interface InvalidDirective {
  /** The piece of the string as written (blanks trimmed); `''` for an empty piece. */
  readonly directive: string;
  /** What is wrong with it, for the warning. */
  readonly reason: string;
}

/** A parsed directive string; resolve names with {@link resolveLevel}. */
export interface LevelDirectives {
  /** The level of loggers no rule covers: the bare level in the string, else `info`. */
  readonly defaultLevel: LevelName;
  /** The `name=level` rules, longest name first (so the first match is the longest). */
  readonly rules: readonly LevelRule[];
  /** The pieces that were ignored. Each distinct piece appears once. */
  readonly invalid: readonly InvalidDirective[];
}

const LEVEL_LIST = 'trace, debug, info, warn, error, fatal or silent';

/**
 * Parses a `LOG_LEVEL` string: comma-separated directives, each either a bare level (the default
 * for every logger) or `name=level` (that logger and its children). Levels are case-insensitive and
 * accept the aliases `warning` and `off`. When a level or a name is given twice, the last one wins.
 * Never throws: an invalid piece (unknown level, bad name, empty piece such as in `info,,`) is
 * reported in `invalid` and ignored, so a string with nothing valid gives `info` everywhere.
 * `undefined`, `''` and blanks mean `info`, with nothing invalid.
 *
 * @example
 * ```ts
 * const d = parseLevelDirectives('info,storage=debug,http.client=warn');
 * resolveLevel(d, 'storage.s3'); // 'debug'
 * ```
 */
export function parseLevelDirectives(spec: string | undefined): LevelDirectives {
  let defaultLevel: LevelName = 'info';
  const byName = new Map<string, LevelName>();
  const invalid: InvalidDirective[] = [];
  const seen = new Set<string>();
  const reject = (directive: string, reason: string): void => {
    if (seen.has(directive)) return;
    seen.add(directive);
    invalid.push({ directive, reason });
  };
  const text = spec?.trim() ?? '';
  if (text !== '') {
    for (const raw of text.split(',')) {
      const piece = raw.trim();
      if (piece === '') {
        reject('', 'empty directive (two commas in a row, or a comma at an end)');
        continue;
      }
      const eq = piece.indexOf('=');
      if (eq === -1) {
        const level = normalizeLevel(piece);
        if (level === undefined) reject(piece, `unknown level "${piece}" (use ${LEVEL_LIST})`);
        else defaultLevel = level;
        continue;
      }
      const name = piece.slice(0, eq).trim();
      const levelText = piece.slice(eq + 1).trim();
      if (!isValidLoggerName(name)) {
        reject(
          piece,
          `invalid logger name "${name}" (use dot-separated segments of letters, digits, _ and -)`,
        );
        continue;
      }
      const level = normalizeLevel(levelText);
      if (level === undefined) {
        reject(piece, `unknown level "${levelText}" (use ${LEVEL_LIST})`);
        continue;
      }
      byName.delete(name); // re-insert, so the last occurrence is the one kept
      byName.set(name, level);
    }
  }
  const rules = [...byName].map(([name, level]) => Object.freeze({ name, level }));
  rules.sort((a, b) => b.name.length - a.name.length);
  return Object.freeze({
    defaultLevel,
    rules: Object.freeze(rules),
    invalid: Object.freeze(invalid.map((i) => Object.freeze(i))),
  });
}

/**
 * The level for the logger called `name`: the rule with the longest name that is `name` itself or
 * one of its dot-separated ancestors (`http` covers `http.client` and `http.server.x`, not
 * `httpx`), else the default level. An unnamed logger gets the default level. Called once per
 * logger, when it is created, never per log call.
 *
 * @example
 * ```ts
 * const d = parseLevelDirectives('warn,http=info,http.client=debug');
 * resolveLevel(d, 'http.client.pool'); // 'debug'
 * resolveLevel(d, 'httpx');            // 'warn'
 * ```
 */
export function resolveLevel(directives: LevelDirectives, name: string | undefined): LevelName {
  if (name === undefined) return directives.defaultLevel;
  for (const rule of directives.rules) {
    if (
      name === rule.name ||
      (name.length > rule.name.length &&
        name.startsWith(rule.name) &&
        name.charCodeAt(rule.name.length) === 46) // '.'
    ) {
      return rule.level;
    }
  }
  return directives.defaultLevel;
}
