#!/usr/bin/env bash
# Builds the Rust core for iOS into ios/HoumonCoreFFI.xcframework and
# regenerates the committed Swift bindings. Runs on a Mac with Xcode 15.3+
# (16 recommended) and rustup.
#
#   ios/build-xcframework.sh                  # a local build (Package.swift prefers it)
#   ios/build-xcframework.sh --release URL    # also zips it, and records URL,
#                                             # checksum and bindings in Package.swift
#   ios/build-xcframework.sh --record URL CHECKSUM
#                                             # records a zip built elsewhere (no build)
#
#  1. cargo builds houmon-ffi (profile `mobile`: LTO, stripped) as a static
#     library for aarch64-apple-ios (devices) and aarch64-apple-ios-sim +
#     x86_64-apple-ios (simulators, joined with lipo);
#  2. the in-repo uniffi-bindgen generates HoumonCore.swift,
#     HoumonCoreFFI.h and the module map from the host library with the
#     repository's uniffi.toml (the same command CI runs on Linux, so the
#     committed files match what CI regenerates);
#  3. xcodebuild -create-xcframework assembles the framework with the
#     header and module map, and the SHA-256 of HoumonCore.swift goes into
#     it as bindings.sha256 (Xcode's pre-build step, ios/check-core.sh,
#     refuses a framework built from other bindings);
#  4. with --release, zips it and writes the release block of
#     Package.swift: commit that with the bindings, publish the zip at URL.
set -euo pipefail
cd "$(dirname "$0")/.."

sha() { if command -v shasum >/dev/null; then shasum -a 256 "$1"; else sha256sum "$1"; fi | cut -d' ' -f1; }

# Package.swift's release block: what lies between the BEGIN/END markers.
record() {
  local url=$1 checksum=$2 bindings
  bindings=$(sha ios/Sources/HoumonCore/HoumonCore.swift)
  [[ $url == https://* ]] || { echo "the release URL must be https: $url" >&2; exit 1; }
  [[ $checksum =~ ^[0-9a-f]{64}$ ]] || { echo "not a SwiftPM checksum: $checksum" >&2; exit 1; }
  URL=$url CHECKSUM=$checksum BINDINGS=$bindings perl -0pi -e '
    s{^(// BEGIN core release[^\n]*\n(?://[^\n]*\n)*)(?:(?!// END core release)[^\n]*\n)*(// END core release)}{$1let coreRelease: (url: String, checksum: String, bindings: String)? = (
    url: "$ENV{URL}",
    checksum: "$ENV{CHECKSUM}",
    bindings: "$ENV{BINDINGS}"
)
$2}m or die "no release block in ios/Package.swift\n"' ios/Package.swift
  echo "recorded in ios/Package.swift: $url ($checksum), bindings $bindings"
}

release=""
case "${1:-}" in
  --record) record "$2" "$3"; exit 0 ;;
  --release) release=$2 ;;
  "") ;;
  *) echo "usage: $0 [--release URL | --record URL CHECKSUM]" >&2; exit 2 ;;
esac

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
sha ios/Sources/HoumonCore/HoumonCore.swift > ios/HoumonCoreFFI.xcframework/bindings.sha256

if [ -n "$release" ]; then
  (cd ios && rm -f HoumonCoreFFI.xcframework.zip && zip -qry HoumonCoreFFI.xcframework.zip HoumonCoreFFI.xcframework)
  record "$release" "$(swift package --package-path ios compute-checksum ios/HoumonCoreFFI.xcframework.zip)"
  echo "publish ios/HoumonCoreFFI.xcframework.zip at $release, then commit ios/Package.swift with the bindings"
fi
git status --short ios/Sources/HoumonCore ios/HoumonCoreFFI ios/Package.swift
echo "built ios/HoumonCoreFFI.xcframework"
