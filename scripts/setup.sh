#!/usr/bin/env bash
# Installs what the project needs on a fresh machine: Debian packages for the real consumers the
# tests run (promtool, Prometheus, Pushgateway, redis-server, the Python client, wrk) and npm packages.
# Idempotent, non-interactive, and quick (< 0.1 s) when everything is present.
# Usage: scripts/setup.sh [--npm-only]     Needs Node.js >= 20 and npm already installed.
set -euo pipefail
cd "$(dirname "$0")/.."

# Node is not installed here: Debian 12's own nodejs is 18, too old, and adding a third-party
# apt repository is the machine owner's decision. Fail early with a clear message instead.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "setup: Node.js >= 20 with npm is required (not found on PATH)" >&2
  exit 1
fi
node_major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$node_major" -lt 20 ]; then
  echo "setup: Node.js >= 20 is required, found $(node --version)" >&2
  exit 1
fi

# Each check: the package that provides it, then a command that succeeds when it is present.
# /usr/bin/python3 on purpose: a pyenv python3 on PATH cannot import Debian's prometheus_client.
checks=(
  "prometheus|command -v promtool"
  "prometheus|command -v prometheus"
  "prometheus-pushgateway|command -v prometheus-pushgateway"
  "redis-server|command -v redis-server"
  "python3-prometheus-client|/usr/bin/python3 -c 'import prometheus_client'"
  "wrk|command -v wrk"
)

missing_packages() {
  local entry pkg check seen=" "
  for entry in "${checks[@]}"; do
    pkg="${entry%%|*}"
    check="${entry#*|}"
    if ! eval "$check" >/dev/null 2>&1 && [[ "$seen" != *" $pkg "* ]]; then
      seen+="$pkg "
      printf '%s\n' "$pkg"
    fi
  done
}

if [ "${1:-}" != "--npm-only" ]; then
  mapfile -t need_apt < <(missing_packages)
  if [ "${#need_apt[@]}" -gt 0 ]; then
    echo "setup: installing Debian packages: ${need_apt[*]}"
    SUDO=()
    if [ "$(id -u)" -ne 0 ]; then SUDO=(sudo); fi
    # Keep the packages' services (redis, prometheus, pushgateway) from starting on their default
    # ports: the tests start their own on free ports. policy-rc.d exit 101 = "action not allowed".
    if [ ! -e /usr/sbin/policy-rc.d ]; then
      printf '#!/bin/sh\nexit 101\n' | "${SUDO[@]}" tee /usr/sbin/policy-rc.d >/dev/null
      "${SUDO[@]}" chmod +x /usr/sbin/policy-rc.d
      trap '"${SUDO[@]}" rm -f /usr/sbin/policy-rc.d' EXIT
    fi
    # env: sudo resets the environment, so DEBIAN_FRONTEND must be passed through it explicitly.
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      "${need_apt[@]}" </dev/null >/dev/null
    mapfile -t still < <(missing_packages)
    if [ "${#still[@]}" -gt 0 ]; then
      echo "setup: still missing after apt-get install: ${still[*]}" >&2
      exit 1
    fi
  fi
fi

# npm: install when node_modules is missing or older than the lockfile.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing npm dependencies"
  npm ci --no-audit --no-fund --loglevel=error </dev/null
fi
