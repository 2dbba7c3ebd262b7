#!/usr/bin/env bash
# Sets up whatever is missing on this machine, builds the app and starts it.
#   scripts/start.sh           the clinic in the user's data folder
#   scripts/start.sh --demo    a demo clinic (sign in as demo / demo1234) in its own folder
set -euo pipefail
cd "$(dirname "$0")/.."

demo=0
for arg in "$@"; do
  case "$arg" in
    --demo) demo=1 ;;
    *) echo "usage: scripts/start.sh [--demo]" >&2; exit 2 ;;
  esac
done

bash scripts/setup-system.sh
source scripts/env.sh
[ -d ui/node_modules ] || npm --prefix ui ci --no-audit --no-fund
npm --prefix ui run build
cargo build -p village-health-desktop -p vhr-cli

args=()
if [ "$demo" = 1 ]; then
  dir="${VHR_DEMO_DIR:-${XDG_DATA_HOME:-$HOME/.local/share}/village-health-demo}"
  ./target/debug/village-health --data-dir "$dir" demo --setup --residents 300
  echo "演示诊所 / demo clinic: $dir — 用户 demo，密码 demo1234"
  args=(--data-dir "$dir")
fi
exec ./target/debug/village-health-desktop "${args[@]}"
