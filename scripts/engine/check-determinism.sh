#!/usr/bin/env bash
# The engine gives bit-identical logits everywhere: this machine's Node
# (SIMD128 build on Node 20), Node 24 x64 (relaxed SIMD), and Node 24 arm64
# under qemu-user (as on a Pi 4/5). Together with the x64 agreement tests
# against llama.cpp (test/engine/model/), that is the arm64 agreement check,
# for one model per weight type. Needs what scripts/test-arm64.sh installs.
#   scripts/engine/check-determinism.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
[ -f dist/engine/model/model.js ] || npm run build
out=.cache/determinism
mkdir -p "$out"
node scripts/engine/fingerprint.mjs > "$out/host.json"
node24="$(scripts/fetch-node.sh x64 24)"
"$node24" scripts/engine/fingerprint.mjs > "$out/x64-node24.json"
arm64="$(scripts/fetch-node.sh arm64 24)"
start=$(date +%s)
qemu-aarch64-static "$arm64" scripts/engine/fingerprint.mjs > "$out/arm64-node24.json"
echo "arm64 run: $(( $(date +%s) - start )) s"
node -e '
const [a, b, c] = process.argv.slice(1).map((f) => require(f));
let bad = 0;
for (const [name, h] of Object.entries(a.prints)) {
  const same = h === b.prints[name] && h === c.prints[name];
  if (!same) bad++;
  console.log(`${same ? "same" : "DIFFERENT"}  ${name}  ${a.arch}/${a.node} ${h}  ${b.arch}/${b.node} ${b.prints[name]}  ${c.arch}/${c.node} ${c.prints[name]}`);
}
console.log(`${Object.keys(a.prints).length - bad} passed, ${bad} failed`);
process.exit(bad ? 1 : 0);
' "$root/$out/host.json" "$root/$out/x64-node24.json" "$root/$out/arm64-node24.json"
