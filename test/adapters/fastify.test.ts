// Runs the adapter conformance suite against the Fastify 5 plugin.
import { ADAPTERS } from './apps.js';
import { runConformance } from './conformance.js';

runConformance(ADAPTERS.fastify);
