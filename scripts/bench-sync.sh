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
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
start_peer() {
  local dir port
  dir="$(mktemp -d)"
  cp "$home"/definitions/*.json "$dir/"
  port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
  (cd "$dir" && HFS_VALIDATION_MODE=enforce exec "$home/bin/hfs" --port "$port" --host 127.0.0.1 --log-level warn \
    --data-dir "$dir" --database-url "$dir/fhir.db" --enable-versioning) >/dev/null 2>&1 &
  pids+=($!)
  for _ in $(seq 300); do curl -sf "http://127.0.0.1:$port/metadata" >/dev/null && break; sleep 0.1; done
  echo "http://127.0.0.1:$port"
}
app="$(start_peer)"
baseline="$(start_peer)"
./target/release/village-health bench-sync --url "$app" --baseline-url "$baseline" "$@"
