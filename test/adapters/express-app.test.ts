// Runs the adapter conformance suite against a whole Express 5 app wrapped by instrumentExpress (no middleware).
import { ADAPTERS } from './apps.js';
import { runConformance } from './conformance.js';

runConformance(ADAPTERS['express-app']);
