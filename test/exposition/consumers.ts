// Glue between our strict parser and the real consumers (promtool, Python prometheus_client) for the exposition tests.
import { spawnSync } from 'node:child_process';
import type { ParsedFamily as OurFamily } from '../../src/testing/parse.js';
import type { ParsedFamily as PythonFamily } from '../helpers/index.js';

/** Whether `promtool` runs here (Debian's `prometheus` package). */
export const HAVE_PROMTOOL = spawnSync('promtool', ['--version']).status === 0;

/** Whether Debian's Python sees `prometheus_client`. */
export const HAVE_PYTHON =
  spawnSync('/usr/bin/python3', ['-I', '-c', 'import prometheus_client']).status === 0;

/**
 * Our parser's result in the shape of the Python helper's, so the two can be compared with
 * `deepEqual`: text `untyped` is Python's `unknown`, and Python's text parser names a counter
 * family without its `_total` (the samples keep it).
 */
export function asPython(families: readonly OurFamily[]): PythonFamily[] {
  return families.map((f) => ({
    name: f.type === 'counter' ? f.name.replace(/_total$/, '') : f.name,
    type: f.type === 'untyped' ? 'unknown' : f.type,
    documentation: f.help,
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
