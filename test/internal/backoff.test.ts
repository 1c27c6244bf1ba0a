// The backoff arithmetic periodic tasks and telltale/retry share: growth, cap, jitter, the timer limit, and the option checks.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  applyJitter,
  backoffDelay,
  jitteredBackoff,
  jitterOption,
  MAX_TIMER_MS,
  resolveBackoffPolicy,
} from '../../src/internal/backoff.js';
import { TelltaleError } from '../../src/internal/errors.js';

const DEFAULTS = { initialDelayMs: 1000, maxDelayMs: 30_000, factor: 2 };

function invalid(message: string): (err: unknown) => boolean {
  return (err) =>
    err instanceof TelltaleError &&
    err.code === 'TT_INVALID_OPTION' &&
    err.message === `TT_INVALID_OPTION: ${message}`;
}

describe('backoffDelay and applyJitter', () => {
  it('grows by factor from the first failure and caps; failures below 1 count as 1', () => {
    const r = { initialDelayMs: 250, maxDelayMs: 5000, factor: 3 };
    assert.deepEqual(
      [0, 1, 2, 3, 4, 5].map((n) => backoffDelay(n, r)),
      [250, 250, 750, 2250, 5000, 5000],
    );
    assert.deepEqual(
      [1, 2, 3].map((n) => backoffDelay(n, { initialDelayMs: 100, maxDelayMs: 1000, factor: 1 })),
      [100, 100, 100],
    );
  });

  it('jitter scales by [1 - jitter, 1 + jitter] from the draw, rounded to whole ms', () => {
    assert.equal(applyJitter(1000, 0.25, 0), 750);
    assert.equal(applyJitter(1000, 0.25, 0.5), 1000);
    assert.equal(applyJitter(1000, 0.25, 0.999_999), 1250);
    assert.equal(applyJitter(333, 0.1, 0.25), 316); // 333 × 0.95 = 316.35
    assert.equal(applyJitter(1000, 0, 0.9), 1000);
  });

  it('jitteredBackoff composes both and stops at the longest timer', () => {
    const r = { initialDelayMs: 100, maxDelayMs: 1600, factor: 2 };
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6].map((n) => jitteredBackoff(n, r, 0.5, 0)),
      [50, 100, 200, 400, 800, 800],
    );
    const huge = { initialDelayMs: MAX_TIMER_MS, maxDelayMs: MAX_TIMER_MS, factor: 2 };
    assert.equal(jitteredBackoff(1, huge, 0.5, 0.999), MAX_TIMER_MS);
    assert.equal(MAX_TIMER_MS, 2 ** 31 - 1);
  });
});

describe('resolveBackoffPolicy and jitterOption', () => {
  const name = (o: string) => `f(x): retry.${o}`;

  it('takes each option given and the default for each omitted', () => {
    assert.deepEqual(resolveBackoffPolicy(name, undefined, DEFAULTS), DEFAULTS);
    assert.deepEqual(resolveBackoffPolicy(name, { factor: 3 }, DEFAULTS), {
      initialDelayMs: 1000,
      maxDelayMs: 30_000,
      factor: 3,
    });
    assert.deepEqual(
      resolveBackoffPolicy(name, { initialDelayMs: 0, maxDelayMs: 0, factor: 1 }, DEFAULTS),
      { initialDelayMs: 0, maxDelayMs: 0, factor: 1 },
    );
    assert.equal(jitterOption('j', 0), 0);
    assert.equal(jitterOption('j', 0.999), 0.999);
  });

  it('throws TT_INVALID_OPTION naming the option', () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ initialDelayMs: -1 }, 'f(x): retry.initialDelayMs must be a finite number ≥ 0, got -1'],
      [{ maxDelayMs: Number.NaN }, 'f(x): retry.maxDelayMs must be a finite number ≥ 0, got NaN'],
      [{ factor: 0.5 }, 'f(x): retry.factor must be a finite number ≥ 1, got 0.5'],
      [{ factor: '2' }, 'f(x): retry.factor must be a finite number ≥ 1, got 2'],
      [
        { initialDelayMs: 500, maxDelayMs: 100 },
        'f(x): retry.initialDelayMs (500) must not exceed maxDelayMs (100)',
      ],
      [{ maxDelayMs: 999 }, 'f(x): retry.initialDelayMs (1000) must not exceed maxDelayMs (999)'],
    ];
    for (const [options, message] of cases) {
      assert.throws(
        () => resolveBackoffPolicy(name, options as never, DEFAULTS),
        invalid(message),
        message,
      );
    }
    for (const v of [1, -0.1, Number.NaN, '0.1']) {
      assert.throws(
        () => jitterOption('f: jitter', v),
        invalid(`f: jitter must be a number in [0, 1), got ${String(v)}`),
      );
    }
  });
});
