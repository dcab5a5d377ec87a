#!/usr/bin/env bash
# The main job, end to end: build examples/hello into a minimal OCI image, run it with runc, call /healthz.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"

out=dist/oci
echo "==> slimgo build ./examples/hello -o oci:$out:hello"
ref=$(slimgo build ./examples/hello -o "oci:$out:hello")
echo "    $ref"

echo "==> what went in (slimgo build --json)"
slimgo build ./examples/hello -o "oci:$out:hello" --json | python3 -c '
import json, sys
r = json.load(sys.stdin)["images"][0]
mb = 1e6
print("    %s, static=%s, binary %.1f MB, image %.2f MB compressed / %.2f MB in %d layers" % (
    r["go_version"], r["static"], r["binary_size"] / mb, r["compressed_size"] / mb,
    r["uncompressed_size"] / mb, len(r["layers"])))'

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
echo "==> slimgo run oci:$out:hello -- --addr 127.0.0.1:$port"
slimgo run --timeout 60 "oci:$out:hello" -- --addr "127.0.0.1:$port" &
runner=$!
trap 'kill -TERM $runner 2>/dev/null || true; wait $runner 2>/dev/null || true' EXIT

body=""
for _ in $(seq 1 100); do
  if body=$(python3 - "$port" 2>/dev/null <<'PY'
import sys, urllib.request
with urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/healthz", timeout=1) as r:
    print(r.read().decode().strip())
PY
  ); then break; fi
  kill -0 $runner 2>/dev/null || { echo "the container exited early" >&2; exit 1; }
  sleep 0.1
done
[ -n "$body" ] || { echo "no answer from /healthz within 10s" >&2; exit 1; }
echo "==> GET /healthz -> $body"
kill -TERM $runner
wait $runner || true
trap - EXIT
echo "==> done: the image is in $out (tag hello)"
