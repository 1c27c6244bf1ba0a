// telltale/retry: createBackoff's exact delays for fixed draws (growth, cap, jitter, Retry-After floor, timer limit), its validation, and parseRetryAfter.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TelltaleError } from '../../src/internal/errors.js';
import { createBackoff, parseRetryAfter } from '../../src/retry/index.js';

function invalid(message: string): (err: unknown) => boolean {
  return (err) =>
    err instanceof TelltaleError &&
    err.code === 'TT_INVALID_OPTION' &&
    err.message === `TT_INVALID_OPTION: ${message}`;
}

/** A `random` that returns `draws` in turn, then 0.5. */
function drawing(...draws: number[]): () => number {
  return () => draws.shift() ?? 0.5;
}

describe('createBackoff', () => {
  it('defaults: 1000 ms doubling to 30 s, ±10%; the resolved options are readable and frozen', () => {
    const b = createBackoff({ random: () => 0.5 });
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6, 7].map((n) => b.delay(n)),
      [1000, 2000, 4000, 8000, 16_000, 30_000, 30_000],
    );
    assert.deepEqual(
      { ...b, delay: undefined },
      { initialDelayMs: 1000, maxDelayMs: 30_000, factor: 2, jitter: 0.1, delay: undefined },
    );
    assert.equal(Object.isFrozen(b), true);
    assert.equal(createBackoff().jitter, 0.1);
  });

  it('jitter: one draw per call, [1 - jitter, 1 + jitter] around the capped delay', () => {
    const b = createBackoff({
      initialDelayMs: 250,
      maxDelayMs: 10_000,
      jitter: 0.2,
      random: drawing(0, 0.999_999, 0.5, 0.75, 0, 0.999_999),
    });
    // 250, 500, 1000, 2000 × 0.8, 1.2, 1, 1.1; then the cap 10,000 × 0.8 and × 1.2.
    assert.deepEqual(
      [1, 2, 3, 4, 8, 9].map((n) => b.delay(n)),
      [200, 600, 1000, 2200, 8000, 12_000],
    );
  });

  it('retryAfterMs is a floor, beyond maxDelayMs too, rounded up; the result never passes the timer limit', () => {
    const b = createBackoff({ initialDelayMs: 100, maxDelayMs: 1000, jitter: 0, random: () => 0 });
    assert.equal(b.delay(1, 50), 100, 'a shorter Retry-After leaves the backoff');
    assert.equal(b.delay(1, 0), 100);
    assert.equal(b.delay(1, 120_000), 120_000, 'a longer one wins, past the cap');
    assert.equal(b.delay(1, 1500.2), 1501);
    assert.equal(b.delay(1, 10 ** 12), 2_147_483_647);
    const far = createBackoff({ initialDelayMs: 1e12, maxDelayMs: 1e12, jitter: 0 });
    assert.equal(far.delay(1), 2_147_483_647);
  });

  it('factor 1 is a constant delay; initial 0 retries at once', () => {
    const constant = createBackoff({ initialDelayMs: 500, factor: 1, jitter: 0 });
    assert.deepEqual(
      [1, 2, 10].map((n) => constant.delay(n)),
      [500, 500, 500],
    );
    const now = createBackoff({ initialDelayMs: 0, maxDelayMs: 0, jitter: 0.5 });
    assert.deepEqual(
      [1, 5].map((n) => now.delay(n)),
      [0, 0],
    );
  });

  it('throws TT_INVALID_OPTION on invalid options, naming the option', () => {
    const cases: [unknown, string][] = [
      [null, 'createBackoff: options must be an object'],
      [5, 'createBackoff: options must be an object'],
      [{ initialDelayMs: -1 }, 'createBackoff: initialDelayMs must be a finite number ≥ 0, got -1'],
      [
        { maxDelayMs: Number.POSITIVE_INFINITY },
        'createBackoff: maxDelayMs must be a finite number ≥ 0, got Infinity',
      ],
      [{ factor: 0.9 }, 'createBackoff: factor must be a finite number ≥ 1, got 0.9'],
      [
        { initialDelayMs: 500, maxDelayMs: 100 },
        'createBackoff: initialDelayMs (500) must not exceed maxDelayMs (100)',
      ],
      [{ jitter: 1 }, 'createBackoff: jitter must be a number in [0, 1), got 1'],
      [{ jitter: -0.1 }, 'createBackoff: jitter must be a number in [0, 1), got -0.1'],
      [{ random: 0.5 }, 'createBackoff: random must be a function returning [0, 1)'],
    ];
    for (const [options, message] of cases) {
      assert.throws(() => createBackoff(options as never), invalid(message), message);
    }
  });

  it('throws TT_INVALID_OPTION on an invalid failures count or retryAfterMs', () => {
    const b = createBackoff();
    for (const n of [0, -1, 1.5, Number.NaN, '2']) {
      assert.throws(
        () => b.delay(n as never),
        invalid(
          `backoff.delay: failures must be an integer ≥ 1 (failures in a row so far), got ${String(n)}`,
        ),
      );
    }
    for (const ms of [-1, Number.NaN, Number.POSITIVE_INFINITY, '5']) {
      assert.throws(
        () => b.delay(1, ms as never),
        invalid(
          `backoff.delay: retryAfterMs must be a finite number ≥ 0 (or undefined), got ${String(ms)}`,
        ),
      );
    }
  });
});

describe('parseRetryAfter', () => {
  const now = Date.UTC(2015, 9, 21, 7, 27, 30); // Wed, 21 Oct 2015 07:27:30 GMT

  it('reads delay-seconds as milliseconds', () => {
    assert.equal(parseRetryAfter('120', now), 120_000);
    assert.equal(parseRetryAfter('0', now), 0);
    assert.equal(parseRetryAfter(' 7 ', now), 7000);
    assert.equal(parseRetryAfter('9'.repeat(400), now), 2_147_483_647);
  });

  it('reads an IMF-fixdate as the time from now; a past date is 0', () => {
    assert.equal(parseRetryAfter('Wed, 21 Oct 2015 07:28:00 GMT', now), 30_000);
    assert.equal(parseRetryAfter('Wed, 21 Oct 2015 07:27:30 GMT', now), 0);
    assert.equal(parseRetryAfter('Tue, 20 Oct 2015 07:28:00 GMT', now), 0);
    assert.equal(parseRetryAfter('Thu, 01 Jan 2099 00:00:00 GMT', now), 2_147_483_647);
  });

  it('gives undefined for an absent, empty, obsolete or garbled header', () => {
    for (const v of [
      undefined,
      null,
      '',
      '   ',
      '-5',
      '1.5',
      '120s',
      'soon',
      'Wednesday, 21-Oct-15 07:28:00 GMT', // RFC 850
      'Wed Oct 21 07:28:00 2015', // asctime
      'Wed, 21 Oct 2015 07:28:00 +0000',
      'Wed, 99 Oct 2015 07:28:00 GMT',
    ]) {
      assert.equal(parseRetryAfter(v, now), undefined, String(v));
    }
  });

  it('defaults nowMs to Date.now(), and rejects a non-finite one', () => {
    const inAMinute = new Date(Math.ceil(Date.now() / 1000) * 1000 + 60_000).toUTCString();
    const ms = parseRetryAfter(inAMinute);
    assert.ok(ms !== undefined && ms > 0 && ms <= 61_000, String(ms));
    assert.throws(
      () => parseRetryAfter('1', Number.NaN),
      invalid('parseRetryAfter: nowMs must be a finite number of ms since the epoch, got NaN'),
    );
  });
});
