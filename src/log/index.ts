// telltale/log: the logger factory (on pino), LOG_LEVEL directives, named loggers, redaction, the logger's own fields and the log context hook.
export type { LogFields, LogMethod, MinimalLogger } from '../internal/logger.js';
export {
  getLogContextProvider,
  type LogContextFields,
  type LogContextProvider,
  type LogMixin,
  setLogContextProvider,
} from './context.js';
export {
  type InvalidDirective,
  isValidLoggerName,
  LEVEL_NAMES,
  type LevelDirectives,
  type LevelName,
  type LevelRule,
  normalizeLevel,
  parseLevelDirectives,
  resolveLevel,
} from './directives.js';
export { LOGGER_FIELDS, RENAMED_FIELD_PREFIX } from './fields.js';
export {
  createLogger,
  type LogDestination,
  type LogFormat,
  type Logger,
  type LoggerAdditions,
  type LoggerOptions,
} from './logger.js';
export {
  DEFAULT_CENSOR,
  DEFAULT_REDACT_PATHS,
  type RedactOptions,
  SECRET_FIELD_NAMES,
} from './redact.js';
