// Tests for LOG_LEVEL directive parsing and name resolution: defaults, per name, children, longest match, invalid pieces.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isValidLoggerName, normalizeLevel } from '../../src/log/directives.js';
import { parseLevelDirectives, resolveLevel } from '../../src/log/index.js';

describe('parseLevelDirectives + resolveLevel', () => {
  // [spec, logger name, expected level]
  const table: [string | undefined, string | undefined, string][] = [
    [undefined, undefined, 'info'],
    ['', undefined, 'info'],
    ['   ', 'storage', 'info'],
    ['debug', undefined, 'debug'],
    ['debug', 'anything.at.all', 'debug'],
    ['info,storage=debug', 'storage', 'debug'],
    ['info,storage=debug', 'storage.s3', 'debug'],
    ['info,storage=debug', 'storage.s3.client', 'debug'],
    ['info,storage=debug', 'storagex', 'info'],
    ['info,storage=debug', 'other', 'info'],
    ['info,storage=debug', undefined, 'info'],
    ['info,http=warn,http.client=debug', 'http', 'warn'],
    ['info,http=warn,http.client=debug', 'http.server.x', 'warn'],
    ['info,http=warn,http.client=debug', 'http.client', 'debug'],
    ['info,http=warn,http.client=debug', 'http.client.pool', 'debug'],
    ['info,http=warn,http.client=debug', 'httpx', 'info'],
    ['info,http=warn,http.client=debug', 'http.clientx', 'warn'],
    // Order of directives does not matter for longest match.
    ['http.client=debug,http=warn,error', 'http.client.pool', 'debug'],
    ['http.client=debug,http=warn,error', 'db', 'error'],
    // The name alone, no default: the default stays info.
    ['storage=trace', 'app', 'info'],
    // Case-insensitive levels, aliases, blanks.
    [' WARN , Storage = Debug ', 'Storage', 'debug'],
    ['WARNING', undefined, 'warn'],
    ['off', undefined, 'silent'],
    ['info,noisy=OFF', 'noisy.sub', 'silent'],
    ['Fatal', undefined, 'fatal'],
    ['TRACE', undefined, 'trace'],
    // Names are case-sensitive.
    ['info,Storage=debug', 'storage', 'info'],
    // Last one wins for a repeated default or name.
    ['debug,warn', undefined, 'warn'],
    ['storage=debug,storage=error', 'storage', 'error'],
    // Invalid pieces are ignored, the rest applies.
    ['info,,storage=debug', 'storage', 'debug'],
    ['verbose,storage=debug', 'x', 'info'],
    ['warn,storage=loud', 'storage', 'warn'],
    ['warn,bad name=debug', 'bad name', 'warn'],
    // A totally invalid string falls back to info.
    ['nonsense', 'x', 'info'],
    ['=,==,a..b=debug', 'a', 'info'],
  ];
  for (const [spec, name, expected] of table) {
    it(`${JSON.stringify(spec)} → ${name ?? '(unnamed)'} is ${expected}`, () => {
      assert.equal(resolveLevel(parseLevelDirectives(spec), name), expected);
    });
  }

  it('reports each invalid piece once, with a reason, and keeps the valid ones', () => {
    const d = parseLevelDirectives('info,,verbose,storage=loud,.x=debug,=debug,verbose,,db=debug,');
    assert.deepEqual(
      d.invalid.map((i) => i.directive),
      ['', 'verbose', 'storage=loud', '.x=debug', '=debug'],
    );
    assert.match(d.invalid[0]?.reason ?? '', /empty directive/);
    assert.match(d.invalid[1]?.reason ?? '', /unknown level "verbose"/);
    assert.match(d.invalid[2]?.reason ?? '', /unknown level "loud"/);
    assert.match(d.invalid[3]?.reason ?? '', /invalid logger name "\.x"/);
    assert.match(d.invalid[4]?.reason ?? '', /invalid logger name ""/);
    assert.equal(d.defaultLevel, 'info');
    assert.deepEqual(d.rules, [{ name: 'db', level: 'debug' }]);
  });

  it('has nothing invalid for empty, blank or undefined input', () => {
    for (const spec of [undefined, '', ' \t ']) {
      assert.deepEqual(parseLevelDirectives(spec).invalid, []);
    }
  });

  it('sorts rules longest first and freezes the result', () => {
    const d = parseLevelDirectives('a=debug,a.b.c=warn,a.b=error');
    assert.deepEqual(
      d.rules.map((r) => r.name),
      ['a.b.c', 'a.b', 'a'],
    );
    assert.ok(Object.isFrozen(d) && Object.isFrozen(d.rules) && Object.isFrozen(d.invalid));
  });

  it('never throws, whatever the input', () => {
    for (const spec of ['\u0000', '=', ',', 'a=b=c', '🙂=debug', 'x'.repeat(10_000), '__proto__']) {
      const d = parseLevelDirectives(spec);
      assert.equal(typeof resolveLevel(d, 'x'), 'string');
    }
    assert.equal(normalizeLevel('__proto__'), undefined);
    assert.equal(normalizeLevel('constructor'), undefined);
  });
});

describe('isValidLoggerName', () => {
  it('accepts dot-separated segments of [A-Za-z0-9_-]', () => {
    for (const ok of ['a', 'http.client', 'canvas-server.storage_v2', 'A.B.C1']) {
      assert.ok(isValidLoggerName(ok), ok);
    }
    for (const bad of ['', '.', 'a.', '.a', 'a..b', 'a b', 'a=b', 'a,b', 'a/b', 'é']) {
      assert.ok(!isValidLoggerName(bad), bad);
    }
  });
});
