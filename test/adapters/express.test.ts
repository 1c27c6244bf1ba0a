// Runs the adapter conformance suite against the Express 5 adapter.
import { ADAPTERS } from './apps.js';
import { runConformance } from './conformance.js';

runConformance(ADAPTERS.express);
