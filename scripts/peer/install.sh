#!/usr/bin/env bash
# Installs node-llama-cpp (prebuilt native llama.cpp) into .cache/peer/, a
# git-ignored folder outside package.json, for the llama.cpp cross-checks in
# test/engine/model-maker/peer.test.ts (test/helpers/peer.ts loads it).
#
# Only the one prebuilt platform package this machine needs is installed:
# --omit=optional drops node-llama-cpp's optional CUDA, Vulkan and other-OS
# packages (about 600 MB), and the platform package is named explicitly as
# a plain dependency so it is kept. NODE_LLAMA_CPP_SKIP_DOWNLOAD=true stops
# its postinstall from downloading or building llama.cpp.
set -euo pipefail
cd "$(dirname "$0")/../.."

VERSION=3.21.1
case "$(uname -m)" in
  x86_64|amd64) PLATFORM=linux-x64 ;;
  aarch64|arm64) PLATFORM=linux-arm64 ;;
  *) echo "peer install: no prebuilt node-llama-cpp for $(uname -m); the cross-checks will be skipped" >&2; exit 0 ;;
esac

DIR=.cache/peer
mkdir -p "$DIR"
cat > "$DIR/package.json" <<JSON
{
  "name": "nibble-peer",
  "private": true,
  "description": "node-llama-cpp for nibble's llama.cpp cross-checks; installed by scripts/peer/install.sh",
  "dependencies": {
    "node-llama-cpp": "$VERSION",
    "@node-llama-cpp/$PLATFORM": "$VERSION"
  }
}
JSON

export NODE_LLAMA_CPP_SKIP_DOWNLOAD=true
(cd "$DIR" && npm install --omit=optional --no-audit --no-fund --no-package-lock)

# Verify what landed: the one platform binary, no GPU builds.
test -d "$DIR/node_modules/@node-llama-cpp/$PLATFORM" || { echo "peer install: @node-llama-cpp/$PLATFORM is missing" >&2; exit 1; }
extra=$(ls "$DIR/node_modules/@node-llama-cpp" | grep -vx "$PLATFORM" || true)
if [ -n "$extra" ]; then echo "peer install: unexpected packages: $extra" >&2; exit 1; fi
echo "peer install: node-llama-cpp $VERSION with @node-llama-cpp/$PLATFORM in $DIR ($(du -sh "$DIR" | cut -f1))"
