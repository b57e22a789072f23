#!/usr/bin/env bash
# The classic way, kept as the benchmark's baseline: a shell loop of `ip netns add`,
# `ip link add … veth`, `ip addr`, and FRR zebra + bgpd started with `ip netns exec`, FRR's
# default timers. Usage: classic-chain.sh up N | down N | wait N TIMEOUT_S
# Namespaces are BASE_0 … BASE_{N-1}; state in /run/nsbgp-baseline. Root only.
set -euo pipefail
cmd=${1:?up|down|wait} n=${2:?router count}
state=/run/nsbgp-baseline
frr=/usr/lib/frr

up() {
  mkdir -p "$state"
  for ((k = 0; k < n; k++)); do
    ip netns add "BASE_$k"
    ip netns exec "BASE_$k" ip link set lo up
    ip netns exec "BASE_$k" sysctl -qw net.ipv4.ip_forward=1
  done
  for ((k = 1; k < n; k++)); do
    ip link add "b$k-up" netns "BASE_$k" type veth peer name "b$k-dn" netns "BASE_$((k - 1))"
    ip netns exec "BASE_$k" ip addr add "172.31.$k.1/24" dev "b$k-up"
    ip netns exec "BASE_$((k - 1))" ip addr add "172.31.$k.2/24" dev "b$k-dn"
    ip netns exec "BASE_$k" ip link set "b$k-up" up
    ip netns exec "BASE_$((k - 1))" ip link set "b$k-dn" up
  done
  for ((k = 0; k < n; k++)); do
    d="$state/BASE_$k"
    mkdir -p "$d"
    {
      echo "hostname BASE_$k"
      echo "password x"
      echo "router bgp $((100 + k))"
      echo " no bgp ebgp-requires-policy"
      if ((k > 0)); then echo " network 172.31.$k.0/24"; echo " neighbor 172.31.$k.2 remote-as $((99 + k))"; fi
      if ((k < n - 1)); then echo " network 172.31.$((k + 1)).0/24"; echo " neighbor 172.31.$((k + 1)).1 remote-as $((101 + k))"; fi
      echo " address-family ipv4 unicast"
      if ((k > 0)); then echo "  neighbor 172.31.$k.2 next-hop-self"; fi
      if ((k < n - 1)); then echo "  neighbor 172.31.$((k + 1)).1 next-hop-self"; fi
      if ((k == 0 && n > 1)); then echo "  neighbor 172.31.1.1 default-originate"; fi
      echo " exit-address-family"
    } > "$d/bgpd.conf"
    echo "hostname BASE_$k" > "$d/zebra.conf"
    chown -R frr:frr "$d"
    ip netns exec "BASE_$k" "$frr/zebra" -d -f "$d/zebra.conf" -i "$d/zebra.pid" -z "$d/zserv.api" \
      --vty_socket "$d" -A 127.0.0.1 -u frr -g frr 2>>"$d/stderr"
    ip netns exec "BASE_$k" "$frr/bgpd" -d -f "$d/bgpd.conf" -i "$d/bgpd.pid" -z "$d/zserv.api" \
      --vty_socket "$d" -A 127.0.0.1 -u frr -g frr 2>>"$d/stderr"
  done
}

# Until the far end has a default route (the classic measure), bounded.
wait_default() {
  local limit=${1:-600} t0=$SECONDS
  until ip netns exec "BASE_$((n - 1))" ip route show default | grep -q via; do
    if ((SECONDS - t0 >= limit)); then echo "no default route at BASE_$((n - 1)) after ${limit}s" >&2; return 1; fi
    sleep 0.2
  done
}

down() {
  for f in "$state"/BASE_*/*.pid; do [ -e "$f" ] && kill "$(cat "$f")" 2>/dev/null || true; done
  sleep 1
  for f in "$state"/BASE_*/*.pid; do [ -e "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null || true; done
  for ((k = 0; k < n; k++)); do ip netns del "BASE_$k" 2>/dev/null || true; done
  rm -rf "$state"
}

case $cmd in
  up) up ;;
  down) down ;;
  wait) wait_default "${3:-600}" ;;
  *) echo "usage: $0 up|down|wait N [TIMEOUT_S]" >&2; exit 2 ;;
esac
