#!/usr/bin/env bash
# Runs the end-to-end suite in the real window with the CPU busy (issue #11):
# two CPU-bound processes beside it, as on a clinic laptop doing something
# else, so a form that loses or moves typing under load fails here. Run it
# before resolving an issue that touches the window; it stops what it starts.
# Usage: bash scripts/test-e2e-busy.sh   (after scripts/test.sh has built the app)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
[ -x target/debug/village-health-desktop ] || cargo build -p village-health-desktop -p vhr-cli
burners=()
stop() { for p in "${burners[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap stop EXIT
for _ in 1 2; do
  python3 -c 'while True: pass' &
  burners+=($!)
done
xvfb-run -a -s "-screen 0 1366x768x24" node --test tests/e2e/
