#!/usr/bin/env bash
# The whole test suite: unit tests and integration tests with real namespaces and FRR.
# Needs root. Every integration test uses its own lab name and router prefix and removes
# its lab even when it fails.
set -euo pipefail
cd "$(dirname "$0")/.."
# Labs need root (namespaces, mounts): become root through sudo when there is one.
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "$0: run as root (namespaces and mounts need it)" >&2; exit 2; }
  exec sudo -E env "PATH=$PATH" "$0" "$@"
fi
source scripts/install-deps.sh
if cargo fmt --version >/dev/null 2>&1; then cargo fmt --all -- --check; fi
cargo build --quiet --all-targets
# Two at a time: each integration test runs a real lab on this 2-core machine.
cargo test --quiet --no-fail-fast -- --test-threads=2
