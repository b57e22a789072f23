#!/usr/bin/env bash
# The main job on a fresh machine: install what is missing, build, bring up the classic
# 100-router chain, wait for BGP to converge, show status and a 99-hop traceroute.
# The lab stays up for you to explore; `target/release/nsbgp down --lab chain-100` removes it.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/common.sh
become_root "$0" "$@"
source scripts/install-deps.sh
cargo build --release --quiet
nsbgp=target/release/nsbgp
scripts/install-extras.sh "$nsbgp"
$nsbgp doctor -c configs/chain-100.toml
if $nsbgp list --json | grep -q '"lab": "chain-100"'; then
  echo "chain-100 is already up: reusing it (take it down with \`$nsbgp down --lab chain-100\`)"
else
  $nsbgp up -c configs/chain-100.toml --wait --timeout 180
fi
$nsbgp status --lab chain-100
$nsbgp trace --lab chain-100 --from ROUTER_99 --to world --expect-hops 99
cat <<MSG

The lab is up. Try:
  $nsbgp attach ROUTER_50            # ROUTER_50's bgpd vty (Ctrl-] leaves)
  $nsbgp vty all -c 'show ip bgp summary'
  $nsbgp check                        # hop-count tests across the chain
  man nsbgp                           # every command; \`nsbgp completions bash|zsh|fish\` are installed
  $nsbgp down --lab chain-100         # remove everything
MSG
