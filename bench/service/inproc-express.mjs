// Express 5's per-request cost with and without telltale, in one process with synthetic requests
// (an IncomingMessage and a ServerResponse on an unconnected socket, no network, no parser). Under
// wrk an Express request costs ~55 µs and the interleaved figure's 95% interval is ±1–2 µs, wider
// than the target; this measures the JavaScript cost alone, to a few tens of nanoseconds. It
// cannot see what the real network path adds (cache pressure), so it complements the wrk figure.
//
// Run (from the repo root; run.mjs pins it to one CPU):
//   node --expose-gc --conditions=telltale-source --import tsx bench/service/inproc-express.mjs [--rounds=80] [--batch=10000]
//
// Method: every variant is its own Express app in this process; each round serves one batch of
// synthetic requests per variant, in an order rotated every round, timed with
// process.hrtime.bigint(), after a full garbage collection that is not timed. "Added" is the mean over rounds of (variant − bare) per request in the
// same round, with its 95% interval; the first 10% of rounds are warm-up. Checks: every batch's
// responses ended with status 200 and body "ok", and each telltale variant's http_requests_total
// equals the requests it served. Prints one JSON object on stdout.
import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import express from 'express';
import { ci95, mean, median } from '../cases/args.mjs';

const args = process.argv.join(' ');
const ROUNDS = Number(/--rounds=(\d+)/.exec(args)?.[1] ?? 80);
const BATCH = Number(/--batch=(\d+)/.exec(args)?.[1] ?? 10000);
const src = (p) => new URL(`../../src/${p}`, import.meta.url).href;
const { telltaleExpress, instrumentExpress } = await import(src('adapters/express.ts'));
const { createRegistry } = await import(src('metrics/index.ts'));

const VARIANTS = [
  { id: 'bare', title: 'bare Express app' },
  { id: 'bare-2', title: 'bare Express app, a second copy (A/A control)' },
  { id: 'noop-mw', title: 'an empty middleware, no telltale (reference)' },
  { id: 'tt-app', title: '`instrumentExpress(app)`, metrics only' },
  { id: 'tt-mw', title: '`telltaleExpress` middleware, metrics only' },
];

function build(id) {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  let registry = null;
  if (id === 'noop-mw') app.use((_req, _res, next) => next());
  if (id === 'tt-mw') {
    registry = createRegistry();
    app.use(telltaleExpress({ registry }));
  }
  app.get('/', (_req, res) => {
    res.type('text/plain').send('ok');
  });
  if (id === 'tt-app') {
    registry = createRegistry();
    return { listener: instrumentExpress(app, { registry }), registry };
  }
  return { listener: (req, res) => app(req, res), registry };
}

const socket = new Socket();
const RAW = ['Host', '127.0.0.1', 'User-Agent', 'inproc', 'Accept', '*/*'];
let bad = 0;

/** Serves `n` synthetic GET / requests; returns nanoseconds per request. */
function batch(listener, n) {
  // A full collection first (not timed), so no batch pays for garbage an earlier one left.
  globalThis.gc?.();
  let last;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const req = new IncomingMessage(socket);
    req.method = 'GET';
    req.url = '/';
    req.headers = { host: '127.0.0.1', 'user-agent': 'inproc', accept: '*/*' };
    req.rawHeaders = RAW;
    const res = new ServerResponse(req);
    listener(req, res);
    last = res;
  }
  const ns = Number(process.hrtime.bigint() - t0) / n;
  // The last response of the batch: answered, 200, body "ok" (it sits in outputData, unsent).
  const body = last.outputData?.map((d) => String(d.data)).join('') ?? '';
  if (!last.writableEnded || last.statusCode !== 200 || !body.endsWith('\r\n\r\nok')) bad++;
  return ns;
}

const built = VARIANTS.map((v) => ({ ...v, ...build(v.id) }));
const per = built.map(() => []);
for (let r = 0; r < ROUNDS; r++) {
  for (let k = 0; k < built.length; k++) {
    const i = (k + r) % built.length;
    per[i].push(batch(built[i].listener, BATCH));
  }
}

const skip = Math.ceil(ROUNDS / 10);
const base = per[0].slice(skip);
const problems = bad > 0 ? [`${bad} batches ended without a 200 "ok"`] : [];
const rows = [];
for (let i = 0; i < built.length; i++) {
  const v = built[i];
  const mine = per[i].slice(skip);
  const d = mine.map((x, j) => x - base[j]);
  let recorded = null;
  if (v.registry !== null) {
    recorded = v.registry.snapshot().http_requests?.points.reduce((a, s) => a + s.value, 0) ?? 0;
    if (recorded !== ROUNDS * BATCH)
      problems.push(`${v.id} recorded ${recorded} of ${ROUNDS * BATCH} requests`);
  }
  rows.push({
    id: v.id,
    title: v.title,
    ns: median(mine),
    addedNs: i === 0 ? 0 : mean(d),
    ciNs: i === 0 ? 0 : ci95(d),
    medianNs: i === 0 ? 0 : median(d),
    served: ROUNDS * BATCH,
    recorded,
  });
}
process.stdout.write(
  `${JSON.stringify({ rounds: ROUNDS - skip, batch: BATCH, node: process.version, rows, problems })}\n`,
);
