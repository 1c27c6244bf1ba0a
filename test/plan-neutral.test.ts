// src/ stays neutral: no reference plan's names, presets or wording (they live in examples/), checked over every file under src/.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, test } from 'node:test';
import { REPO_ROOT } from './helpers/process.js';

/**
 * What one reference plan brought into src/ before issue 12, and what would bring it back: the
 * plans' service names and metric prefixes, the health path preset, the agent plan's process
 * gauges, the signalling bucket preset, and TSDoc that cites "the plan". Case-insensitive.
 * (`observer` alone is not here: PerformanceObserver is Node's; `agent` alone neither: http.Agent.)
 */
const FORBIDDEN: readonly [string, RegExp][] = [
  [
    'meeting-controller plan names (meeting-controller, meetingController, MEETING_CONTROLLER)',
    /meeting/i,
  ],
  ['the canvas-server plan (canvas, canvas_ prefixes)', /canvas/i],
  ['the observer plan’s metric prefix', /\bobserver_/i],
  ['the meeting-controller plan’s mc_ prefix and gc_ heartbeat', /\bmc_|\bgc_heartbeat\b/i],
  ['the agent plan’s runtime option', /agentNames/i],
  ['the agent plan’s process gauges', /\bprocess_cpu_usage\b|\bprocess_memory_bytes\b/i],
  ['the signalling SLO bucket preset', /signall?ing_?latency/i],
  ['TSDoc or code that cites a plan ("the plan’s …")', /\bplans?\b|\bplan['’]s\b/i],
];

/** Every `file:line: text` in `files` that matches a forbidden pattern, with the reason. */
function findings(files: ReadonlyMap<string, string>): string[] {
  const out: string[] = [];
  for (const [file, text] of files) {
    text.split('\n').forEach((line, i) => {
      for (const [why, re] of FORBIDDEN) {
        if (re.test(line)) out.push(`${file}:${i + 1}: ${why}: ${line.trim()}`);
      }
    });
  }
  return out;
}

function sourceFiles(dir: string, out = new Map<string, string>()): Map<string, string> {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) sourceFiles(p, out);
    else out.set(relative(REPO_ROOT, p), readFileSync(p, 'utf8'));
  }
  return out;
}

describe('plan-specific identifiers stay out of src/', () => {
  test('no file under src/ names a reference plan, its presets or its metric names', () => {
    const files = sourceFiles(join(REPO_ROOT, 'src'));
    assert.ok(files.size > 50, `scanned ${files.size} files`);
    assert.deepEqual(
      findings(files),
      [],
      'move plan-specific behaviour into examples/ (or give it a neutral option with a neutral name)',
    );
  });

  test('the scan catches each kind of leak it is meant to keep out', () => {
    const leaks = [
      "readonly style?: 'default' | 'meeting-controller';",
      'const MEETING_CONTROLLER_PATHS = {};',
      "createRegistry({ prefix: 'canvas_' });",
      "registry.counter({ name: 'observer_alerts_total' });",
      "latency: { name: 'mc_redis_latency_seconds' },",
      "heartbeatCheck({ name: 'gc_heartbeat' });",
      'readonly agentNames?: boolean;',
      "name: 'process_cpu_usage',",
      'signalingLatency: Object.freeze([0.01]),',
      "/** The plan's CancellationToken. */",
    ];
    const found = findings(new Map(leaks.map((l, i) => [`leak${i}.ts`, l])));
    assert.deepEqual(
      found.map((f) => f.split(':')[0]),
      leaks.map((_, i) => `leak${i}.ts`),
    );
    // Neutral words that share letters with the patterns are not findings.
    const neutral = [
      'const observer = new PerformanceObserver(() => {});',
      'new AbortController().signal;',
      "request.headers['user-agent'];",
      'const collectors = [];',
      'process_cpu_seconds_total',
    ];
    assert.deepEqual(findings(new Map(neutral.map((l, i) => [`ok${i}.ts`, l]))), []);
  });
});
