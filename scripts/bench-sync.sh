#!/usr/bin/env bash
# Measures sync (docs/benchmarks.md): starts two empty FHIR peers on loopback
# (the one the app pushes to, and one that receives the same bundles posted
# straight), then runs `village-health bench-sync` from a release build.
# Usage: bash scripts/bench-sync.sh [--residents N] [--samples N]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-fhir-peer.sh
home="${VHR_PEER_HOME:-$HOME/.cache/village-health/fhir-peer}"
cargo build --release -p vhr-cli
# Everything started here is stopped when the script ends, however it ends:
# the peers' pids and folders are kept in this shell (never inside a command
# substitution's subshell, where the clean-up would not see them).
pids=()
dirs=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  for d in "${dirs[@]}"; do rm -rf "$d"; done
}
trap cleanup EXIT
# start_peer VAR: starts an empty peer and puts its base URL in VAR.
start_peer() {
  local dir port
  dir="$(mktemp -d)"
  dirs+=("$dir")
  cp "$home"/definitions/*.json "$dir/"
  port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
  (cd "$dir" && HFS_VALIDATION_MODE=enforce exec "$home/bin/hfs" --port "$port" --host 127.0.0.1 --log-level warn \
    --data-dir "$dir" --database-url "$dir/fhir.db" --enable-versioning) >/dev/null 2>&1 &
  pids+=($!)
  for _ in $(seq 300); do curl -sf "http://127.0.0.1:$port/metadata" >/dev/null && break; sleep 0.1; done
  printf -v "$1" 'http://127.0.0.1:%s' "$port"
}
start_peer app
start_peer baseline
./target/release/village-health bench-sync --url "$app" --baseline-url "$baseline" "$@"
