// Tests that a caller cannot forge the logger's own fields (level, time, pid, hostname, name, msg): what JSON.parse reads back, in JSON and pretty format, for call fields, bindings, base, context, mixin and errors.
import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  createLogger,
  LOGGER_FIELDS,
  type LoggerOptions,
  RENAMED_FIELD_PREFIX,
} from '../../src/log/index.js';
import { type Capture, capture, topLevelKeys } from './capture.js';

const HOST = hostname();
const FORGED: Readonly<Record<string, unknown>> = Object.freeze({
  level: 60,
  time: 1,
  pid: 2,
  hostname: 'forged-host',
  name: 'forged-name',
  msg: 'forged-msg',
});

function make(options: LoggerOptions = {}): { out: Capture; log: ReturnType<typeof createLogger> } {
  const out = capture();
  return { out, log: createLogger({ env: {}, destination: out, name: 'app', ...options }) };
}

/** The only line written so far, after checking that exactly one whole line was written. */
function only(out: Capture): string {
  const lines = out.lines();
  assert.equal(lines.length, 1, out.text());
  assert.equal(out.text(), `${lines[0]}\n`);
  return lines[0] ?? '';
}

/** A line parsed, after checking it has no duplicate top-level key and the logger's own fields. */
function own(
  line: string,
  expected: { level?: string; name?: string; msg?: string | undefined; since: number },
): Record<string, unknown> {
  const keys = topLevelKeys(line);
  assert.deepEqual(keys, [...new Set(keys)], `no duplicate key in ${line}`);
  assert.deepEqual(keys.slice(0, 5), ['level', 'time', 'pid', 'hostname', 'name'], line);
  const r = JSON.parse(line) as Record<string, unknown>;
  assert.equal(r.level, expected.level ?? 'info');
  assert.equal(typeof r.time, 'number');
  assert.ok((r.time as number) >= expected.since && (r.time as number) <= Date.now(), line);
  assert.equal(r.pid, process.pid);
  assert.equal(r.hostname, HOST);
  assert.equal(r.name, expected.name ?? 'app');
  if ('msg' in expected && expected.msg === undefined) assert.equal('msg' in r, false, line);
  else assert.equal(r.msg, expected.msg ?? 'm');
  if ('msg' in r) assert.equal(keys.at(-1), 'msg', 'the message is the last key');
  return r;
}

describe('logger fields cannot be forged', () => {
  it('exports the rule: the six logger fields, renamed with "fields."', () => {
    assert.deepEqual(LOGGER_FIELDS, ['level', 'time', 'pid', 'hostname', 'name', 'msg']);
    assert.equal(RENAMED_FIELD_PREFIX, 'fields.');
    assert.deepEqual(Object.keys(FORGED), LOGGER_FIELDS);
  });

  for (const key of LOGGER_FIELDS) {
    it(`a call field "${key}" is kept as "fields.${key}"; the line has the logger's own`, () => {
      const { out, log } = make();
      const since = Date.now();
      log.info({ before: 1, [key]: FORGED[key], after: 2 }, 'm');
      const r = own(only(out), { since });
      assert.equal(r[`fields.${key}`], FORGED[key]);
      assert.deepEqual(Object.keys(r).slice(5), ['before', `fields.${key}`, 'after', 'msg']);
    });

    it(`a binding "${key}" (child, then named) is kept as "fields.${key}"`, () => {
      const { out, log } = make();
      const since = Date.now();
      const child = log.child({ [key]: FORGED[key], b: 1 });
      child.info('m');
      child.named('db').warn('m');
      const lines = out.lines();
      assert.equal(lines.length, 2);
      const a = own(lines[0] ?? '', { since });
      assert.deepEqual(Object.keys(a).slice(5), [`fields.${key}`, 'b', 'msg']);
      assert.equal(a[`fields.${key}`], FORGED[key]);
      const b = own(lines[1] ?? '', { since, level: 'warn', name: 'app.db' });
      assert.deepEqual(Object.keys(b).slice(5), [`fields.${key}`, 'b', 'msg']);
      assert.equal(b[`fields.${key}`], FORGED[key]);
    });
  }

  it('all six at once, with and without a message; a msg field is never the message', () => {
    const { out, log } = make();
    const since = Date.now();
    log.info({ ...FORGED }, 'm');
    const r = own(only(out), { since });
    for (const key of LOGGER_FIELDS) assert.equal(r[`fields.${key}`], FORGED[key]);
    assert.deepEqual(Object.keys(r), [
      'level',
      'time',
      'pid',
      'hostname',
      'name',
      ...LOGGER_FIELDS.map((k) => `fields.${k}`),
      'msg',
    ]);
    out.chunks.length = 0;
    log.info({ ...FORGED });
    const noMsg = own(only(out), { since, msg: undefined });
    assert.equal(noMsg['fields.msg'], 'forged-msg');
    out.chunks.length = 0;
    log.info({ msg: 'forged-msg' });
    assert.equal(own(only(out), { since, msg: undefined })['fields.msg'], 'forged-msg');
  });

  it('a caller key that is already "fields.level" pushes the renamed one further; no value is lost', () => {
    const { out, log } = make();
    const since = Date.now();
    log.info({ 'fields.level': 'a', level: 'b', 'fields.fields.level': 'c', msg: 'd' }, 'm');
    const r = own(only(out), { since });
    assert.deepEqual(Object.keys(r).slice(5), [
      'fields.level',
      'fields.fields.fields.level',
      'fields.fields.level',
      'fields.msg',
      'msg',
    ]);
    assert.equal(r['fields.level'], 'a');
    assert.equal(r['fields.fields.fields.level'], 'b');
    assert.equal(r['fields.fields.level'], 'c');
    assert.equal(r['fields.msg'], 'd');
  });

  it('undefined values are skipped as pino skips them, and the caller object is not mutated', () => {
    const { out, log } = make();
    const since = Date.now();
    const fields = { level: undefined, msg: 'x', keep: true };
    log.info(fields, 'm');
    const r = own(only(out), { since });
    assert.deepEqual(Object.keys(r).slice(5), ['fields.msg', 'keep', 'msg']);
    assert.deepEqual(fields, { level: undefined, msg: 'x', keep: true });
  });

  it('base, setBindings, the context provider and a mixin go through the same rule', () => {
    const { out, log } = make({
      base: { name: 'base-name', pid: 7, svc: 's' },
      mixin: () => ({ level: 'mixin-level', region: 'eu' }),
      context: () => ({ time: 'ctx-time', request_id: 'r1' }),
    });
    const child = log.child({ a: 1 });
    child.setBindings({ hostname: 'set-host' });
    const since = Date.now();
    child.info({ msg: 'call-msg' }, 'm');
    const r = own(only(out), { since });
    assert.equal(r['fields.name'], 'base-name');
    assert.equal(r['fields.pid'], 7);
    assert.equal(r.svc, 's');
    assert.equal(r['fields.hostname'], 'set-host');
    assert.equal(r['fields.level'], 'mixin-level');
    assert.equal(r['fields.time'], 'ctx-time');
    assert.equal(r.request_id, 'r1');
    assert.equal(r.region, 'eu');
    assert.equal(r['fields.msg'], 'call-msg');
  });

  it('named() after child({ name }) keeps the logger name chain and the renamed binding', () => {
    const { out, log } = make();
    const since = Date.now();
    log.child({ name: 'evil' }).named('db').named('pool').info('m');
    const r = own(only(out), { since, name: 'app.db.pool' });
    assert.equal(r['fields.name'], 'evil');
  });

  it("a child's own formatters.log / formatters.bindings cannot put logger fields back", () => {
    const { out, log } = make();
    const since = Date.now();
    const child = log.child(
      { a: 1 },
      {
        formatters: {
          log: (o: object) => ({ ...o, level: 'fatal', msg: 'from-log-formatter' }),
          bindings: (b: Record<string, unknown>) => ({ ...b, time: 0 }),
        },
      },
    );
    child.info({ x: 1 }, 'm');
    const r = own(only(out), { since });
    assert.equal(r['fields.level'], 'fatal');
    assert.equal(r['fields.msg'], 'from-log-formatter');
    assert.equal(r['fields.time'], 0);
    assert.equal(r.x, 1);
    assert.equal(r.a, 1);
  });

  it('error objects: fields of an Error stay under err; the line keeps its own', () => {
    const { out, log } = make();
    const err = Object.assign(new Error('boom'), { ...FORGED });
    const calls: [() => void, string][] = [
      [() => log.error(err), 'boom'],
      [() => log.error(err, 'm'), 'm'],
      [() => log.error({ err }, 'm'), 'm'],
      [() => log.error({ err, ...FORGED }, 'm'), 'm'],
      [() => log.child({ err }).error('m'), 'm'],
    ];
    for (const [call, msg] of calls) {
      out.chunks.length = 0;
      const since = Date.now();
      call();
      const r = own(only(out), { since, level: 'error', msg });
      const e = r.err as Record<string, unknown>;
      assert.equal(e.message, 'boom');
      assert.equal(e.type, 'Error');
      assert.equal(e.level, 60);
      assert.equal(e.msg, 'forged-msg');
      assert.equal(e.hostname, 'forged-host');
      if (call === calls[3]?.[0]) {
        assert.equal(r['fields.level'], 60);
        assert.equal(r['fields.name'], 'forged-name');
      }
    }
  });

  it('redaction still applies to renamed fields and their nested secrets', () => {
    const { out, log } = make();
    const since = Date.now();
    log.info({ msg: { password: 'hunter2', user: 'ada' } }, 'm');
    const r = own(only(out), { since });
    assert.deepEqual(r['fields.msg'], { password: '[Redacted]', user: 'ada' });
    assert.doesNotMatch(out.text(), /hunter2/);
    const path = make({ redact: ['["fields.msg"]'] });
    path.log.info({ msg: 'secret', a: 1 }, 'm');
    const p = own(only(path.out), { since });
    assert.equal(p['fields.msg'], '[Redacted]');
    assert.equal(p.a, 1);
  });

  it('pretty format shows the logger’s own level, name and message, and the renamed fields', async () => {
    const chunks: string[] = [];
    const dest = new Writable({
      write(chunk: Buffer, _enc, cb) {
        chunks.push(chunk.toString());
        cb();
      },
    });
    const log = createLogger({ env: {}, destination: dest, name: 'app', format: 'pretty' });
    log.info({ ...FORGED }, 'hello');
    log.child({ level: 'fatal', name: 'bound' }).info('again');
    await new Promise((resolve) => setImmediate(resolve));
    const text = chunks.join('');
    const lines = text.split('\n');
    assert.match(lines[0] ?? '', /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO \(app\/\d+\): hello$/);
    assert.equal(lines[0]?.includes(`(app/${process.pid})`), true);
    assert.deepEqual(lines.slice(1, 7), [
      '    fields.level: 60',
      '    fields.time: 1',
      '    fields.pid: 2',
      '    fields.hostname: "forged-host"',
      '    fields.name: "forged-name"',
      '    fields.msg: "forged-msg"',
    ]);
    assert.match(lines[7] ?? '', /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO \(app\/\d+\): again$/);
    assert.deepEqual(lines.slice(8), ['    fields.level: "fatal"', '    fields.name: "bound"', '']);
    assert.doesNotMatch(text, /FATAL|forged-name\/|\(forged/);
  });

  it('any caller object: one JSON line, no duplicate key, the logger’s own level/time/msg, every caller value kept (fast-check)', () => {
    // Not `err`: pino takes a missing message from `err.message` (see the error-object test).
    const keyArb = fc
      .oneof(
        fc.constantFrom(...LOGGER_FIELDS),
        fc.constantFrom(...LOGGER_FIELDS).map((k) => `fields.${k}`),
        fc.constantFrom(...LOGGER_FIELDS).map((k) => `fields.fields.${k}`),
        fc.constantFrom('__proto__', 'constructor', 'toString', 'fields', '', 'a"b\n'),
        fc.string({ maxLength: 8 }),
        fc.string({ unit: 'binary', maxLength: 4 }),
      )
      .filter((k) => k !== 'err');
    const valueArb = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constant(undefined));
    const objArb = fc.dictionary(keyArb, valueArb, { maxKeys: 12 });
    const { out, log } = make({ redact: false });
    fc.assert(
      fc.property(
        objArb,
        fc.option(fc.string({ maxLength: 20 }), { nil: undefined }),
        (obj, msg) => {
          out.chunks.length = 0;
          const since = Date.now();
          if (msg === undefined) log.info(obj);
          else log.info(obj, msg);
          const r = own(only(out), { since, msg });
          // The model of the rule: a logger field k is written at the first of fields.k,
          // fields.fields.k, … that the object does not have.
          // Entries, not objects, so a `__proto__` key compares as the field it is.
          const expected: [string, unknown][] = [];
          for (const [k, v] of Object.entries(obj)) {
            if (v === undefined) continue;
            let key = k;
            if (LOGGER_FIELDS.includes(k)) {
              key = `fields.${k}`;
              while (Object.hasOwn(obj, key)) key = `fields.${key}`;
            }
            expected.push([key, JSON.parse(JSON.stringify(v)) as unknown]);
          }
          const written = Object.entries(r).filter(([k]) => !LOGGER_FIELDS.includes(k));
          const byKey = (a: [string, unknown], b: [string, unknown]) => (a[0] < b[0] ? -1 : 1);
          assert.deepEqual(written.sort(byKey), expected.sort(byKey));
        },
      ),
      { numRuns: 1500 },
    );
  });
});
