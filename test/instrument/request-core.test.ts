// The transport-neutral request core: the one header reader, the in-flight set, and what the core's files may hold and import (no module-level slots, no transport).
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import ts from 'typescript';
import { instrumentHandler, setRoute } from '../../src/adapters/node-http.js';
import { readTraceHeaders } from '../../src/instrument/headers.js';
import { contentLength, recordHeaders, targetOf } from '../../src/instrument/index.js';
import { createRequestTracking } from '../../src/instrument/request.js';
import { createRegistry, labelsOf } from '../../src/metrics/index.js';
import { httpRequest, pollUntil } from '../helpers/index.js';
import { REPO_ROOT } from '../helpers/process.js';

const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

describe('the one header reader', () => {
  it('reads the same values from node:http headers and from a fetch Headers', () => {
    const node = recordHeaders({
      'x-request-id': 'abc',
      traceparent,
      tracestate: 'a=1,b=2',
      'set-cookie': ['x=1', 'y=2'],
    });
    const fetch = new Headers({ 'X-Request-Id': 'abc', traceparent, tracestate: 'a=1,b=2' });
    const want = { requestId: 'abc', traceparent, tracestate: 'a=1,b=2' };
    assert.deepEqual(readTraceHeaders(node, 'x-request-id'), want);
    assert.deepEqual(readTraceHeaders(fetch, 'x-request-id'), want);
    assert.equal(node.get('set-cookie'), 'x=1, y=2', 'an array reads as fetch joins it');
  });

  it('skips the request id without a header name, and reads absent headers as undefined', () => {
    const h = new Headers({ 'x-request-id': 'abc' });
    assert.deepEqual(readTraceHeaders(h, undefined), {
      requestId: undefined,
      traceparent: undefined,
      tracestate: undefined,
    });
    assert.deepEqual(readTraceHeaders(recordHeaders({}), 'x-correlation-id'), {
      requestId: undefined,
      traceparent: undefined,
      tracestate: undefined,
    });
    // Repeated tracestate headers are one list (W3C Trace Context 3.3.1.1), as fetch joins them.
    const repeated = new Headers([
      ['tracestate', 'a=1'],
      ['tracestate', 'b=2'],
    ]);
    assert.equal(readTraceHeaders(repeated, undefined).tracestate, 'a=1, b=2');
  });

  it('contentLength and targetOf', () => {
    assert.deepEqual(
      ['12', '0', '-1', '1.5', 'x', null, undefined, 7].map((v) => contentLength(v)),
      [12, 0, undefined, undefined, undefined, undefined, undefined, 7],
    );
    assert.equal(targetOf('http://localhost/a/b?x=1'), '/a/b?x=1');
    assert.equal(targetOf('https://u:p@example.com:8443/'), '/');
    assert.equal(targetOf('http://example.com'), '/');
  });
});

describe('createRequestTracking: the in-flight set a drain waits for', () => {
  it('counts entries in and out once, closes connections from the drain on, and resolves idle', async () => {
    const closed: string[] = [];
    let left = 0;
    const inFlight = createRequestTracking<string>({
      closeAfter: (e) => closed.push(e),
      onLeave: () => left++,
    });
    await inFlight.idle(); // nothing in flight: at once
    inFlight.enter('a');
    inFlight.enter('b');
    assert.equal(inFlight.size, 2);
    let idle = false;
    const waiting = inFlight.idle().then(() => {
      idle = true;
    });
    inFlight.drain();
    inFlight.drain();
    assert.equal(inFlight.draining, true);
    assert.deepEqual(closed, ['a', 'b']);
    inFlight.enter('c');
    assert.deepEqual(closed, ['a', 'b', 'c'], 'a request that starts while draining');
    inFlight.leave('a');
    inFlight.leave('a');
    inFlight.leave('never');
    inFlight.leave('b');
    await Promise.resolve();
    assert.equal(idle, false);
    inFlight.leave('c');
    await waiting;
    assert.deepEqual([inFlight.size, left, idle], [0, 3, true]);
  });
});

describe('one completion per response, whatever tracks it', () => {
  it('two instrumentations on one request (one inside the other) both record it, answered at once or later', async () => {
    const inner = createRegistry();
    const outer = createRegistry();
    const app = (req: { url?: string | undefined }, res: ServerResponse): void => {
      setRoute(req as never, req.url === '/later' ? '/later' : '/now');
      if (req.url === '/later') setImmediate(() => res.end('later'));
      else res.end('now');
    };
    const server = createServer(
      instrumentHandler(instrumentHandler(app, { registry: inner }), { registry: outer }),
    );
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      assert.equal((await httpRequest(`${base}/now`)).body, 'now');
      assert.equal((await httpRequest(`${base}/later`)).body, 'later');
      for (const registry of [inner, outer]) {
        const c = (route: string) => {
          const fam = registry.snapshot().http_requests;
          if (fam?.type !== 'counter') return undefined;
          return fam.points.find((p) => labelsOf(p).route === route)?.value;
        };
        await pollUntil(() => (c('/later') === 1 ? true : undefined), {
          description: 'the later request recorded',
          timeoutMs: 5000,
          intervalMs: 10,
        });
        assert.deepEqual([c('/now'), c('/later')], [1, 1]);
        const g = registry.snapshot().http_requests_in_flight;
        assert.equal(g?.type === 'gauge' ? g.points[0]?.value : undefined, 0);
      }
    } finally {
      server.close();
    }
  });
});

/** Top-level declarations that hold state across calls: `let`/`var`, or a `const` collection. */
function moduleSlots(file: string): string[] {
  const src = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const out: string[] = [];
  for (const st of src.statements) {
    if (!ts.isVariableStatement(st)) continue;
    const flags = st.declarationList.flags;
    for (const d of st.declarationList.declarations) {
      const name = d.name.getText(src);
      if ((flags & (ts.NodeFlags.Let | ts.NodeFlags.Const)) === 0 || flags & ts.NodeFlags.Let) {
        out.push(`${name} (let/var)`);
      } else if (
        d.initializer !== undefined &&
        ts.isNewExpression(d.initializer) &&
        /^(Map|WeakMap|Set|WeakSet|Array)$/.test(d.initializer.expression.getText(src))
      ) {
        out.push(`${name} (${d.initializer.expression.getText(src)})`);
      }
    }
  }
  return out;
}

const dir = (d: string) =>
  readdirSync(join(REPO_ROOT, d))
    .filter((f) => f.endsWith('.ts'))
    .map((f) => join(REPO_ROOT, d, f));

describe('the request core holds no state and imports no transport', () => {
  it('no module-level mutable slot in src/instrument or src/adapters (state is per instance or per request)', () => {
    const found = [...dir('src/instrument'), ...dir('src/adapters')].flatMap((f) =>
      moduleSlots(f).map((s) => `${f.slice(REPO_ROOT.length + 1)}: ${s}`),
    );
    assert.deepEqual(found, []);
  });

  it('request.ts, headers.ts, completion.ts and ignore.ts import only internal and each other (health and lifecycle build on them)', () => {
    const neutral = ['request.ts', 'headers.ts', 'completion.ts', 'ignore.ts'];
    for (const f of neutral) {
      const text = readFileSync(join(REPO_ROOT, 'src/instrument', f), 'utf8');
      const imports = ts.preProcessFile(text, true, true).importedFiles.map((i) => i.fileName);
      for (const spec of imports) {
        const ok =
          spec.startsWith('../internal/') ||
          neutral.includes(`${spec.replace(/^\.\/|\.js$/g, '')}.ts`);
        assert.ok(ok, `src/instrument/${f} imports ${spec}`);
      }
    }
  });
});
