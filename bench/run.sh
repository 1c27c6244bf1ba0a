#!/usr/bin/env bash
# Runs the comparative benchmarks (npm run bench): installs bench/'s own dependencies when needed,
# then bench/run.mjs, which runs every case for every library in its own process and writes
# docs/benchmarks.md. Arguments are passed through to run.mjs (see its header).
set -euo pipefail
cd "$(dirname "$0")/.."

# The root package provides tsx (telltale is benchmarked from its TypeScript sources).
if [ ! -d node_modules/tsx ]; then
  echo "bench: installing the root package (tsx is needed)" >&2
  npm ci --no-audit --no-fund
fi
# bench/ has its own lock file; reinstall when node_modules is missing or older than the lock.
if [ ! -f bench/node_modules/.package-lock.json ] || [ bench/package-lock.json -nt bench/node_modules/.package-lock.json ]; then
  echo "bench: npm ci --prefix bench" >&2
  npm ci --prefix bench --no-audit --no-fund
fi

exec node bench/run.mjs "$@"
