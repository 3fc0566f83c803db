#!/usr/bin/env bash
# The mutation check of a change, before committing it (docs/testing.md):
# cargo-mutants on the risky files the change touches (git diff against
# BASE, default main), each group with the tests that guard it. By default
# only the mutants in the lines the change touched (--in-diff); --whole-files
# takes every mutant of the touched files.
#
#   scripts/mutants.sh [--whole-files] [BASE]
#   scripts/mutants.sh --bounded    # what scripts/test.sh runs: the phone's
#                                   # queue (store/src/{queue,batch}.rs), whole
#
# Needs `cargo install cargo-mutants`. Exits 2 if a mutant survived (the
# report is in target/mutants/<group>/mutants.out/missed.txt), 0 if every
# one was caught, 1 on an error. Run the tests first: the baseline run is
# skipped (cargo-mutants 27 runs its baseline on the mutated package's
# tests only, ignoring --test-package). Environment: MUTANTS_JOBS (default
# 1: two shared cores), MUTANTS_TIMEOUT (seconds per test run, default 120).
set -euo pipefail
cd "$(dirname "$0")/.."

whole=""
bounded=""
case "${1:-}" in
  --whole-files) whole=1; shift ;;
  --bounded) bounded=1; whole=1; shift ;;
esac
base="${1:-main}"
command -v cargo-mutants >/dev/null || { echo "cargo-mutants is missing: cargo install cargo-mutants" >&2; exit 1; }
[ -n "$bounded" ] || git rev-parse --verify -q "$base^{commit}" >/dev/null || { echo "no such base: $base" >&2; exit 1; }

out="$PWD/target/mutants"
mkdir -p "$out"
# The files that guard patients' data and the card policy (issue 24).
risky='^(server/src/ingest/.*|server/src/admin|server/src/console/auth|server/src/console/followups|server/src/db/(console|devices|rounds|audit)|sync/src/upload|store/src/(queue|batch)|ffi/src/session|core/src/card/guard|core/src/visit/.*)\.rs$'
if [ -n "$bounded" ]; then
  touched=(store/src/queue.rs store/src/batch.rs)
else
  mapfile -t touched < <(git diff --name-only "$base" -- '*.rs' | grep -E "$risky" || true)
  if [ "${#touched[@]}" -eq 0 ]; then
    echo "no risky file differs from $base: nothing to mutate"
    exit 0
  fi
  git diff "$base" -- "${touched[@]}" >"$out/change.diff"
fi

# Mutants of a mutated copy build into a target folder of their own, kept
# between runs (the dependencies are built once).
export CARGO_TARGET_DIR="$out/target"
# Incremental builds, whatever the caller set (CI sets 0 for its one-off
# build): each mutant changes one function, and rebuilding the mutated
# crate incrementally took a server mutant's build from 110-150 s to
# 35-60 s here (docs/testing.md, "A fourth sample").
export CARGO_INCREMENTAL=1
common=(-j "${MUTANTS_JOBS:-1}" --baseline skip --timeout "${MUTANTS_TIMEOUT:-120}" --build-timeout 1200
        --copy-target=false -E 'with DbResult::')
[ -n "$whole" ] || common+=(--in-diff "$out/change.diff")

status=0
group() {
  local name=$1 pattern=$2; shift 2
  local files=() f
  for f in "${touched[@]}"; do [[ $f =~ $pattern ]] && files+=(-f "$f"); done
  [ "${#files[@]}" -gt 0 ] || return 0
  echo "== $name: ${files[*]}"
  local rc=0
  cargo mutants "${common[@]}" -o "$out/$name" "${files[@]}" "$@" || rc=$?
  case $rc in
    0) ;;
    2|3) status=2 ;;  # survivors (2) or time-outs (3)
    *) echo "cargo-mutants failed ($rc) for $name" >&2; exit 1 ;;
  esac
}
E2E=(--test batch_sync --test console --test security --test sync_e2e --test garbage_input --test shared_phone
     --test transport_limits --test follow_ups --test round_days)
group server '^server/' --test-package houmon-server --test-package houmon-tests -- --lib "${E2E[@]}"
group sync '^sync/' --test-package houmon-sync --test-package houmon-tests -- --lib --test sync_e2e --test batch_sync --test transport_limits
group store '^store/' --test-package houmon-store
group ffi '^ffi/' --test-package houmon-ffi
group core '^core/' --test-package houmon-core --test-package houmon-tests -- --lib --test card_flows --test card_faults --test visit_flow
if [ "$status" -ne 0 ]; then
  echo "mutants survived: see $out/*/mutants.out/missed.txt (kill them with a test, or list them as equivalent in docs/testing.md)" >&2
fi
exit "$status"
