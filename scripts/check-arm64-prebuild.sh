#!/usr/bin/env bash
# Loads prebuilds/linux-arm64/sshn.node in Debian's arm64 Node.js under qemu-user, runs a small
# recall through it and compares memory retrievals with the pure-TypeScript backend. Needs root
# (apt) on Debian/Ubuntu x86-64; nothing is installed for arm64, the packages are only unpacked
# into a temporary sysroot.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
[ -f "$root/prebuilds/linux-arm64/sshn.node" ] || { echo "no arm64 prebuild: run npm run prebuildify:arm64"; exit 1; }
command -v qemu-aarch64 >/dev/null || apt-get install -y qemu-user >/dev/null
dpkg --print-foreign-architectures | grep -qx arm64 || { dpkg --add-architecture arm64; apt-get update >/dev/null; }
sysroot=$(mktemp -d)
cd "$sysroot"
apt-get download nodejs:arm64 libnode108:arm64 libc6:arm64 libstdc++6:arm64 libgcc-s1:arm64 libbrotli1:arm64 \
  libc-ares2:arm64 libicu72:arm64 libnghttp2-14:arm64 libssl3:arm64 libuv1:arm64 zlib1g:arm64 \
  node-cjs-module-lexer node-acorn node-undici >/dev/null 2>&1
for deb in *.deb; do dpkg-deb -x "$deb" "$sysroot/root"; done
export QEMU_LD_PREFIX="$sysroot/root"
node_arm64="$sysroot/root/usr/bin/node"
# A copy of the package with only the arm64 binary, so nothing else can be loaded.
pkg="$sysroot/pkg"
mkdir -p "$pkg/prebuilds"
cp -r "$root/lib" "$root/package.json" "$pkg/"
cp -r "$root/prebuilds/linux-arm64" "$pkg/prebuilds/"
ln -s "$root/node_modules" "$pkg/node_modules"
cd "$pkg"
qemu-aarch64 "$node_arm64" -e "
const s = require('./lib');
const info = s.backendInfo();
const net = new s.BinaryHopfield(9).store([[1,1,1,1,-1,1,1,1,1],[-1,1,-1,-1,1,-1,-1,1,-1]]);
const r = net.recall([1,1,-1,1,-1,1,-1,1,1], { seed: 1 });
// Memories (GEMM, transforms, SparseMAP for sequential k-subsets) against the pure-TS twin in the same process.
const x = new s.Rng(1);
const patterns = Array.from({ length: 40 }, () => Array.from({ length: 30 }, () => x.normal()));
const query = patterns[3].map((v) => v + 0.3 * x.normal());
let diff = 0;
for (const transform of ['softmax', 'sparsemax', 'entmax15', { name: 'kSubsets', k: 3 }, { name: 'sequentialKSubsets', k: 3, bonus: 1 }]) {
  const [a, b] = ['native', 'js'].map((backend) => new s.HopfieldMemory(patterns, { transform, beta: 0.5, backend }).retrieve(query));
  for (let i = 0; i < a.state.length; i++) diff = Math.max(diff, Math.abs(a.state[i] - b.state[i]));
}
console.log(process.arch, info.active, info.nativeBinary, r.state.join(','), 'memories native vs js: max diff', diff);
if (process.arch !== 'arm64' || info.active !== 'native' || r.state.join(',') !== '1,1,1,1,-1,1,1,1,1' || !(diff < 1e-9)) process.exit(1);
"
rm -rf "$sysroot"
