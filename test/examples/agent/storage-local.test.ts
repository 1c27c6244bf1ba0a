// The agent's local storage on a real directory: persistence across reopen, torn and corrupt records, compaction, write order, the lock, and its metrics through instrumentStorage.

import assert from 'node:assert/strict';
import { appendFile, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { createRegistry } from 'telltale/metrics';
import { getValue } from 'telltale/testing';
import { createAgentMetrics } from '../../../examples/agent/metrics.js';
import { instrumentStorage } from '../../../examples/agent/storage.js';
import {
  CorruptLogError,
  currentLockHolder,
  type LocalStorageOptions,
  lockHolderState,
  openLocalStorage,
  parseLockHolder,
} from '../../../examples/agent/storage-local.js';
import { makeTempDir, removeTempDir } from '../../helpers/tmp.js';

async function tempDir(t: { after(fn: () => unknown): void }): Promise<string> {
  const dir = await makeTempDir('agent-local');
  t.after(() => removeTempDir(dir));
  return dir;
}

/** The boot id and start time of another live process, as a LOCK written by it would record them. */
async function childHolder(
  pid: number,
  self: { boot?: string },
): Promise<{ boot?: string; start?: string }> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const start = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  return { ...(self.boot === undefined ? {} : { boot: self.boot }), ...(start ? { start } : {}) };
}

async function logLines(dir: string): Promise<string[]> {
  const text = await readFile(join(dir, 'data.log'), 'utf8');
  return text.split('\n').filter((l) => l !== '');
}

describe('basic operations', () => {
  test('put, get, delete; values are JSON copies; missing keys give undefined', async (t) => {
    const s = await openLocalStorage({ path: await tempDir(t) });
    t.after(() => s.close());
    const value = { n: 1, list: [1, 'two', null], nested: { ok: true } };
    await s.put('k', value);
    value.n = 99; // the stored value is not the caller's object
    const got = (await s.get('k')) as typeof value;
    assert.deepEqual(got, { n: 1, list: [1, 'two', null], nested: { ok: true } });
    got.n = 42;
    assert.deepEqual(await s.get('k'), { n: 1, list: [1, 'two', null], nested: { ok: true } });
    await s.put('zero', 0);
    await s.put('null', null);
    assert.equal(await s.get('zero'), 0);
    assert.equal(await s.get('null'), null);
    assert.equal(await s.get('missing'), undefined);
    assert.equal(await s.delete('k'), true);
    assert.equal(await s.delete('k'), false);
    assert.equal(await s.get('k'), undefined);
    assert.equal(s.size, 2);
  });

  test('keys and values with newlines, quotes and non-ASCII text round-trip', async (t) => {
    const dir = await tempDir(t);
    const s = await openLocalStorage({ path: dir });
    const key = 'line\none "quoted" \\ naïve ☕';
    await s.put(key, 'value\nwith\r\nbreaks and 日本語');
    await s.close();
    const again = await openLocalStorage({ path: dir });
    t.after(() => again.close());
    assert.equal(await again.get(key), 'value\nwith\r\nbreaks and 日本語');
    assert.equal((await logLines(dir)).length, 1, 'one record is one line');
  });

  test('a value that is not JSON-serialisable is rejected; a closed storage rejects', async (t) => {
    const s = await openLocalStorage({ path: await tempDir(t) });
    await assert.rejects(s.put('k', undefined), /JSON-serialisable/);
    await s.close();
    await s.close(); // idempotent
    await assert.rejects(s.get('k'), /closed/);
    await assert.rejects(s.put('k', 1), /closed/);
    await assert.rejects(s.delete('k'), /closed/);
    await assert.rejects(s.ready!(), /closed/);
  });
});

describe('persistence', () => {
  test('put → close → reopen → get, with deletes and overwrites', async (t) => {
    const dir = await tempDir(t);
    const s = await openLocalStorage({ path: dir });
    for (let i = 0; i < 50; i++) await s.put(`k${i}`, { i });
    await s.put('k7', 'seven');
    await s.delete('k3');
    await s.close();

    const r = await openLocalStorage({ path: dir });
    t.after(() => r.close());
    assert.equal(r.size, 49);
    assert.deepEqual(await r.get('k0'), { i: 0 });
    assert.equal(await r.get('k7'), 'seven');
    assert.equal(await r.get('k3'), undefined);
    assert.deepEqual(await r.get('k49'), { i: 49 });
  });

  for (const sync of ['interval', 'always'] as const) {
    test(`sync '${sync}': a write is in the file when its promise resolves`, async (t) => {
      const dir = await tempDir(t);
      const s = await openLocalStorage({ path: dir, sync });
      t.after(() => s.close());
      await s.put('a', 1);
      // Read by another handle while the storage is still open: the record is there.
      assert.equal((await logLines(dir)).length, 1);
      // Concurrent writes (in 'always' mode they share fsyncs) all land, in order.
      await Promise.all(Array.from({ length: 100 }, (_, i) => s.put(`c${i % 10}`, i)));
      assert.equal((await logLines(dir)).length, 101);
      assert.equal(await s.get('c9'), 99);
    });
  }
});

describe('damaged logs', () => {
  async function withRecords(t: { after(fn: () => unknown): void }): Promise<string> {
    const dir = await tempDir(t);
    const s = await openLocalStorage({ path: dir });
    await s.put('a', 1);
    await s.put('b', 2);
    await s.close();
    return dir;
  }

  test('a torn last record (no newline) is dropped with a warning and the file is truncated', async (t) => {
    const dir = await withRecords(t);
    const before = (await stat(join(dir, 'data.log'))).size;
    await appendFile(join(dir, 'data.log'), '1234abcd {"k":"c","v":'); // a write cut short
    const warnings: Array<[string, Record<string, unknown>]> = [];
    const s = await openLocalStorage({ path: dir, onWarning: (m, f) => warnings.push([m, f]) });
    assert.equal(await s.get('a'), 1);
    assert.equal(await s.get('b'), 2);
    assert.equal(await s.get('c'), undefined);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]![0], /torn last record/);
    assert.equal(warnings[0]![1].dropped_bytes, 22);
    assert.equal((await stat(join(dir, 'data.log'))).size, before, 'truncated to the good bytes');
    // Writing after the repair appends to a clean log that reopens without warnings.
    await s.put('c', 3);
    await s.close();
    const again = await openLocalStorage({
      path: dir,
      onWarning: () => assert.fail('no warning expected'),
    });
    t.after(() => again.close());
    assert.equal(await again.get('c'), 3);
  });

  test('a last record whose CRC does not match is dropped the same way', async (t) => {
    const dir = await withRecords(t);
    await appendFile(join(dir, 'data.log'), '00000000 {"k":"c","v":3}\n');
    let warned = 0;
    const s = await openLocalStorage({ path: dir, onWarning: () => warned++ });
    t.after(() => s.close());
    assert.equal(warned, 1);
    assert.equal(await s.get('c'), undefined);
    assert.equal(await s.get('b'), 2);
  });

  test('a damaged record followed by valid ones is corruption: open refuses and keeps the file', async (t) => {
    const dir = await withRecords(t);
    const file = join(dir, 'data.log');
    const lines = await logLines(dir);
    // Flip one character of the first record's JSON: its CRC no longer matches.
    await writeFile(file, `${lines[0]!.replace('"a"', '"x"')}\n${lines[1]}\n`);
    const size = (await stat(file)).size;
    await assert.rejects(
      openLocalStorage({ path: dir }),
      (err: unknown) => err instanceof CorruptLogError && /corrupt at byte 0/.test(err.message),
    );
    assert.equal((await stat(file)).size, size, 'nothing was truncated');
    // The failed open released the lock: after a repair the directory opens.
    await writeFile(file, `${lines[1]}\n`);
    const s = await openLocalStorage({ path: dir });
    t.after(() => s.close());
    assert.equal(await s.get('b'), 2);
  });
});

describe('compaction', () => {
  const small: Omit<LocalStorageOptions, 'path'> = { compactMinBytes: 0 };

  test('runs when the log reaches twice the live data and keeps every live value', async (t) => {
    const dir = await tempDir(t);
    const s = await openLocalStorage({ path: dir, ...small });
    for (let i = 0; i < 10; i++) await s.put(`k${i}`, { i, pad: 'x'.repeat(20) });
    assert.equal(s.compactions, 0, 'no garbage yet: log == live');
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 10; i++) await s.put(`k${i}`, { i, round, pad: 'y'.repeat(20) });
    }
    await s.delete('k9');
    assert.ok(s.compactions >= 1, `compacted ${s.compactions} times`);
    assert.ok(s.logBytes < 2 * s.liveBytes, `log ${s.logBytes} < 2 × live ${s.liveBytes}`);
    await s.close();

    const r = await openLocalStorage({ path: dir, ...small });
    t.after(() => r.close());
    assert.equal(r.size, 9);
    for (let i = 0; i < 9; i++) {
      assert.deepEqual(await r.get(`k${i}`), { i, round: 4, pad: 'y'.repeat(20) });
    }
    assert.equal(await r.get('k9'), undefined);
  });

  test('an explicit compact() leaves one record per live key', async (t) => {
    const dir = await tempDir(t);
    const s = await openLocalStorage({ path: dir });
    t.after(() => s.close());
    for (let i = 0; i < 20; i++) await s.put(`k${i % 4}`, i);
    await s.delete('k0');
    assert.equal((await logLines(dir)).length, 21);
    await s.compact();
    assert.equal((await logLines(dir)).length, 3);
    assert.equal(s.logBytes, (await stat(join(dir, 'data.log'))).size);
    assert.equal(s.logBytes, s.liveBytes);
    await s.put('k1', 'after');
    assert.equal(await s.get('k1'), 'after');
    assert.equal((await logLines(dir)).length, 4, 'appends continue on the new file');
  });

  test('a temp file left by a compaction that crashed before its rename is ignored and removed', async (t) => {
    const dir = await tempDir(t);
    const s = await openLocalStorage({ path: dir });
    await s.put('a', 1);
    await s.close();
    await writeFile(join(dir, 'data.log.tmp'), 'half a compaction');
    const r = await openLocalStorage({ path: dir });
    t.after(() => r.close());
    assert.equal(await r.get('a'), 1);
    await assert.rejects(stat(join(dir, 'data.log.tmp')), { code: 'ENOENT' });
  });
});

describe('ordering and the lock', () => {
  test('concurrent writes are applied and logged in call order', async (t) => {
    const dir = await tempDir(t);
    const s = await openLocalStorage({ path: dir });
    const writes: Promise<unknown>[] = [];
    for (let i = 0; i < 200; i++) {
      writes.push(i % 10 === 9 ? s.delete('hot') : s.put('hot', i));
      writes.push(s.put(`k${i}`, i));
    }
    await Promise.all(writes);
    assert.equal(await s.get('hot'), undefined, 'the last call (i = 199) was a delete');
    await s.put('hot', 'final');
    const keys = (await logLines(dir)).map(
      (l) => JSON.parse(l.slice(9)) as { k: string; v?: number },
    );
    const hot = keys.filter((r) => r.k === 'hot').map((r) => r.v ?? 'deleted');
    const expected: unknown[] = [];
    for (let i = 0; i < 200; i++) expected.push(i % 10 === 9 ? 'deleted' : i);
    expected.push('final');
    assert.deepEqual(hot, expected);
    await s.close();
    const r = await openLocalStorage({ path: dir });
    t.after(() => r.close());
    assert.equal(await r.get('hot'), 'final');
    assert.equal(await r.get('k199'), 199);
  });

  test('a directory is opened once; the lock is released on close; a stale lock is taken over', async (t) => {
    const dir = await tempDir(t);
    const s = await openLocalStorage({ path: dir });
    await assert.rejects(openLocalStorage({ path: dir }), /already open in this process/);
    await s.close();
    const again = await openLocalStorage({ path: dir });
    await again.close();
    // A lock left by a process that no longer exists (pid 2^22 + 1 is above Linux's pid_max default).
    await writeFile(join(dir, 'LOCK'), String(4_194_305));
    const third = await openLocalStorage({ path: dir });
    await third.close();
    // A lock held by a live process (our parent) is respected.
    await writeFile(join(dir, 'LOCK'), String(process.ppid));
    await assert.rejects(openLocalStorage({ path: dir }), /is in use by process \d+/);
  });

  test('the LOCK records pid, boot id and start time; a record with our pid but another start time is stale (pid reuse) and is taken over', async (t) => {
    const dir = await tempDir(t);
    const self = await currentLockHolder();
    // This runs on Linux: /proc gives the boot id and the start time.
    assert.match(self.boot ?? '', /^[0-9a-f-]{36}$/);
    assert.match(self.start ?? '', /^\d+$/);
    const s = await openLocalStorage({ path: dir });
    assert.deepEqual(JSON.parse(await readFile(join(dir, 'LOCK'), 'utf8')), self);
    await s.put('kept', 1);
    await s.close();

    // What a kill -9 leaves when the next process gets the same pid (PID 1 in a container):
    // our pid, an earlier start time. And what an older version wrote: the bare pid.
    for (const stale of [
      JSON.stringify({ ...self, start: String(Number(self.start) - 1) }),
      JSON.stringify({ ...self, boot: '00000000-0000-0000-0000-000000000000' }),
      String(process.pid),
    ]) {
      await writeFile(join(dir, 'LOCK'), stale);
      const warnings: Array<[string, Record<string, unknown>]> = [];
      const r = await openLocalStorage({
        path: dir,
        onWarning: (msg, fields) => warnings.push([msg, fields]),
      });
      assert.equal(await r.get('kept'), 1, stale);
      assert.deepEqual(JSON.parse(await readFile(join(dir, 'LOCK'), 'utf8')), self, stale);
      assert.deepEqual(warnings, [
        [
          'storage lock was stale (its process is gone); taken over',
          { file: join(dir, 'LOCK'), holder: stale },
        ],
      ]);
      await r.close();
    }
  });

  test('lockHolderState: self, held, stale for every kind of record', async () => {
    const self = await currentLockHolder();
    const parent = { pid: process.ppid, ...(await childHolder(process.ppid, self)) };
    const cases: Array<[string, Parameters<typeof lockHolderState>[0], string]> = [
      ['this process', self, 'self'],
      ['our pid, an earlier start time', { ...self, start: '1' }, 'stale'],
      ['our pid, another boot', { ...self, boot: 'x' }, 'stale'],
      ['our pid, no start time (an older version)', { pid: self.pid }, 'stale'],
      ['a live process, its start time', parent, 'held'],
      ['a live process, bare pid (an older version)', { pid: process.ppid }, 'held'],
      ['a live pid, another start time (the pid was reused)', { ...parent, start: '1' }, 'stale'],
      ['a live pid, another boot', { ...parent, boot: 'x' }, 'stale'],
      ['no such process', { pid: 4_194_305 }, 'stale'],
    ];
    for (const [name, holder, want] of cases) {
      assert.equal(await lockHolderState(holder, self), want, name);
    }
    // Without /proc (no start time of our own) a record with our pid cannot be told apart: self.
    assert.equal(await lockHolderState({ pid: 7 }, { pid: 7 }), 'self');
  });

  test('parseLockHolder reads the JSON record and a bare pid; garbage is undefined', () => {
    assert.deepEqual(parseLockHolder('123\n'), { pid: 123 });
    assert.deepEqual(parseLockHolder('{"pid":1,"boot":"b","start":"42"}\n'), {
      pid: 1,
      boot: 'b',
      start: '42',
    });
    for (const bad of ['', 'x', '{"pid":0}', '{"pid":"1"}', '[1]', '-3']) {
      assert.equal(parseLockHolder(bad), undefined, bad);
    }
  });
});

describe('metrics through instrumentStorage', () => {
  test('exact counts per operation with backend="local", errors counted, the target untouched', async (t) => {
    const registry = createRegistry();
    const metrics = createAgentMetrics(registry);
    const raw = await openLocalStorage({ path: await tempDir(t) });
    const s = instrumentStorage(raw, metrics);
    for (const operation of ['get', 'put', 'delete']) {
      assert.equal(
        getValue(registry, 'storage_operations_total', { operation, backend: 'local' }),
        0,
      );
      assert.equal(
        getValue(registry, 'storage_operation_errors_total', { operation, backend: 'local' }),
        0,
      );
    }
    await s.put('a', 1);
    await s.put('b', 2);
    await s.put('c', 3);
    await s.get('a');
    await s.get('zz');
    await s.delete('a');
    await assert.rejects(s.put('bad', undefined));
    const v = (name: string, operation: string): number =>
      getValue(registry, name, { operation, backend: 'local' });
    assert.equal(v('storage_operations_total', 'put'), 4);
    assert.equal(v('storage_operations_total', 'get'), 2);
    assert.equal(v('storage_operations_total', 'delete'), 1);
    assert.equal(v('storage_operation_errors_total', 'put'), 1);
    assert.equal(v('storage_operation_errors_total', 'get'), 0);
    // getValue gives a histogram's count.
    assert.equal(v('storage_operation_duration_seconds', 'put'), 4);
    assert.equal(v('storage_operation_duration_seconds', 'get'), 2);
    assert.equal(v('storage_operation_duration_seconds', 'delete'), 1);
    // Everything else is the backend's own: no metrics on close/ready/size.
    assert.equal(s.size, 2);
    await s.ready!();
    await s.close();
    assert.equal(v('storage_operations_total', 'get'), 2);
    assert.equal(raw.size, 2);
  });
});
