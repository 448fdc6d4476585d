#!/usr/bin/env bash
# Builds the addon with AddressSanitizer and UndefinedBehaviorSanitizer into build-asan/ and runs
# the tap suite against it (the sanitizer runtimes are preloaded into node). Any report fails.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work="$root/build-asan"
rm -rf "$work"
mkdir -p "$work"
# A private copy of the package whose build/ holds the instrumented binary (with bench/: the README
# that the docs test builds links bench/RESULTS.md).
cp -r "$root/binding.gyp" "$root/package.json" "$root/native" "$root/src" "$root/test" "$root/tsconfig.json" "$root/typedoc.json" "$root/README.md" "$root/scripts" "$root/bench" "$work/"
ln -s "$root/node_modules" "$work/node_modules"
cd "$work"
CXXFLAGS="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -g" \
  LDFLAGS="-fsanitize=address,undefined" npx node-gyp rebuild >build.log 2>&1 || { tail -40 build.log; exit 1; }
npx tsc -p tsconfig.json
preload="$(gcc -print-file-name=libasan.so):$(gcc -print-file-name=libubsan.so)"
# Node itself is not instrumented and frees some memory only at exit: leaks are not checked here.
# Left out: the packaging test (it builds and installs fresh copies, with no sanitizer) and the
# memory-growth tests (the ASan quarantine holds freed memory on purpose).
# The tests find ../shared relative to the repository; this copy lives one level deeper.
export SSHN_SHARED_DIR="$root/../shared"
LD_PRELOAD="$preload" ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
  npx tap --exclude test/package.test.ts --exclude test/binary-leaks.test.ts --exclude test/leaks.test.ts
