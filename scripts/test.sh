#!/usr/bin/env bash
# The test command: formatting, lints, every test, then the whole-suite APDU
# audit. If pcscd, vsmartcard-vpcd and OpenSC are installed, the PC/SC
# interop test runs too (pcscd is started here with tests/pcsc/vpcd.conf
# unless a vpcd reader is already up). Set HOUMON_REQUIRE_TOOLS=1 to make
# missing tools a failure instead of a skip (.ci/run does).
set -euo pipefail
cd "$(dirname "$0")/.."

export HOUMON_APDU_AUDIT_DIR="${HOUMON_APDU_AUDIT_DIR:-$PWD/target/apdu-audit}"
rm -rf "$HOUMON_APDU_AUDIT_DIR"
mkdir -p "$HOUMON_APDU_AUDIT_DIR"

pcscd_pid=""
cleanup() {
  if [ -n "$pcscd_pid" ]; then
    kill "$pcscd_pid" 2>/dev/null || sudo -n kill "$pcscd_pid" 2>/dev/null || true
  fi
}
trap cleanup EXIT
if command -v pcscd >/dev/null && command -v opensc-tool >/dev/null \
   && ! opensc-tool --list-readers 2>/dev/null | grep -q "Virtual PCD"; then
  mkdir -p "$PWD/target"
  as_root=""
  if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null; then as_root="sudo"; fi
  $as_root pcscd --foreground --config "$PWD/tests/pcsc" >"$PWD/target/pcscd.log" 2>&1 &
  pcscd_pid=$!
  for _ in $(seq 50); do
    opensc-tool --list-readers 2>/dev/null | grep -q "Virtual PCD" && break
    sleep 0.2
  done
fi

# The first run is on SQLite (the embedded default); PostgreSQL comes after.
pg_database="${HOUMON_TEST_DATABASE:-}"
unset HOUMON_TEST_DATABASE

cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings
cargo test --workspace

# PostgreSQL, when a test database is named (.ci/run starts one from
# Debian's packages): the engine's own tests (clinics kept apart, the
# upgrade, append-only triggers), then the server's end-to-end suites again
# with every clinic on PostgreSQL.
if [ -n "$pg_database" ]; then
  export HOUMON_TEST_DATABASE="$pg_database"
  # (--workspace: the same features as above, so nothing is built again.)
  # (They are #[ignore]d, so that a run without a database reports them
  # as ignored rather than passed.)
  cargo test --workspace --lib -- db::pg_tests --ignored
  cargo test --workspace --test sync_e2e --test batch_sync --test console \
    --test security --test crash --test server_crash --test follow_ups --test round_days
  unset HOUMON_TEST_DATABASE
elif [ -n "${HOUMON_REQUIRE_TOOLS:-}" ]; then
  echo "HOUMON_REQUIRE_TOOLS is set but HOUMON_TEST_DATABASE names no PostgreSQL database" >&2
  exit 1
else
  echo "skipping the PostgreSQL run (set HOUMON_TEST_DATABASE, e.g. \"host=/var/run/postgresql dbname=houmon_test\")"
fi

# PC/SC interop (pcscd + vpcd + OpenSC + jpki-rs), when the tools are here.
if opensc-tool --list-readers 2>/dev/null | grep -q "Virtual PCD" \
   && pkg-config --exists libpcsclite 2>/dev/null; then
  cargo clippy -p houmon-tests --features pcsc-interop --all-targets -- -D warnings
  cargo test -p houmon-tests --features pcsc-interop --test pcsc_interop
elif [ -n "${HOUMON_REQUIRE_TOOLS:-}" ]; then
  echo "HOUMON_REQUIRE_TOOLS is set but pcscd/vpcd/OpenSC/libpcsclite-dev are missing" >&2
  exit 1
else
  echo "skipping the PC/SC interop test (install pcscd vsmartcard-vpcd opensc libpcsclite-dev pkg-config)"
fi

# --- Android (owner: the Android shell) -----------------------------------
# The Kotlin side on the JVM (kotlinc from npm, JNA from Debian, jars from
# Maven Central, Robolectric's classpath by mvn): the binding test, the
# Android shell's journeys, the platform glue compiled against the framework
# classes and run under Robolectric; then what no compiler here checks in
# the Android build (scripts/android-check.py; --bindgen: the Gradle task's
# bindgen on a --profile mobile host build, in CI).
if command -v java >/dev/null && command -v npm >/dev/null && command -v curl >/dev/null \
   && command -v mvn >/dev/null && command -v unzip >/dev/null && [ -f /usr/share/java/jna.jar ]; then
  cargo clippy -p houmon-ffi --features test-card --all-targets -- -D warnings
  ./scripts/kotlin-test.sh
  if [ -n "${CI:-}" ]; then
    python3 scripts/android-check.py --bindgen --clean
  else
    python3 scripts/android-check.py
  fi
elif [ -n "${HOUMON_REQUIRE_TOOLS:-}" ]; then
  echo "HOUMON_REQUIRE_TOOLS is set but java/npm/curl/mvn/unzip/libjna-java are missing" >&2
  exit 1
else
  echo "skipping the Kotlin and Android tests (install a JDK, npm, curl, maven, unzip and libjna-java)"
fi
# --- end Android -----------------------------------------------------------

# The app sources no compiler here builds (Compose UI, the iOS app, XML
# resources, plists): parsed with tree-sitter grammars from PyPI.
if command -v python3 >/dev/null && python3 -c "import venv, ensurepip" 2>/dev/null; then
  ./scripts/parse-check.sh
elif [ -n "${HOUMON_REQUIRE_TOOLS:-}" ]; then
  echo "HOUMON_REQUIRE_TOOLS is set but python3 with venv is missing" >&2
  exit 1
else
  echo "skipping the parse check of the app sources (install python3-venv)"
fi

# The mutation check, bounded to what fits (docs/testing.md): every mutant
# of the phone's queue must be caught by its tests. The whole check of the
# risky files is scripts/mutants.sh, run before committing.
if command -v cargo-mutants >/dev/null; then
  ./scripts/mutants.sh --bounded
elif [ -n "${HOUMON_REQUIRE_TOOLS:-}" ]; then
  echo "HOUMON_REQUIRE_TOOLS is set but cargo-mutants is missing (cargo install cargo-mutants --version 27.1.0 --locked)" >&2
  exit 1
else
  echo "skipping the bounded mutation check (cargo install cargo-mutants --version 27.1.0 --locked)"
fi

# Last: every APDU any virtual card received during the runs above.
cargo test -p houmon-tests --test apdu_audit -- --ignored --nocapture
echo "all tests passed"
