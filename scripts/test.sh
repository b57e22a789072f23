#!/usr/bin/env bash
# The whole test suite: unit tests and integration tests with real namespaces and FRR
# (or, given cargo test's arguments, part of it).
# Needs root. Every integration test uses its own lab name and router prefix and removes
# its lab even when it fails.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/common.sh
become_root "$0" "$@"
source scripts/install-deps.sh
# With arguments, only what they select, e.g. `scripts/test.sh --test paths down_dry_run`
# (cargo test's arguments; the harness's own go after a `--`, as with cargo).
if [ "$#" -gt 0 ]; then
  case " $* " in
    *" -- "*) exec cargo test "$@" --test-threads=2 ;;
    *) exec cargo test "$@" -- --test-threads=2 ;;
  esac
fi
if cargo fmt --version >/dev/null 2>&1; then cargo fmt --all -- --check; fi
cargo build --quiet --all-targets
# Two at a time: each integration test runs a real lab on this 2-core machine.
cargo test --quiet --no-fail-fast -- --test-threads=2
