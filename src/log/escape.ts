// Escapes U+2028 and U+2029 in a finished JSON log line, so that no tool reading it as text takes them for line breaks.

/**
 * A JSON line with every U+2028 (line separator) and U+2029 (paragraph separator) written as the
 * escapes `\u2028` / `\u2029`. JSON allows both raw inside strings, and pino (like
 * `JSON.stringify`) writes them raw; but JavaScript before ES2019, and many tools that split text
 * into lines, take them for line breaks. A JSON line has them only inside strings (its syntax is
 * ASCII), so replacing them anywhere in the line is exact: in messages, in values at any depth,
 * and in keys. A line without them is returned as is (two `indexOf` calls, no copy).
 */
export function escapeLineSeparators(line: string): string {
  if (line.indexOf('\u2028') === -1 && line.indexOf('\u2029') === -1) return line;
  return line.replaceAll('\u2028', '\\u2028').replaceAll('\u2029', '\\u2029');
}
