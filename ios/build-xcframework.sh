#!/usr/bin/env bash
# Builds the Rust core for iOS into ios/HoumonCoreFFI.xcframework and
# regenerates the committed Swift bindings. Runs on a Mac with Xcode and
# rustup. Usage: ios/build-xcframework.sh [--release-zip]
#
#  1. cargo builds houmon-ffi (profile `mobile`: LTO, stripped) as a static
#     library for aarch64-apple-ios (devices) and aarch64-apple-ios-sim +
#     x86_64-apple-ios (simulators, joined with lipo);
#  2. the in-repo uniffi-bindgen generates HoumonCore.swift,
#     HoumonCoreFFI.h and the module map from the host library with the
#     repository's uniffi.toml (the same command CI runs on Linux, so the
#     committed files match what CI regenerates);
#  3. xcodebuild -create-xcframework assembles the framework with the
#     header and module map;
#  4. with --release-zip, zips it and prints the checksum for Package.swift's
#     HOUMON_CORE_URL / HOUMON_CORE_CHECKSUM.
set -euo pipefail
cd "$(dirname "$0")/.."

DEVICE=aarch64-apple-ios
SIMS=(aarch64-apple-ios-sim x86_64-apple-ios)
PROFILE=mobile
OUT=target/ios
rm -rf "$OUT"
mkdir -p "$OUT/headers" "$OUT/sim"

for t in "$DEVICE" "${SIMS[@]}"; do
  rustup target add "$t" >/dev/null
  cargo build -p houmon-ffi --profile "$PROFILE" --target "$t"
done

# Bindings: from the host build, exactly as scripts/kotlin-test.sh does.
cargo build -p houmon-ffi
cargo build -q -p uniffi-bindgen
./target/debug/uniffi-bindgen generate --no-format --config uniffi.toml \
  --language swift --out-dir "$OUT/bindings" target/debug/libhoumon_ffi.dylib
cp "$OUT/bindings/HoumonCore.swift" ios/Sources/HoumonCore/HoumonCore.swift
cp "$OUT/bindings/HoumonCoreFFI.h" ios/HoumonCoreFFI/HoumonCoreFFI.h
cp "$OUT/bindings/HoumonCoreFFI.modulemap" ios/HoumonCoreFFI/HoumonCoreFFI.modulemap
cp "$OUT/bindings/HoumonCoreFFI.h" "$OUT/headers/"
cp "$OUT/bindings/HoumonCoreFFI.modulemap" "$OUT/headers/module.modulemap"

lipo -create \
  "target/${SIMS[0]}/$PROFILE/libhoumon_ffi.a" \
  "target/${SIMS[1]}/$PROFILE/libhoumon_ffi.a" \
  -output "$OUT/sim/libhoumon_ffi.a"

rm -rf ios/HoumonCoreFFI.xcframework
xcodebuild -create-xcframework \
  -library "target/$DEVICE/$PROFILE/libhoumon_ffi.a" -headers "$OUT/headers" \
  -library "$OUT/sim/libhoumon_ffi.a" -headers "$OUT/headers" \
  -output ios/HoumonCoreFFI.xcframework

if [ "${1:-}" = "--release-zip" ]; then
  (cd ios && rm -f HoumonCoreFFI.xcframework.zip && zip -qry HoumonCoreFFI.xcframework.zip HoumonCoreFFI.xcframework)
  echo "checksum: $(swift package --package-path ios compute-checksum ios/HoumonCoreFFI.xcframework.zip)"
fi
git status --short ios/Sources/HoumonCore ios/HoumonCoreFFI
echo "built ios/HoumonCoreFFI.xcframework"
