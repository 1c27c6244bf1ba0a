// telltale/log: the logger factory (on pino), LOG_LEVEL directives, named loggers, redaction, the logger's own fields and the context provider it reads.
export type { LogFields, LogMethod, MinimalLogger } from '../internal/logger.js';
export type { LogContextFields, LogContextProvider, LogMixin } from './context.js';
export {
  type InvalidDirective,
  LEVEL_NAMES,
  type LevelDirectives,
  type LevelName,
  type LevelRule,
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
