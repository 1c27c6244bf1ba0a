// Shared helpers for the runtime-collector tests: family and sample reads, busy work, loop blocking.
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import type { MetricFamily } from '../../src/metrics/index.js';

/** The gathered family with this name (a counter's with or without `_total`); fails if absent. */
export function family(families: readonly MetricFamily[], name: string): MetricFamily {
  const f = families.find(
    (x) => x.name === name || (x.type === 'counter' && `${x.name}_total` === name),
  );
  assert.ok(
    f !== undefined,
    `family ${name} missing; have ${families.map((x) => x.name).join(', ')}`,
  );
  return f;
}

/** The value of a label-less counter or gauge, or of the series whose labels include `labels`. */
export function value(
  families: readonly MetricFamily[],
  name: string,
  labels: Record<string, string> = {},
): number {
  const f = family(families, name);
  assert.ok(f.type === 'counter' || f.type === 'gauge', `${name} is a ${f.type}`);
  const p = f.points.find((pt) => Object.entries(labels).every(([k, v]) => pt.labels[k] === v));
  assert.ok(p !== undefined, `${name}${JSON.stringify(labels)} has no series`);
  return p.value;
}

/** Family name → type, sorted by name. */
export function types(families: readonly MetricFamily[]): Record<string, string> {
  return Object.fromEntries(families.map((f) => [f.name, f.type]));
}

/** Keeps the thread busy (and the event loop blocked) for `ms` milliseconds. */
export function block(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // busy
  }
}

/** Resolves after `ms` (lets the event loop turn, so the delay histogram's timer can tick). */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
