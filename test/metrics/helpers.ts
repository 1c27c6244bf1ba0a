// Shared helpers for the metrics-core tests: coded-error assertions, warning capture and series reads.
import assert from 'node:assert/strict';
import { resetWarnings } from '../../src/internal/errors.js';
import { labelSetFragment } from '../../src/internal/escape.js';
import {
  type ErrorCode,
  type LabelSet,
  type MetricFamily,
  type Registry,
  setWarningSink,
  TelltaleError,
} from '../../src/metrics/index.js';

/**
 * Asserts that `fn` throws a {@link TelltaleError} with `code`, whose message starts with the code
 * and contains every string in `mentions` (typically the metric name).
 */
export function throwsCode(
  fn: () => unknown,
  code: ErrorCode,
  ...mentions: string[]
): TelltaleError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  assert.ok(caught !== undefined, `expected ${code}, but nothing was thrown`);
  assert.ok(caught instanceof TelltaleError, `expected a TelltaleError, got ${String(caught)}`);
  assert.equal(caught.code, code, `wrong code; message: ${caught.message}`);
  assert.equal(caught.name, 'TelltaleError');
  assert.ok(caught.message.startsWith(`${code}: `), caught.message);
  for (const m of mentions) {
    assert.ok(
      caught.message.includes(m),
      `message should mention ${JSON.stringify(m)}: ${caught.message}`,
    );
  }
  return caught;
}

/** Captures telltale warnings (emitted once per process per key) while `fn` runs. */
export function captureWarnings<T>(fn: () => T): {
  result: T;
  warnings: { code: string; message: string }[];
} {
  const warnings: { code: string; message: string }[] = [];
  resetWarnings();
  const prev = setWarningSink((code, message) => warnings.push({ code, message }));
  try {
    return { result: fn(), warnings };
  } finally {
    setWarningSink(prev);
  }
}

/** Silences warnings for a whole test file (warnings are asserted with {@link captureWarnings}). */
export function silenceWarnings(): void {
  setWarningSink(() => {});
}

/** The gathered family with this name, or a failed assertion. */
export function family(families: readonly MetricFamily[], name: string): MetricFamily {
  const f = families.find((x) => x.name === name);
  assert.ok(
    f !== undefined,
    `family ${name} not gathered; got ${families.map((x) => x.name).join(', ')}`,
  );
  return f;
}

/** The escaped text fragment `a="x",b="y"` of a label set, built from its names and values. */
export function text(l: LabelSet): string {
  return labelSetFragment(l);
}

/** `{labels text → value}` of a counter or gauge family. */
export function values(f: MetricFamily): Record<string, number> {
  assert.ok(f.type === 'counter' || f.type === 'gauge' || f.type === 'unknown', f.type);
  const out: Record<string, number> = {};
  for (const p of f.points) {
    const t = text(p.labels);
    assert.equal(out[t], undefined, `duplicate series {${t}}`);
    out[t] = p.value;
  }
  return out;
}

/** `{labels text → value}` of a counter or gauge family, gathered synchronously by name. */
export function read(registry: Registry, name: string): Record<string, number> {
  return values(family(registry.gatherSync(), name));
}

/** The labels texts of every point of a family, in gather order. */
export function texts(f: MetricFamily): string[] {
  return f.points.map((p) => text(p.labels));
}
