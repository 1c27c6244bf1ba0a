// Runs Debian's promtool (Prometheus 2.42) as an independent judge of text-format bodies, rules and configs.
import assert from 'node:assert/strict';
import { runCommand } from './child.js';

/** What promtool said. Findings and errors are on `stderr`; `stdout` is empty except for `--extended`. */
export interface PromtoolResult {
  /**
   * `0`: parsed, no lint findings. `3` (check metrics): lint findings only, one per stderr line.
   * `1`: parse or usage error. `null`: promtool could not be started or was killed.
   */
  exitCode: number | null;
  stdout: string;
  stderr: string;
}

/** The promtool binary; Debian's `prometheus` package installs it at /usr/bin/promtool. */
export const PROMTOOL = 'promtool';

/**
 * Runs `promtool check metrics` on a **text-format** (0.0.4) body, fed through **stdin** (promtool
 * rejects a file argument with a usage error).
 *
 * Do not pass OpenMetrics bodies: promtool has no OM parser, so exemplars, `info`/`stateset` and
 * OM's `_total` family naming all fail or lint. Empty input gives exit 0.
 *
 * @param body The exposition text exactly as served.
 * @param options.extended Add `--extended` (a per-metric cardinality table on stdout).
 * @example
 * const r = await checkMetrics('# TYPE foo counter\nfoo 1\n');
 * // r.exitCode === 3, r.stderr === 'foo counter metrics should have "_total" suffix\n...'
 */
export function checkMetrics(
  body: string,
  options: { extended?: boolean } = {},
): Promise<PromtoolResult> {
  const args = ['check', 'metrics', ...(options.extended ? ['--extended'] : [])];
  return runCommand(PROMTOOL, args, { input: body }).then(toResult);
}

/**
 * Asserts that promtool accepts a text-format body with **no findings at all**: exit 0 and empty stderr.
 *
 * @throws `AssertionError` quoting promtool's exit code and findings.
 * @example
 * await assertPromtoolClean(encodeText(registry.gather()));
 */
export async function assertPromtoolClean(body: string): Promise<void> {
  const r = await checkMetrics(body);
  if (r.exitCode === 0 && r.stderr === '') return;
  assert.fail(
    `promtool check metrics: exit ${r.exitCode}, expected 0 with no findings\n` +
      `--- promtool stderr:\n${r.stderr}--- body (${body.length} chars):\n${excerpt(body)}`,
  );
}

/**
 * Runs `promtool check rules <file>` on a Prometheus rule file (recording and alerting rules).
 *
 * @param file Path to a YAML rule file.
 * @returns Exit 0 when valid; 1 on errors (printed on stderr).
 */
export function checkRules(file: string): Promise<PromtoolResult> {
  return runCommand(PROMTOOL, ['check', 'rules', file]).then(toResult);
}

/**
 * Runs `promtool test rules <file>` on a rule unit-test file (which names its rule files, relative
 * to itself).
 *
 * @param file Path to a YAML test file.
 * @returns Exit 0 when every test passed; 1 on a failure or error (printed on stdout/stderr).
 */
export function testRules(file: string): Promise<PromtoolResult> {
  return runCommand(PROMTOOL, ['test', 'rules', file]).then(toResult);
}

/**
 * Runs `promtool check config <file>` on a Prometheus server config (it also checks rule files the
 * config names).
 *
 * @param file Path to a prometheus.yml (JSON is valid YAML, so a JSON file works too).
 * @returns Exit 0 when valid; 1 on errors.
 */
export function checkConfig(file: string): Promise<PromtoolResult> {
  return runCommand(PROMTOOL, ['check', 'config', file]).then(toResult);
}

function toResult(r: { exitCode: number | null; stdout: string; stderr: string }): PromtoolResult {
  return { exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr };
}

/** The first lines of a body, numbered like promtool's `line N` messages. */
export function excerpt(body: string, maxLines = 60): string {
  const lines = body.split('\n');
  const shown = lines
    .slice(0, maxLines)
    .map((l, i) => `${String(i + 1).padStart(4)}| ${JSON.stringify(l).slice(1, -1)}`);
  if (lines.length > maxLines) shown.push(`    … ${lines.length - maxLines} more lines`);
  return `${shown.join('\n')}\n`;
}
