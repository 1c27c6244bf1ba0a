// A destination for createLogger that keeps every line written, for the log tests.

/** Collects what a logger writes; `records()` parses each line as JSON. */
export interface Capture {
  write(chunk: string): void;
  /** Every chunk written, in order (pino writes one whole line per chunk). */
  readonly chunks: string[];
  /** The text written so far. */
  text(): string;
  /** The lines written so far, without their newline. */
  lines(): string[];
  /** Each line parsed as JSON; throws if a line is not JSON. */
  records(): Record<string, unknown>[];
}

/** A fresh {@link Capture}. */
export function capture(): Capture {
  const chunks: string[] = [];
  const text = (): string => chunks.join('');
  const lines = (): string[] => text().split('\n').slice(0, -1);
  return {
    chunks,
    write(chunk: string): void {
      chunks.push(chunk);
    },
    text,
    lines,
    records: () => lines().map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

/**
 * The top-level keys of one JSON line, in order and with duplicates (which `JSON.parse` hides:
 * it keeps the last). Throws on an unterminated string.
 */
export function topLevelKeys(line: string): string[] {
  const keys: string[] = [];
  let depth = 0;
  let expectKey = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '"') {
      let j = i + 1;
      while (j < line.length && line[j] !== '"') j += line[j] === '\\' ? 2 : 1;
      if (j >= line.length) throw new Error(`unterminated string at ${i} in ${line}`);
      if (depth === 1 && expectKey) keys.push(JSON.parse(line.slice(i, j + 1)) as string);
      expectKey = false;
      i = j;
    } else if (c === '{' || c === '[') {
      depth++;
      if (depth === 1) expectKey = c === '{';
    } else if (c === '}' || c === ']') {
      depth--;
    } else if (c === ',' && depth === 1) {
      expectKey = true;
    }
  }
  return keys;
}
