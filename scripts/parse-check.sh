#!/usr/bin/env bash
# Syntax check of the app sources nothing here can compile (Compose UI,
# SwiftUI/CoreNFC, XML resources and plists), with tree-sitter grammars
# from PyPI in a private virtualenv (target/pyenv), then the iOS checks
# (scripts/ios-check.py: its self-test first, then the tree). See
# parse-check.py and ios/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=target/pyenv
PACKAGES=(tree-sitter==0.26.1 tree-sitter-kotlin==1.1.0 tree-sitter-swift==0.7.4 pyyaml==6.0.3)
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
fi
# Installed once per list of pins (a venv made before a pin was added gets it).
if [ "$(cat "$VENV/pins" 2>/dev/null)" != "${PACKAGES[*]}" ]; then
  "$VENV/bin/pip" install -q "${PACKAGES[@]}"
  echo "${PACKAGES[*]}" > "$VENV/pins"
fi
targets=(android)
[ -d ios ] && targets+=(ios)
"$VENV/bin/python" scripts/parse-check.py "${targets[@]}"
# The iOS app: its project, plists and manifests, and its uses of the core.
if [ -d ios ]; then
  "$VENV/bin/python" scripts/ios-check.py --self-test
  "$VENV/bin/python" scripts/ios-check.py
fi
