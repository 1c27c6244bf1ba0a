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
