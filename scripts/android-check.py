#!/usr/bin/env python3
"""What no compiler here checks in the Android build (no Android SDK, no
Gradle, no Google Maven on these machines):

  catalog   the version catalog is a set supported together: AGP, Kotlin
            (its R8), Gradle (the wrapper), compileSdk/targetSdk, the NDK,
            the Compose BOM's age; AGP 9's built-in Kotlin; no JDK toolchain
            that needs a resolver
  build     the cargo tasks do not depend on the caller's machine: cargo not
            from PATH alone, the pinned NDK handed to cargo-ndk, manifests
            and the lockfile as inputs; symbols kept for the bindgen; no
            Gradle unit-test sources it cannot run
  wrapper   the Gradle wrapper is committed whole: `gradlew` (executable,
            LF), `gradlew.bat` (CRLF), the wrapper jar with the SHA-256
            android/README.md records; `./gradlew --version` starts, reads
            the properties and asks for exactly their distribution (the
            download itself is refused here: a proxy on a closed port)
  align     16 KB pages: the linker flag for every Android target, an NDK of
            r28 or later
  manifest  exported components, backup rules that exclude everything,
            FLAG_SECURE wired to the core's view, a persisted job with its
            permission, the launcher icon, no orientation lock, predictive
            back, lock task, managed configuration whose keys are those the
            app reads and that cover the core's ClinicPolicy
  elf       `readelf -l` of every native library the app packages that can
            be fetched here (JNA's, for the ABIs the build packages) and of
            the mobile host build if there is one: every LOAD segment
            aligned to at least 16 KB
  bindgen   (slow; --bindgen) the very cargo environment and uniffi-bindgen
            command line the Gradle tasks use, on a `--profile mobile` host
            build: bindings come out, and the library is 16 KB-aligned

Usage: android-check.py [--android DIR] [--bindgen [--clean]] [CHECK...]
Prints one line per finding and "android-check: N passed, N failed".
"""
import argparse
import hashlib
import os
import pathlib
import re
import shlex
import subprocess
import sys
import tempfile
import tomllib
import zipfile
import xml.etree.ElementTree as ET

REPO = pathlib.Path(__file__).resolve().parent.parent
A = "{http://schemas.android.com/apk/res/android}"

# From the AGP release notes and Android's Kotlin support table (the
# versions this project may use; add a row from the notes to move on).
#   AGP minor: minimum Gradle, highest compileSdk, bundled R8, release month
AGP = {
    "8.7": ("8.9", 35, "8.7", "2024-10"),
    "8.13": ("8.13", 36, "8.13", "2025-08"),
    "9.0": ("9.1.0", 36, "9.0", "2026-01"),
    "9.1": ("9.3.1", 36, "9.1", "2026-03"),
}
#   Kotlin minor: the R8 it needs (so the AGP that bundles it)
KOTLIN_R8 = {"2.0": "8.5", "2.1": "8.6", "2.2": "8.10", "2.3": "8.13", "2.4": "9.1"}
# The Compose BOM is no older than this many months before the AGP release.
BOM_MAX_AGE_MONTHS = 9
ANDROID_TRIPLES = {"arm64-v8a": "aarch64-linux-android", "x86_64": "x86_64-linux-android",
                   "armeabi-v7a": "armv7-linux-androideabi", "x86": "i686-linux-android"}
PAGE = 16384


def ver(s):
    return tuple(int(x) for x in re.findall(r"\d+", s))


def months(ym):
    y, m = ver(ym)[:2]
    return y * 12 + m


class Checks:
    def __init__(self, android: pathlib.Path):
        self.root = android
        self.results = []  # (check, ok, message)

    def ok(self, check, cond, message):
        self.results.append((check, bool(cond), message))
        return cond

    def read(self, rel):
        p = self.root / rel
        return p.read_text(encoding="utf-8") if p.exists() else ""

    def catalog(self):
        return tomllib.loads(self.read("gradle/libs.versions.toml"))

    # ---------------------------------------------------------------- catalog
    def check_catalog(self):
        c = "catalog"
        cat = self.catalog()
        v = cat.get("versions", {})
        agp = v.get("agp", "")
        row = AGP.get(".".join(agp.split(".")[:2]))
        if not self.ok(c, row, f"AGP {agp} is in the compatibility table"):
            return
        min_gradle, max_api, r8, released = row
        kotlin = v.get("kotlin", "")
        need = KOTLIN_R8.get(".".join(kotlin.split(".")[:2]))
        self.ok(c, need and ver(r8) >= ver(need),
                f"Kotlin {kotlin} needs R8 {need}+; AGP {agp} bundles R8 {r8}")
        props = self.read("gradle/wrapper/gradle-wrapper.properties")
        m = re.search(r"gradle-([\d.]+)-(bin|all)\.zip", props)
        wrapper = m.group(1) if m else "?"
        self.ok(c, m and ver(wrapper) >= ver(min_gradle),
                f"the Gradle wrapper ({wrapper}) is at least what AGP {agp} needs ({min_gradle})")
        self.ok(c, v.get("gradle") in (None, wrapper),
                f"the catalog's gradle ({v.get('gradle')}) is the wrapper's ({wrapper})")
        compile_sdk, target, min_sdk = (int(v.get(k, 0)) for k in ("compileSdk", "targetSdk", "minSdk"))
        self.ok(c, 0 < compile_sdk <= max_api, f"compileSdk {compile_sdk} is one AGP {agp} builds (up to {max_api})")
        self.ok(c, 0 < min_sdk <= target <= compile_sdk, f"minSdk {min_sdk} <= targetSdk {target} <= compileSdk {compile_sdk}")
        bom = v.get("composeBom", "")
        self.ok(c, bom and months(released) - months(bom) <= BOM_MAX_AGE_MONTHS,
                f"Compose BOM {bom} is no more than {BOM_MAX_AGE_MONTHS} months older than AGP {agp} ({released})")
        plugins = cat.get("plugins", {})
        kotlin_android = any(p.get("id") == "org.jetbrains.kotlin.android" for p in plugins.values())
        gradle_files = self.read("build.gradle.kts") + self.read("app/build.gradle.kts") + self.read("core/build.gradle.kts")
        if ver(agp) >= (9,):
            self.ok(c, not kotlin_android and "kotlin.android" not in gradle_files,
                    "AGP 9 compiles Kotlin itself: no org.jetbrains.kotlin.android plugin")
        compose = [p for p in plugins.values() if p.get("id") == "org.jetbrains.kotlin.plugin.compose"]
        self.ok(c, compose and all((p.get("version") or {}).get("ref") == "kotlin" for p in compose),
                "the Compose compiler plugin is Kotlin's own version")
        settings = self.read("settings.gradle.kts")
        self.ok(c, "jvmToolchain" not in gradle_files or "foojay" in settings,
                "no jvmToolchain that a machine without that JDK cannot resolve")

    # ------------------------------------------------------------------ build
    def cargo_env(self):
        core = self.read("core/build.gradle.kts")
        m = re.search(r"val cargoEnv = mapOf\((.*?)\n\)", core, re.S)
        return dict(re.findall(r'"([A-Z0-9_]+)" to "([^"]*)"', m.group(1))) if m else {}

    def check_build(self):
        c = "build"
        core = self.read("core/build.gradle.kts")
        tasks = re.findall(r"tasks\.registering\(Exec::class\)\s*\{(.*?)\n\}", core, re.S)
        self.ok(c, len(tasks) >= 2, "the cargo-ndk and bindgen tasks are there")
        for body in tasks:
            name = "cargoNdk" if "ndk" in body else "uniffiBindings"
            self.ok(c, not re.search(r'commandLine\(\s*(listOf\()?\s*"cargo"', body),
                    f"{name} does not run a bare `cargo` from PATH")
            self.ok(c, "environment(cargoEnv)" in body, f"{name} runs with the cargo environment (symbols kept)")
        ndk_task = next((b for b in tasks if "ndk" in b), "")
        self.ok(c, "ANDROID_NDK_HOME" in ndk_task and "ndkDirectory" in ndk_task,
                "cargo-ndk is handed the pinned NDK (ANDROID_NDK_HOME)")
        self.ok(c, "Cargo.lock" in ndk_task and re.search(r'resolve\("Cargo\.toml"\)', ndk_task),
                "the lockfile and the manifests are inputs (a dependency bump rebuilds)")
        env = self.cargo_env()
        self.ok(c, env.get("CARGO_PROFILE_MOBILE_STRIP") == "false",
                "the mobile library keeps its symbols for uniffi-bindgen (CARGO_PROFILE_MOBILE_STRIP=false)")
        self.ok(c, not (self.root / "app/src/test").exists(),
                "no app/src/test: Gradle's unit-test task compiles nothing it cannot run")

    # ---------------------------------------------------------------- wrapper
    def check_wrapper(self):
        c = "wrapper"
        gradlew, bat = self.root / "gradlew", self.root / "gradlew.bat"
        jar = self.root / "gradle/wrapper/gradle-wrapper.jar"
        if not self.ok(c, gradlew.exists() and bat.exists() and jar.exists(),
                       "gradlew, gradlew.bat and gradle/wrapper/gradle-wrapper.jar are there"):
            return
        self.ok(c, os.access(gradlew, os.X_OK), "gradlew is executable")
        # What git will hand a fresh clone: the mode it records, not the file's.
        staged = subprocess.run(["git", "ls-files", "-s", "--", str(gradlew)], cwd=self.root,
                                capture_output=True, text=True).stdout.split()
        self.ok(c, not staged or staged[0] == "100755", f"git records gradlew as executable ({staged[0] if staged else 'not yet added'})")
        self.ok(c, b"\r\n" not in gradlew.read_bytes(), "gradlew has LF line ends (a CRLF one fails in sh)")
        self.ok(c, b"\r\n" in bat.read_bytes(), "gradlew.bat has CRLF line ends")
        attrs = self.read(".gitattributes")
        self.ok(c, re.search(r"^gradlew\s.*eol=lf", attrs, re.M) and re.search(r"\*\.jar\s.*binary", attrs, re.M),
                "android/.gitattributes keeps gradlew LF and the jar binary")
        digest = hashlib.sha256(jar.read_bytes()).hexdigest()
        self.ok(c, digest in self.read("README.md"),
                f"the wrapper jar's SHA-256 ({digest[:16]}…) is the one android/README.md records")
        try:
            with zipfile.ZipFile(jar) as z:
                manifest = z.read("META-INF/MANIFEST.MF").decode()
        except (zipfile.BadZipFile, KeyError) as e:
            manifest = f"unreadable: {e}"
        self.ok(c, "Main-Class: org.gradle.wrapper.GradleWrapperMain" in manifest, "the jar is Gradle's wrapper")
        props = self.read("gradle/wrapper/gradle-wrapper.properties")
        m = re.search(r"^distributionUrl=(.*)$", props, re.M)
        url = m.group(1).replace("\\:", ":").strip() if m else "?"
        # Run it as a developer would, in a home of its own, with every
        # download sent to a proxy on a port nobody listens on.
        with tempfile.TemporaryDirectory() as home:
            env = dict(os.environ, GRADLE_USER_HOME=home,
                       JAVA_OPTS="-Dhttps.proxyHost=127.0.0.1 -Dhttps.proxyPort=9 -Dhttp.proxyHost=127.0.0.1 -Dhttp.proxyPort=9")
            env.pop("GRADLE_OPTS", None)
            try:
                r = subprocess.run(["sh", "./gradlew", "--version"], cwd=self.root, env=env,
                                   capture_output=True, text=True, timeout=120)
                out = r.stdout + r.stderr
            except subprocess.TimeoutExpired:
                out = "timed out"
        asked = re.search(r"Downloading (\S+)", out)
        self.ok(c, asked and asked.group(1) == url,
                f"./gradlew starts and asks for the pinned distribution ({asked.group(1) if asked else out.strip()[-200:]})")

    # ------------------------------------------------------------------ align
    def abis(self):
        app = self.read("app/build.gradle.kts") + self.read("core/build.gradle.kts")
        found = set(re.findall(r'"(arm64-v8a|x86_64|armeabi-v7a|x86)"', app))
        return sorted(found) or ["arm64-v8a"]

    def check_align(self):
        c = "align"
        env = self.cargo_env()
        for abi in self.abis():
            triple = ANDROID_TRIPLES[abi].upper().replace("-", "_")
            flags = env.get(f"CARGO_TARGET_{triple}_RUSTFLAGS", "")
            self.ok(c, f"max-page-size={PAGE}" in flags, f"{abi} is linked with max-page-size={PAGE}")
        core = self.read("core/build.gradle.kts")
        ndk = self.catalog().get("versions", {}).get("ndk")
        m = re.search(r'ndkVersion\s*=\s*"([\d.]+)"', core)
        pinned = ndk if "libs.versions.ndk" in core else (m.group(1) if m else None)
        self.ok(c, pinned and ver(pinned)[0] >= 28, f"NDK {pinned} (r28+ links 16 KB-aligned by default)")

    # --------------------------------------------------------------- manifest
    def check_manifest(self):
        c = "manifest"
        main = self.root / "app/src/main"
        man = ET.parse(main / "AndroidManifest.xml").getroot()
        app = man.find("application")
        perms = {p.get(A + "name") for p in man.findall("uses-permission")}
        for comp in list(app):
            if comp.tag not in ("activity", "service", "receiver", "provider"):
                continue
            name = comp.get(A + "name")
            launcher = any(a.get(A + "name") == "android.intent.action.MAIN"
                           for f in comp.findall("intent-filter") for a in f.findall("action"))
            exported = comp.get(A + "exported") == "true"
            self.ok(c, not exported or launcher, f"{name}: exported only if it is the launcher")
            if comp.tag == "service" and "Job" in (name or ""):
                self.ok(c, comp.get(A + "permission") == "android.permission.BIND_JOB_SERVICE",
                        f"{name} is protected by BIND_JOB_SERVICE")
            if comp.tag == "activity":
                self.ok(c, comp.get(A + "screenOrientation") is None,
                        f"{name}: no orientation lock (tablets, foldables, Android 16 large screens)")
                if launcher:
                    self.ok(c, comp.get(A + "lockTaskMode") in ("if_whitelisted", "always"),
                            f"{name}: lock task (kiosk) allowed for the clinic's MDM")
        self.ok(c, app.get(A + "allowBackup") == "false", "allowBackup is false")
        rules = app.get(A + "dataExtractionRules", "")
        rules_file = main / "res/xml" / (rules.split("/")[-1] + ".xml")
        if self.ok(c, rules_file.exists(), f"backup rules {rules} exist"):
            r = ET.parse(rules_file).getroot()
            for part in ("cloud-backup", "device-transfer"):
                ex = {e.get("domain") for e in r.findall(f"{part}/exclude")}
                self.ok(c, {"root", "file", "database", "sharedpref", "external"} <= ex,
                        f"{part} excludes every domain (the store too)")
        self.ok(c, app.get(A + "enableOnBackInvokedCallback") == "true", "predictive back is on")
        icon = app.get(A + "icon", "")
        self.ok(c, icon.startswith("@mipmap/") and any((main / "res").glob(f"mipmap*/{icon.split('/')[-1]}.*")),
                f"a launcher icon ({icon or 'none'})")
        theme = app.get(A + "theme", "")
        self.ok(c, theme.startswith("@style/") and (main / "res/values-night").exists(),
                f"an app theme with a night variant ({theme or 'none'})")
        src = "\n".join(p.read_text(encoding="utf-8") for p in (main / "kotlin").rglob("*.kt"))
        if "setPersisted(true)" in src:
            self.ok(c, "android.permission.RECEIVE_BOOT_COMPLETED" in perms,
                    "a persisted job has RECEIVE_BOOT_COMPLETED")
        self.ok(c, "setPersisted(true)" in src, "the sync job is persisted (survives a reboot)")
        self.ok(c, "FLAG_SECURE" in src and re.search(r"ScreenGuard\.apply\([^)]*protectScreen", src),
                "FLAG_SECURE follows the core's protect_screen")
        self.ok(c, re.search(r"want\([^)]*readerMode", src), "reader mode follows the core's reader_mode")
        # Managed configuration: the XML's keys, the code's keys, the core's policy.
        meta = [m for m in app.findall("meta-data") if m.get(A + "name") == "android.content.APP_RESTRICTIONS"]
        if not self.ok(c, meta, "managed configuration is declared (APP_RESTRICTIONS)"):
            return
        xml = main / "res/xml" / (meta[0].get(A + "resource", "").split("/")[-1] + ".xml")
        keys = {r.get(A + "key") for r in ET.parse(xml).getroot().findall("restriction")}
        code = set(re.findall(r'const val [A-Z_]+ = "([a-z_]+)"', (main / "kotlin/jp/houmon/app/shell/ManagedPolicy.kt").read_text(encoding="utf-8")))
        self.ok(c, keys == code, f"app_restrictions.xml keys are the ones the app reads ({sorted(keys ^ code) or 'same'})")
        config = (REPO / "ffi/src/app/config.rs").read_text(encoding="utf-8")
        policy = re.search(r"pub struct ClinicPolicy \{(.*?)\n\}", config, re.S)
        fields = set(re.findall(r"pub (\w+):", policy.group(1))) if policy else set()
        self.ok(c, fields and fields <= keys, f"every ClinicPolicy field can be managed ({sorted(fields - keys) or 'all'})")

    # -------------------------------------------------------------------- elf
    def load_aligns(self, so):
        out = subprocess.run(["readelf", "-lW", str(so)], capture_output=True, text=True, check=True).stdout
        return [int(l.split()[-1], 16) for l in out.splitlines() if l.strip().startswith("LOAD")]

    def check_elf(self):
        c = "elf"
        jna = self.catalog().get("versions", {}).get("jna")
        aar = subprocess.run([str(REPO / "scripts/maven-fetch.sh"), f"net.java.dev.jna:jna:{jna}:aar"],
                             capture_output=True, text=True)
        if not self.ok(c, aar.returncode == 0, f"JNA {jna}'s AAR from Maven Central"):
            return
        out = REPO / "target/android-check/jna" / jna
        out.mkdir(parents=True, exist_ok=True)
        subprocess.run(["unzip", "-o", "-q", aar.stdout.strip(), "jni/*", "-d", str(out)], check=True)
        for abi in self.abis():
            so = out / "jni" / abi / "libjnidispatch.so"
            if self.ok(c, so.exists(), f"JNA {jna} has {abi}"):
                aligns = self.load_aligns(so)
                print(f"  readelf -l {so.relative_to(REPO)}: LOAD align {', '.join(hex(a) for a in aligns)}")
                self.ok(c, aligns and min(aligns) >= PAGE, f"JNA {jna} {abi} libjnidispatch.so is 16 KB-aligned")
        mobile = REPO / "target/mobile/libhoumon_ffi.so"
        if mobile.exists():
            aligns = self.load_aligns(mobile)
            print(f"  readelf -l target/mobile/libhoumon_ffi.so: LOAD align {', '.join(hex(a) for a in aligns)}")
            self.ok(c, aligns and min(aligns) >= PAGE, "the mobile host build of the core is 16 KB-aligned")

    # ---------------------------------------------------------------- bindgen
    def check_bindgen(self):
        c = "bindgen"
        env = self.cargo_env()
        # The Android targets' flags, for the host target (same linker flag).
        android_flags = env.get("CARGO_TARGET_AARCH64_LINUX_ANDROID_RUSTFLAGS", "")
        host_env = {k: v for k, v in env.items() if not k.startswith("CARGO_TARGET_")}
        host_env["CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_RUSTFLAGS"] = android_flags
        run_env = dict(os.environ, **host_env)
        print("  " + " ".join(f"{k}={shlex.quote(v)}" for k, v in host_env.items()) +
              " cargo build -p houmon-ffi --profile mobile")
        b = subprocess.run(["cargo", "build", "-q", "-p", "houmon-ffi", "--profile", "mobile"], cwd=REPO, env=run_env)
        if not self.ok(c, b.returncode == 0, "the mobile host build"):
            return
        so = REPO / "target/mobile/libhoumon_ffi.so"
        core = self.read("core/build.gradle.kts")
        task = re.search(r"val uniffiBindings by tasks\.registering\(Exec::class\)\s*\{(.*?)\n\}", core, re.S)
        args = re.search(r"commandLine\((.*?)\n    \)", task.group(1), re.S) if task else None
        if not self.ok(c, args, "the bindgen task's command line"):
            return
        # The string words of the command line; the library the task names
        # (jniOut's arm64 .so) is replaced by the host build's.
        line = re.sub(r'[\w.()]*resolve\("[^"]*"\)\.path', "", args.group(1))
        words = re.findall(r'"([^"]*)"', line)
        out = REPO / "target/android-check/bindings"
        cmd = [w for w in words if w != "--out-dir"]
        # The task's own words, with its output and the library put here.
        cmd = ["cargo"] + cmd + ["--out-dir", str(out), str(so)]
        print("  " + " ".join(cmd[1:]))
        # The task's own environment: its Android-target flags do not touch
        # this host build of uniffi-bindgen (nor target/debug's cache).
        g = subprocess.run(cmd, cwd=REPO, env=dict(os.environ, **env), capture_output=True, text=True)
        kt = out / "jp/houmon/core/houmon.kt"
        self.ok(c, g.returncode == 0 and kt.exists() and kt.stat().st_size > 100_000,
                "uniffi-bindgen makes the Kotlin bindings from the mobile library"
                + ("" if g.returncode == 0 else f": {g.stderr.strip()[-300:]}"))
        aligns = self.load_aligns(so)
        self.ok(c, aligns and min(aligns) >= PAGE, f"the mobile library is 16 KB-aligned ({', '.join(hex(a) for a in aligns)})")


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--android", default=str(REPO / "android"), help="the Android project (default: android/)")
    ap.add_argument("--bindgen", action="store_true", help="also build --profile mobile and run the bindgen task's command")
    ap.add_argument("--clean", action="store_true", help="after --bindgen, keep only the library of the mobile build (CI's disk)")
    ap.add_argument("checks", nargs="*", help="catalog build wrapper align manifest elf bindgen (default: all but bindgen)")
    a = ap.parse_args(argv)
    names = a.checks or ["catalog", "build", "wrapper", "align", "manifest"] + (["bindgen"] if a.bindgen else []) + ["elf"]
    ch = Checks(pathlib.Path(a.android))
    for n in names:
        try:
            getattr(ch, f"check_{n}")()
        except Exception as e:  # a file missing or unparsable is a failed check
            ch.ok(n, False, f"could not check: {type(e).__name__}: {e}")
    if a.clean:
        import shutil
        for d in ("deps", "build", "incremental", ".fingerprint", "examples"):
            shutil.rmtree(REPO / "target/mobile" / d, ignore_errors=True)
    failed = 0
    for check, ok, msg in ch.results:
        print(f"{'ok  ' if ok else 'FAIL'} {check}: {msg}")
        failed += not ok
    print(f"android-check: {len(ch.results) - failed} passed, {failed} failed")
    return 1 if failed or not ch.results else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
