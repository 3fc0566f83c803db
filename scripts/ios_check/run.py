"""Runs every check on one tree of ios/ (the working tree, another
checkout's, or the working tree with planted mistakes in memory)."""
import hashlib
import os
import pathlib
import re
from collections import Counter

from . import project
from .swift_model import Model, bindings_model
from .swift_uses import Checker, Types, register_prop_inits, shadowing

REPO = pathlib.Path(__file__).resolve().parents[2]
BINDINGS = "ios/Sources/HoumonCore/HoumonCore.swift"
HAND_WRITTEN = ("ios/Sources/HoumonAppLogic", "ios/Sources/HoumonNFC", "ios/App")


class Files:
    """ios/ (from `ios_dir`) and the rest of the repository, read through
    `overrides` (path -> bytes, or None for a file taken away)."""

    def __init__(self, ios_dir=None, overrides=None):
        self.ios = pathlib.Path(ios_dir) if ios_dir else REPO / "ios"
        self.overrides = overrides or {}

    def path(self, rel):
        return self.ios / rel[4:] if rel.startswith("ios/") else REPO / rel

    def read(self, rel):
        if rel in self.overrides:
            return self.overrides[rel]
        p = self.path(rel)
        return p.read_bytes() if p.is_file() else None

    def text(self, rel):
        data = self.read(rel)
        return data.decode() if data is not None else None

    def exists(self, rel):
        if rel in self.overrides:
            return self.overrides[rel] is not None
        return self.path(rel).exists()

    def is_dir(self, rel):
        return self.path(rel).is_dir()

    def is_exec(self, rel):
        if rel in self.overrides:
            return self.overrides[rel] is not None
        p = self.path(rel)
        return p.is_file() and os.access(p, os.X_OK)

    def swift(self):
        out = set()
        for d in HAND_WRITTEN:
            base = self.path(d)
            if base.is_dir():
                out |= {d + "/" + str(p.relative_to(base)) for p in base.rglob("*.swift")}
        out |= {r for r in self.overrides if r.endswith(".swift") and r.startswith(HAND_WRITTEN)}
        return sorted(r for r in out if self.read(r) is not None)


_core_cache = {}


def core_model(src):
    key = hashlib.sha256(src).hexdigest()
    if key not in _core_cache:
        _core_cache[key] = bindings_model(src)
    return _core_cache[key]


def allow_listed_aids():
    """The applications the core may select, from its allow-list (core/src)."""
    sources = {p: p.read_text() for p in (REPO / "core/src").rglob("*.rs")}
    consts = {}
    for s in sources.values():
        for m in re.finditer(r"pub const (AID_\w+): \[u8; \d+\] =\s*\[([^\]]+)\]", s):
            consts[m.group(1)] = "".join(f"{int(b.strip(), 16):02X}" for b in m.group(2).split(",") if b.strip())
    names = set()
    for s in sources.values():
        if re.search(r"\bALLOWED\b", s):
            names |= set(re.findall(r"aid:\s*(?:ids::)?(AID_\w+)", s))
    return sorted(consts[n] for n in names if n in consts)


def run(files):
    """Every finding, and how many uses of the core's and the app's types were checked."""
    findings = []
    bindings = files.read(BINDINGS)
    if bindings is None:
        raise SystemExit(f"{BINDINGS} is missing")
    core = core_model(bindings)
    own = Model()
    trees = {}
    for rel in files.swift():
        src = files.read(rel)
        trees[rel] = (src, own.add(rel, src, public_only=False))
        if trees[rel][1].root_node.has_error:
            findings.append(project.f(rel, "syntax", "does not parse (see parse-check.py)"))
    types = Types(core, own)
    checker = Checker(types)
    for rel, (src, tree) in trees.items():
        register_prop_inits(checker, rel, src, tree)
    for rel, (src, tree) in trees.items():
        checker.check_file(rel, src, tree)
    findings += checker.findings
    findings += shadowing(types, lambda r: r)

    swift_by_file = {rel: src.decode() for rel, (src, _) in trees.items()}
    pkg_findings, pkg = project.check_package(files, bindings)
    yml_findings, proj = project.check_project_yml(files, pkg)
    findings += pkg_findings + yml_findings
    findings += project.check_plists(files, allow_listed_aids(), swift_by_file)
    findings += project.check_privacy(files, swift_by_file)
    findings += project.check_keychain({r: s for r, s in swift_by_file.items() if r.startswith("ios/App/")})
    findings += project.check_logging(swift_by_file)
    findings += project.check_imports(own, pkg, proj, lambda r: r)
    findings += project.check_combine(swift_by_file, lambda r: r)
    findings += project.check_managed_config(files, (REPO / "ffi/src/app/config.rs").read_text(), swift_by_file)
    return findings, checker.checked, len(trees)


def summary(findings):
    return ", ".join(f"{k} {n}" for k, n in sorted(Counter(x.kind for x in findings).items())) or "none"
