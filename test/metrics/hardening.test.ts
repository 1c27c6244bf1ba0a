// Regression tests for the metrics-core items of issue 10 (hardening): error messages, gather names, lint, HELP, no-op reads, self-metric labels.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createRegistry, type Registry } from '../../src/metrics/index.js';
import { silenceWarnings, throwsCode } from './helpers.js';

silenceWarnings();

describe('error messages name the real method', () => {
  it('each factory called without options names itself, as spelled on the registry', () => {
    const r = createRegistry();
    const methods = ['counter', 'gauge', 'histogram', 'summary', 'info', 'stateSet'] as const;
    for (const m of methods) {
      assert.equal(typeof r[m], 'function', m);
      const call = r[m] as (o: unknown) => unknown;
      const err = throwsCode(() => call.call(r, null), 'TT_INVALID_OPTION');
      assert.equal(
        err.message,
        `TT_INVALID_OPTION: registry.${m}(): options must be an object with name and help`,
      );
    }
  });

  it('registry.stateSet() with options that are not an object', () => {
    const r: Registry = createRegistry();
    throwsCode(() => r.stateSet(42 as never), 'TT_INVALID_OPTION', 'registry.stateSet()');
  });
});
