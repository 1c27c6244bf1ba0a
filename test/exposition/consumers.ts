import { escapeHelpText } from '../../src/internal/escape.js';
import type { ParsedFamily as OurFamily } from '../../src/testing/parse.js';
import type { ParsedFamily as PythonFamily } from '../helpers/index.js';

/**
 * Our parser's result in the shape of the Python helper's, so the two can be compared with
 * `deepEqual`: text `untyped` is Python's `unknown`, and Python's text parser names a counter
 * family without its `_total` (the samples keep it). Python's text parser also strips every
 * whitespace character (`str.strip()`) from both ends of HELP, which expfmt does not: that is a
 * leniency of the Python parser, not a property of the format.
 */
export function asPython(
  families: readonly OurFamily[],
  format: 'text' | 'openmetrics',
): PythonFamily[] {
  return families.map((f) => ({
    name: f.type === 'counter' ? f.name.replace(/_total$/, '') : f.name,
    type: f.type === 'untyped' ? 'unknown' : f.type,
    documentation: format === 'text' ? pythonStrip(f.help) : f.help,
    unit: f.unit,
    samples: f.samples.map((s) => ({
      name: s.name,
      labels: s.labels,
      value: s.value,
      timestamp: s.timestamp ?? null,
      exemplar:
        s.exemplar === undefined
          ? null
          : {
              labels: s.exemplar.labels,
              value: s.exemplar.value,
              timestamp: s.exemplar.timestamp ?? null,
            },
    })),
  }));
}

// Python's str.isspace() characters, for str.strip().
const PY_SPACE =
  '[\\t\\n\\x0b\\x0c\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]';
const PY_STRIP = new RegExp(`^${PY_SPACE}+|${PY_SPACE}+$`, 'g');

/** What Python's text parser makes of HELP text: it strips the raw (escaped) line, then unescapes. */
function pythonStrip(help: string): string {
  return escapeHelpText(help)
    .replace(PY_STRIP, '')
    .replace(/\\(\\|n)/g, (_, c: string) => (c === 'n' ? '\n' : '\\'));
}
