#!/usr/bin/env bash
# The main job on a fresh machine: install what is missing, build, bring up the classic
# 100-router chain, wait for BGP to converge, show status and a 99-hop traceroute.
# The lab stays up for you to explore; `target/release/nsbgp down --lab chain-100` removes it.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cargo build --release --quiet
nsbgp=target/release/nsbgp
$nsbgp doctor -c configs/chain-100.toml
$nsbgp up -c configs/chain-100.toml --wait --timeout 180
$nsbgp status
$nsbgp trace --from ROUTER_99 --to world --expect-hops 99
cat <<MSG

The lab is up. Try:
  $nsbgp attach ROUTER_50            # ROUTER_50's bgpd vty (Ctrl-] leaves)
  $nsbgp vty all -c 'show ip bgp summary'
  $nsbgp check                        # hop-count tests across the chain
  $nsbgp down --lab chain-100         # remove everything
MSG
