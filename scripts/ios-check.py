#!/usr/bin/env python3
"""Checks of the iOS app that need no Swift compiler (run by
scripts/parse-check.sh with tree-sitter's Swift grammar and PyYAML); what
each part checks is in its module (scripts/ios_check/) and, for people, in
ios/README.md ("What is checked here").

  - uses of the core's and the app's types in the hand-written Swift
    (members, labels, try/await, enum patterns, exhaustive switches,
    conformances and their isolation, shadowed core types): swift_uses.py;
  - project.yml, Package.swift and the release it records, Info.plist,
    the entitlements, the privacy manifest, the managed configuration, and
    the code against them (task ids, background modes, usage texts, the
    Keychain class, log privacy, the modules each target imports): project.py.

Usage:
  ios-check.py              check ios/; exit 1 on any finding
  ios-check.py --ios DIR    check another tree of ios/ (e.g. an older commit's)
  ios-check.py --self-test [-v]
                            plant each kind of mistake (selftest_plants.py) and
                            fail unless every one is found and the tree is clean
                            (-v: print the finding each plant caused)
"""
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

from ios_check.run import Files, run, summary  # noqa: E402
from ios_check.selftest import self_test  # noqa: E402


def main(argv):
    if "--self-test" in argv:
        return self_test(verbose="-v" in argv)
    ios_dir = argv[argv.index("--ios") + 1] if "--ios" in argv else None
    findings, checked, nfiles = run(Files(ios_dir))
    for x in findings:
        print(x)
    print(f"ios-check: {nfiles} Swift files, {checked} uses checked; findings: {summary(findings)}")
    return 1 if findings or checked == 0 else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
