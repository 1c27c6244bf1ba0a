// Measures what lifecycle.addServer() adds to each request (its 'request' listener and the response 'close' bookkeeping). Not a test.
// Run: node --conditions=telltale-source --import tsx test/lifecycle/request-tracking.bench.ts
import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createLifecycle } from '../../src/lifecycle/index.js';

// A response stand-in: an EventEmitter like ServerResponse, with the one field the listener reads.
class FakeResponse extends EventEmitter {
  headersSent = false;
  setHeader(): void {}
}

function perRequestNs(track: boolean, n: number): number {
  const server = createServer(() => {});
  if (track) createLifecycle({ exit: () => {} }).addServer(server);
  const req = {} as IncomingMessage;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const res = new FakeResponse();
    server.emit('request', req, res as unknown as ServerResponse);
    res.emit('close');
  }
  return Number(process.hrtime.bigint() - t0) / n;
}

const N = 1_000_000;
const best = (track: boolean) => {
  perRequestNs(track, N / 10);
  let min = Number.POSITIVE_INFINITY;
  for (let r = 0; r < 7; r++) min = Math.min(min, perRequestNs(track, N));
  return min;
};
// Alternate, so a drift in machine speed hits both sides.
const base = [best(false), best(false)];
const tracked = [best(true), best(true)];
const b = Math.min(...base);
const t = Math.min(...tracked);
console.log(
  `per request, emit + close on an EventEmitter response: untracked ${b.toFixed(0)} ns, tracked ${t.toFixed(0)} ns, added ${(t - b).toFixed(0)} ns`,
);
