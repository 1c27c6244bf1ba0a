// @prometheus-io/client 0.16 (prom-client's successor; declares Node ^22 but runs on Node 20 here).
import lib from '@prometheus-io/client';
import { promLike } from './prom-like.mjs';

export const { hot, buildCounters, buildHistograms, serve } = promLike(lib);
