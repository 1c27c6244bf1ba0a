// Proves each real-consumer test helper works against the real binaries (promtool, Python, Prometheus, Redis, Pushgateway).
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import {
  assertOpenMetricsBodyValid,
  assertPromtoolClean,
  assertTextBodyValid,
  checkConfig,
  checkMetrics,
  checkRules,
  getFreePort,
  httpRequest,
  ManagedProcess,
  makeTempDir,
  openMetricsBodyProblems,
  parseOpenMetrics,
  parseText,
  redisCommand,
  redisPing,
  removeTempDir,
  runCommand,
  spawnNodeTs,
  startPrometheus,
  startPushgateway,
  startRedis,
  startStaticServer,
  textBodyProblems,
} from './index.js';

/** `gone` when a process has exited (or is an unreaped zombie), else its /proc state letter. */
function processState(pid: number): string {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state === 'Z' ? 'gone' : state;
  } catch {
    return 'gone';
  }
}

const CLEAN_TEXT = [
  '# HELP http_requests_total Requests handled.',
  '# TYPE http_requests_total counter',
  'http_requests_total{code="200",method="get"} 3',
  'http_requests_total{code="500",method="get"} 1',
  '# HELP queue_depth Items waiting.',
  '# TYPE queue_depth gauge',
  'queue_depth NaN',
  '# HELP latency_seconds Request latency.',
  '# TYPE latency_seconds histogram',
  'latency_seconds_bucket{le="0.1"} 1',
  'latency_seconds_bucket{le="1"} 2',
  'latency_seconds_bucket{le="+Inf"} 3',
  'latency_seconds_sum 4.5',
  'latency_seconds_count 3',
  '',
].join('\n');

describe('ports', () => {
  test('getFreePort returns a port that can be bound on 127.0.0.1', async () => {
    const port = await getFreePort();
    assert.ok(Number.isInteger(port) && port > 0 && port < 65536, `port ${port}`);
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', resolve);
    });
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
});

describe('promtool', () => {
  test('a clean text body: exit 0, no findings', async () => {
    assert.deepEqual(await checkMetrics(CLEAN_TEXT), { exitCode: 0, stdout: '', stderr: '' });
    await assertPromtoolClean(CLEAN_TEXT);
  });

  test('a counter without _total: exit 3 with the lint finding', async () => {
    const body = '# HELP foo Some counter.\n# TYPE foo counter\nfoo 1\n';
    assert.deepEqual(await checkMetrics(body), {
      exitCode: 3,
      stdout: '',
      stderr: 'foo counter metrics should have "_total" suffix\n',
    });
    await assert.rejects(assertPromtoolClean(body), /exit 3, expected 0[\s\S]*"_total" suffix/);
  });

  test('a parse error: exit 1', async () => {
    assert.deepEqual(await checkMetrics('foo{a="\\q"} 1\n'), {
      exitCode: 1,
      stdout: '',
      stderr:
        "error while linting: text format parsing error in line 1: invalid escape sequence '\\q'\n",
    });
    const noNewline = await checkMetrics('foo 1');
    assert.equal(noNewline.exitCode, 1);
    assert.match(noNewline.stderr, /unexpected end of input stream/);
  });

  test('checkRules and checkConfig', async (t) => {
    const dir = await makeTempDir('promtool-test');
    t.after(() => removeTempDir(dir));
    const good = join(dir, 'good.rules.yml');
    const bad = join(dir, 'bad.rules.yml');
    const config = join(dir, 'prometheus.yml');
    await writeFile(
      good,
      'groups:\n  - name: g\n    rules:\n      - record: job:up:sum\n        expr: sum by (job) (up)\n',
    );
    await writeFile(
      bad,
      'groups:\n  - name: g\n    rules:\n      - record: job:up:sum\n        expr: sum(\n',
    );
    await writeFile(config, `rule_files: [${JSON.stringify(good)}]\nscrape_configs: []\n`);
    assert.equal((await checkRules(good)).exitCode, 0);
    const badResult = await checkRules(bad);
    assert.equal(badResult.exitCode, 1);
    assert.match(badResult.stderr, /parse error/);
    assert.equal((await checkConfig(config)).exitCode, 0);
    assert.equal((await checkConfig(join(dir, 'missing.yml'))).exitCode, 1);
  });
});

describe('python prometheus_client', () => {
  test('parseText: exact families of a known body', async () => {
    const [result] = await parseText([CLEAN_TEXT]);
    const sample = (name: string, labels: Record<string, string>, value: number) => ({
      name,
      labels,
      value,
      timestamp: null,
      exemplar: null,
    });
    assert.deepEqual(result, {
      ok: true,
      families: [
        {
          // The text parser names counter families the OpenMetrics way (without _total).
          name: 'http_requests',
          type: 'counter',
          documentation: 'Requests handled.',
          unit: '',
          samples: [
            sample('http_requests_total', { code: '200', method: 'get' }, 3),
            sample('http_requests_total', { code: '500', method: 'get' }, 1),
          ],
        },
        {
          name: 'queue_depth',
          type: 'gauge',
          documentation: 'Items waiting.',
          unit: '',
          samples: [sample('queue_depth', {}, Number.NaN)],
        },
        {
          name: 'latency_seconds',
          type: 'histogram',
          documentation: 'Request latency.',
          unit: '',
          samples: [
            sample('latency_seconds_bucket', { le: '0.1' }, 1),
            sample('latency_seconds_bucket', { le: '1' }, 2),
            sample('latency_seconds_bucket', { le: '+Inf' }, 3),
            sample('latency_seconds_sum', {}, 4.5),
            sample('latency_seconds_count', {}, 3),
          ],
        },
      ],
    });
  });

  test('parseOpenMetrics: exact families, exemplar, unit, and the # EOF error, in one batch', async () => {
    const om = [
      '# TYPE job_duration_seconds counter',
      '# UNIT job_duration_seconds seconds',
      '# HELP job_duration_seconds Time spent.',
      'job_duration_seconds_total{job="a"} 1.5 # {trace_id="abc"} 0.5 1700000000.25',
      'job_duration_seconds_created{job="a"} 1700000000',
      '# TYPE temp gauge',
      'temp -Inf 1700000001',
      '# EOF',
      '',
    ].join('\n');
    const results = await parseOpenMetrics([om, 'foo 1\n', '']);
    assert.deepEqual(results, [
      {
        ok: true,
        families: [
          {
            name: 'job_duration_seconds',
            type: 'counter',
            documentation: 'Time spent.',
            unit: 'seconds',
            samples: [
              {
                name: 'job_duration_seconds_total',
                labels: { job: 'a' },
                value: 1.5,
                timestamp: null,
                exemplar: { labels: { trace_id: 'abc' }, value: 0.5, timestamp: 1700000000.25 },
              },
              {
                name: 'job_duration_seconds_created',
                labels: { job: 'a' },
                value: 1700000000,
                timestamp: null,
                exemplar: null,
              },
            ],
          },
          {
            name: 'temp',
            type: 'gauge',
            documentation: '',
            unit: '',
            samples: [
              {
                name: 'temp',
                labels: {},
                value: Number.NEGATIVE_INFINITY,
                timestamp: 1700000001,
                exemplar: null,
              },
            ],
          },
        ],
      },
      { ok: false, error: 'Missing # EOF at end', errorType: 'ValueError' },
      { ok: false, error: 'Missing # EOF at end', errorType: 'ValueError' },
    ]);
    await assertOpenMetricsBodyValid(om);
    await assert.rejects(assertOpenMetricsBodyValid('foo 1\n'), /Missing # EOF at end/);
    assert.deepEqual(await openMetricsBodyProblems('# TYPE a gauge\na 1\na 2\n# EOF\n'), [
      'duplicate series a',
    ]);
  });

  test('assertTextBodyValid accepts a clean body', async () => {
    await assertTextBodyValid(CLEAN_TEXT);
  });

  test('textBodyProblems finds what the lenient text parser lets through', async () => {
    const cases: Array<[string, string, string[]]> = [
      ['duplicate series', '# TYPE a gauge\na 1\na 2\n', ['duplicate series a']],
      [
        'split family',
        '# TYPE a gauge\na{x="1"} 1\n# TYPE b gauge\nb 1\na{x="2"} 1\n',
        ['family a appears in more than one group (families must be contiguous)'],
      ],
      [
        'no +Inf bucket, non-cumulative',
        '# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="2"} 1\nh_sum 1\nh_count 2\n',
        [
          'h: bucket counts not cumulative (le="2" 1 < le="1" 2)',
          'h: histogram has no +Inf bucket as its last bucket',
        ],
      ],
      [
        'exemplar on a labelled bucket',
        '# TYPE h histogram\nh_bucket{le="+Inf"} 1 # {t="a"} 1\nh_sum 1\nh_count 1\n',
        [
          'line 2: "#" after the labels (an OpenMetrics exemplar or a comment): h_bucket{le="+Inf"} 1 # {t="a"} 1',
          'h_bucket{le="+Inf","} 1 # {t"="a"}: label name "} 1 # {t" is an OpenMetrics exemplar misparsed as a label',
          // The garbage label makes that bucket a series of its own, without _sum and _count.
          'h{"} 1 # {t"="a"}: histogram has no _sum',
          'h{"} 1 # {t"="a"}: histogram has no _count',
          'h: histogram has no +Inf bucket as its last bucket',
        ],
      ],
      [
        'OpenMetrics naming in a text body',
        '# TYPE c counter\nc_total 1\n',
        [
          'family c_total has no # TYPE line (OpenMetrics-style naming? "# TYPE c counter" has no samples)',
        ],
      ],
      [
        'CRLF, no final newline, # EOF, reserved label, negative counter',
        '# TYPE c_total counter\r\nc_total{__x="1"} -1\n# EOF',
        [
          'contains a carriage return (CRLF); promtool rejects it',
          'does not end with a newline (promtool: unexpected end of input stream)',
          'line 3: "# EOF" belongs to OpenMetrics only',
          'c_total{__x="1"}: label name __x is reserved (starts with "__")',
          'c_total{__x="1"}: negative counter -1',
        ],
      ],
      [
        'an exemplar on an unlabelled sample (a parse error)',
        '# TYPE c_total counter\nc_total 1 # {t="a"} 1\n',
        [
          'line 2: "#" after the labels (an OpenMetrics exemplar or a comment): c_total 1 # {t="a"} 1',
          'python text parser: ValueError: Invalid metric name: c_total 1 #',
        ],
      ],
      [
        'a parse error',
        'foo{a=1} 1\n',
        ['python text parser: ValueError: Invalid metric name: foo{a=1}'],
      ],
    ];
    for (const [what, body, expected] of cases) {
      assert.deepEqual(await textBodyProblems(body), expected, what);
    }
    await assert.rejects(assertTextBodyValid('# TYPE a gauge\na 1\na 2\n'), /duplicate series a/);
  });
});

const HELPER_BODY =
  '# HELP test_helper_value A fixed value for the helper tests.\n# TYPE test_helper_value gauge\ntest_helper_value 42\n';

describe('prometheus', { concurrency: true }, () => {
  test('scrapes a static target; queryScalar returns 42', async (t) => {
    const target = await startStaticServer({ body: HELPER_BODY });
    t.after(() => target.close());
    const prom = await startPrometheus({ targets: [{ port: target.port }] });
    t.after(() => prom.stop());
    const started = Date.now();
    const [healthy] = await prom.waitForHealthyTarget();
    t.diagnostic(`first healthy scrape after ${Date.now() - started} ms`);
    assert.equal(healthy?.health, 'up');
    assert.equal(healthy?.lastError, '');
    assert.equal(healthy?.scrapeUrl, `http://127.0.0.1:${target.port}/metrics`);
    assert.equal(await prom.queryScalar('test_helper_value'), 42);
    assert.equal(await prom.queryScalar('up{job="target"}'), 1);
    assert.deepEqual(
      (await prom.waitFor('scrape_samples_scraped', (r) => r.length === 1)).map((s) => s.value),
      [1],
    );
    await assert.rejects(prom.query('foo{'), /HTTP 400 bad_data: .*parse error/);
    await assert.rejects(
      prom.waitFor('foo{', () => true, 5000),
      /bad_data/,
    );
    assert.equal(
      target.requests[0]?.headers.accept,
      'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1',
    );
    assert.equal(target.requests[0]?.headers['user-agent'], 'Prometheus/2.42.0+ds');
    const dir = prom.dir;
    assert.deepEqual(await prom.stop(), { code: 0, signal: null });
    assert.equal(existsSync(dir), false);
    await assert.rejects(httpRequest(`${prom.url}/-/ready`), /ECONNREFUSED/);
  });

  test('with --enable-feature=native-histograms it asks for protobuf first', async (t) => {
    const target = await startStaticServer({ body: HELPER_BODY });
    t.after(() => target.close());
    const prom = await startPrometheus({
      targets: [{ port: target.port }],
      extraFlags: ['--enable-feature=native-histograms'],
    });
    t.after(() => prom.stop());
    await prom.waitForHealthyTarget();
    assert.equal(await prom.queryScalar('test_helper_value'), 42);
    const accept = target.requests[0]?.headers.accept ?? '';
    assert.ok(accept.startsWith('application/vnd.google.protobuf'), accept);
    assert.match(prom.logs(), /Experimental native histogram support enabled/);
  });

  test('an OpenMetrics target with an exemplar: queryExemplars returns it', async (t) => {
    const ts = Math.floor(Date.now() / 1000) - 1;
    const body = [
      '# TYPE test_requests counter',
      '# HELP test_requests Requests.',
      `test_requests_total{path="/a"} 7 # {trace_id="abc123"} 1 ${ts}`,
      `test_requests_created{path="/a"} ${ts}`,
      '# EOF',
      '',
    ].join('\n');
    await assertOpenMetricsBodyValid(body);
    const target = await startStaticServer({
      body,
      contentType: 'application/openmetrics-text; version=1.0.0; charset=utf-8',
    });
    t.after(() => target.close());
    const prom = await startPrometheus({
      targets: [{ port: target.port }],
      extraFlags: ['--enable-feature=exemplar-storage'],
    });
    t.after(() => prom.stop());
    await prom.waitForHealthyTarget();
    assert.equal(await prom.queryScalar('test_requests_total'), 7);
    assert.deepEqual(await prom.queryExemplars('test_requests_total'), [
      {
        seriesLabels: {
          __name__: 'test_requests_total',
          instance: `127.0.0.1:${target.port}`,
          job: 'target',
          path: '/a',
        },
        exemplars: [{ labels: { trace_id: 'abc123' }, value: 1, timestamp: ts }],
      },
    ]);
  });

  test('waitForHealthyTarget fails with the target state when nothing listens', async (t) => {
    const port = await getFreePort();
    const prom = await startPrometheus({ targets: [{ port }] });
    t.after(() => prom.stop());
    await assert.rejects(
      prom.waitForHealthyTarget(7500),
      /targets did not become healthy[\s\S]*(activeTargets: \[\]|connection refused)/,
    );
  });
});

describe('redis', () => {
  test('start, PING, restart on the same port, down/up, stop', async (t) => {
    const redis = await startRedis();
    t.after(() => redis.stop());
    assert.equal(redis.url, `redis://127.0.0.1:${redis.port}`);
    assert.equal(await redisCommand(redis.port, ['PING']), 'PONG');
    assert.equal(await redis.command('SET', 'k', 'v'), 'OK');
    assert.equal(await redis.command('GET', 'k'), 'v');
    assert.deepEqual(await redis.command('MGET', 'k', 'missing'), ['v', null]);
    assert.equal(await redis.command('INCR', 'n'), 1);
    await assert.rejects(redis.command('NOSUCHCOMMAND'), /redis: ERR unknown command/);

    const firstPid = redis.process.pid;
    await redis.restart();
    assert.notEqual(redis.process.pid, firstPid);
    assert.equal(await redis.command('PING'), 'PONG');
    assert.equal(await redis.command('GET', 'k'), null, 'no persistence: the restart starts empty');

    assert.deepEqual(await redis.down(), { code: 0, signal: null });
    assert.equal(redis.running, false);
    assert.equal(await redisPing(redis.port), false);
    await redis.up();
    assert.equal(redis.running, true);
    assert.equal(await redisPing(redis.port), true);

    await redis.stop();
    assert.equal(await redisPing(redis.port), false);
    await assert.rejects(redis.up(), /up\(\) after stop\(\)/);
  });
});

describe('pushgateway', () => {
  test('push a body, read it back from /metrics, stop', async (t) => {
    const pgw = await startPushgateway();
    t.after(() => pgw.stop());
    const push = await httpRequest(`${pgw.url}/metrics/job/harness/instance/i1`, {
      method: 'POST',
      body: '# HELP j_total Jobs.\n# TYPE j_total counter\nj_total{kind="a"} 5\n',
    });
    assert.equal(push.status, 200);
    const lines = (await pgw.metrics()).split('\n').filter((l) => l.startsWith('j_total'));
    assert.deepEqual(lines, ['j_total{instance="i1",job="harness",kind="a"} 5']);
    assert.deepEqual(await pgw.stop(), { code: 0, signal: null });
    await assert.rejects(httpRequest(`${pgw.url}/-/ready`), /ECONNREFUSED/);
  });
});

describe('node child process', () => {
  test('a command that does not exist: runCommand and ManagedProcess report ENOENT', async () => {
    const r = await runCommand('/nonexistent/telltale-binary', []);
    assert.equal(r.exitCode, null);
    assert.match(r.stderr, /ENOENT/);
    const p = ManagedProcess.start('/nonexistent/telltale-binary', [], { name: 'ghost' });
    const info = await p.exited;
    assert.equal(info.code, null);
    assert.match(String(info.error?.message), /ENOENT/);
    await assert.rejects(p.waitForLine(/x/, 1000), /ghost exited before printing/);
    assert.deepEqual(await p.stop(), info);
  });

  test('runs a TypeScript entry, waits for lines, shuts down on SIGTERM', async (t) => {
    const child = spawnNodeTs('test/helpers/fixtures/child-app.ts', { args: ['hi there'] });
    t.after(() => child.stop());
    const m = await child.waitForLine(/listening on (http:\/\/127\.0\.0\.1:\d+)/, 10_000);
    const res = await httpRequest(`${m[1]}/`);
    assert.equal(res.body, 'hi there');
    assert.deepEqual(
      child.stderrLines.filter((l) => l.startsWith('child-app')),
      ['child-app: starting'],
    );
    await child.waitForLine(/execArgv .*"--conditions=telltale-source"/, 1000, {
      stream: 'stdout',
    });

    const mark = child.lineCount;
    await assert.rejects(
      child.waitForLine(/listening/, 200, { fromIndex: mark }),
      /no line matching \/listening\/ .* in 200 ms/,
    );
    child.kill('SIGTERM');
    assert.deepEqual(await child.exited, { code: 0, signal: null });
    assert.deepEqual(child.stdoutLines.slice(-2), [
      'child-app: received SIGTERM, closing',
      'child-app: closed',
    ]);
    await assert.rejects(
      child.waitForLine(/never/, 1000),
      /exited before printing a line matching/,
    );
  });

  test('a child nobody stopped does not hang the test process, and is killed at exit', async (t) => {
    const script = spawnNodeTs('test/helpers/fixtures/leaky.ts');
    t.after(() => script.stop());
    const [, pid] = await script.waitForLine(/leaky: started pid (\d+)/, 10_000);
    assert.deepEqual(await script.exited, { code: 0, signal: null });
    assert.deepEqual(script.stderrLines, [
      `test helpers: killing leaky-sleep (pid ${pid}); no test stopped it`,
    ]);
    assert.equal(processState(Number(pid)), 'gone');
  });
});
