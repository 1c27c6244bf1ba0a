// One completion listener per node:http-shaped response, shared by the HTTP adapters (which end the request's tracker there) and the lifecycle (which counts it out of its in-flight set).
//
// Written against the public shape of a response (`req`, `writableFinished`, `on('close')`), so
// the core imports no node:http; what a response's status and size are (node internals) is the
// node adapter's to read, through the tracker's `endFrom`.

import type { RequestTracker, RequestTracking } from './request.js';

// The tracker lives on the request (one property per request: `setRoute(req)` finds it there);
// `res.req` reaches it from the response. The in-flight set lives on the response.
const kTracker = Symbol('telltale.request.tracker');
const kTracking = Symbol('telltale.request.tracking');

/** The part of a node:http `ServerResponse` the completion uses (public API only). */
export interface CompletableResponse {
  /** The request this response answers (node:http sets it). */
  readonly req?: object | undefined;
  /** Whether the whole response was flushed (`false` on `close` means the client went away). */
  readonly writableFinished?: boolean;
  on(event: 'close', listener: () => void): unknown;
}

type WithTracker = { [kTracker]?: RequestTracker };
type WithTracking = CompletableResponse & { [kTracking]?: RequestTracking<CompletableResponse> };

/**
 * The latest tracker an adapter put on this transport request with {@link attachTracker}, ended
 * or not, or `undefined`. Earlier ones still open are reached through its `outer`.
 */
export function trackerOn(req: object | undefined): RequestTracker | undefined {
  return req === undefined ? undefined : (req as WithTracker)[kTracker];
}

/**
 * Puts `t` on the transport request, where {@link trackerOn} and the completion find it. A tracker
 * already there and still open (one adapter inside another, or a plugin registered twice) becomes
 * `t.outer`, so the completion ends both.
 */
export function attachTracker(req: object, t: RequestTracker): void {
  const r = req as WithTracker;
  const prev = r[kTracker];
  if (prev !== undefined && !prev.ended) t.outer = prev;
  r[kTracker] = t;
}

// Shared by every response: reads the tracker and the in-flight set through the response, so no
// closure is created per request (house style: resolve once, record many). The request is ended
// before it leaves the in-flight set, so a drain that resolves has every request recorded.
function onClose(this: CompletableResponse): void {
  try {
    const aborted = this.writableFinished !== true;
    for (let t = (this.req as WithTracker | undefined)?.[kTracker]; t !== undefined; t = t.outer) {
      if (!t.ended && t.endFrom !== undefined) t.endFrom(t, this, aborted);
    }
  } finally {
    (this as WithTracking)[kTracking]?.leave(this);
  }
}

/** Whether the one completion listener is on `res` already. */
function listening(res: CompletableResponse): boolean {
  if ((res as WithTracking)[kTracking] !== undefined) return true;
  for (let t = trackerOn(res.req); t !== undefined; t = t.outer) if (t.listening) return true;
  return false;
}

/**
 * Ends `t` when `res` closes, through `endFrom` (the adapter's reading of the response), with the
 * one completion listener of this response: added now unless the lifecycle (or an earlier call)
 * added it already. `t` must be the tracker {@link attachTracker} put on `res.req`.
 */
export function endOnClose(
  t: RequestTracker,
  res: CompletableResponse,
  endFrom: (tracker: RequestTracker, response: unknown, aborted: boolean) => void,
): void {
  t.endFrom = endFrom;
  if (t.listening) return;
  const already = listening(res);
  t.listening = true;
  if (!already) res.on('close', onClose);
}

/**
 * Counts `res` into `tracking` until it closes, with the same one completion listener the
 * adapters use: added now unless an adapter added it already. A response already counted in
 * another set (two lifecycles on one server) gets a listener of its own for this one.
 */
export function trackUntilClose(
  tracking: RequestTracking<CompletableResponse>,
  res: CompletableResponse,
): void {
  const r = res as WithTracking;
  const other = r[kTracking];
  tracking.enter(res);
  if (other !== undefined) {
    if (other !== tracking) res.on('close', () => tracking.leave(res));
    return;
  }
  const already = listening(res);
  r[kTracking] = tracking;
  if (!already) res.on('close', onClose);
}
