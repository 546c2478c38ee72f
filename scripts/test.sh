#!/usr/bin/env bash
# Set up everything the tests need on a fresh Debian machine, then run
# lint, type checks and the whole test suite. Usage: bash scripts/test.sh [pytest args]
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
for tool in kcat:kcat promtool:prometheus docker-compose:docker-compose redis-server:redis-server; do
  command -v "${tool%%:*}" >/dev/null 2>&1 || need+=("${tool##*:}")
done
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q --no-install-recommends "${need[@]}"
  else
    echo "missing Debian tools: ${need[*]} (apt-get install them); their tests will skip" >&2
  fi
fi

PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[dev]'

.venv/bin/ruff check services tests
.venv/bin/mypy
.venv/bin/python -m pytest -q -p no:cacheprovider "$@"
