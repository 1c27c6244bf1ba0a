// Periodic task against a local HTTP controller with an injected clock: backoff sequence, never-exit, re-registration, timeouts, give-up, stop, metrics.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { encodeText } from '../../src/exposition/index.js';
import { TelltaleError } from '../../src/internal/errors.js';
import {
  createCancellation,
  createPeriodicTask,
  defaultIsNotFound,
  type PeriodicTask,
  type PeriodicTaskOptions,
} from '../../src/lifecycle/index.js';
import { createRegistry, type Registry } from '../../src/metrics/index.js';
import { getValue } from '../../src/testing/index.js';
import { assertPromtoolClean, assertTextBodyValid } from '../helpers/index.js';
import { FakeClock, until } from '../internal/fake-clock.js';
import { type Controller, HttpStatusError, post, startController } from './controller.js';

const quiet = { info() {}, warn() {}, error() {} };
const TIMEOUT_MS = 4321; // distinct from every backoff delay, so a pending timer's delay names it

function heartbeatTask(
  c: Controller,
  clock: FakeClock,
  extra: Partial<PeriodicTaskOptions> & ({ neverExit: true } | { maxAttempts: number }),
  registry?: Registry,
): PeriodicTask {
  return createPeriodicTask({
    name: 'heartbeat',
    intervalMs: 10_000,
    jitter: 0,
    timeoutMs: TIMEOUT_MS,
    retry: { initialDelayMs: 100, maxDelayMs: 1600, factor: 2 },
    clock,
    logger: quiet,
    // The payload is the caller's, gathered at call time.
    run: ({ signal, attempt }) =>
      post(`${c.url}/heartbeat`, { id: 'node-1', attempt, at: clock.now() }, signal),
    onNotFound: ({ signal }) => post(`${c.url}/register`, { id: 'node-1' }, signal),
    ...(registry === undefined ? {} : { registry }),
    ...extra,
  } as PeriodicTaskOptions);
}

/** Waits until the task scheduled its next attempt; returns that delay (the only pending timer). */
async function scheduled(task: PeriodicTask, clock: FakeClock): Promise<number> {
  await until(() => task.nextRunAt !== undefined, 'the next attempt to be scheduled');
  assert.equal(clock.pending().length, 1, `one pending timer, got ${clock.pending()}`);
  return (task.nextRunAt as number) - clock.now();
}

describe('createPeriodicTask against a local controller', () => {
  test('backoff while down (exact, capped), still retrying after 22 failures in never-exit mode, re-registers after 404', async (t) => {
    const c = await startController();
    t.after(() => c.stop());
    const clock = new FakeClock();
    const registry = createRegistry();
    c.registered = true;
    c.mode = 'down-503';
    const task = heartbeatTask(c, clock, { neverExit: true }, registry);
    t.after(() => task.stop());
    task.start();

    const delays: number[] = [];
    for (let i = 0; i < 22; i++) {
      if (i === 11) c.mode = 'down-reset'; // connection-level failures count the same
      delays.push(await scheduled(task, clock));
      assert.equal(task.consecutiveFailures, i + 1);
      assert.equal(task.active, true);
      if (i < 21) clock.fireNext();
    }
    assert.deepEqual(delays, [100, 200, 400, 800, 1600, ...Array(17).fill(1600)]);
    assert.equal(task.lastSuccess, undefined);
    assert.equal(c.log.filter((l) => l === '/heartbeat 503').length, 11);
    assert.equal(c.log.filter((l) => l === '/heartbeat reset').length, 11);

    // The controller comes back, restarted: it no longer knows us.
    c.mode = 'up';
    c.registered = false;
    c.log.length = 0;
    clock.fireNext();
    assert.equal(await scheduled(task, clock), 1600); // not_found is a failure too: backoff(23)
    assert.equal(task.consecutiveFailures, 23);
    assert.deepEqual(c.log, ['/heartbeat 404']);
    clock.fireNext();
    assert.equal(await scheduled(task, clock), 10_000); // back to the interval
    assert.deepEqual(c.log, ['/heartbeat 404', '/register 200', '/heartbeat 200']);
    assert.equal(task.consecutiveFailures, 0);
    const firstSuccess = clock.now();
    assert.equal(task.lastSuccess, firstSuccess);

    // A second controller restart between heartbeats: 404, then re-registration after backoff(1).
    c.forget();
    c.log.length = 0;
    clock.fireNext();
    assert.equal(await scheduled(task, clock), 100);
    clock.fireNext();
    assert.equal(await scheduled(task, clock), 10_000);
    assert.deepEqual(c.log, ['/heartbeat 404', '/register 200', '/heartbeat 200']);

    // The accepted heartbeats carry the payload as built at call time: the 24th attempt in a row
    // (after 23 failures), then the 2nd (after one not-found).
    assert.deepEqual(c.heartbeats, [
      { id: 'node-1', attempt: 24, at: firstSuccess },
      { id: 'node-1', attempt: 2, at: clock.now() },
    ]);

    // Metrics, exact.
    assert.equal(
      getValue(registry, 'telltale_task_runs_total', { task: 'heartbeat', outcome: 'error' }),
      22,
    );
    assert.equal(
      getValue(registry, 'telltale_task_runs_total', { task: 'heartbeat', outcome: 'not_found' }),
      2,
    );
    assert.equal(
      getValue(registry, 'telltale_task_runs_total', { task: 'heartbeat', outcome: 'success' }),
      2,
    );
    assert.equal(
      getValue(registry, 'telltale_task_runs_total', { task: 'heartbeat', outcome: 'timeout' }),
      0,
    );
    assert.equal(
      getValue(registry, 'telltale_task_last_success_timestamp_seconds', { task: 'heartbeat' }),
      clock.now() / 1000,
    );
    assert.equal(
      getValue(registry, 'telltale_task_consecutive_failures', { task: 'heartbeat' }),
      0,
    );
    const body = encodeText(await registry.gather());
    assert.match(body, /^telltale_task_runs_total\{task="heartbeat",outcome="error"\} 22$/m);
    assert.match(body, /^# TYPE telltale_task_last_success_timestamp_seconds gauge$/m);
    await assertPromtoolClean(body);
    await assertTextBodyValid(body);

    await task.stop();
    assert.deepEqual(clock.pending(), []);
    assert.deepEqual(await task.done, { outcome: 'stopped' });
  });

  test('a re-registration that fails is retried with backoff, before every run, until it succeeds', async (t) => {
    const c = await startController();
    t.after(() => c.stop());
    const clock = new FakeClock();
    const task = heartbeatTask(c, clock, { neverExit: true });
    t.after(() => task.stop());
    task.start(); // not registered yet: the first heartbeat is a 404
    assert.equal(await scheduled(task, clock), 100);
    assert.deepEqual(c.log, ['/heartbeat 404']);
    c.mode = 'down-503';
    clock.fireNext();
    assert.equal(await scheduled(task, clock), 200);
    clock.fireNext();
    assert.equal(await scheduled(task, clock), 400);
    assert.deepEqual(c.log.slice(1), ['/register 503', '/register 503']); // no heartbeat before registering
    c.mode = 'up';
    clock.fireNext();
    assert.equal(await scheduled(task, clock), 10_000);
    assert.deepEqual(c.log.slice(3), ['/register 200', '/heartbeat 200']);
    assert.equal(task.consecutiveFailures, 0);
  });

  test('a run that hangs is cut at timeoutMs through its signal (outcome timeout)', async (t) => {
    const c = await startController();
    t.after(() => c.stop());
    const clock = new FakeClock();
    const registry = createRegistry();
    c.registered = true;
    c.mode = 'hang';
    let seen: AbortSignal | undefined;
    const wrapped = createPeriodicTask({
      name: 'heartbeat',
      intervalMs: 10_000,
      jitter: 0,
      timeoutMs: TIMEOUT_MS,
      retry: { initialDelayMs: 100, maxDelayMs: 1600 },
      neverExit: true,
      clock,
      logger: quiet,
      registry,
      run: ({ signal }) => {
        seen = signal;
        return post(`${c.url}/heartbeat`, {}, signal);
      },
    });
    t.after(() => wrapped.stop());
    wrapped.start();
    await until(() => c.log.length === 1, 'the request to reach the controller');
    assert.deepEqual(clock.pending(), [TIMEOUT_MS]);
    assert.equal(wrapped.nextRunAt, undefined); // a run is in progress
    clock.fireNext();
    assert.equal(await scheduled(wrapped, clock), 100);
    assert.ok(seen?.aborted);
    if (seen === undefined) return;
    assert.ok(seen?.reason instanceof TelltaleError && seen.reason.code === 'TT_TASK_TIMEOUT');
    assert.equal(
      getValue(registry, 'telltale_task_runs_total', { task: 'heartbeat', outcome: 'timeout' }),
      1,
    );
  });

  test('maxAttempts: gives up after that many failures in a row, reports once, leaves no timer', async (t) => {
    const c = await startController();
    t.after(() => c.stop());
    const clock = new FakeClock();
    c.mode = 'down-503';
    const gaveUp: TelltaleError[] = [];
    const task = heartbeatTask(c, clock, { maxAttempts: 3, onGiveUp: (e) => gaveUp.push(e) });
    task.start();
    assert.equal(await scheduled(task, clock), 100);
    clock.fireNext();
    assert.equal(await scheduled(task, clock), 200);
    clock.fireNext();
    const result = await task.done;
    assert.equal(result.outcome, 'gave-up');
    assert.ok(result.outcome === 'gave-up' && result.error.code === 'TT_TASK_GAVE_UP');
    assert.ok(result.outcome === 'gave-up' && result.error.cause instanceof HttpStatusError);
    assert.equal(gaveUp.length, 1);
    assert.equal(task.active, false);
    assert.equal(task.consecutiveFailures, 3);
    assert.deepEqual(clock.pending(), []);
    assert.equal(c.log.length, 3);
  });

  test('stop() while a run hangs resolves at once, aborts the run, and schedules nothing', async (t) => {
    const c = await startController();
    t.after(() => c.stop());
    const clock = new FakeClock();
    c.mode = 'hang';
    let seen: AbortSignal | undefined;
    const task = createPeriodicTask({
      name: 'hb',
      intervalMs: 1000,
      neverExit: true,
      clock,
      logger: quiet,
      run: ({ signal }) => {
        seen = signal;
        return post(`${c.url}/heartbeat`, {}, signal);
      },
    });
    task.start();
    await until(() => c.log.length === 1, 'the request to reach the controller');
    await task.stop();
    assert.ok(seen?.aborted);
    if (seen === undefined) return;
    assert.equal((seen.reason as Error).name, 'AbortError');
    assert.deepEqual(clock.pending(), []);
    assert.equal(task.consecutiveFailures, 0); // an aborted run is not a failure
    assert.deepEqual(await task.done, { outcome: 'stopped' });
    task.start(); // an ended task does not start again
    assert.deepEqual(clock.pending(), []);
  });

  test('a parent signal (the lifecycle tree) stops the task', async () => {
    const clock = new FakeClock();
    const root = createCancellation({ name: 'service' });
    let runs = 0;
    const task = createPeriodicTask({
      name: 'poll',
      intervalMs: 1000,
      jitter: 0,
      neverExit: true,
      clock,
      signal: root.child('poll').signal,
      run: () => {
        runs++;
      },
    });
    task.start();
    assert.equal(await scheduled(task, clock), 1000);
    clock.fireNext();
    assert.equal(await scheduled(task, clock), 1000);
    assert.equal(runs, 2);
    root.cancel(new Error('shutdown'));
    assert.deepEqual(await task.done, { outcome: 'stopped' });
    assert.deepEqual(clock.pending(), []);
  });
});

describe('periodic task pieces', () => {
  test('jitter stays within ±jitter of the interval, over 500 scheduled runs', async () => {
    const clock = new FakeClock();
    const task = createPeriodicTask({
      name: 'jittery',
      intervalMs: 10_000,
      jitter: 0.1,
      neverExit: true,
      clock,
      run: () => {},
    });
    task.start();
    const delays = new Set<number>();
    for (let i = 0; i < 500; i++) {
      const d = await scheduled(task, clock);
      assert.ok(d >= 9000 && d <= 11_000, `delay ${d} within [9000, 11000]`);
      delays.add(d);
      clock.fireNext();
    }
    assert.ok(delays.size > 100, `jitter varies the delay (${delays.size} distinct)`);
    await task.stop();
  });

  test('jitter scales the backoff and the interval by the random draws: exact delays', async () => {
    const clock = new FakeClock();
    const draws = [0, 0.999_999, 0.5, 0.25, 0];
    let fail = true;
    const task = createPeriodicTask({
      name: 'drawn',
      intervalMs: 10_000,
      jitter: 0.25,
      neverExit: true,
      retry: { initialDelayMs: 100, maxDelayMs: 1600 },
      clock,
      logger: quiet,
      random: () => draws.shift() ?? 0.5,
      run: () => {
        if (fail) throw new Error('down');
      },
    });
    task.start();
    const delays: number[] = [];
    for (let i = 0; i < 4; i++) {
      delays.push(await scheduled(task, clock));
      if (i === 3) fail = false;
      clock.fireNext();
    }
    delays.push(await scheduled(task, clock));
    // Failures 1-4: 100, 200, 400, 800 ms × 0.75, 1.25, 1, 0.875; then the interval × 0.75.
    assert.deepEqual(delays, [75, 250, 400, 700, 7500]);
    await task.stop();
  });

  test('runOnStart false waits one interval', async () => {
    const clock = new FakeClock();
    const task = createPeriodicTask({
      name: 'late',
      intervalMs: 700,
      jitter: 0,
      neverExit: true,
      runOnStart: false,
      clock,
      run: () => {},
    });
    task.start();
    assert.deepEqual(clock.pending(), [700]);
    await task.stop();
  });

  test('defaultIsNotFound recognises HTTP 404 and gRPC NOT_FOUND', () => {
    assert.ok(defaultIsNotFound({ status: 404 }));
    assert.ok(defaultIsNotFound({ statusCode: 404 }));
    assert.ok(defaultIsNotFound({ code: 5 }));
    assert.ok(defaultIsNotFound({ code: 'NOT_FOUND' }));
    assert.ok(!defaultIsNotFound({ status: 503 }));
    assert.ok(!defaultIsNotFound('404'));
    assert.ok(!defaultIsNotFound(null));
  });

  test('bad options throw TT_INVALID_OPTION at construction', () => {
    const base = { name: 'x', intervalMs: 1000, run: () => {} };
    const bad: unknown[] = [
      { ...base, neverExit: true, intervalMs: 0 },
      { ...base, neverExit: true, jitter: 1 },
      { ...base, neverExit: true, jitter: -0.1 },
      { ...base, neverExit: true, timeoutMs: -1 },
      { ...base, neverExit: true, retry: { initialDelayMs: 500, maxDelayMs: 100 } },
      { ...base, neverExit: true, retry: { factor: 0.5 } },
      { ...base, neverExit: true, maxAttempts: 3 },
      { ...base },
      { ...base, maxAttempts: 0 },
      { ...base, neverExit: true, name: '' },
      { ...base, neverExit: true, run: 'nope' },
      { ...base, neverExit: true, signal: {} },
    ];
    for (const options of bad) {
      assert.throws(
        () => createPeriodicTask(options as PeriodicTaskOptions),
        (err: unknown) => err instanceof TelltaleError && err.code === 'TT_INVALID_OPTION',
        JSON.stringify(options),
      );
    }
  });
});
