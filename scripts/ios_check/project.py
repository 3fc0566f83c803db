"""Checks of what Xcode, signing and App Store Connect read: project.yml,
Package.swift, Info.plist, the entitlements, the privacy manifest, the
managed app configuration; and of what the Swift must agree with them on
(background-task ids, background modes, usage texts, the Keychain class,
log privacy, the modules each target may import)."""
import hashlib
import plistlib
import re

import yaml

from .swift_uses import Finding

SELECT = "com.apple.developer.nfc.readersession.iso7816.select-identifiers"
FORMATS = "com.apple.developer.nfc.readersession.formats"
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
SWIFT_VERSIONS = {"5.0", "6.0"}

# Apple's required-reason API categories and their reasons (Apple's
# "Describing use of required reason API"; confirm at the first upload).
REASONS = {
    "NSPrivacyAccessedAPICategoryFileTimestamp": {"DDA9.1", "C617.1", "3B52.1", "0A2A.1"},
    "NSPrivacyAccessedAPICategorySystemBootTime": {"35F9.1", "8FFB.1", "3D61.1"},
    "NSPrivacyAccessedAPICategoryDiskSpace": {"85F4.1", "E174.1", "7D9E.1", "B728.1"},
    "NSPrivacyAccessedAPICategoryActiveKeyboards": {"3EC4.1", "54BD.1"},
    "NSPrivacyAccessedAPICategoryUserDefaults": {"CA92.1", "1C8F.1", "C56D.1", "AC6B.1"},
}
# What the statically linked core needs, and why.
CORE_NEEDS = {
    "NSPrivacyAccessedAPICategoryFileTimestamp": ("C617.1", "SQLite stat()s its files"),
    "NSPrivacyAccessedAPICategorySystemBootTime": ("35F9.1", "Rust's Instant and tokio's timers"),
    "NSPrivacyAccessedAPICategoryDiskSpace": ("E174.1", "SQLite statfs()es its file system on Apple platforms"),
}
KEYCHAIN_CLASS = "kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly"
# Values that may be logged `.public`: none of them can hold personal data.
PUBLIC_LOG = {"target", "identifier", "code?.rawValue ?? -1", "String(describing: error)", "other"}
# What each package target may import (App/ may import anything the project links).
IMPORTS = {
    "HoumonAppLogic": {"Foundation", "Combine", "HoumonCore"},
    "HoumonNFC": {"CoreNFC", "Foundation", "HoumonCore", "os"},
}
APP_ONLY = {"device_name", "lock_after_minutes"}


def snake(name):
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def f(where, kind, msg):
    return Finding(where, kind, msg)


def load_plist(files, rel, out):
    data = files.read(rel)
    if data is None:
        out.append(f(rel, "plist", "missing"))
        return None
    try:
        return plistlib.loads(data)
    except Exception as e:  # noqa: BLE001 - any parse failure is a finding
        out.append(f(rel, "plist", f"does not parse: {e}"))
        return None


# --------------------------------------------------------------- Package.swift

def balanced(s, start):
    """The text from `start` (an opening parenthesis) to its match."""
    depth = 0
    for i in range(start, len(s)):
        if s[i] == "(":
            depth += 1
        elif s[i] == ")":
            depth -= 1
            if depth == 0:
                return s[start:i + 1]
    return s[start:]


class Package:
    def __init__(self, src):
        self.src = src
        m = re.match(r"// swift-tools-version:\s*([0-9.]+)", src)
        self.tools = tuple(int(x) for x in m.group(1).split(".")) if m else None
        self.targets = {}
        for m in re.finditer(r"\.(target|binaryTarget)\(", src):
            body = balanced(src, m.end() - 1)
            name = re.search(r'name:\s*"(\w+)"', body)
            if not name:
                continue
            deps = re.search(r"dependencies:\s*\[([^\]]*)\]", body)
            path = re.search(r'path:\s*"([^"]+)"', body)
            self.targets[name.group(1)] = {
                "kind": m.group(1),
                "deps": re.findall(r'"(\w+)"', deps.group(1)) if deps else [],
                "path": path.group(1) if path else None,
                "body": body,
            }
        self.products = {}
        for m in re.finditer(r'\.library\(\s*name:\s*"(\w+)",\s*targets:\s*\[([^\]]*)\]', src):
            self.products[m.group(1)] = re.findall(r'"(\w+)"', m.group(2))
        p = re.search(r"\.iOS\(\.v(\d+)\)", src)
        self.ios = p.group(1) + ".0" if p else None
        block = re.search(r"// BEGIN core release.*?\n(.*?)// END core release", src, re.S)
        self.release_block = (
            "\n".join(l for l in block.group(1).splitlines() if not l.lstrip().startswith("//")) if block else None
        )


def check_package(files, bindings_src):
    out = []
    rel = "ios/Package.swift"
    src = files.text(rel)
    if src is None:
        return [f(rel, "Package.swift", "missing")], None
    pkg = Package(src)
    if b"nonisolated(unsafe)" in bindings_src and (pkg.tools is None or pkg.tools < (5, 10)):
        out.append(f(rel, "Package.swift", "the bindings use nonisolated(unsafe): swift-tools-version must be 5.10 "
                                           "or later (Xcode 15.3+), or Xcode stops at the bindings"))
    module = re.search(rb"module\s+(\w+)", files.read("ios/HoumonCoreFFI/HoumonCoreFFI.modulemap") or b"")
    module = module.group(1).decode() if module else None
    binaries = [n for n, t in pkg.targets.items() if t["kind"] == "binaryTarget"]
    if binaries != [module]:
        out.append(f(rel, "Package.swift", f"the binary target is {binaries}, the bindings' module map names {module}"))
    for n, t in pkg.targets.items():
        if t["kind"] == "binaryTarget":
            if t["path"] is not None and t["path"] != "HoumonCoreFFI.xcframework":
                out.append(f(rel, "Package.swift", f"the local core is {t['path']}: build-xcframework.sh makes "
                                                   "HoumonCoreFFI.xcframework"))
            continue
        if t["path"] is None or not files.is_dir("ios/" + t["path"]):
            out.append(f(rel, "Package.swift", f"target {n}: path {t['path']} is not a folder of ios/"))
        for d in t["deps"]:
            if d not in pkg.targets:
                out.append(f(rel, "Package.swift", f"target {n} depends on {d}, which is no target"))
    core = pkg.targets.get("HoumonCore")
    if core is None or '.linkedFramework("Security")' not in core["body"]:
        out.append(f(rel, "Package.swift", "HoumonCore must link Security (the core's SecRandomCopyBytes), "
                                           "not rely on an import elsewhere"))
    for p, ts in pkg.products.items():
        for t in ts:
            if t not in pkg.targets:
                out.append(f(rel, "Package.swift", f"product {p} names target {t}, which does not exist"))
    out += check_release(rel, pkg, bindings_src)
    return out, pkg


def check_release(rel, pkg, bindings_src):
    block = pkg.release_block
    if block is None:
        return [f(rel, "release", "no `// BEGIN core release` block: what a release links must be in git")]
    if re.fullmatch(r"\s*let coreRelease: \(url: String, checksum: String, bindings: String\)\? = nil\s*", block):
        return []
    m = re.fullmatch(r'\s*let coreRelease: \(url: String, checksum: String, bindings: String\)\? = \(\s*'
                     r'url: "([^"]+)",\s*checksum: "([^"]+)",\s*bindings: "([^"]+)"\s*\)\s*', block)
    if not m:
        return [f(rel, "release", "the core release block is neither nil nor (url:checksum:bindings:) "
                                  "as build-xcframework.sh writes it")]
    url, checksum, bindings = m.groups()
    out = []
    if not url.startswith("https://") or not url.endswith(".zip"):
        out.append(f(rel, "release", f"the release URL {url} is not an https URL of a zip"))
    if not re.fullmatch(r"[0-9a-f]{64}", checksum):
        out.append(f(rel, "release", f"the release checksum {checksum} is not SwiftPM's (64 hex digits)"))
    now = hashlib.sha256(bindings_src).hexdigest()
    if bindings != now:
        out.append(f(rel, "release", f"the recorded release was built from other bindings ({bindings[:12]}…, "
                                     f"HoumonCore.swift is {now[:12]}…): make a new release with "
                                     "ios/build-xcframework.sh --release"))
    return out


# ---------------------------------------------------------------- project.yml

def check_project_yml(files, pkg):
    out = []
    rel = "ios/project.yml"
    raw = files.text(rel)
    if raw is None:
        return [f(rel, "project.yml", "missing")], None
    try:
        spec = yaml.safe_load(raw)
    except yaml.YAMLError as e:
        return [f(rel, "project.yml", f"does not parse: {e}")], None
    targets = spec.get("targets") or {}
    apps = {n: t for n, t in targets.items() if (t or {}).get("type") == "application"}
    if len(apps) != 1:
        return [f(rel, "project.yml", f"expected one application target, found {sorted(apps)}")], None
    name, t = next(iter(apps.items()))
    if t.get("platform") != "iOS":
        out.append(f(rel, "project.yml", f"target {name}: platform is {t.get('platform')}, not iOS"))
    settings = ((t.get("settings") or {}).get("base") or {})
    for key, setting in (("info", "INFOPLIST_FILE"), ("entitlements", "CODE_SIGN_ENTITLEMENTS")):
        spec_part = t.get(key)
        if spec_part is not None and not (spec_part or {}).get("properties"):
            out.append(f(rel, "project.yml", f"`{key}:` has no `properties:`: xcodegen generate would rewrite "
                                             f"{(spec_part or {}).get('path')} with only its defaults; name the file "
                                             f"in {setting} instead"))
        path = settings.get(setting)
        if spec_part is None and path is None:
            out.append(f(rel, "project.yml", f"neither `{key}:` nor {setting}: the app would have no {key}"))
        if path is not None and not files.exists("ios/" + path):
            out.append(f(rel, "project.yml", f"{setting} names {path}, which is not in ios/"))
    if str(settings.get("GENERATE_INFOPLIST_FILE", "NO")).upper() in ("YES", "TRUE") and settings.get("INFOPLIST_FILE"):
        out.append(f(rel, "project.yml", "GENERATE_INFOPLIST_FILE is YES beside INFOPLIST_FILE"))
    version = settings.get("SWIFT_VERSION")
    if not isinstance(version, str) or version not in SWIFT_VERSIONS:
        out.append(f(rel, "project.yml", f"SWIFT_VERSION is {version!r}: Xcode takes a language mode, "
                                         f"{' or '.join(sorted(SWIFT_VERSIONS))} (as a quoted string)"))
    if not settings.get("PRODUCT_BUNDLE_IDENTIFIER"):
        out.append(f(rel, "project.yml", "no PRODUCT_BUNDLE_IDENTIFIER"))
    if str(settings.get("TARGETED_DEVICE_FAMILY")) != "1":
        out.append(f(rel, "project.yml", "TARGETED_DEVICE_FAMILY must be \"1\" (iPhone: iPads cannot read NFC tags)"))
    deploy = str(((spec.get("options") or {}).get("deploymentTarget") or {}).get("iOS"))
    if pkg is not None and pkg.ios != deploy:
        out.append(f(rel, "project.yml", f"deploymentTarget iOS {deploy} differs from Package.swift's {pkg.ios}"))
    packages = spec.get("packages") or {}
    for pname, p in packages.items():
        if not files.exists("ios/" + (p or {}).get("path", "") + "/Package.swift"):
            out.append(f(rel, "project.yml", f"package {pname}: no Package.swift at {(p or {}).get('path')}"))
    for dep in t.get("dependencies") or []:
        if "package" in dep:
            if dep["package"] not in packages:
                out.append(f(rel, "project.yml", f"dependency on package {dep['package']}, which is not listed"))
            elif pkg is not None and dep.get("product") not in pkg.products:
                out.append(f(rel, "project.yml", f"product {dep.get('product')} is not one of Package.swift's "
                                                 f"{sorted(pkg.products)}"))
    resources = []
    for s in t.get("sources") or []:
        s = {"path": s} if isinstance(s, str) else s
        path = s.get("path", "")
        if not files.exists("ios/" + path):
            out.append(f(rel, "project.yml", f"source {path} is not in ios/"))
        for ex in s.get("excludes") or []:
            if not files.exists(f"ios/{path}/{ex}"):
                out.append(f(rel, "project.yml", f"excluded {path}/{ex} is not there (a renamed file would be compiled or copied)"))
        if s.get("buildPhase") == "resources":
            resources.append(path)
    if not any(r.endswith("PrivacyInfo.xcprivacy") for r in resources):
        out.append(f(rel, "project.yml", "PrivacyInfo.xcprivacy is not a resource of the app"))
    for script in t.get("preBuildScripts") or []:
        m = re.search(r'\$SRCROOT/([\w./-]+)', script.get("script", ""))
        if m and not files.is_exec("ios/" + m.group(1)):
            out.append(f(rel, "project.yml", f"pre-build script {m.group(1)} is not an executable file of ios/"))
    return out, {"name": name, "settings": settings, "products": [d.get("product") for d in t.get("dependencies") or []
                                                                   if "product" in d]}


# -------------------------------------------------------------------- plists

def literal_of(swift, name):
    m = re.search(rf'static let {name}\s*=\s*"([^"]+)"', swift)
    return m.group(1) if m else None


def task_ids(swift_by_file):
    """BGTask identifiers the code registers, submits or cancels."""
    ids, kinds = set(), set()
    for rel, s in swift_by_file.items():
        for m in re.finditer(r'(?:forTaskWithIdentifier|BG(AppRefresh|Processing)TaskRequest\(identifier|'
                             r'taskRequestWithIdentifier):\s*("[^"]+"|\w+)', s):
            if m.group(1):
                kinds.add(m.group(1))
            arg = m.group(2)
            ids.add(arg.strip('"') if arg.startswith('"') else (literal_of(s, arg) or f"<{arg}?>"))
    return ids, kinds


def check_plists(files, aids, swift_by_file):
    out = []
    info = load_plist(files, "ios/App/Info.plist", out)
    ent = load_plist(files, "ios/App/Houmon.entitlements", out)
    if info is None or ent is None:
        return out
    r_info, r_ent = "ios/App/Info.plist", "ios/App/Houmon.entitlements"
    got = info.get(SELECT)
    if got is None or sorted(got) != aids or len(set(got)) != len(got):
        out.append(f(r_info, "plist", f"{SELECT} is {got}, expected exactly the core's allow-list {aids}"))
    if SELECT in ent:
        out.append(f(r_ent, "plist", f"{SELECT} is an Info.plist key, not an entitlement: no provisioning profile "
                                     "grants it and signing fails"))
    if ent.get(FORMATS) != ["TAG"]:
        out.append(f(r_ent, "plist", f"{FORMATS} must be exactly [TAG]"))
    extra = set(ent) - {FORMATS, SELECT}
    if extra:
        out.append(f(r_ent, "plist", f"entitlements the app does not use: {sorted(extra)}"))
    if "nfc" not in info.get("UIRequiredDeviceCapabilities", []):
        out.append(f(r_info, "plist", "UIRequiredDeviceCapabilities lacks nfc"))
    allswift = "\n".join(swift_by_file.values())
    usage = [("NFCReaderUsageDescription", r"\bimport CoreNFC\b", "CoreNFC"),
             ("NSCameraUsageDescription", r"\b(DataScannerViewController|AVCaptureDevice)\b", "the camera"),
             ("NSFaceIDUsageDescription", r"\bLAContext\b", "Face ID")]
    for key, pattern, what in usage:
        if re.search(pattern, allswift) and not JAPANESE.search(info.get(key, "")):
            out.append(f(r_info, "plist", f"the app uses {what}: {key} must say why, in Japanese"))
    if not isinstance(info.get("ITSAppUsesNonExemptEncryption"), bool):
        out.append(f(r_info, "plist", "ITSAppUsesNonExemptEncryption is not decided (a boolean): every upload "
                                      "would ask the export-compliance question"))
    ids, kinds = task_ids(swift_by_file)
    permitted = set(info.get("BGTaskSchedulerPermittedIdentifiers", []))
    if ids != permitted:
        out.append(f(r_info, "plist", f"BGTaskSchedulerPermittedIdentifiers {sorted(permitted)} differ from the ids "
                                      f"the code uses {sorted(ids)}"))
    modes = set(info.get("UIBackgroundModes", []))
    need = {"fetch"} if "AppRefresh" in kinds else set()
    need |= {"processing"} if "Processing" in kinds else set()
    if modes != need:
        out.append(f(r_info, "plist", f"UIBackgroundModes {sorted(modes)}: the code's tasks need exactly {sorted(need)}"))
    return out


def check_privacy(files, swift_by_file):
    out = []
    rel = "ios/App/PrivacyInfo.xcprivacy"
    manifest = load_plist(files, rel, out)
    if manifest is None:
        return out
    if manifest.get("NSPrivacyTracking") is not False:
        out.append(f(rel, "privacy", "NSPrivacyTracking must be false (the app tracks nobody)"))
    declared = {}
    for entry in manifest.get("NSPrivacyAccessedAPITypes", []):
        cat = entry.get("NSPrivacyAccessedAPIType")
        reasons = set(entry.get("NSPrivacyAccessedAPITypeReasons", []))
        if cat not in REASONS:
            out.append(f(rel, "privacy", f"{cat} is not a required-reason category"))
            continue
        bad = reasons - REASONS[cat]
        if bad or not reasons:
            out.append(f(rel, "privacy", f"{cat}: {sorted(bad) or 'no reason'} is not one of {sorted(REASONS[cat])}"))
        declared[cat] = reasons
    for cat, (reason, why) in CORE_NEEDS.items():
        if reason not in declared.get(cat, set()):
            out.append(f(rel, "privacy", f"{cat} {reason} is missing ({why}, in the statically linked core)"))
    allswift = "\n".join(swift_by_file.values())
    ud = "NSPrivacyAccessedAPICategoryUserDefaults"
    if re.search(r"\bUserDefaults\b", allswift):
        if ud not in declared:
            out.append(f(rel, "privacy", f"the app reads UserDefaults: declare {ud}"))
        elif "com.apple.configuration.managed" in allswift and "AC6B.1" not in declared[ud]:
            out.append(f(rel, "privacy", f"{ud}: the managed app configuration is read, which is AC6B.1"))
    elif ud in declared:
        out.append(f(rel, "privacy", f"{ud} is declared but no code uses UserDefaults"))
    return out


# ----------------------------------------------------------- code vs. rules

def check_keychain(swift_by_file):
    out = []
    adds = [r for r, s in swift_by_file.items() if "SecItemAdd" in s]
    for rel, s in swift_by_file.items():
        for m in re.finditer(r"\bkSecAttrAccessible\w+", s):
            if m.group(0) != KEYCHAIN_CLASS:
                line = s[:m.start()].count("\n") + 1
                out.append(f(f"{rel}:{line}", "keychain", f"{m.group(0)}: the store's key must be {KEYCHAIN_CLASS} "
                                                          "(readable by the background sync, never in a backup)"))
        if "SecItemAdd" in s and KEYCHAIN_CLASS not in s:
            out.append(f(rel, "keychain", f"SecItemAdd without {KEYCHAIN_CLASS}"))
    for rel in adds:
        if "errSecDuplicateItem" not in swift_by_file[rel]:
            out.append(f(rel, "keychain", "SecItemAdd without handling errSecDuplicateItem (two first uses race)"))
    if not adds:
        out.append(f("ios/App", "keychain", "no SecItemAdd: where is the store's key kept?"))
    return out


def check_logging(swift_by_file):
    out = []
    for rel, s in swift_by_file.items():
        for m in re.finditer(r"\\\((.+?),\s*privacy:\s*\.public\)", s):
            if m.group(1).strip() not in PUBLIC_LOG:
                line = s[:m.start()].count("\n") + 1
                out.append(f(f"{rel}:{line}", "logging", f"`{m.group(1).strip()}` is logged .public: only values "
                                                         f"known to hold no personal data may be ({sorted(PUBLIC_LOG)})"))
    return out


def check_imports(own, pkg, project, rel_of):
    out = []
    package_modules = set(pkg.targets) if pkg else set()
    for path, modules in own.imports.items():
        rel = rel_of(path)
        m = re.match(r"ios/Sources/(\w+)/", rel)
        target = m.group(1) if m else None
        if target in IMPORTS:
            bad = set(modules) - IMPORTS[target]
            if bad:
                out.append(f(rel, "imports", f"{target} may import only {sorted(IMPORTS[target])}, not {sorted(bad)}"))
        if target and pkg and target in pkg.targets:
            allowed = set(pkg.targets[target]["deps"])
            for mod in modules:
                if mod in package_modules and mod != target and mod not in allowed:
                    out.append(f(rel, "imports", f"{target} imports {mod}, which is not among its dependencies in "
                                                 "Package.swift (imports run one way)"))
        if rel.startswith("ios/App/") and project is not None:
            for mod in modules:
                if mod in package_modules and mod not in project["products"]:
                    out.append(f(rel, "imports", f"the app imports {mod}, which project.yml does not link"))
    return out


def check_combine(src_by_file, rel_of):
    """ObservableObject and @Published are Combine's: a file that uses them
    imports Combine (or SwiftUI, which re-exports it)."""
    out = []
    for path, s in src_by_file.items():
        if re.search(r":\s*[^{]*\bObservableObject\b|@Published\b", s) and not re.search(r"^import (Combine|SwiftUI)\b", s, re.M):
            out.append(f(rel_of(path), "imports", "ObservableObject/@Published without `import Combine` "
                                                  "(an error in Swift 6, a warning in Xcode 15)"))
    return out


def check_managed_config(files, config_rs, swift_by_file):
    out = []
    rel = "ios/ManagedAppConfig.plist"
    example = load_plist(files, rel, out)
    policy = re.search(r"pub struct ClinicPolicy \{(.*?)\n\}", config_rs, re.S)
    fields = set(re.findall(r"pub (\w+):", policy.group(1))) if policy else set()
    variants = re.search(r"pub enum SignInPolicy \{(.*?)\n\}", config_rs, re.S)
    values = {snake(v) for v in re.findall(r"^\s*(\w+),", variants.group(1), re.M)} if variants else set()
    reader = next((s for r, s in swift_by_file.items() if "com.apple.configuration.managed" in s), "")
    read = set(re.findall(r'(?:values\[|flag\(|count\()"(\w+)"', reader))
    expected = fields | APP_ONLY
    if example is not None and set(example) != expected:
        out.append(f(rel, "mdm", f"keys {sorted(set(example) ^ expected)} differ from the core's ClinicPolicy "
                                 "fields and the app's own (device_name, lock_after_minutes)"))
    if read != expected:
        out.append(f("ios/App/Platform/ManagedConfig.swift", "mdm",
                     f"reads {sorted(read)}, the managed configuration has {sorted(expected)}"))
    cases = set(re.findall(r'case "(\w+)"\?', reader))
    if cases != values:
        out.append(f("ios/App/Platform/ManagedConfig.swift", "mdm", f"sign_in values {sorted(cases)} are not the "
                                                                    f"core's SignInPolicy {sorted(values)}"))
    if example is not None and example.get("sign_in") not in values:
        out.append(f(rel, "mdm", f"sign_in {example.get('sign_in')!r} is not one of {sorted(values)}"))
    return out
