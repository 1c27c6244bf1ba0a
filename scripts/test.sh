#!/usr/bin/env bash
# The one command that runs every check: setup, type check, lint/format, build, tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
echo "== typecheck"; npx tsc -p tsconfig.json
echo "== lint";      npx biome check .
echo "== build";     npx tsc -p tsconfig.build.json
echo "== tests";     node scripts/run-tests.mjs
