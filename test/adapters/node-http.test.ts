// Runs the adapter conformance suite against the node:http adapter.
import { ADAPTERS } from './apps.js';
import { runConformance } from './conformance.js';

runConformance(ADAPTERS['node-http']);
