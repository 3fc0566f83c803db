#!/usr/bin/env bash
# The Kotlin side, on the JVM:
#  1. builds the FFI library (with the test-only virtual card), generates
#     the Kotlin and Swift bindings with the in-repo uniffi-bindgen and the
#     top-level uniffi.toml, compares the Swift public API with
#     docs/swift-api.md and the Swift bindings with those committed in ios/;
#  2. runs the binding test (android/jvm-test/VisitFlowTest.kt);
#  3. runs the Android app's logic tests (android/app/src/test, JUnit 4)
#     against the host-built core and a loopback clinic;
#  4. compiles the Android platform glue (android/app/src/main/.../platform)
#     against the real framework classes (org.robolectric:android-all from
#     Maven Central, compile-only) with the app logic and the bindings.
# Each test run prints "N passed, N failed"; any failure fails the script.
#
# Needs: Java 17, JNA (Debian libjna-java), curl, kotlinc 2.4.20 (npm
# kotlin-compiler; fetched into target/kotlinc if KOTLIN_HOME is not set);
# jars from Maven Central are cached in target/maven.
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
# The Swift bindings committed in ios/ are exactly what the bindgen makes.
for f in Sources/HoumonCore/HoumonCore.swift HoumonCoreFFI/HoumonCoreFFI.h HoumonCoreFFI/HoumonCoreFFI.modulemap; do
  if ! cmp -s "$OUT/app/$(basename "$f")" "ios/$f"; then
    diff -u "ios/$f" "$OUT/app/$(basename "$f")" | head -40 >&2 || true
    echo "ios/$f differs from the generated bindings: run ios/build-xcframework.sh (or copy $OUT/app/$(basename "$f"))" >&2
    exit 1
  fi
done
echo "the Swift bindings in ios/ match the generated ones"

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

# 3. The Android app's logic (plain Kotlin, no android.*) with JUnit 4.
APP=android/app/src/main/kotlin/jp/houmon/app
JUNIT="$(./scripts/maven-fetch.sh junit:junit:4.13.2):$(./scripts/maven-fetch.sh org.hamcrest:hamcrest-core:1.3)"
rm -f target/app-test.jar
if ! "$K/bin/kotlinc" -nowarn "$OUT/test/jp/houmon/core/houmon.kt" "$APP"/logic/*.kt \
  android/app/src/test/kotlin/jp/houmon/app/*.kt android/jvm-test/RunAppTests.kt \
  -cp "$CP:$JUNIT" -d target/app-test.jar 2> target/kotlinc-app.log; then
  cat target/kotlinc-app.log >&2
  echo "kotlinc failed on the app logic or its tests" >&2
  exit 1
fi
java -Djna.library.path=target/debug -cp "target/app-test.jar:$CP:$JUNIT:$K/lib/kotlin-stdlib.jar" RunAppTestsKt

# 4. The platform glue against the Android framework (API 36) and ZXing,
# with the shipped bindings (no test card). Warnings are errors: a
# deprecated call is a decision, marked where it is made.
ANDROID_ALL="$(./scripts/maven-fetch.sh org.robolectric:android-all:16-robolectric-13921718-2)"
ZXING="$(./scripts/maven-fetch.sh com.google.zxing:core:3.5.3)"
rm -rf target/android-glue
if ! "$K/bin/kotlinc" -Werror "$OUT/app/jp/houmon/core/houmon.kt" "$APP"/logic/*.kt "$APP"/platform/*.kt \
  -cp "$ANDROID_ALL:$ZXING:$CP" -d target/android-glue 2> target/kotlinc-glue.log; then
  cat target/kotlinc-glue.log >&2
  echo "the Android platform glue does not compile against android-all" >&2
  exit 1
fi
echo "Android platform glue compiles against android-all (API 36)"
