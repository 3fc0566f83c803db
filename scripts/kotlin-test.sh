#!/usr/bin/env bash
# The Kotlin side, on the JVM:
#  1. builds the FFI library, generates the Kotlin and Swift bindings with
#     the in-repo uniffi-bindgen and the top-level uniffi.toml, compares the
#     Swift public API with docs/swift-api.md and the Swift bindings with
#     those committed in ios/;
#  2. the test build (with the virtual card and the loopback clinic): runs
#     the binding test (android/jvm-test/VisitFlowTest.kt);
#  3. runs the Android shell's JVM tests (android/app/src/jvmTest, JUnit 4):
#     whole rounds through the shell's adapter (shell/) and the bindings with
#     the host-built core — every test class in the jar, and none is a failure;
#  4. compiles the Android platform glue (android/app/src/main/.../shell and
#     platform) against the real framework classes (org.robolectric:android-all,
#     API 36, compile-only) with -Werror;
#  5. runs the platform glue's Robolectric tests (android/app/src/robolectricTest)
#     on the API 36 framework, offline (android-all-instrumented from Maven
#     Central, cached in target/maven; the classpath from
#     android/robolectric/pom.xml, resolved by mvn into target/m2). Robolectric
#     needs Java 21+ for API 36: the newest JDK in /usr/lib/jvm, or ROBOLECTRIC_JAVA.
# Each test run prints "N passed, N failed"; any failure fails the script.
#
# Needs: Java 17 (and 21+ for step 5), JNA (Debian libjna-java), curl, mvn,
# kotlinc 2.4.20 (npm kotlin-compiler; fetched into target/kotlinc if
# KOTLIN_HOME is not set).
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
KT=target/kt
mkdir -p "$KT"

# kotlinc FILES... -cp CP -d OUT [-Werror]: a failed compile fails the run
# (never an older jar).
compile() {
  local out="$1" log="$2"; shift 2
  rm -rf "$out"
  if ! "$K/bin/kotlinc" "$@" -d "$out" 2> "$log"; then
    grep -v "^warning: unable to find kotlin-stdlib" "$log" >&2 || true
    echo "kotlinc failed ($out)" >&2
    exit 1
  fi
}

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

# 2. The test build: the same API plus the virtual card, for the JVM tests.
cargo build -q -p houmon-ffi --features test-card
LIB=target/debug/libhoumon_ffi.so
./target/debug/uniffi-bindgen generate --no-format --config uniffi.toml \
  --language kotlin --out-dir "$OUT/test" "$LIB" >/dev/null

CP="$JNA:$K/lib/kotlinx-coroutines-core-jvm.jar"
RUN_CP="$CP:$K/lib/kotlin-stdlib.jar"
# The bindings are compiled once per build and shared by the steps below.
compile "$KT/bindings-test.jar" target/kotlinc-bindings.log -nowarn "$OUT/test/jp/houmon/core/houmon.kt" -cp "$CP"
compile "$KT/visit-flow.jar" target/kotlinc.log -nowarn android/jvm-test/VisitFlowTest.kt -cp "$CP:$KT/bindings-test.jar"
java -Djna.library.path=target/debug -cp "$KT/visit-flow.jar:$KT/bindings-test.jar:$RUN_CP" VisitFlowTestKt

# 3. The shell's JVM tests: every class in the jar (RunAppTests fails on none).
APP=android/app/src/main/kotlin/jp/houmon/app
JUNIT="$(./scripts/maven-fetch.sh junit:junit:4.13.2):$(./scripts/maven-fetch.sh org.hamcrest:hamcrest-core:1.3)"
compile "$KT/app-test.jar" target/kotlinc-app.log -nowarn "$APP"/shell/*.kt \
  android/app/src/jvmTest/kotlin/jp/houmon/app/*.kt -cp "$CP:$KT/bindings-test.jar:$JUNIT"
compile "$KT/runner.jar" target/kotlinc-runner.log -nowarn android/jvm-test/RunAppTests.kt -cp "$JUNIT"
java -Djna.library.path=target/debug \
  -cp "$KT/app-test.jar:$KT/runner.jar:$KT/bindings-test.jar:$RUN_CP:$JUNIT" RunAppTestsKt "$KT/app-test.jar" jp.houmon.app

# 4. The platform glue against the Android framework (API 36) and ZXing,
# with the shipped bindings (no test card). Warnings are errors: a
# deprecated call is a decision, marked where it is made.
ANDROID_ALL="$(./scripts/maven-fetch.sh org.robolectric:android-all:16-robolectric-13921718-2)"
ZXING="$(./scripts/maven-fetch.sh com.google.zxing:core:3.5.3)"
compile "$KT/bindings-app.jar" target/kotlinc-bindings-app.log -nowarn "$OUT/app/jp/houmon/core/houmon.kt" -cp "$CP"
compile "$KT/android-glue.jar" target/kotlinc-glue.log -Werror "$APP"/shell/*.kt "$APP"/platform/*.kt \
  -cp "$ANDROID_ALL:$ZXING:$CP:$KT/bindings-app.jar"
echo "Android platform glue compiles against android-all (API 36)"

# 5. Robolectric: the glue on the API 36 framework, offline.
RJAVA="${ROBOLECTRIC_JAVA:-}"
if [ -z "$RJAVA" ]; then
  for j in $(ls -d /usr/lib/jvm/*/ 2>/dev/null | sort -V -r); do
    v="$("$j/bin/java" -XshowSettings:properties -version 2>&1 | awk -F' = ' '/java.specification.version/{print $2}')" || continue
    if [ -n "$v" ] && [ "${v%%.*}" -ge 21 ] 2>/dev/null; then RJAVA="$j/bin/java"; break; fi
  done
fi
[ -n "$RJAVA" ] || { echo "Robolectric needs Java 21+ for API 36: none in /usr/lib/jvm (set ROBOLECTRIC_JAVA)" >&2; exit 1; }
if [ ! -s target/robolectric.classpath ] || [ android/robolectric/pom.xml -nt target/robolectric.classpath ]; then
  mvn -q -B -f android/robolectric/pom.xml -Dmaven.repo.local="$PWD/target/m2" \
    dependency:build-classpath -Dmdep.outputFile="$PWD/target/robolectric.classpath"
fi
# Two of its dependencies are AARs: their classes.jar goes on the classpath.
ROBO=""
for f in $(tr ':' ' ' < target/robolectric.classpath); do
  case "$f" in
    *.aar) jar="$KT/aar/$(basename "$f" .aar).jar"
           [ -f "$jar" ] || { mkdir -p "$KT/aar" && unzip -p "$f" classes.jar > "$jar"; }
           ROBO="$ROBO:$jar" ;;
    *) ROBO="$ROBO:$f" ;;
  esac
done
ROBO="${ROBO#:}"
./scripts/maven-fetch.sh org.robolectric:android-all-instrumented:16-robolectric-13921718-i7 >/dev/null
compile "$KT/robolectric-test.jar" target/kotlinc-robolectric.log -nowarn -Xfriend-paths="$KT/android-glue.jar" \
  android/app/src/robolectricTest/kotlin/jp/houmon/app/platform/*.kt \
  -cp "$ANDROID_ALL:$ROBO:$KT/android-glue.jar:$KT/bindings-app.jar:$CP"
"$RJAVA" -Drobolectric.offline=true -Drobolectric.dependency.dir="$PWD/target/maven" \
  -Drobolectric.logging.enabled=false -Djna.library.path=target/app-lib \
  -cp "$KT/robolectric-test.jar:$KT/runner.jar:$KT/android-glue.jar:$KT/bindings-app.jar:$ZXING:$ROBO:$RUN_CP:$ANDROID_ALL" \
  RunAppTestsKt "$KT/robolectric-test.jar" jp.houmon.app.platform
