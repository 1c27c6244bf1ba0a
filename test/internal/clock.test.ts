// The one Clock: the two system clocks (unit, origin, unbound use), the option check, and the fake clock the tests drive modules with.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Clock, clockOption, monotonicClock, systemClock } from '../../src/internal/clock.js';
import { TelltaleError } from '../../src/internal/errors.js';
import { FakeClock } from './fake-clock.js';

describe('systemClock and monotonicClock', () => {
  it('systemClock.now is Date.now: whole milliseconds since the epoch, callable unbound', () => {
    const { now } = systemClock;
    const before = Date.now();
    const t = now();
    const after = Date.now();
    assert.ok(before <= t && t <= after, `${before} <= ${t} <= ${after}`);
    assert.equal(Number.isInteger(t), true);
    assert.equal(now, Date.now, 'Date.now itself: the registry default costs no extra call');
  });

  it('monotonicClock.now is timeOrigin + performance.now(): epoch milliseconds that never go back', () => {
    const { now } = monotonicClock;
    const a = now();
    const b = now();
    assert.ok(a >= performance.timeOrigin, 'on the epoch scale, after the process started');
    assert.ok(b >= a, `${b} >= ${a}`);
  });

  it('both schedule with the global timers, and clearTimeout cancels (a cleared handle twice is fine)', async () => {
    for (const clock of [systemClock, monotonicClock]) {
      const fired: string[] = [];
      const kept = clock.setTimeout(() => fired.push('kept'), 0);
      const cleared = clock.setTimeout(() => fired.push('cleared'), 0);
      clock.clearTimeout(cleared);
      clock.clearTimeout(cleared);
      await new Promise((resolve) => setTimeout(resolve, 0));
      clock.clearTimeout(kept); // a handle that already fired
      assert.deepEqual(fired, ['kept']);
    }
  });

  it('are frozen', () => {
    assert.equal(Object.isFrozen(systemClock), true);
    assert.equal(Object.isFrozen(monotonicClock), true);
  });
});

describe('clockOption', () => {
  it('returns the clock given, or the fallback for undefined', () => {
    const fake = new FakeClock();
    assert.equal(clockOption('x: clock', fake, systemClock), fake);
    assert.equal(clockOption('x: clock', undefined, monotonicClock), monotonicClock);
    const plain: Clock = { now: () => 5, setTimeout: () => 1, clearTimeout: () => {} };
    assert.equal(clockOption('x: clock', plain, systemClock), plain);
  });

  it('throws TT_INVALID_OPTION naming the option for anything else', () => {
    const bad: unknown[] = [
      null,
      5,
      () => 5,
      { now: () => 5 },
      { now: 5, setTimeout() {}, clearTimeout() {} },
      { now: () => 5, setTimeout() {} },
    ];
    for (const value of bad) {
      assert.throws(
        () => clockOption('createThing: clock', value, systemClock),
        (err: unknown) =>
          err instanceof TelltaleError &&
          err.code === 'TT_INVALID_OPTION' &&
          err.message ===
            'TT_INVALID_OPTION: createThing: clock must be a Clock: an object with now(), setTimeout(fn, ms) and clearTimeout(handle)',
        String(value),
      );
    }
  });
});

describe('FakeClock (the tests’ clock)', () => {
  it('advance fires due timers in order, each at its own time, including timers they set', () => {
    const clock = new FakeClock(1000);
    const log: string[] = [];
    clock.setTimeout(() => log.push(`b@${clock.now()}`), 20);
    clock.setTimeout(() => {
      log.push(`a@${clock.now()}`);
      clock.setTimeout(() => log.push(`c@${clock.now()}`), 5);
    }, 10);
    const late = clock.setTimeout(() => log.push('never'), 100);
    assert.equal(clock.advance(30), 3);
    assert.deepEqual(log, ['a@1010', 'c@1015', 'b@1020']);
    assert.equal(clock.now(), 1030);
    assert.deepEqual(clock.pending(), [100]);
    clock.clearTimeout(late);
    assert.deepEqual(clock.pending(), []);
  });
});
