#!/usr/bin/env bash
# Side-by-side benchmark: labs run round robin in one session, so every variant sees the same
# machine load; prints medians and each variant's ratio to the first. A variant is
# LABEL=BINARY:LABFILE (BINARY an nsbgp build, e.g. an older release kept for comparison).
#   scripts/bench-compare.sh [-r ROUNDS] LABEL=BIN:FILE LABEL=BIN:FILE ...
#   e.g. scripts/bench-compare.sh -r 3 before=/tmp/nsbgp-old:configs/chain-100.toml \
#                                      after=target/release/nsbgp:configs/chain-100.toml
# Columns: launch (up's own "up in" figure), converged after (status --json), daemons' RSS per
# router (status --json), MemAvailable drop per router (noisy below ~300 routers), down time.
# Root only. Labs are named cmp-K-$$ (router prefix from the lab file) and always taken down.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/common.sh
become_root "$0" "$@"
rounds=3
if [ "${1:-}" = -r ]; then rounds=$2; shift 2; fi
[ $# -ge 1 ] || { sed -n 2,10p "$0" >&2; exit 2; }
work=$(mktemp -d)
current="" current_bin=""
cleanup() {
  [ -n "$current" ] && "$current_bin" down --lab "$current" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
now() { date +%s.%N; }
mem_avail_kb() { awk '/^MemAvailable:/ {print $2}' /proc/meminfo; }
median() { sort -g | awk '{a[NR]=$1} END {if (NR == 0) print "-"; else if (NR % 2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

labels=() bins=() files=()
for v in "$@"; do
  label=${v%%=*} rest=${v#*=}
  bin=${rest%%:*} file=${rest#*:}
  [ -x "$bin" ] && [ -f "$file" ] || { echo "bench-compare: $v: need LABEL=BINARY:LABFILE with an executable and a lab file" >&2; exit 2; }
  labels+=("$label") bins+=("$bin") files+=("$file")
done
echo "machine: $(nproc) cores, kernel $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%Y-%m-%dT%H:%MZ), $rounds round(s)" >&2
for ((r = 1; r <= rounds; r++)); do
  for k in "${!labels[@]}"; do
    bin=${bins[$k]} file=${files[$k]} lab="cmp-$k-$$"
    sync; sleep 5
    before=$(mem_avail_kb)
    current=$lab current_bin=$bin
    if ! "$bin" up -c "$file" --lab "$lab" --wait --timeout 900 > "$work/up.out" 2> "$work/up.err"; then
      echo "  ${labels[$k]} round $r: did not converge: $(head -c 300 "$work/up.err")" >&2
      "$bin" down --lab "$lab" >/dev/null 2>&1 || true; current=""
      continue
    fi
    launch=$(sed -n 's/.* up in \([0-9.]*\) s .*/\1/p' "$work/up.out")
    read -r conv rss n < <("$bin" status --lab "$lab" --json | python3 -c 'import json,sys; d=json.load(sys.stdin); r=d["routers"]; print(d["converged_after_s"], sum(x["rss_kb"] for x in r)/1024/len(r), len(r))')
    sleep 3
    mem=$(echo "($before - $(mem_avail_kb)) / 1024 / $n" | bc -l)
    d0=$(now); "$bin" down --lab "$lab" > /dev/null; d1=$(now); current=""
    echo "${launch:-0} $conv $rss $mem $(echo "$d1 - $d0" | bc -l)" >> "$work/$k"
    printf '  %s round %s: launch %ss, converged after %ss, RSS %.2f MB/router, MemAvailable %.2f MB/router, down %.2fs\n' \
      "${labels[$k]}" "$r" "${launch:-?}" "$conv" "$rss" "$mem" "$(echo "$d1 - $d0" | bc -l)" >&2
  done
done
col() { [ -s "$2" ] && awk -v c="$1" '{print $c}' "$2" | median || echo -; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b == 0) print "-"; else printf "%.2f", a / b }'; }
echo
echo "| variant | lab file | runs | launch s | converged after s | ÷ first | daemons' RSS MB/router | ÷ first | MemAvailable MB/router | down s |"
echo "|---|---|---|---|---|---|---|---|---|---|"
c0=$(col 2 "$work/0") r0=$(col 3 "$work/0")
for k in "${!labels[@]}"; do
  f=$work/$k; runs=0; [ -s "$f" ] && runs=$(wc -l < "$f")
  c=$(col 2 "$f") r=$(col 3 "$f")
  printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "${labels[$k]}" "${files[$k]}" "$runs" \
    "$(col 1 "$f")" "$c" "$(ratio "$c" "$c0")" "$(awk -v x="$r" 'BEGIN{if(x=="-")print x; else printf "%.2f", x}')" "$(ratio "$r" "$r0")" \
    "$(col 4 "$f" | awk '{if($1=="-")print; else printf "%.2f", $1}')" "$(col 5 "$f" | awk '{if($1=="-")print; else printf "%.2f", $1}')"
done
