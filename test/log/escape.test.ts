// Tests that U+2028 and U+2029 leave the logger only as the escapes \u2028 / \u2029, in messages, values, keys, bindings and errors, byte for byte.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { escapeLineSeparators } from '../../src/log/escape.js';
import { createLogger, LOGGER_FIELDS, type LoggerOptions } from '../../src/log/index.js';
import { type Capture, capture } from './capture.js';

const LS = '\u2028';
const PS = '\u2029';

function make(options: LoggerOptions = {}): { out: Capture; log: ReturnType<typeof createLogger> } {
  const out = capture();
  return { out, log: createLogger({ env: {}, destination: out, base: null, ...options }) };
}

/** The only line written, checked to hold neither separator raw. */
function only(out: Capture): string {
  const lines = out.lines();
  assert.equal(lines.length, 1, out.text());
  const line = lines[0] ?? '';
  assert.equal(out.text(), `${line}\n`);
  assert.equal(line.includes(LS), false, 'no raw U+2028');
  assert.equal(line.includes(PS), false, 'no raw U+2029');
  return line;
}

describe('U+2028 and U+2029 are escaped', () => {
  it('in the message, values at any depth, long strings and keys: exact bytes', () => {
    const { out, log } = make();
    const long = `${'a'.repeat(120)}${LS}${'b'.repeat(10)}${PS}`; // > 100 chars: pino's JSON.stringify path
    log.info(
      {
        [`k${LS}ey`]: `v${PS}al`,
        nested: { [`a${PS}`]: [LS, `x${LS}${PS}y`] },
        long,
        plain: 'é"\n',
      },
      `m${LS}${PS}`,
    );
    const line = only(out);
    const time = (JSON.parse(line) as { time: number }).time;
    assert.equal(
      line,
      `{"level":"info","time":${time},"k\\u2028ey":"v\\u2029al","nested":{"a\\u2029":["\\u2028","x\\u2028\\u2029y"]},"long":"${'a'.repeat(120)}\\u2028${'b'.repeat(10)}\\u2029","plain":"é\\"\\n","msg":"m\\u2028\\u2029"}`,
    );
    const r = JSON.parse(line) as Record<string, unknown>;
    assert.equal(r.msg, `m${LS}${PS}`);
    assert.equal(r[`k${LS}ey`], `v${PS}al`);
    assert.deepEqual(r.nested, { [`a${PS}`]: [LS, `x${LS}${PS}y`] });
    assert.equal(r.long, long);
  });

  it('in bindings kept by a named logger, and in base fields: exact bytes', () => {
    const { out, log } = make({ name: 'app', base: { [`svc${LS}`]: `s${PS}` } });
    log
      .child({ [`b${PS}`]: `c${LS}` })
      .named('db')
      .info(`x${LS}`);
    const line = only(out);
    const r = JSON.parse(line) as { time: number; pid: number; hostname: string };
    assert.equal(
      line,
      `{"level":"info","time":${r.time},"pid":${process.pid},"hostname":${JSON.stringify(r.hostname)},"name":"app.db","svc\\u2028":"s\\u2029","b\\u2029":"c\\u2028","msg":"x\\u2028"}`,
    );
  });

  it('in an error message and stack', () => {
    const { out, log } = make();
    const err = new Error(`bad${LS}input${PS}`);
    log.error({ err }, `failed${PS}`);
    const line = only(out);
    assert.ok(line.includes('"message":"bad\\u2028input\\u2029"'), line);
    assert.ok(line.includes('"stack":"Error: bad\\u2028input\\u2029\\n'), line);
    const r = JSON.parse(line) as { err: { message: string; stack: string }; msg: string };
    assert.equal(r.err.message, err.message);
    assert.equal(r.err.stack, err.stack);
    assert.equal(r.msg, `failed${PS}`);
  });

  it('a line without them is written unchanged', () => {
    const plain = '{"level":"info","msg":"é日"}\n';
    assert.equal(escapeLineSeparators(plain), plain);
    assert.equal(escapeLineSeparators(`a${LS}b${PS}${LS}`), 'a\\u2028b\\u2029\\u2028');
    const { out, log } = make();
    log.info({ a: 'x', b: [1, { c: 'é日' }] }, 'plain');
    const line = only(out);
    const time = (JSON.parse(line) as { time: number }).time;
    assert.equal(line, `{"level":"info","time":${time},"a":"x","b":[1,{"c":"é日"}],"msg":"plain"}`);
  });

  it('any strings in the message, a key and a value: one line, no raw separator, read back unchanged (fast-check)', () => {
    const text = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 30 }),
      fc
        .array(fc.constantFrom(LS, PS, 'a', '"', '\\', '\n', 'é', '日', '\u0000'), {
          maxLength: 20,
        })
        .map((a) => a.join('')),
      fc.string({ unit: 'binary', minLength: 101, maxLength: 140 }).map((s) => `${s}${LS}`),
    );
    const { out, log } = make({ redact: false });
    fc.assert(
      fc.property(text, text, text, (msg, key, value) => {
        // Not a logger field (renamed), `err` (serialised) or `nested` (the other key here).
        fc.pre(!LOGGER_FIELDS.includes(key) && key !== 'err' && key !== 'nested');
        out.chunks.length = 0;
        log.info({ [key]: value, nested: { [key]: [value] } }, msg);
        const r = JSON.parse(only(out)) as Record<string, unknown>;
        assert.equal(r.msg, msg);
        assert.equal(r[key], value);
        assert.deepEqual(r.nested, { [key]: [value] });
      }),
      { numRuns: 1000 },
    );
  });
});
