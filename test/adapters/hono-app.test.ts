// Runs the adapter conformance suite against a whole Hono 4 app wrapped by instrumentHono on @hono/node-server (no middleware).
import { ADAPTERS } from './apps.js';
import { runConformance } from './conformance.js';

runConformance(ADAPTERS['hono-app']);
