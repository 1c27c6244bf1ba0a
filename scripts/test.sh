#!/usr/bin/env bash
# The one command that runs every check: setup, type check, lint/format, module boundaries, build, tests.
# Non-interactive (stdin is never read); exits non-zero on the first failing step and names it.
set -euo pipefail
cd "$(dirname "$0")/.."
exec </dev/null

step() {
  local name="$1" start=$SECONDS
  shift
  echo "== $name"
  if ! "$@"; then
    echo "test.sh: FAILED at step '$name' (after $((SECONDS - start)) s)" >&2
    exit 1
  fi
  echo "== $name: ok ($((SECONDS - start)) s)"
}

step setup bash scripts/setup.sh
# Local binaries, never a network fetch: npm ci has installed them.
step typecheck node_modules/.bin/tsc -p tsconfig.json
# Skip git-ignored paths (.tmp/ scratch files, dist/), so a local run checks what a fresh clone has.
step lint node_modules/.bin/biome check --vcs-enabled=true --vcs-client-kind=git --vcs-use-ignore-file=true .
# The module table in docs/architecture.md: every import in src/ and examples/ it allows.
step boundaries node scripts/boundaries.mjs
step build node_modules/.bin/tsc -p tsconfig.build.json
# The metrics core with eval and new Function forbidden, as some runtimes do. It runs before the
# whole suite so that the run's closing summary is the whole suite's.
step tests-no-codegen env TEST_NO_CODEGEN=1 node scripts/run-tests.mjs test/metrics/
step tests node scripts/run-tests.mjs
echo "test.sh: all checks passed"
