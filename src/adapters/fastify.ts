// telltale/fastify: a Fastify 5 plugin on the onRequest hook; the route label is request.routeOptions.url.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type {
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  HookHandlerDoneFunction,
  RegisterOptions,
} from 'fastify';
import {
  HTTP_INSTRUMENTATION_OPTIONS,
  HTTP_OPTIONS_EXAMPLE,
  httpInstrumentation,
} from '../instrument/core.js';
import {
  type HttpInstrumentationOptions,
  isMalformedPath,
  pathOf,
  recordHeaders,
} from '../instrument/index.js';
import { requestIdResolver } from '../instrument/request-id.js';
import { fail } from '../internal/errors.js';
import { checkOptionKeys, checkOptionsObject } from '../internal/option-keys.js';
import { bindNode, type NodeInstrumentation, trackerOf, trackerOfRequest } from './node.js';

/** Options of {@link telltaleFastify}: the shared HTTP options. */
export type TelltaleFastifyOptions = HttpInstrumentationOptions;

/** The plugin function, with the encapsulation metadata Fastify reads. */
export type TelltaleFastifyPlugin = (
  fastify: FastifyInstance,
  options: TelltaleFastifyOptions,
) => Promise<void>;

/**
 * Every key the plugin accepts: the shared HTTP options, and Fastify's own register options
 * (`prefix`, `logLevel`, `logSerializers`), which Fastify hands to the plugin with the rest
 * (`prefix` is also the HTTP metric prefix: Fastify does not prefix a non-encapsulated plugin).
 */
const TELLTALE_FASTIFY_OPTIONS = [
  ...HTTP_INSTRUMENTATION_OPTIONS,
  'logLevel',
  'logSerializers',
] as const;

/** Every key of {@link FastifyGenReqIdOptions}: `fastifyGenReqId` refuses any other. */
const FASTIFY_GEN_REQ_ID_OPTIONS = ['header', 'telemetry'] as const;

const kRequestId = Symbol('telltale.fastify.request-id');
type RawWithId = IncomingMessage & { [kRequestId]?: string };

/** Options of {@link fastifyGenReqId}. Give it what the plugin is given. */
export interface FastifyGenReqIdOptions {
  /** The request id header. Default `'x-request-id'`. The plugin's `requestId.header`. */
  readonly header?: string | undefined;
  /**
   * Whose request-id rules apply (`requestId.generate`, `requestId.accept`). Default:
   * `defaultTelemetry()`. The plugin's `telemetry`.
   */
  readonly telemetry?: HttpInstrumentationOptions['telemetry'] | undefined;
}

/**
 * Makes Fastify's own request id (`request.id`, the `reqId` in Fastify's log lines) the telltale
 * request id, with the telemetry's rules: the incoming header when it is 1–128 characters of
 * `[A-Za-z0-9._:-]` and `requestId.accept` keeps it, else an id from `requestId.generate` (a new
 * UUID by default). Pass it as Fastify's `genReqId`; the plugin then echoes the same id instead of
 * resolving the header again.
 *
 * @throws TelltaleError `TT_INVALID_OPTION` when `options` is not an object or has a key other
 * than `header` and `telemetry`, `header` is not a header name or `telemetry` is not a telemetry.
 * @example
 * ```ts
 * const app = Fastify({ genReqId: fastifyGenReqId({ telemetry }) });
 * await app.register(telltaleFastify, { telemetry, requestId: true });
 * ```
 */
export function fastifyGenReqId(
  options: FastifyGenReqIdOptions = {},
): (req: IncomingMessage) => string {
  if (typeof options !== 'object' || options === null) {
    fail(
      'TT_INVALID_OPTION',
      `fastifyGenReqId: options must be an object such as { header, telemetry }, got ${String(options)}`,
    );
  }
  checkOptionKeys('fastifyGenReqId', options, FASTIFY_GEN_REQ_ID_OPTIONS);
  const resolve = requestIdResolver('fastifyGenReqId', 'header', options.header, options.telemetry);
  return (req) => {
    // The same header source every adapter reads through.
    const id = resolve(recordHeaders(req.headers).get(resolve.header) ?? undefined);
    (req as RawWithId)[kRequestId] = id;
    return id;
  };
}

/** The part of Fastify's server the plugin needs: node:http's `prependListener`. */
type RequestEmitter = {
  prependListener?: (
    event: 'request',
    listener: (req: IncomingMessage, res: ServerResponse) => void,
  ) => unknown;
};

/**
 * Fastify's router answers a path that is malformed percent-encoding with 400 before any hook
 * runs. A `request` listener ahead of Fastify's starts tracking exactly those requests (a path
 * without `%` costs one `indexOf`), so they are recorded as unmatched 400s like in the other
 * adapters; Fastify still answers them.
 */
function trackMalformedPaths(node: NodeInstrumentation, fastify: FastifyInstance): void {
  const server = fastify.server as unknown as RequestEmitter | undefined;
  if (typeof server?.prependListener !== 'function') return;
  server.prependListener('request', (req, res) => {
    const url = req.url;
    if (url !== undefined && url.indexOf('%') !== -1 && isMalformedPath(pathOf(url))) {
      node.start(req, res, url);
    }
  });
}

/**
 * The options with `rejectMalformedPaths` off: Fastify's router is the one that rejects malformed
 * paths (see {@link trackMalformedPaths}). A wrong value is still reported.
 */
function withoutRejecting(options: TelltaleFastifyOptions): TelltaleFastifyOptions {
  const reject: unknown = options.rejectMalformedPaths;
  if (reject !== undefined && typeof reject !== 'boolean') {
    fail(
      'TT_INVALID_OPTION',
      `telltaleFastify: rejectMalformedPaths must be true or false, got ${String(reject)}`,
    );
  }
  return { ...options, rejectMalformedPaths: false };
}

function register(node: NodeInstrumentation, fastify: FastifyInstance): void {
  trackMalformedPaths(node, fastify);
  fastify.addHook(
    'onRequest',
    (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void => {
      const raw = request.raw as RawWithId;
      // Tracked already when the path looked malformed but Fastify's router took it after all.
      const early = raw.url?.indexOf('%') === -1 ? undefined : trackerOfRequest(raw);
      if (early !== undefined) {
        const url = request.routeOptions.url;
        if (url !== undefined) early.route = url;
        node.serve(early, raw, reply.raw, done);
        return;
      }
      // Fastify has routed before onRequest, so the template is known now (undefined on a 404).
      const t = node.begin(raw, reply.raw, raw.url, undefined, raw[kRequestId]);
      if (t === undefined) {
        done();
        return;
      }
      const url = request.routeOptions.url;
      if (url !== undefined) t.route = url;
      // With synchronous hooks and handler Fastify has answered when done() returns: recorded at
      // once; otherwise when the response closes.
      node.serve(t, raw, reply.raw, done);
    },
  );
  fastify.addHook('onError', (_request: FastifyRequest, reply: FastifyReply, error, done): void => {
    // The span and access log see the error; Fastify still answers it as usual.
    const t = trackerOf(reply.raw);
    if (t !== undefined) t.error = error;
    done();
  });
}

/**
 * Creates the Fastify 5 plugin. It adds an `onRequest` hook that starts measuring (and, in full
 * mode, echoes the request id and runs the rest of the request inside its context and span); the
 * response's `close` ends it. It is not encapsulated (`Symbol.for('skip-override')`, what
 * `fastify-plugin` sets), so it sees every route of the instance it is registered on. It does not
 * touch Fastify's logger: see {@link fastifyGenReqId} to make Fastify's `reqId` the same id.
 *
 * @throws TelltaleError `TT_INVALID_OPTION` for options that are not an object, an unknown option
 * (Fastify's own `logLevel` and `logSerializers` are known) or a bad one (validated when
 * registered).
 * @example
 * ```ts
 * import { telltaleFastify } from 'telltale/fastify';
 * await app.register(telltaleFastify, { registry });
 * ```
 */
export const telltaleFastify: TelltaleFastifyPlugin = Object.assign(
  async function telltale(
    fastify: FastifyInstance,
    options: TelltaleFastifyOptions,
  ): Promise<void> {
    const where = 'telltaleFastify';
    checkOptionsObject(where, options, HTTP_OPTIONS_EXAMPLE);
    checkOptionKeys(
      where,
      options as TelltaleFastifyOptions & RegisterOptions,
      TELLTALE_FASTIFY_OPTIONS,
    );
    register(bindNode(httpInstrumentation(where, withoutRejecting(options))), fastify);
  },
  {
    [Symbol.for('skip-override')]: true,
    [Symbol.for('fastify.display-name')]: 'telltale',
  },
);
