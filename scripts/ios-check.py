#!/usr/bin/env python3
"""Checks of the iOS app that need no Swift compiler (run by
scripts/parse-check.sh with tree-sitter's Swift grammar):

1. Info.plist and the entitlements: the NFC application identifiers are
   exactly the applications the core's allow-list selects (read from
   core/src/guard.rs and core/src/ids.rs), the reader-session format is TAG,
   and the NFC usage description is there, in Japanese.
2. Every core API the hand-written Swift calls exists in the generated
   bindings (ios/Sources/HoumonCore/HoumonCore.swift) with those argument
   labels: methods on values whose type is a core type, static methods,
   initialisers of core types, free functions, enum cases, and the methods
   of core protocols the app implements.

Prints what it checked; exits non-zero on any finding. `--self-test` runs
the API check on a built-in file with known mistakes and fails unless each
is found.
"""
import pathlib
import plistlib
import re
import sys

import tree_sitter
import tree_sitter_swift

ROOT = pathlib.Path(__file__).resolve().parent.parent
BINDINGS = ROOT / "ios/Sources/HoumonCore/HoumonCore.swift"
HAND_WRITTEN = [ROOT / "ios/Sources/HoumonAppLogic", ROOT / "ios/Sources/HoumonNFC", ROOT / "ios/App"]
PARSER = tree_sitter.Parser(tree_sitter.Language(tree_sitter_swift.language()))


def text(src, node):
    return src[node.start_byte:node.end_byte].decode()


def ident(s):
    return s.strip("`")


def walk(node):
    yield node
    for c in node.children:
        yield from walk(c)


# ---------------------------------------------------------------------------
# 1. plists


def allow_listed_aids():
    ids = (ROOT / "core/src/ids.rs").read_text()
    guard = (ROOT / "core/src/guard.rs").read_text()
    names = re.findall(r"aid:\s*ids::(AID_\w+)", guard)
    aids = []
    for n in names:
        m = re.search(rf"pub const {n}: \[u8; \d+\] =\s*\[([^\]]+)\]", ids)
        aids.append("".join(f"{int(b.strip(), 16):02X}" for b in m.group(1).split(",") if b.strip()))
    return sorted(aids)


def check_plists():
    findings = []
    expected = allow_listed_aids()
    key = "com.apple.developer.nfc.readersession.iso7816.select-identifiers"
    info = plistlib.loads((ROOT / "ios/App/Info.plist").read_bytes())
    ent = plistlib.loads((ROOT / "ios/App/Houmon.entitlements").read_bytes())
    for name, plist in (("Info.plist", info), ("Houmon.entitlements", ent)):
        got = plist.get(key)
        if got is None or sorted(got) != expected or len(set(got)) != len(got):
            findings.append(f"{name}: {key} is {got}, expected exactly {expected}")
    if ent.get("com.apple.developer.nfc.readersession.formats") != ["TAG"]:
        findings.append("Houmon.entitlements: readersession.formats must be exactly [TAG]")
    usage = info.get("NFCReaderUsageDescription", "")
    if not re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", usage):
        findings.append("Info.plist: NFCReaderUsageDescription missing or not Japanese")
    if "nfc" not in info.get("UIRequiredDeviceCapabilities", []):
        findings.append("Info.plist: UIRequiredDeviceCapabilities lacks nfc")
    print(f"plists: select-identifiers {expected} in both, TAG format, usage description: "
          f"{'ok' if not findings else 'FAILED'}")
    return findings


# ---------------------------------------------------------------------------
# 2. API


def labels_of_params(src, decl):
    labels = []
    for p in decl.children:
        if p.type == "parameter":
            ids = [c for c in p.children if c.type == "simple_identifier"]
            external = ids[0] if ids else None
            labels.append(ident(text(src, external)) if external is not None else "_")
    return tuple(labels)


def declared_name(src, decl):
    for c in decl.children:
        if c.type in ("simple_identifier", "type_identifier"):
            return ident(text(src, c))
        if c.type == "user_type":
            return ident(text(src, c))
    return None


class Api:
    """Declarations: types with methods, inits, static methods, enum cases; free functions."""

    def __init__(self):
        self.types = {}      # name -> {"methods": {n: set(labels)}, "inits": set, "statics": {...}, "cases": {...}, "kind": str}
        self.functions = {}  # name -> set(labels)
        self.protocol_methods = {}  # protocol name -> {name: labels}

    def type(self, name, kind):
        return self.types.setdefault(name, {"methods": {}, "inits": set(), "statics": {}, "cases": {}, "kind": kind})

    def add_file(self, path, public_only, generated=False):
        src = path.read_bytes()
        if generated:
            src = readable_bindings(src)
        tree = PARSER.parse(src)
        if generated and tree.root_node.has_error:
            raise SystemExit(f"{path}: the grammar does not read the bindings whole; the API check would miss declarations")
        for node in tree.root_node.children:
            self._top(src, node, public_only)

    def _is_public(self, src, node):
        for c in node.children:
            if c.type == "modifiers":
                t = text(src, c)
                return "public" in t or "open" in t
        return False

    def _top(self, src, node, public_only):
        if node.type == "function_declaration":
            if not public_only or self._is_public(src, node):
                self.functions.setdefault(declared_name(src, node), set()).add(labels_of_params(src, node))
        elif node.type in ("class_declaration", "protocol_declaration"):
            kind = next((text(src, c) for c in node.children if c.type in ("class", "struct", "enum", "protocol", "extension", "actor")), "class")
            if public_only and kind != "extension" and not self._is_public(src, node):
                return
            name = declared_name(src, node)
            if name is None:
                return
            t = self.type(name, kind)
            for body in node.children:
                if body.type not in ("class_body", "protocol_body", "enum_class_body"):
                    continue
                for m in body.children:
                    if m.type in ("function_declaration", "protocol_function_declaration"):
                        if public_only and kind not in ("protocol",) and not self._is_public(src, m):
                            continue
                        is_static = any(c.type == "modifiers" and "static" in text(src, c) for c in m.children)
                        target = t["statics"] if is_static else t["methods"]
                        target.setdefault(declared_name(src, m), set()).add(labels_of_params(src, m))
                        if kind == "protocol":
                            self.protocol_methods.setdefault(name, {})[declared_name(src, m)] = labels_of_params(src, m)
                    elif m.type == "init_declaration":
                        if public_only and not self._is_public(src, m):
                            continue
                        t["inits"].add(labels_of_params(src, m))
                    elif m.type == "enum_entry":
                        self._cases(src, m, t)

    def _cases(self, src, entry, t):
        name = None
        for c in entry.children:
            if c.type == "simple_identifier":
                name = ident(text(src, c))
                t["cases"].setdefault(name, set()).add(())
            elif c.type == "enum_type_parameters" and name is not None:
                t["cases"][name].discard(())
                t["cases"][name].add(tuple(self._case_labels(src, c)))

    @staticmethod
    def _case_labels(src, params):
        # `(offered: [IdentityMode], unavailable: [ModeUnavailable])`: a label
        # is a simple_identifier directly followed by ':'.
        out = []
        kids = params.children
        for i, k in enumerate(kids):
            if k.type == "simple_identifier" and i + 1 < len(kids) and kids[i + 1].type == ":":
                out.append(ident(text(src, k)))
            elif k.type not in ("simple_identifier", ":", ",", "(", ")") and (i == 0 or kids[i - 1].type != ":"):
                out.append("_")
        return out


def readable_bindings(src):
    """The generated bindings as tree-sitter's Swift grammar reads them: it
    does not take `#if` around an attribute, nor the closure `{ () }`. Both
    are private plumbing; the public declarations are untouched."""
    s = re.sub(rb"#if swift\(>=5\.8\)\n\s*@_documentation\(visibility: private\)\n#endif\n", b"", src)
    return s.replace(b"{ () }", b"{ }")


def call_labels(src, suffix):
    args = next((c for c in suffix.children if c.type == "value_arguments"), None)
    labels = []
    if args is not None:
        for a in args.children:
            if a.type == "value_argument":
                lab = next((c for c in a.children if c.type == "value_argument_label"), None)
                labels.append(ident(text(src, lab)) if lab is not None else "_")
    trailing = [c for c in suffix.children if c.type == "lambda_literal"]
    return tuple(labels), len(trailing)


def matches(declared, called, trailing):
    """A call matches a declaration if the labels agree, allowing trailing closures for the last parameters."""
    for d in declared:
        if trailing == 0 and d == called:
            return True
        if trailing and len(d) == len(called) + trailing and d[:len(called)] == called:
            return True
    return False


def strip_type(src, node):
    t = text(src, node).replace("?", "").replace("!", "").strip()
    return t.split(".")[-1]


def check_api(files, core, own):
    findings = []
    checked = 0
    core_types = core.types
    for path in files:
        src = path.read_bytes()
        tree = PARSER.parse(src)
        # Names whose declared type is a core type (properties, locals, parameters).
        typed = {}   # core-typed names
        other = set()  # names declared with another type (a platform type)
        for n in walk(tree.root_node):
            declared = None
            if n.type == "property_declaration":
                pat = next((c for c in n.children if c.type == "pattern"), None)
                ann = next((c for c in n.children if c.type == "type_annotation"), None)
                if pat is not None and ann is not None:
                    declared = (ident(text(src, pat)), strip_type(src, ann.children[-1]))
            elif n.type == "parameter":
                ids = [c for c in n.children if c.type == "simple_identifier"]
                tys = [c for c in n.children if c.type in ("user_type", "optional_type")]
                if ids and tys:
                    declared = (ident(text(src, ids[-1])), strip_type(src, tys[-1]))
            if declared:
                if declared[1] in core_types:
                    typed[declared[0]] = declared[1]
                else:
                    other.add(declared[0])
        for n in walk(tree.root_node):
            if n.type == "call_expression":
                callee, suffix = n.children[0], n.children[-1]
                if suffix.type != "call_suffix":
                    continue
                labels, trailing = call_labels(src, suffix)
                where = f"{path.relative_to(ROOT)}:{n.start_point[0] + 1}"
                if callee.type == "navigation_expression":
                    recv = callee.children[0]
                    nav = callee.children[-1]
                    name_node = next((c for c in nav.children if c.type == "simple_identifier"), None)
                    if name_node is None:
                        continue
                    name = ident(text(src, name_node))
                    rtext = text(src, recv)
                    if recv.type == "simple_identifier" and rtext in core_types:
                        t = core_types[rtext]
                        if name in t["cases"]:
                            checked += 1
                            if not matches(t["cases"][name], labels, trailing):
                                findings.append(f"{where}: {rtext}.{name}{labels} is not a case in the bindings ({sorted(t['cases'][name])})")
                        if name in t["statics"]:
                            checked += 1
                            if not matches(t["statics"][name], labels, trailing):
                                findings.append(f"{where}: {rtext}.{name}{labels} is not in the bindings ({sorted(t['statics'][name])})")
                        continue
                    if recv.type == "simple_identifier" and rtext in typed:
                        t = core_types[typed[rtext]]
                        checked += 1
                        if name not in t["methods"]:
                            findings.append(f"{where}: {typed[rtext]} has no method {name}")
                        elif not matches(t["methods"][name], labels, trailing):
                            findings.append(f"{where}: {typed[rtext]}.{name}{labels} does not match {sorted(t['methods'][name])}")
                        continue
                    # A value of a platform type, or a platform type's member
                    # (`BGTaskScheduler.shared`), is not the core's.
                    root = recv
                    while root.type == "navigation_expression":
                        root = root.children[0]
                    root_text = text(src, root)
                    if (recv.type == "simple_identifier" and rtext in other) or (
                        root.type == "simple_identifier" and root_text[:1].isupper() and root_text not in core_types
                    ):
                        continue
                    core_sigs = set().union(*[t["methods"].get(name, set()) for t in core_types.values()])
                    if core_sigs:
                        own_sigs = set().union(*[t["methods"].get(name, set()) for t in own.types.values()], own.functions.get(name, set()))
                        checked += 1
                        if not matches(core_sigs | own_sigs, labels, trailing):
                            findings.append(f"{where}: .{name}{labels} matches no core method {sorted(core_sigs)}")
                elif callee.type == "simple_identifier":
                    name = ident(text(src, callee))
                    if name in core_types and core_types[name]["kind"] in ("struct", "class"):
                        inits = core_types[name]["inits"]
                        if inits:
                            checked += 1
                            if not matches(inits, labels, trailing):
                                findings.append(f"{where}: {name}{labels} is not an initialiser in the bindings ({sorted(inits)})")
                    elif name in core.functions:
                        checked += 1
                        if not matches(core.functions[name], labels, trailing):
                            findings.append(f"{where}: {name}{labels} does not match {sorted(core.functions[name])}")
                elif callee.type == "prefix_expression" and text(src, callee).startswith("."):
                    name = ident(text(src, callee)[1:])
                    core_cases = set().union(*[t["cases"].get(name, set()) for t in core_types.values()])
                    if core_cases:
                        own_cases = set().union(*[t["cases"].get(name, set()) for t in own.types.values()])
                        checked += 1
                        if not matches(core_cases | own_cases, labels, trailing):
                            findings.append(f"{where}: .{name}{labels} matches no enum case {sorted(core_cases)}")
        # Core protocols the app implements: every requirement with its labels.
        for n in walk(tree.root_node):
            if n.type != "class_declaration":
                continue
            supers = {strip_type(src, c) for c in n.children if c.type == "inheritance_specifier"}
            body = next((c for c in n.children if c.type == "class_body"), None)
            have = {}
            if body is not None:
                for m in body.children:
                    if m.type == "function_declaration":
                        have.setdefault(declared_name(src, m), set()).add(labels_of_params(src, m))
            for proto in supers & set(core.protocol_methods):
                for req, labels in core.protocol_methods[proto].items():
                    checked += 1
                    if labels not in have.get(req, set()):
                        findings.append(f"{path.relative_to(ROOT)}:{n.start_point[0] + 1}: {declared_name(src, n)} conforms to {proto} but lacks {req}{labels}")
    return findings, checked


def swift_files(dirs):
    out = []
    for d in dirs:
        out += sorted(d.rglob("*.swift"))
    return out


def run_api(files):
    core = Api()
    core.add_file(BINDINGS, public_only=True, generated=True)
    own = Api()
    for f in files:
        own.add_file(f, public_only=False)
    return check_api(files, core, own)


SELF_TEST = b'''
import HoumonCore
final class Wrong: CardTransport {
    func transceive(data: Data) async throws -> Data { data }
    func limits() -> TransportLimits { iphoneTransportLimits() }
}
func f(core: HoumonCore, session: VisitSession) async throws {
    _ = try await core.startVisit(visit: VisitStart(patientId: nil, kind: .homeCare, firstVisitOn: nil, roundDay: nil))
    _ = try session.enterPn(pin: "1234")
    _ = try await HoumonCore.open(path: "x", keys: k, keepPhoto: false)
    _ = try assessReception(situation: s)
    _ = CalendarDate(y: 1, month: 1, day: 1)
    _ = PresentedDocument.mynaCard(state: .confirmed, certificateExpiry: nil)
}
'''


def self_test():
    tmp = ROOT / "target/ios-check-self-test.swift"
    tmp.parent.mkdir(exist_ok=True)
    tmp.write_bytes(SELF_TEST)
    findings, _ = run_api([tmp])
    expected = ["lacks transceive", "startVisit", "no method enterPn", "HoumonCore.open", "assessReception", "CalendarDate", "mynaCard"]
    missed = [e for e in expected if not any(e in f for f in findings)]
    tmp.unlink()
    if missed:
        print(f"self-test: the API check missed {missed}; it found {findings}")
        return 1
    print(f"self-test: the API check found all {len(expected)} planted mistakes")
    return 0


def main(argv):
    if "--self-test" in argv:
        return self_test()
    findings = check_plists()
    api_findings, checked = run_api(swift_files(HAND_WRITTEN))
    findings += api_findings
    print(f"API: {checked} uses of the core checked against the generated bindings, {len(api_findings)} mismatches")
    for f in findings:
        print(f)
    return 1 if findings or checked == 0 else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
