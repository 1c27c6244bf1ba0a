// prom-client 15 (the incumbent).
import * as lib from 'prom-client';
import { promLike } from './prom-like.mjs';

export const { hot, buildCounters, buildHistograms, serve } = promLike(lib);
