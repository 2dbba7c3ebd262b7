#!/usr/bin/env bash
# Builds the installable packages: a .deb on Linux (and the NSIS installer
# when run on Windows, from the same tauri.conf.json).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-system.sh
source scripts/env.sh
[ -d ui/node_modules ] || npm --prefix ui ci --no-audit --no-fund
case "$(uname -s)" in
  Linux) bundles=deb ;;
  MINGW*|MSYS*|CYGWIN*) bundles=nsis ;;
  *) bundles=all ;;
esac
# The Tauri CLI is needed only here; it is not part of the UI's dependencies.
[ -x ui/node_modules/.bin/tauri ] || npm --prefix ui install --no-save --no-audit --no-fund @tauri-apps/cli@2.12.5
ui/node_modules/.bin/tauri build --bundles "$bundles"
ls -la target/release/bundle/*/ 2>/dev/null || true
