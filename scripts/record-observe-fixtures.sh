#!/usr/bin/env bash
# Records what `status` asks one FRR router (with vtysh) or one BIRD router (its control
# socket, raw reply codes kept) into DIR, one file per command, for the observe unit tests
# (src/frr/observe.rs, src/bird/observe.rs). The file name is the command with every
# character outside [A-Za-z0-9.] replaced by `-`.
#   scripts/record-observe-fixtures.sh LAB ROUTER DIR
set -euo pipefail
lab=$1 router=$2 dir=$3
nsbgp=${NSBGP:-nsbgp}
state=/run/nsbgp/$lab
mkdir -p "$dir"
slug() { printf '%s' "$1" | tr -c 'A-Za-z0-9.' '-'; }
mapfile -t stubs < <(python3 -c 'import json,sys; [print(s["prefix"]) for s in json.load(open(sys.argv[1]))["stubs"]]' "$state/lab.json")
ctl=$state/routers/$router/run/bird.ctl
if [ -S "$ctl" ]; then
    cmds=("show protocols all")
    for s in "${stubs[@]}"; do
        case $s in *:*) d=::/0 ;; *) d=0.0.0.0/0 ;; esac
        cmds+=("show route $d all" "show route $s all")
    done
    for c in "${cmds[@]}"; do
        # One reply per connection: the greeting line, then the command's reply up to its
        # final line (a 4-digit code and a space).
        timeout 10 python3 - "$ctl" "$c" >"$dir/$(slug "$c").txt" <<'PY'
import re, socket, sys
s = socket.socket(socket.AF_UNIX); s.settimeout(5); s.connect(sys.argv[1])
f = s.makefile("rwb")
f.readline()
f.write(sys.argv[2].encode() + b"\n"); f.flush()
while True:
    line = f.readline().decode()
    if not line:
        sys.exit("closed mid-reply")
    sys.stdout.write(line)
    if re.match(r"^\d{4} ", line):
        break
PY
    done
else
    cmds=("show bgp summary json")
    for s in "${stubs[@]}"; do
        case $s in
        *:*) cmds+=("show bgp ipv6 unicast ::/0 json" "show ipv6 route summary json" "show ipv6 route ::/0 json" "show ipv6 route $s json") ;;
        *) cmds+=("show ip bgp 0.0.0.0/0 json" "show ip route summary json" "show ip route 0.0.0.0/0 json" "show ip route $s json") ;;
        esac
    done
    for c in "${cmds[@]}"; do
        timeout 10 "$nsbgp" vtysh --lab "$lab" "$router" -- -c "$c" >"$dir/$(slug "$c").json"
    done
fi
ls "$dir"
