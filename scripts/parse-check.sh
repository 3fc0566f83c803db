#!/usr/bin/env bash
# Syntax check of the app sources nothing here can compile (Compose UI,
# SwiftUI/CoreNFC, XML resources and plists), with tree-sitter grammars
# from PyPI in a private virtualenv (target/pyenv), then the iOS checks
# (scripts/ios-check.py). See parse-check.py.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=target/pyenv
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q tree-sitter==0.26.1 tree-sitter-kotlin==1.1.0 tree-sitter-swift==0.7.4
fi
targets=(android)
[ -d ios ] && targets+=(ios)
"$VENV/bin/python" scripts/parse-check.py "${targets[@]}"
# The iOS app's plists and its uses of the core's Swift API.
if [ -d ios ]; then
  "$VENV/bin/python" scripts/ios-check.py --self-test
  "$VENV/bin/python" scripts/ios-check.py
fi
