#!/usr/bin/env bash
# Installs what nsbgp needs on a fresh Debian/Ubuntu machine: FRR, BIRD 2, traceroute, iproute2,
# tcpdump (`capture`), iptables (loss impairments without netem), ping (the impairment tests).
# Idempotent: installs only what is missing. Needs root (apt-get).
set -euo pipefail
need=()
[ -x /usr/lib/frr/bgpd ] && [ -x /usr/bin/vtysh ] || need+=(frr)
[ -x /usr/sbin/bird ] && id bird >/dev/null 2>&1 || need+=(bird2)
command -v traceroute >/dev/null 2>&1 || need+=(traceroute)
command -v ip >/dev/null 2>&1 || need+=(iproute2)
command -v tcpdump >/dev/null 2>&1 || need+=(tcpdump)
command -v iptables >/dev/null 2>&1 || need+=(iptables)
command -v ping >/dev/null 2>&1 || need+=(iputils-ping)
if [ "${#need[@]}" -gt 0 ]; then
  echo "installing: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need[@]}" >/dev/null
fi
# A Rust toolchain: Debian's packaged cargo is too old for nsbgp's dependencies, so use rustup.
if ! command -v cargo >/dev/null 2>&1 && [ -x "$HOME/.cargo/bin/cargo" ]; then
  export PATH="$HOME/.cargo/bin:$PATH"
fi
if ! command -v cargo >/dev/null 2>&1; then
  command -v curl >/dev/null 2>&1 || { apt-get update -qq; apt-get install -y -qq curl ca-certificates >/dev/null; }
  echo "installing a Rust toolchain with rustup (minimal profile + rustfmt)"
  curl -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal --component rustfmt >/dev/null
  export PATH="$HOME/.cargo/bin:$PATH"
fi
