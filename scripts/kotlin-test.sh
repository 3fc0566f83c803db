#!/usr/bin/env bash
# Builds the FFI library (with the test-only virtual card), generates the
# Kotlin and Swift bindings with the in-repo uniffi-bindgen and the
# top-level uniffi.toml, compiles android/jvm-test with kotlinc and runs it
# on the JVM with JNA. Prints "N passed, N failed".
#
# Needs: Java 17, JNA (Debian libjna-java), kotlinc 2.4.20 (npm
# kotlin-compiler; fetched into target/kotlinc if KOTLIN_HOME is not set).
# The generated Swift public API is compared with docs/swift-api.md.
set -euo pipefail
cd "$(dirname "$0")/.."

K="${KOTLIN_HOME:-$PWD/target/kotlinc/package}"
if [ ! -x "$K/bin/kotlinc" ]; then
  mkdir -p target/kotlinc
  (cd target/kotlinc && npm pack --silent kotlin-compiler@2.4.20 >/dev/null && tar xzf kotlin-compiler-2.4.20.tgz && chmod +x package/bin/*)
  K="$PWD/target/kotlinc/package"
fi
JNA="${JNA_JAR:-/usr/share/java/jna.jar}"
[ -f "$JNA" ] || { echo "JNA not found at $JNA (apt-get install libjna-java)" >&2; exit 1; }

cargo build -q -p uniffi-bindgen
OUT=target/bindings
rm -rf "$OUT" target/app-lib
mkdir -p target/app-lib

# 1. The app build (no test card): Swift and Kotlin bindings as shipped.
cargo build -q -p houmon-ffi
cp target/debug/libhoumon_ffi.so target/app-lib/
./target/debug/uniffi-bindgen generate --no-format --config uniffi.toml \
  --language kotlin --language swift --out-dir "$OUT/app" target/app-lib/libhoumon_ffi.so >/dev/null
# The Swift public API, reviewed in docs/swift-api.md (no Swift compiler here).
./scripts/swift-api.sh "$OUT/app/HoumonCore.swift" > target/swift-api.md
if ! diff -u docs/swift-api.md target/swift-api.md; then
  echo "The generated Swift API changed: review it and copy target/swift-api.md to docs/swift-api.md" >&2
  exit 1
fi

# 2. The test build: the same API plus the virtual card, for the JVM test.
cargo build -q -p houmon-ffi --features test-card
LIB=target/debug/libhoumon_ffi.so
./target/debug/uniffi-bindgen generate --no-format --config uniffi.toml \
  --language kotlin --out-dir "$OUT/test" "$LIB" >/dev/null

CP="$JNA:$K/lib/kotlinx-coroutines-core-jvm.jar"
# A failed compile fails the run: never fall back to an older jar.
rm -f target/kotlin-test.jar
if ! "$K/bin/kotlinc" -nowarn "$OUT/test/jp/houmon/core/houmon.kt" android/jvm-test/VisitFlowTest.kt \
  -cp "$CP" -d target/kotlin-test.jar 2> target/kotlinc.log; then
  cat target/kotlinc.log >&2
  echo "kotlinc failed" >&2
  exit 1
fi
java -Djna.library.path=target/debug -cp "target/kotlin-test.jar:$CP:$K/lib/kotlin-stdlib.jar" VisitFlowTestKt
