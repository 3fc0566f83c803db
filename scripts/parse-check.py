#!/usr/bin/env python3
"""Parses the app sources no compiler here can build: the Compose UI
(Kotlin, its libraries are not on Maven Central), the iOS app (Swift) and
the Android XML resources. A syntax error fails the check; what the code
means is not checked (see the README's table of what is and is not).

Usage: parse-check.py FILE_OR_DIR...   (prints "N files parsed, N errors")
"""
import pathlib
import sys
import xml.etree.ElementTree as ET

import tree_sitter
import tree_sitter_kotlin
import tree_sitter_swift

PARSERS = {
    ".kt": tree_sitter.Parser(tree_sitter.Language(tree_sitter_kotlin.language())),
    ".kts": tree_sitter.Parser(tree_sitter.Language(tree_sitter_kotlin.language())),
    ".swift": tree_sitter.Parser(tree_sitter.Language(tree_sitter_swift.language())),
}


def problems(node, out):
    if node.is_error or node.is_missing:
        kind = "missing" if node.is_missing else "syntax error"
        out.append((node.start_point[0] + 1, node.start_point[1] + 1, kind, node.type))
        return
    if node.has_error:
        for child in node.children:
            problems(child, out)


def check(path: pathlib.Path):
    if path.suffix == ".xml" or path.suffix == ".plist" or path.suffix == ".entitlements":
        try:
            ET.parse(path)
            return []
        except ET.ParseError as e:
            return [(e.position[0], e.position[1], "XML", str(e))]
    parser = PARSERS[path.suffix]
    tree = parser.parse(path.read_bytes())
    out = []
    problems(tree.root_node, out)
    return out


def main(args):
    files = []
    for a in args:
        p = pathlib.Path(a)
        if p.is_dir():
            files += sorted(
                f for f in p.rglob("*")
                if f.suffix in (".kt", ".kts", ".swift", ".xml", ".plist", ".entitlements")
                and "build" not in f.parts
                # The generated bindings are checked by regeneration (and
                # read by ios-check.py); the grammar trips on their #if.
                and f.parts[-2:] != ("HoumonCore", "HoumonCore.swift")
            )
        else:
            files.append(p)
    errors = 0
    for f in files:
        for line, col, kind, what in check(f):
            errors += 1
            print(f"{f}:{line}:{col}: {kind} ({what})")
    print(f"{len(files)} files parsed, {errors} errors")
    return 1 if errors or not files else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
