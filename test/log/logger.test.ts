// Tests for createLogger: JSON fields, LOG_LEVEL directives and their warnings, named loggers, formats, redaction, forging, the context provider, and the metrics-server line.
import assert from 'node:assert/strict';
import { AsyncLocalStorage } from 'node:async_hooks';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { runWithContext } from '../../src/context/index.js';
import { resetWarnings, setWarningSink, TelltaleError } from '../../src/internal/errors.js';
import {
  createLogger,
  DEFAULT_REDACT_PATHS,
  type LoggerOptions,
  SECRET_FIELD_NAMES,
} from '../../src/log/index.js';
import { buildLogger } from '../../src/log/logger.js';
import { createRegistry } from '../../src/metrics/index.js';
import { createMetricsServer } from '../../src/server/index.js';
import { DISABLED_MESSAGE } from '../../src/server/server.js';
import { type Capture, capture } from './capture.js';

function make(
  options: LoggerOptions = {},
  env: Record<string, string> = {},
): { out: Capture; log: ReturnType<typeof createLogger> } {
  const out = capture();
  return { out, log: createLogger({ env, destination: out, ...options }) };
}

const warnings = (out: Capture) => out.records().filter((r) => r.level === 'warn');

function throwsCode(fn: () => unknown, code: string, message?: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof TelltaleError, `expected a TelltaleError, got ${String(err)}`);
    assert.equal(err.code, code);
    if (message) assert.match(err.message, message);
    return true;
  });
}

describe('JSON output', () => {
  it('writes one JSON object per line: level label, time, pid, hostname, name, fields, msg', () => {
    const { out, log } = make({ name: 'canvas', base: { service: 'canvas-server' } });
    const before = Date.now();
    log.info({ user: 'ada', n: 1 }, 'hello');
    log.warn('careful');
    const [a, b] = out.records();
    assert.ok(a && b);
    assert.deepEqual(Object.keys(a), [
      'level',
      'time',
      'pid',
      'hostname',
      'name',
      'service',
      'user',
      'n',
      'msg',
    ]);
    assert.equal(a.level, 'info');
    assert.equal(a.pid, process.pid);
    assert.equal(typeof a.hostname, 'string');
    assert.equal(a.name, 'canvas');
    assert.equal(a.service, 'canvas-server');
    assert.equal(a.msg, 'hello');
    assert.ok(typeof a.time === 'number' && a.time >= before && a.time <= Date.now());
    assert.equal(b.level, 'warn');
    assert.equal(b.msg, 'careful');
    assert.equal(out.lines().length, 2);
  });

  it('writes every level as its label; base: null drops pid and hostname', () => {
    const { out, log } = make({ base: null, level: 'trace' });
    log.trace('t');
    log.debug('d');
    log.info('i');
    log.warn('w');
    log.error('e');
    log.fatal('f');
    assert.deepEqual(
      out.records().map((r) => r.level),
      ['trace', 'debug', 'info', 'warn', 'error', 'fatal'],
    );
    assert.deepEqual(Object.keys(out.records()[0] ?? {}), ['level', 'time', 'msg']);
  });

  it('serialises an Error as err with type, message and stack', () => {
    const { out, log } = make();
    log.error({ err: new Error('boom') }, 'failed');
    log.error(new TypeError('bad'));
    const [a, b] = out.records() as {
      err: { type: string; message: string; stack: string };
      msg: string;
    }[];
    assert.ok(a && b);
    assert.equal(a.err.message, 'boom');
    assert.match(a.err.stack, /Error: boom/);
    assert.equal(b.err.type, 'TypeError');
    assert.equal(b?.msg, 'bad');
  });

  it('defaults to stdout and the real environment', () => {
    const log = createLogger();
    assert.equal(typeof log.info, 'function');
  });
});

describe('LOG_LEVEL directives on loggers', () => {
  it('empty or missing LOG_LEVEL is info, with no warning', () => {
    for (const env of [{}, { LOG_LEVEL: '' }, { LOG_LEVEL: '  ' }]) {
      const { out, log } = make({}, env);
      assert.equal(log.level, 'info');
      assert.equal(log.named('x').level, 'info');
      assert.equal(out.text(), '');
    }
  });

  it('applies the bare level, per-name levels, children and the longest match', () => {
    const { out, log } = make(
      {},
      { LOG_LEVEL: 'warn,storage=debug,http=error,http.client=trace,noisy=off' },
    );
    assert.equal(log.level, 'warn');
    assert.equal(log.named('storage').level, 'debug');
    assert.equal(log.named('storage').named('s3').level, 'debug');
    assert.equal(log.named('storagex').level, 'warn');
    assert.equal(log.named('http').level, 'error');
    assert.equal(log.named('http').named('server').named('x').level, 'error');
    assert.equal(log.named('http').named('client').level, 'trace');
    assert.equal(log.named('http.client.pool').level, 'trace');
    assert.equal(log.named('httpx').level, 'warn');
    assert.equal(log.named('noisy').level, 'silent');
    log.named('storage').debug('seen');
    log.debug('not seen');
    log.named('noisy').fatal('not seen either');
    log.named('http').warn('not seen');
    assert.deepEqual(
      out.records().map((r) => [r.name, r.msg]),
      [['storage', 'seen']],
    );
  });

  it('a child may be more verbose than its root', () => {
    const { out, log } = make({ name: 'app' }, { LOG_LEVEL: 'error,app.db=debug' });
    assert.equal(log.level, 'error');
    log.named('db').debug('query');
    log.info('hidden');
    assert.deepEqual(
      out.records().map((r) => r.msg),
      ['query'],
    );
  });

  it('the level option replaces LOG_LEVEL', () => {
    const { log } = make({ level: 'debug,db=warn' }, { LOG_LEVEL: 'error' });
    assert.equal(log.level, 'debug');
    assert.equal(log.named('db').level, 'warn');
  });

  it('each invalid directive warns exactly once, through the logger, and is ignored', () => {
    const { out, log } = make(
      {},
      { LOG_LEVEL: 'info,,storage=verbose,bad name=debug,loud,db=debug,loud,' },
    );
    const w = warnings(out);
    assert.deepEqual(
      w.map((r) => r.directive),
      ['', 'storage=verbose', 'bad name=debug', 'loud'],
    );
    for (const r of w) {
      assert.equal(r.code, 'TT_INVALID_LOG_LEVEL');
      assert.match(String(r.msg), /^TT_INVALID_LOG_LEVEL: LOG_LEVEL directive ".*" ignored: /);
    }
    assert.match(String(w[1]?.msg), /unknown level "verbose" \(use trace, debug, info/);
    assert.match(String(w[2]?.msg), /invalid logger name "bad name"/);
    // Valid directives still apply; named loggers and logging do not warn again.
    assert.equal(log.level, 'info');
    assert.equal(log.named('db').level, 'debug');
    assert.equal(log.named('storage').level, 'info');
    log.named('storage').info('x');
    assert.equal(warnings(out).length, 4);
  });

  it('a totally invalid LOG_LEVEL falls back to info, with a warning, never a throw', () => {
    for (const spec of ['verbose', '=', ',,,', 'a=b=c', '\u0000\n{"level":60}']) {
      const { out, log } = make({}, { LOG_LEVEL: spec });
      assert.equal(log.level, 'info', spec);
      assert.ok(warnings(out).length >= 1, spec);
      assert.equal(out.lines().length, warnings(out).length);
    }
  });

  it('the warning shows even when the default level is error, and not when silent', () => {
    const loud = make({}, { LOG_LEVEL: 'error,x=nope' });
    assert.equal(warnings(loud.out).length, 1);
    assert.equal(loud.log.level, 'error');
    loud.log.warn('a warn after setup is filtered as configured');
    assert.equal(warnings(loud.out).length, 1);
    const quiet = make({}, { LOG_LEVEL: 'off,x=nope' });
    assert.equal(quiet.out.text(), '');
  });

  it("the level option's invalid pieces say so", () => {
    const { out } = make({ level: 'info,x=nope' });
    assert.match(String(warnings(out)[0]?.msg), /level option directive "x=nope"/);
  });

  it('a disabled level is pino’s shared no-op, not a wrapper', () => {
    const { log } = make({}, { LOG_LEVEL: 'info,quiet=error' });
    const bare = pino({ level: 'info' }, { write() {} });
    assert.equal(log.debug, bare.debug);
    assert.equal(log.named('quiet').info, bare.debug);
    assert.equal(log.named('quiet').child({ a: 1 }).warn, bare.debug);
    assert.notEqual(log.info, bare.debug);
  });
});

describe('named loggers', () => {
  it('joins names with dots, starting from the root name', () => {
    const { out, log } = make({ name: 'canvas' }, { LOG_LEVEL: 'info,canvas.storage=debug' });
    const storage = log.named('storage');
    storage.debug('a');
    storage.named('s3').debug('b');
    log.named('http.client').info('c');
    assert.deepEqual(
      out.records().map((r) => [r.name, r.msg]),
      [
        ['canvas.storage', 'a'],
        ['canvas.storage.s3', 'b'],
        ['canvas.http.client', 'c'],
      ],
    );
  });

  it('without a root name, the first name stands alone', () => {
    const { out, log } = make();
    log.named('storage').info('x');
    assert.equal(out.records()[0]?.name, 'storage');
    log.info('root');
    assert.equal('name' in (out.records()[1] ?? {}), false);
  });

  it('writes one name key (replaced, not appended) and keeps child bindings', () => {
    const { out, log } = make({ name: 'app', base: { svc: 's' } });
    const req = log.child({ request: 'r1' });
    const db = req.named('db');
    db.child({ query: 'q' }).named('pool').info('hi');
    const line = out.lines()[0] ?? '';
    assert.equal(line.match(/"name":/g)?.length, 1, line);
    assert.equal(line.match(/"pid":/g)?.length, 1, line);
    const r = out.records()[0];
    assert.equal(r?.name, 'app.db.pool');
    assert.equal(r?.svc, 's');
    assert.equal(r?.request, 'r1');
    assert.equal(r?.query, 'q');
    assert.equal(r?.pid, process.pid);
  });

  it('child() keeps the level and the name of its parent', () => {
    const { out, log } = make({}, { LOG_LEVEL: 'warn,db=debug' });
    const c = log.named('db').child({ conn: 1 });
    assert.equal(c.level, 'debug');
    c.debug('x');
    assert.equal(out.records()[0]?.name, 'db');
  });

  it('a name given to base is ignored in favour of the logger name', () => {
    const { out, log } = make({ name: 'real', base: { name: 'fake' } });
    log.info('x');
    assert.equal(out.lines()[0]?.match(/"name":/g)?.length, 1);
    assert.equal(out.records()[0]?.name, 'real');
  });

  it('rejects invalid names with TT_INVALID_OPTION', () => {
    const { log } = make();
    for (const bad of ['', 'a..b', '.a', 'a b', 'a=b']) {
      throwsCode(() => log.named(bad), 'TT_INVALID_OPTION', /logger name/);
    }
    throwsCode(() => log.named(42 as unknown as string), 'TT_INVALID_OPTION');
    throwsCode(() => make({ name: 'bad name' }), 'TT_INVALID_OPTION', /is not a logger name/);
  });
});

describe('formats', () => {
  async function prettyText(options: LoggerOptions, env: Record<string, string>) {
    const chunks: string[] = [];
    const dest = new Writable({
      write(chunk: Buffer, _enc, cb) {
        chunks.push(chunk.toString());
        cb();
      },
    });
    const log = createLogger({ env, destination: dest, name: 'app', ...options });
    log.info({ user: 'ada', password: 'hunter2' }, 'hello pretty');
    await new Promise((resolve) => setImmediate(resolve));
    return chunks.join('');
  }

  it('LOG_FORMAT=pretty writes readable, non-JSON lines (still redacted)', async () => {
    const text = await prettyText({}, { LOG_FORMAT: 'pretty' });
    assert.match(text, /INFO/);
    assert.match(text, /\(app\/\d+\): hello pretty/);
    assert.match(text, /user: "ada"/);
    assert.match(text, /password: "\[Redacted\]"/);
    assert.doesNotMatch(text, /hunter2/);
    assert.throws(() => JSON.parse(text.split('\n')[0] ?? ''));
    assert.doesNotMatch(text, /\u001b\[/, 'no colours when the destination is not a terminal');
  });

  it('LOG_FORMAT is case-insensitive; json forces JSON; the format option overrides it', async () => {
    assert.match(await prettyText({}, { LOG_FORMAT: ' Pretty ' }), /INFO/);
    const j = await prettyText({}, { LOG_FORMAT: 'json' });
    assert.equal(JSON.parse(j.trim()).msg, 'hello pretty');
    const forcedJson = await prettyText({ format: 'json' }, { LOG_FORMAT: 'pretty' });
    assert.equal(JSON.parse(forcedJson.trim()).msg, 'hello pretty');
    assert.match(await prettyText({ format: 'pretty' }, { LOG_FORMAT: 'json' }), /INFO/);
  });

  it('an unknown LOG_FORMAT warns once and writes JSON', () => {
    const { out, log } = make({}, { LOG_FORMAT: 'xml' });
    log.info('x');
    const [w, line] = out.records();
    assert.equal(w?.code, 'TT_INVALID_LOG_FORMAT');
    assert.equal(w?.value, 'xml');
    assert.equal(line?.msg, 'x');
  });

  it('an invalid format option is TT_INVALID_OPTION', () => {
    throwsCode(() => make({ format: 'xml' as 'json' }), 'TT_INVALID_OPTION', /format "xml"/);
  });

  it('without pino-pretty: format "pretty" throws TT_MISSING_DEPENDENCY; LOG_FORMAT=pretty warns TT_DEPENDENCY_FALLBACK and writes JSON', () => {
    const missing = (id: string): never => {
      throw Object.assign(new Error(`Cannot find module '${id}'`), { code: 'MODULE_NOT_FOUND' });
    };
    const out = capture();
    throwsCode(
      () => buildLogger({ format: 'pretty', env: {}, destination: out }, missing),
      'TT_MISSING_DEPENDENCY',
      /needs pino-pretty, which is not installed: npm i pino-pretty/,
    );
    const log = buildLogger({ env: { LOG_FORMAT: 'pretty' }, destination: out }, missing);
    log.info('still logging');
    const [w, line] = out.records();
    assert.equal(w?.code, 'TT_DEPENDENCY_FALLBACK');
    assert.equal(w?.dependency, 'pino-pretty');
    assert.equal(line?.msg, 'still logging');
    const broken = (): never => {
      throw new SyntaxError('broken install');
    };
    assert.throws(
      () => buildLogger({ format: 'pretty', env: {}, destination: out }, broken),
      SyntaxError,
    );
  });

  it('writes to a file descriptor', () => {
    const log = createLogger({ env: {}, destination: 1, level: 'silent' });
    log.info('nothing');
    throwsCode(() => createLogger({ destination: -1 }), 'TT_INVALID_OPTION', /destination must be/);
    throwsCode(() => createLogger({ destination: {} as unknown as number }), 'TT_INVALID_OPTION');
  });
});

describe('redaction', () => {
  const secrets = SECRET_FIELD_NAMES;

  it('censors each default header path', () => {
    const { out, log } = make();
    log.info(
      {
        req: {
          method: 'GET',
          headers: {
            authorization: 'Bearer a',
            cookie: 'sid=1',
            'proxy-authorization': 'Basic b',
            'x-api-key': 'k',
            accept: '*/*',
          },
        },
        res: { statusCode: 200, headers: { 'set-cookie': ['sid=2'], 'content-type': 'x' } },
        headers: {
          authorization: 'Bearer c',
          cookie: 'sid=3',
          'set-cookie': 'sid=4',
          'proxy-authorization': 'p',
          'x-api-key': 'k2',
          host: 'h',
        },
      },
      'request',
    );
    const r = out.records()[0] as {
      req: { method: string; headers: Record<string, unknown> };
      res: { statusCode: number; headers: Record<string, unknown> };
      headers: Record<string, unknown>;
    };
    assert.deepEqual(r.req, {
      method: 'GET',
      headers: {
        authorization: '[Redacted]',
        cookie: '[Redacted]',
        'proxy-authorization': '[Redacted]',
        'x-api-key': '[Redacted]',
        accept: '*/*',
      },
    });
    assert.deepEqual(r.res, {
      statusCode: 200,
      headers: { 'set-cookie': '[Redacted]', 'content-type': 'x' },
    });
    assert.deepEqual(r.headers, {
      authorization: '[Redacted]',
      cookie: '[Redacted]',
      'set-cookie': '[Redacted]',
      'proxy-authorization': '[Redacted]',
      'x-api-key': '[Redacted]',
      host: 'h',
    });
    assert.ok(!out.text().includes('sid='));
    assert.ok(DEFAULT_REDACT_PATHS.includes('req.headers.authorization'));
  });

  for (const name of secrets) {
    it(`censors "${name}" at the top level and one level deep`, () => {
      const { out, log } = make();
      log.info({ [name]: 's1', user: { id: 7, [name]: 's2' }, list: [{ [name]: 'kept' }] }, 'x');
      const r = out.records()[0] as Record<string, unknown>;
      assert.equal(r[name], '[Redacted]');
      assert.deepEqual(r.user, { id: 7, [name]: '[Redacted]' });
      // Arrays are not "one level deep" fields (pino's *.x does not reach into them either).
      assert.deepEqual(r.list, [{ [name]: 'kept' }]);
      assert.ok(!out.text().includes('s1') && !out.text().includes('s2'));
    });
  }

  it('does not reach two levels deep, and does not mutate the caller’s objects', () => {
    const { out, log } = make();
    const fields = { user: { password: 'p', profile: { password: 'deep' } }, token: 't' };
    log.info(fields, 'x');
    const r = out.records()[0] as { user: { password: string; profile: { password: string } } };
    assert.equal(r.user.password, '[Redacted]');
    assert.equal(r.user.profile.password, 'deep');
    assert.deepEqual(fields, {
      user: { password: 'p', profile: { password: 'deep' } },
      token: 't',
    });
  });

  it('censors bindings of child(), named loggers, and context provider fields', () => {
    const { out, log } = make({
      base: { apiKey: 'base-key' },
      context: () => ({ session: { token: 'ctx-token' } }),
    });
    log
      .child({ password: 'p', creds: { secret: 's' } })
      .named('x')
      .info('a');
    const r = out.records()[0] as Record<string, unknown>;
    assert.equal(r.password, '[Redacted]');
    assert.deepEqual(r.creds, { secret: '[Redacted]' });
    assert.equal(r.apiKey, '[Redacted]');
    assert.deepEqual(r.session, { token: '[Redacted]' });
    assert.ok(!/p"|"s"|base-key|ctx-token/.test(out.text()));
  });

  it('adds custom paths and fields to the defaults, with a custom censor', () => {
    const { out, log } = make({
      redact: { paths: ['card.number', 'a.b.c'], fields: ['ssn'], censor: '***' },
    });
    log.info(
      {
        card: { number: '4111', exp: '12/30' },
        a: { b: { c: 1 } },
        ssn: 1,
        p: { ssn: 2 },
        password: 'x',
      },
      'm',
    );
    const r = out.records()[0];
    assert.deepEqual(r?.card, { number: '***', exp: '12/30' });
    assert.deepEqual(r?.a, { b: { c: '***' } });
    assert.equal(r?.ssn, '***');
    assert.deepEqual(r?.p, { ssn: '***' });
    assert.equal(r?.password, '***');
  });

  it('an array adds paths; a censor function gets the value and path; remove drops keys', () => {
    const a = make({ redact: ['user.email'] });
    a.log.info({ user: { email: 'e@x', password: 'p' } }, 'm');
    assert.deepEqual(a.out.records()[0]?.user, { email: '[Redacted]', password: '[Redacted]' });

    const seen: string[] = [];
    const b = make({
      redact: {
        censor: (value, path) => {
          seen.push(path.join('.'));
          return `<${String(value).length}>`;
        },
      },
    });
    b.log.info({ token: 'abcd', user: { password: 'xyz' } }, 'm');
    assert.equal(b.out.records()[0]?.token, '<4>');
    assert.deepEqual(b.out.records()[0]?.user, { password: '<3>' });
    assert.deepEqual(seen.sort(), ['token', 'user.password']);

    const c = make({ redact: { remove: true } });
    c.log.info({ token: 't', user: { password: 'p', id: 1 }, headers: { cookie: 'c', x: 1 } }, 'm');
    const r = c.out.records()[0] as Record<string, unknown>;
    assert.equal('token' in r, false);
    assert.deepEqual(r.user, { id: 1 });
    assert.deepEqual(r.headers, { x: 1 });
  });

  it('defaults: false keeps only the given paths; redact: false turns redaction off', () => {
    const a = make({ redact: { defaults: false, paths: ['pin'] } });
    a.log.info({ pin: 1, password: 'p', user: { token: 't' } }, 'm');
    assert.deepEqual(a.out.records()[0], {
      ...a.out.records()[0],
      pin: '[Redacted]',
      password: 'p',
      user: { token: 't' },
    });
    const b = make({ redact: false });
    b.log.info({ password: 'p', headers: { authorization: 'a' } }, 'm');
    assert.equal(b.out.records()[0]?.password, 'p');
    assert.deepEqual(b.out.records()[0]?.headers, { authorization: 'a' });
  });

  it('rejects malformed redact options with TT_INVALID_OPTION', () => {
    throwsCode(() => make({ redact: { paths: ['a[', 'b'] } }), 'TT_INVALID_OPTION');
    throwsCode(() => make({ redact: { paths: [''] } }), 'TT_INVALID_OPTION', /redact\.paths/);
    throwsCode(
      () => make({ redact: { fields: 'password' as unknown as string[] } }),
      'TT_INVALID_OPTION',
      /redact\.fields/,
    );
    throwsCode(
      () => make({ redact: { censor: 1 as unknown as string } }),
      'TT_INVALID_OPTION',
      /redact\.censor/,
    );
    throwsCode(() => make({ redact: 'x' as unknown as false }), 'TT_INVALID_OPTION');
  });
});

describe('forging', () => {
  it('a message or field cannot add JSON fields or lines', () => {
    const { out, log } = make({ name: 'app' });
    const msg = 'login ok"\n{"level":60,"time":1,"msg":"forged","admin":true}\r\n';
    const field = 'a"b\\c\n"admin":true,\u2028\u0000}{';
    log.info({ user: field, [`k"ey\n`]: 'v' }, msg);
    log.info(msg);
    const lines = out.lines();
    assert.equal(lines.length, 2);
    const [a, b] = out.records();
    assert.equal(a?.msg, msg);
    assert.equal(a?.user, field);
    assert.equal(a?.['k"ey\n'], 'v');
    assert.equal(a?.level, 'info');
    assert.equal('admin' in (a ?? {}), false);
    assert.deepEqual(Object.keys(a ?? {}), [
      'level',
      'time',
      'pid',
      'hostname',
      'name',
      'user',
      'k"ey\n',
      'msg',
    ]);
    assert.equal(b?.msg, msg);
    assert.equal(b?.level, 'info');
    for (const l of lines) assert.ok(!l.includes('\n') && !l.includes('\r'));
  });

  it('a forged name or binding stays inside its field', () => {
    const { out, log } = make();
    log.child({ who: '"},{"level":"fatal' }).info('x');
    const r = out.records()[0];
    assert.equal(r?.who, '"},{"level":"fatal');
    assert.equal(r?.level, 'info');
  });
});

describe('the context a logger is given (context option)', () => {
  it('adds the provider’s fields to every line of the logger and its named children', () => {
    const als = new AsyncLocalStorage<Record<string, string>>();
    const { out, log } = make({ name: 'app', context: () => als.getStore() });
    const db = log.named('db');
    log.info('outside');
    als.run({ request_id: 'r1', trace_id: 't'.repeat(32), span_id: 's'.repeat(16) }, () => {
      db.info({ rows: 3 }, 'inside');
      db.child({ k: 1 }).warn('child inside');
    });
    const [outside, inside, child] = out.records();
    assert.equal('request_id' in (outside ?? {}), false);
    assert.equal(inside?.request_id, 'r1');
    assert.equal(inside?.trace_id, 't'.repeat(32));
    assert.equal(inside?.span_id, 's'.repeat(16));
    assert.equal(inside?.rows, 3);
    assert.deepEqual(Object.keys(inside ?? {}).slice(5), [
      'request_id',
      'trace_id',
      'span_id',
      'rows',
      'msg',
    ]);
    assert.equal(child?.request_id, 'r1');
    assert.equal(child?.k, 1);
  });

  it('two loggers with different providers do not see each other’s context', () => {
    const a = make({ context: () => ({ tenant: 'a' }) });
    const b = make({ context: () => ({ tenant: 'b' }) });
    const none = make({ context: false });
    a.log.info('x');
    b.log.info('x');
    none.log.info('x');
    assert.equal(a.out.records()[0]?.tenant, 'a');
    assert.equal(b.out.records()[0]?.tenant, 'b');
    assert.deepEqual(Object.keys(none.out.records()[0] ?? {}), [
      'level',
      'time',
      'pid',
      'hostname',
      'msg',
    ]);
  });

  it('by default reads telltale’s request context: the active request’s ids, nothing outside one', () => {
    const { out, log } = make();
    const ctx = {
      requestId: 'req-1',
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '00f067aa0ba902b7',
      sampled: true,
      startTime: 0,
    };
    log.info('outside');
    runWithContext(ctx, () => log.info('inside'));
    const [outside, inside] = out.records();
    assert.equal('request_id' in (outside ?? {}), false);
    assert.equal(inside?.request_id, 'req-1');
    assert.equal(inside?.trace_id, '4bf92f3577b34da6a3ce929d0e0e4736');
    assert.equal(inside?.span_id, '00f067aa0ba902b7');
  });

  it('follows async work inside a request', async () => {
    const als = new AsyncLocalStorage<{ fields: Record<string, string> }>();
    const { out, log } = make({ context: () => als.getStore()?.fields });
    await Promise.all(
      ['a', 'b'].map((id) =>
        als.run({ fields: { request_id: id } }, async () => {
          await new Promise((resolve) => setTimeout(resolve, id === 'a' ? 5 : 0));
          log.info(id);
        }),
      ),
    );
    for (const r of out.records()) assert.equal(r.request_id, r.msg);
  });

  it('caller fields win, the provider object is never mutated, and a cached object is reused safely', () => {
    const cached = Object.freeze({ request_id: 'r1', trace_id: 't1' });
    const { out, log } = make({ context: () => cached });
    log.info({ trace_id: 'mine', x: 1 }, 'a');
    log.info('b');
    const [a, b] = out.records();
    assert.equal(a?.trace_id, 'mine');
    assert.equal(a?.request_id, 'r1');
    assert.equal(b?.trace_id, 't1');
    assert.equal('x' in (b ?? {}), false);
    assert.deepEqual(cached, { request_id: 'r1', trace_id: 't1' });
  });

  it('anything but a function, false or undefined is refused', () => {
    throwsCode(
      () => make({ context: 'x' as unknown as () => undefined }),
      'TT_INVALID_OPTION',
      /^TT_INVALID_OPTION: createLogger: context must be a function returning the context fields, or false for none, got string$/,
    );
    throwsCode(
      () => make({ context: null as unknown as () => undefined }),
      'TT_INVALID_OPTION',
      /got null$/,
    );
    throwsCode(
      () => make({ context: true as unknown as false }),
      'TT_INVALID_OPTION',
      /got boolean$/,
    );
  });

  it('a provider that throws drops its fields, warns once, and the line is still written', () => {
    const seen: string[] = [];
    const prev = setWarningSink((code) => seen.push(code));
    resetWarnings();
    try {
      const { out, log } = make({
        context: () => {
          throw new Error('no store');
        },
      });
      log.info({ a: 1 }, 'one');
      log.info('two');
      assert.deepEqual(
        out.records().map((r) => [r.msg, r.a]),
        [
          ['one', 1],
          ['two', undefined],
        ],
      );
      assert.deepEqual(seen, ['TT_LOG_CONTEXT_FAILED']);
    } finally {
      setWarningSink(prev);
      resetWarnings();
    }
  });

  it('a mixin option adds fields after the provider’s; the caller still wins', () => {
    const levels: number[] = [];
    let inside = false;
    const { out, log } = make({
      mixin: (_obj, level) => {
        levels.push(level);
        return { region: 'eu', request_id: 'from-mixin' };
      },
      context: () => (inside ? { request_id: 'r1', span_id: 's1' } : undefined),
    });
    log.info('no context');
    inside = true;
    log.warn({ region: 'us' }, 'with context');
    const [a, b] = out.records();
    assert.equal(a?.region, 'eu');
    assert.equal(b?.request_id, 'from-mixin');
    assert.equal(b?.span_id, 's1');
    assert.equal(b?.region, 'us');
    assert.deepEqual(levels, [30, 40]);
  });

  it('is not called for disabled levels', () => {
    let calls = 0;
    const { log } = make(
      {
        context: () => {
          calls++;
          return { request_id: 'r' };
        },
      },
      { LOG_LEVEL: 'warn' },
    );
    log.info('x');
    log.debug('y');
    assert.equal(calls, 0);
    log.warn('z');
    assert.equal(calls, 1);
  });
});

describe('with telltale’s metrics server', () => {
  it('logs "Metrics endpoint disabled" as a proper JSON line', async () => {
    const out = capture();
    const logger = createLogger({ name: 'metrics', env: {}, destination: out });
    const server = await createMetricsServer({
      registry: createRegistry(),
      enabled: false,
      logger,
    });
    assert.equal(server.enabled, false);
    const records = out.records();
    assert.equal(records.length, 1);
    assert.equal(records[0]?.level, 'info');
    assert.equal(records[0]?.name, 'metrics');
    assert.equal(records[0]?.msg, DISABLED_MESSAGE);
    assert.equal(DISABLED_MESSAGE, 'Metrics endpoint disabled');
  });

  it('logs listening and closed with the url field', async () => {
    const out = capture();
    const logger = createLogger({ env: {}, destination: out }).named('metrics');
    const server = await createMetricsServer({
      registry: createRegistry(),
      port: 0,
      selfMetrics: false,
      logger,
    });
    assert.ok(server.enabled);
    await server.close();
    const [listening, closed] = out.records();
    assert.equal(listening?.msg, 'Metrics endpoint listening');
    assert.equal(listening?.url, server.url);
    assert.equal(listening?.name, 'metrics');
    assert.equal(closed?.msg, 'Metrics endpoint closed');
  });
});

describe('option validation', () => {
  it('rejects options of the wrong type with TT_INVALID_OPTION', () => {
    throwsCode(() => createLogger(null as unknown as LoggerOptions), 'TT_INVALID_OPTION');
    throwsCode(() => make({ level: 3 as unknown as string }), 'TT_INVALID_OPTION', /level/);
    throwsCode(() => make({ env: 'x' as unknown as Record<string, string> }), 'TT_INVALID_OPTION');
    throwsCode(() => make({ base: 'x' as unknown as null }), 'TT_INVALID_OPTION', /base/);
    throwsCode(
      () => make({ mixin: 'x' as unknown as LoggerOptions['mixin'] & object }),
      'TT_INVALID_OPTION',
      /mixin/,
    );
  });
});
