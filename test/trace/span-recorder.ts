// A span logger for tests that records every line it is given, by level.
import type { SpanLogger } from '../../src/trace/index.js';

/** One recorded log line. */
export type Line = { level: string; fields: Record<string, unknown>; msg: string | undefined };

/** A span logger that keeps its lines in `lines`; `enabled` answers `isLevelEnabled`. */
export function recorder(enabled = (_: string) => true): SpanLogger & { lines: Line[] } {
  const lines: Line[] = [];
  const m = (level: string) => (fields: unknown, msg?: string) => {
    lines.push({ level, fields: fields as Record<string, unknown>, msg });
  };
  return {
    lines,
    trace: m('trace'),
    debug: m('debug'),
    info: m('info'),
    warn: m('warn'),
    error: m('error'),
    isLevelEnabled: enabled,
  };
}
