#!/usr/bin/env bash
# Installs what nsbgp needs on a fresh Debian/Ubuntu machine: FRR, traceroute, iproute2.
# Idempotent: installs only what is missing. Needs root (apt-get).
set -euo pipefail
need=()
[ -x /usr/lib/frr/bgpd ] && [ -x /usr/bin/vtysh ] || need+=(frr)
command -v traceroute >/dev/null 2>&1 || need+=(traceroute)
command -v ip >/dev/null 2>&1 || need+=(iproute2)
if [ "${#need[@]}" -gt 0 ]; then
  echo "installing: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need[@]}" >/dev/null
fi
if ! command -v cargo >/dev/null 2>&1; then
  echo "nsbgp needs a Rust toolchain (cargo 1.80 or newer): install it with rustup, then run this again" >&2
  exit 1
fi
