// The process collector: families and types, CPU counters and usage (injected clock), memory, start time, fds from a fake /proc.
import assert from 'node:assert/strict';
import { closeSync, existsSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createRegistry } from '../../src/metrics/index.js';
import { startProcessMetrics } from '../../src/runtime/index.js';
import { makeTempDir, removeTempDir } from '../helpers/index.js';
import { throwsCode } from '../metrics/helpers.js';
import { block, types, value } from './helpers.js';

const LIMITS = `Limit                     Soft Limit           Hard Limit           Units
Max cpu time              unlimited            unlimited            seconds
Max open files            4242                 524288               files
Max locked memory         8388608              8388608              bytes
`;
const STATUS = `Name:\tnode
Pid:\t1234
VmPeak:\t 2000000 kB
VmSize:\t 1234567 kB
VmRSS:\t   54321 kB
VmData:\t  777777 kB
Threads:\t11
`;

async function fakeProc(fds: readonly string[]): Promise<string> {
  const root = await makeTempDir('telltale-fake-proc-');
  mkdirSync(join(root, 'self', 'fd'), { recursive: true });
  for (const fd of fds) writeFileSync(join(root, 'self', 'fd', fd), '');
  writeFileSync(join(root, 'self', 'limits'), LIMITS);
  writeFileSync(join(root, 'self', 'status'), STATUS);
  return root;
}

describe('process collector', () => {
  const dirs: string[] = [];
  after(async () => {
    for (const d of dirs) await removeTempDir(d);
  });

  it('registers the documented families with their types (a fake /proc root)', async () => {
    const root = await fakeProc(['0', '1', '2']);
    dirs.push(root);
    const r = createRegistry();
    const c = startProcessMetrics({ registry: r, procRoot: root });
    assert.deepEqual(types(await r.gather()), {
      nodejs_version: 'info',
      process_cpu_seconds: 'counter',
      process_cpu_system_seconds: 'counter',
      process_cpu_user_seconds: 'counter',
      process_heap_bytes: 'gauge',
      process_max_fds: 'gauge',
      process_open_fds: 'gauge',
      process_resident_memory_bytes: 'gauge',
      process_start_time_seconds: 'gauge',
      process_virtual_memory_bytes: 'gauge',
    });
    c.stop();
  });

  it('reads fds, the fd limit, VmSize and VmData from the fake root with exact values', async () => {
    const root = await fakeProc(['0', '1', '2', '7', '12']);
    dirs.push(root);
    const r = createRegistry();
    const c = startProcessMetrics({ registry: r, procRoot: root });
    let fams = await r.gather();
    assert.equal(value(fams, 'process_open_fds'), 5);
    assert.equal(value(fams, 'process_max_fds'), 4242);
    assert.equal(value(fams, 'process_virtual_memory_bytes'), 1234567 * 1024);
    assert.equal(value(fams, 'process_heap_bytes'), 777777 * 1024);
    // Read at every gather: the next one sees a new descriptor and a new limit.
    writeFileSync(join(root, 'self', 'fd', '13'), '');
    writeFileSync(join(root, 'self', 'limits'), LIMITS.replace('4242 ', '9000 '));
    fams = await r.gather();
    assert.equal(value(fams, 'process_open_fds'), 6);
    assert.equal(value(fams, 'process_max_fds'), 9000);
    c.stop();
  });

  it('leaves the /proc families out when the root does not exist, and nothing else breaks', async () => {
    const r = createRegistry();
    const c = startProcessMetrics({ registry: r, procRoot: '/nonexistent/telltale-proc' });
    const fams = await r.gather();
    assert.deepEqual(Object.keys(types(fams)), [
      'nodejs_version',
      'process_cpu_seconds',
      'process_cpu_system_seconds',
      'process_cpu_user_seconds',
      'process_resident_memory_bytes',
      'process_start_time_seconds',
    ]);
    assert.ok(value(fams, 'process_resident_memory_bytes') > 0);
    assert.equal(r.get('telltale_collect_errors'), undefined, 'no collect callback failed');
    c.stop();
  });

  it('on the real /proc, open fds count exactly: three more descriptors read as three more', () => {
    assert.ok(existsSync('/proc/self/fd'), 'this project runs on Linux, which has /proc');
    const r = createRegistry();
    const c = startProcessMetrics({ registry: r });
    const before = value(r.gatherSync(), 'process_open_fds');
    const fds = [
      openSync('/dev/null', 'r'),
      openSync('/dev/null', 'r'),
      openSync('/dev/null', 'r'),
    ];
    const during = value(r.gatherSync(), 'process_open_fds');
    for (const fd of fds) closeSync(fd);
    const afterClose = value(r.gatherSync(), 'process_open_fds');
    assert.equal(during, before + 3);
    assert.equal(afterClose, before);
    c.stop();
  });

  it('CPU counters grow after busy work; total is exactly user + system (in µs)', () => {
    const r = createRegistry();
    const c = startProcessMetrics({ registry: r });
    const first = r.gatherSync();
    // Spin until this process has used 120 ms of user CPU (not 120 ms of wall time: on a busy
    // machine the process may get only part of the wall time), bounded at 10 s.
    const cpu0 = process.cpuUsage();
    const deadline = performance.now() + 10_000;
    while (process.cpuUsage(cpu0).user < 120_000 && performance.now() < deadline) block(5);
    const second = r.gatherSync();
    const user0 = value(first, 'process_cpu_user_seconds_total');
    const user1 = value(second, 'process_cpu_user_seconds_total');
    assert.ok(
      user1 - user0 >= 0.06,
      `user CPU grew by ${user1 - user0} s after 120 ms of busy CPU`,
    );
    assert.ok(
      value(second, 'process_cpu_seconds_total') - value(first, 'process_cpu_seconds_total') >=
        0.06,
    );
    // Exact in microseconds, the unit process.cpuUsage() counts in (the seconds are µs / 1e6).
    const us = (f: typeof first, name: string): number => Math.round(value(f, name) * 1e6);
    for (const f of [first, second]) {
      assert.equal(
        us(f, 'process_cpu_seconds_total'),
        us(f, 'process_cpu_user_seconds_total') + us(f, 'process_cpu_system_seconds_total'),
      );
    }
    c.stop();
  });

  it('memory and start time are sane; nodejs_version_info names this Node', () => {
    const r = createRegistry();
    const c = startProcessMetrics({ registry: r });
    const fams = r.gatherSync();
    const rss = value(fams, 'process_resident_memory_bytes');
    assert.ok(rss > 1024 * 1024, `rss ${rss}`);
    const start = value(fams, 'process_start_time_seconds');
    const now = Date.now() / 1000;
    assert.ok(start <= now && start > now - 3600, `start ${start}, now ${now}`);
    const info = fams.find((f) => f.name === 'nodejs_version');
    assert.ok(info?.type === 'info');
    const [major, minor, patch] = process.versions.node.split('.');
    assert.deepEqual(
      info.points.map((p) => Object.values(p.labels)),
      [[process.version, major, minor, patch]],
    );
    c.stop();
  });

  it('the CPU counters follow the injected source exactly, in seconds; no percent gauge', () => {
    let cpu = { user: 1_150_000, system: 550_000 };
    const r = createRegistry();
    const c = startProcessMetrics({ registry: r, cpuUsage: () => cpu });
    let fams = r.gatherSync();
    assert.equal(value(fams, 'process_cpu_seconds_total'), 1.7);
    assert.equal(value(fams, 'process_cpu_user_seconds_total'), 1.15);
    assert.equal(value(fams, 'process_cpu_system_seconds_total'), 0.55);
    cpu = { user: 1_550_000, system: 650_000 };
    fams = r.gatherSync();
    assert.equal(value(fams, 'process_cpu_seconds_total'), 2.2);
    assert.equal(value(fams, 'process_cpu_user_seconds_total'), 1.55);
    assert.equal(value(fams, 'process_cpu_system_seconds_total'), 0.65);
    // CPU in percent is a plan's name (examples/agent/process-metrics.ts), not the collector's.
    assert.equal(r.get('process_cpu_usage'), undefined);
    c.stop();
  });

  it('prefix, refusal of a second start on the same registry, and stop() unregistering', () => {
    const r = createRegistry();
    const c = startProcessMetrics({ registry: r, prefix: 'app_' });
    assert.ok(r.get('app_process_cpu_seconds_total') !== undefined);
    throwsCode(
      () => startProcessMetrics({ registry: r, prefix: 'app_' }),
      'TT_CONFLICTING_REGISTRATION',
      'app_process_cpu',
    );
    c.stop();
    c.stop();
    assert.deepEqual(r.gatherSync(), []);
    // A fresh start after stop works and counts from the real CPU time.
    const again = startProcessMetrics({ registry: r });
    assert.ok(value(r.gatherSync(), 'process_cpu_seconds_total') > 0);
    again.stop();
  });

  it('stop() leaves a family alone when someone else re-registered it', () => {
    const r = createRegistry();
    const c = startProcessMetrics({ registry: r });
    r.unregister('process_open_fds');
    const mine = r.gauge({ name: 'process_open_fds', help: 'Mine.' });
    c.stop();
    assert.equal(r.get('process_open_fds'), mine);
  });

  it('rejects bad options with TT_INVALID_OPTION', () => {
    const r = createRegistry();
    throwsCode(
      () => startProcessMetrics({ registry: r, procRoot: '' }),
      'TT_INVALID_OPTION',
      'procRoot',
    );
    throwsCode(
      () => startProcessMetrics({ registry: r, prefix: 'bad prefix' }),
      'TT_INVALID_OPTION',
      'prefix',
    );
    throwsCode(
      () =>
        startProcessMetrics({
          registry: r,
          cpuUsage: 5 as unknown as () => { user: number; system: number },
        }),
      'TT_INVALID_OPTION',
      'cpuUsage',
    );
    throwsCode(
      () => startProcessMetrics({ registry: {} as never }),
      'TT_INVALID_OPTION',
      'registry',
    );
    assert.deepEqual(r.instruments(), []);
  });
});
