// One import for every test helper that runs real consumers (promtool, Python, Prometheus, Redis, Pushgateway).
export * from './child.js';
export * from './http.js';
export * from './ports.js';
export * from './process.js';
export * from './prometheus.js';
export * from './promtool.js';
export * from './pushgateway.js';
export * from './python.js';
export * from './redis.js';
export * from './tmp.js';
export * from './wait.js';
