#!/usr/bin/env bash
# Installs what the project needs on a fresh machine: Debian packages for the real consumers the
# tests run (promtool, Prometheus, Pushgateway, redis-server, the Python client) and npm packages.
# Idempotent and quick when everything is present. Usage: scripts/setup.sh [--npm-only]
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
if [ "${1:-}" != "--npm-only" ]; then
  command -v promtool >/dev/null 2>&1 || need_apt+=(prometheus)
  command -v prometheus >/dev/null 2>&1 || need_apt+=(prometheus)
  command -v prometheus-pushgateway >/dev/null 2>&1 || need_apt+=(prometheus-pushgateway)
  command -v redis-server >/dev/null 2>&1 || need_apt+=(redis-server)
  /usr/bin/python3 -c 'import prometheus_client' >/dev/null 2>&1 || need_apt+=(python3-prometheus-client)
  command -v wrk >/dev/null 2>&1 || need_apt+=(wrk)
  if [ "${#need_apt[@]}" -gt 0 ]; then
    echo "setup: installing Debian packages: ${need_apt[*]}"
    SUDO=""
    [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
  fi
fi

# npm: install when node_modules is missing or older than the lockfile.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing npm dependencies"
  npm ci --no-audit --no-fund --loglevel=error
fi
