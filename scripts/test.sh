#!/usr/bin/env bash
# Sets up whatever is missing and runs every test: Rust (unit, store on real
# SQLite files, CLI, crash, sync against a real FHIR server on loopback), the UI type check, UI tests in headless Chromium,
# and the end-to-end tests in the real desktop window under Xvfb.
set -euo pipefail
cd "$(dirname "$0")/.."
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

step() { printf '\n== %s\n' "$*"; }

step "setting up the machine"
bash scripts/setup-system.sh
source scripts/env.sh
[ -d ui/node_modules ] || npm --prefix ui ci --no-audit --no-fund
[ -d tests/node_modules ] || npm --prefix tests ci --no-audit --no-fund
# The FHIR R4 server the sync tests run against, cached outside the clone.
bash scripts/setup-fhir-peer.sh

step "UI type check and build (the desktop shell embeds ui/dist)"
npm --prefix ui run check
npm --prefix ui run build

step "formatting and lints"
cargo fmt --all --check
cargo clippy --workspace --all-targets --quiet -- -D warnings

step "Rust tests"
cargo nextest run --workspace --no-fail-fast

step "desktop app build"
cargo build -p village-health-desktop -p vhr-cli

step "UI tests (headless Chromium, mocked IPC)"
node --test tests/ui/

step "end-to-end tests (real window, Xvfb, tauri-driver)"
xvfb-run -a -s "-screen 0 1366x768x24" node --test tests/e2e/
