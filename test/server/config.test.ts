// Tests for metricsServerOptionsFromEnv and metricsServerOptionsFromYaml: parsing, defaults left out, coded errors.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TelltaleError } from '../../src/internal/errors.js';
import {
  metricsServerOptionsFromEnv,
  metricsServerOptionsFromYaml,
} from '../../src/server/index.js';

function invalid(message: RegExp) {
  return (err: unknown): boolean => {
    assert.ok(err instanceof TelltaleError);
    assert.equal(err.code, 'TT_INVALID_OPTION');
    assert.match(err.message, message);
    return true;
  };
}

describe('metricsServerOptionsFromEnv', () => {
  it('reads all four variables', () => {
    assert.deepEqual(
      metricsServerOptionsFromEnv({
        METRICS_ENABLED: 'false',
        METRICS_HOST: '0.0.0.0',
        METRICS_PORT: '9100',
        METRICS_PATH: '/prom',
        OTHER: 'x',
      }),
      { enabled: false, host: '0.0.0.0', port: 9100, path: '/prom' },
    );
  });

  it('leaves unset and empty variables out', () => {
    assert.deepEqual(metricsServerOptionsFromEnv({}), {});
    assert.deepEqual(metricsServerOptionsFromEnv({ METRICS_PORT: '', METRICS_ENABLED: '  ' }), {});
  });

  it('accepts the usual boolean spellings', () => {
    for (const [raw, v] of [
      ['true', true],
      ['TRUE', true],
      ['1', true],
      ['yes', true],
      ['on', true],
      ['false', false],
      ['0', false],
      ['No', false],
      ['off', false],
    ] as const) {
      assert.deepEqual(metricsServerOptionsFromEnv({ METRICS_ENABLED: raw }), { enabled: v }, raw);
    }
  });

  it('honours a custom prefix', () => {
    assert.deepEqual(
      metricsServerOptionsFromEnv({ APP_METRICS_PORT: '0', METRICS_PORT: '1' }, 'APP_METRICS_'),
      { port: 0 },
    );
  });

  it('rejects bad values naming the variable', () => {
    assert.throws(
      () => metricsServerOptionsFromEnv({ METRICS_PORT: 'abc' }),
      invalid(/METRICS_PORT must be a port number from 0 to 65535, got "abc"/),
    );
    assert.throws(
      () => metricsServerOptionsFromEnv({ METRICS_PORT: '65536' }),
      invalid(/METRICS_PORT must be an integer from 0 to 65535, got 65536/),
    );
    assert.throws(
      () => metricsServerOptionsFromEnv({ METRICS_PORT: '-1' }),
      invalid(/METRICS_PORT/),
    );
    assert.throws(
      () => metricsServerOptionsFromEnv({ METRICS_PORT: '80.5' }),
      invalid(/METRICS_PORT/),
    );
    assert.throws(
      () => metricsServerOptionsFromEnv({ METRICS_ENABLED: 'maybe' }),
      invalid(/METRICS_ENABLED must be true\/false/),
    );
    assert.throws(
      () => metricsServerOptionsFromEnv({ METRICS_PATH: 'metrics' }),
      invalid(/METRICS_PATH must be a path starting with "\/"/),
    );
    assert.throws(() => metricsServerOptionsFromEnv({ X_PORT: '1e3' }, 'X_'), invalid(/X_PORT/));
  });
});

describe('metricsServerOptionsFromYaml', () => {
  it('reads metrics: {enabled, host, port, path}', () => {
    const text = `
service: checkout
metrics:
  enabled: true
  host: 0.0.0.0
  port: 9464
  path: /metrics
`;
    assert.deepEqual(metricsServerOptionsFromYaml(text), {
      enabled: true,
      host: '0.0.0.0',
      port: 9464,
      path: '/metrics',
    });
  });

  it('flow style and partial sections', () => {
    assert.deepEqual(metricsServerOptionsFromYaml('metrics: {enabled: false}'), { enabled: false });
    assert.deepEqual(metricsServerOptionsFromYaml('metrics: {port: "9100"}'), { port: 9100 });
    assert.deepEqual(metricsServerOptionsFromYaml('metrics: {enabled: "off"}'), { enabled: false });
  });

  it('an empty document or missing section gives {}', () => {
    assert.deepEqual(metricsServerOptionsFromYaml(''), {});
    assert.deepEqual(metricsServerOptionsFromYaml('# only a comment\n'), {});
    assert.deepEqual(metricsServerOptionsFromYaml('other: 1'), {});
    assert.deepEqual(metricsServerOptionsFromYaml('metrics:'), {});
  });

  it('rejects bad input with TT_INVALID_OPTION', () => {
    assert.throws(
      () => metricsServerOptionsFromYaml('metrics: {port: 1'),
      invalid(/not valid YAML/),
    );
    assert.throws(
      () => metricsServerOptionsFromYaml('- a\n- b'),
      invalid(/must be a YAML mapping/),
    );
    assert.throws(
      () => metricsServerOptionsFromYaml('metrics: 9464'),
      invalid(/metrics must be a mapping/),
    );
    assert.throws(
      () => metricsServerOptionsFromYaml('metrics: {prot: 9464}'),
      invalid(
        /metrics.prot is not a known setting; use metrics.enabled, metrics.host, metrics.port, metrics.path/,
      ),
    );
    assert.throws(
      () => metricsServerOptionsFromYaml('metrics: {port: 70000}'),
      invalid(/metrics.port must be an integer from 0 to 65535, got 70000/),
    );
    assert.throws(
      () => metricsServerOptionsFromYaml('metrics: {port: 1.5}'),
      invalid(/metrics.port/),
    );
    assert.throws(
      () => metricsServerOptionsFromYaml('metrics: {enabled: 3}'),
      invalid(/metrics.enabled must be true or false, got 3/),
    );
    assert.throws(
      () => metricsServerOptionsFromYaml('metrics: {path: metrics}'),
      invalid(/metrics.path must be a path/),
    );
    assert.throws(
      () => metricsServerOptionsFromYaml('metrics: {host: ""}'),
      invalid(/metrics.host must be a non-empty string/),
    );
  });
});
