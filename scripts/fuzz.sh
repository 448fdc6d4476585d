#!/usr/bin/env bash
# Builds the libFuzzer targets in native/fuzz with clang (AddressSanitizer + UBSan) and runs each
# for a fixed budget (FUZZ_SECONDS, default 60) on its corpus in native/fuzz/corpus/<target>.
# New inputs found go to a scratch directory; `--merge` folds only coverage-adding ones back.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${FUZZ_SECONDS:-60}
command -v clang++ >/dev/null || apt-get install -y clang libclang-rt-14-dev >/dev/null  # the runtime holds libFuzzer
out="$root/build-fuzz"
mkdir -p "$out"
core_sources=$(ls "$root"/native/core/*.cpp)
for target in "$root"/native/fuzz/fuzz_*.cpp; do
  name=$(basename "$target" .cpp)
  clang++ -std=c++17 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -ffp-contract=off \
    -DEIGEN_MPL2_ONLY -isystem "$root/native/vendor/eigen" "$target" $core_sources -o "$out/$name" -lpthread
  corpus="$root/native/fuzz/corpus/$name"
  scratch="$out/$name-new"
  mkdir -p "$corpus" "$scratch"
  echo "== $name: ${seconds}s"
  "$out/$name" -max_total_time="$seconds" -max_len=512 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 "$scratch" "$corpus"
  if [ "${1:-}" = "--merge" ]; then "$out/$name" -merge=1 "$corpus" "$scratch"; fi
done
