#!/bin/sh
# Xcode's pre-build step (project.yml): a local HoumonCoreFFI.xcframework
# must have been built from the bindings committed next to it, or the app
# would stop at its first call with "UniFFI API checksum mismatch".
# build-xcframework.sh stamps the SHA-256 of HoumonCore.swift into it.
set -eu
cd "$(dirname "$0")"
framework=HoumonCoreFFI.xcframework
[ -d "$framework" ] || exit 0   # no local build: Package.swift uses the release
sha() { if command -v shasum >/dev/null; then shasum -a 256 "$1"; else sha256sum "$1"; fi | cut -d' ' -f1; }
want=$(sha Sources/HoumonCore/HoumonCore.swift)
have=$(cat "$framework/bindings.sha256" 2>/dev/null || echo none)
if [ "$want" != "$have" ]; then
  echo "error: ios/$framework was built from other bindings (stamp $have, HoumonCore.swift $want): run ios/build-xcframework.sh" >&2
  exit 1
fi
