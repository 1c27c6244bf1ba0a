// Runs the adapter conformance suite against the Hono 4 middleware on @hono/node-server.
import { ADAPTERS } from './apps.js';
import { runConformance } from './conformance.js';

runConformance(ADAPTERS.hono);
