#!/usr/bin/env bash
# Benchmark: builds release, then for each size runs `up --wait`, `status --json`, `down`
# (repeated; medians reported) and, side by side, the classic shell-script baseline for 100
# routers (scripts/baseline/classic-chain.sh). Prints a markdown table for BENCHMARKS.md.
#   BENCH_SIZES="10 100 1000"  sizes (default: 10 100 1000)
#   BENCH_REPEAT=3             runs per size below 1000 (1000 runs once: it takes minutes)
#   BENCH_BASELINE=1           run the classic baseline for 100 routers (0 to skip)
#   BENCH_KSM_WAIT=1500        longest wait (s) for ksmd's two passes on a merging lab
#   BENCH_SUITES="frr bird"    routing suites (default: frr); each run alternates them, so both
#                              see the same machine load (configs/chain-{100,1000}-bird.toml)
#   BENCH_PROPAGATION=1        also time an announcement across chain-100 per suite (experiment
#                              configs/experiments/announce-chain-100[-bird].toml, BENCH_REPEAT runs)
#   BENCH_SHAPES="chain-100 ring-100 grid-10x10 clique-16 clique-32"
#                              instead of sizes: these topologies, side by side (round robin,
#                              BENCH_REPEAT rounds), each with its converge time, links and the
#                              daemons' resident memory per router (from `status --json`, which
#                              other labs on the host do not disturb)
#   BENCH_PREFIX=ROUTER_       router prefix of the bench labs (another, if a lab already uses it)
# Root only. Labs are named bench-N-$$ and always taken down.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/common.sh
become_root "$0" "$@"
source scripts/install-deps.sh
command -v bc >/dev/null || apt-get install -y -qq bc >/dev/null
cargo build --release --quiet
nsbgp=$PWD/target/release/nsbgp
sizes=${BENCH_SIZES:-10 100 1000}
repeat=${BENCH_REPEAT:-3}
work=$(mktemp -d)
current=""
cleanup() {
  [ -n "$current" ] && "$nsbgp" down --lab "$current" >/dev/null 2>&1 || true
  scripts/baseline/classic-chain.sh down "${BASE_N:-100}" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

mem_avail_kb() { awk '/^MemAvailable:/ {print $2}' /proc/meminfo; }
now() { date +%s.%N; }
median() { awk '$1 != "-"' | sort -g | awk '{a[NR]=$1} END {if (NR == 0) {print "-"} else if (NR % 2) {print a[(NR+1)/2]} else {print (a[NR/2]+a[NR/2+1])/2}}'; }
fmt() { awk -v x="$1" 'BEGIN { if (x == "-") print "-"; else printf "%.2f", x }'; }

suites=${BENCH_SUITES:-frr}
config_for() { # size suite
  local s=""; [ "${2:-frr}" = frr ] || s="-$2"
  case $1 in
    [5-9][0-9][0-9] | 1000) echo "configs/chain-1000$s.toml" ;; # long chains: its slower timers
    *) echo "configs/chain-100$s.toml" ;;
  esac
}

one_run() { # size run suite -> appends "launch converge status down mem_mb peak_rss_mb wall merged_mem_mb" to $work/$size-$suite
  local n=$1 suite=${3:-frr} lab="bench-$1-$$-$2-${3:-frr}" cfg out before after t0 t1
  cfg=$(config_for "$n" "$suite")
  sync; echo 1 > /proc/sys/vm/drop_caches 2>/dev/null || true
  # The last lab's memory returns to the kernel for a while after its `down`.
  sleep 5
  before=$(mem_avail_kb)
  current=$lab
  t0=$(now)
  # Guard: a lab that outgrows the machine is taken down before the OOM killer picks victims.
  ( while sleep 5; do
      [ "$(mem_avail_kb)" -lt "${BENCH_MIN_FREE_KB:-1500000}" ] || continue
      echo "  MemAvailable below ${BENCH_MIN_FREE_KB:-1500000} kB: taking $lab down" >&2
      "$nsbgp" down --lab "$lab" >/dev/null 2>&1; break
    done ) & local guard=$!
  if ! /usr/bin/time -f "%M" -o "$work/rss" "$nsbgp" up -c "$cfg" --routers "$n" --lab "$lab" --wait --timeout 900 > "$work/up.out" 2> "$work/up.err"; then
    kill "$guard" 2>/dev/null || true
    echo "  run $2: did not converge: $(head -c 300 "$work/up.err")" >&2
    "$nsbgp" down --lab "$lab" >/dev/null 2>&1 || true; current=""
    return 0
  fi
  kill "$guard" 2>/dev/null || true
  t1=$(now)
  launch=$(sed -n 's/.* up in \([0-9.]*\) s .*/\1/p' "$work/up.out")
  # Also the daemons' own resident memory per router (shared pages counted in every daemon):
  # MemAvailable's noise (±5 MB per router at 100 routers) is larger than a BIRD router.
  read -r converge drss < <("$nsbgp" status --lab "$lab" --json | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["converged_after_s"], sum(r["rss_kb"] for r in d["routers"]) / 1024 / len(d["routers"]))')
  sleep 3
  after=$(mem_avail_kb)
  # With merge_memory on (from 200 routers) ksmd goes on merging long after convergence, at
  # its steady (low) rate: memory is measured again once it has finished two full passes since
  # convergence (a page is merged by the second pass that finds it unchanged), at most
  # BENCH_KSM_WAIT seconds (default 1500).
  merged="-"
  if [ "$suite" = frr ] && [ "$n" -ge 200 ] && [ "$(cat /sys/kernel/mm/ksm/run 2>/dev/null)" = 1 ]; then
    local f0 k0
    f0=$(cat /sys/kernel/mm/ksm/full_scans); k0=$(now)
    while [ $(( $(cat /sys/kernel/mm/ksm/full_scans) - f0 )) -lt 2 ] &&
      [ "$(echo "$(now) - $k0 < ${BENCH_KSM_WAIT:-1500}" | bc -l)" = 1 ]; do sleep 10; done
    merged=$(echo "($before - $(mem_avail_kb)) / 1024 / $n" | bc -l)
    echo "  ksmd: $(( $(cat /sys/kernel/mm/ksm/full_scans) - f0 )) full pass(es) in $(fmt "$(echo "$(now) - $k0" | bc -l)") s after convergence" >&2
  fi
  local st=()
  for _ in 1 2 3; do
    local s0 s1; s0=$(now); "$nsbgp" status --lab "$lab" --json > /dev/null; s1=$(now)
    st+=("$(echo "$s1 - $s0" | bc -l)")
  done
  status_t=$(printf '%s\n' "${st[@]}" | median)
  local d0 d1; d0=$(now); "$nsbgp" down --lab "$lab" > /dev/null; d1=$(now); current=""
  mem=$(echo "($before - $after) / 1024 / $n" | bc -l)
  rss=$(echo "$(cat "$work/rss") / 1024" | bc -l)
  echo "$launch $converge $status_t $(echo "$d1 - $d0" | bc -l) $mem $rss $(echo "$t1 - $t0" | bc -l) $merged $drss" >> "$work/$n-$suite"
  echo "  run $2 ($suite): launch ${launch}s, converged after ${converge}s, status ${status_t}s, down $(fmt "$(echo "$d1 - $d0" | bc -l)")s, $(fmt "$mem") MB/router ($(fmt "$merged") after ksmd's passes, daemons' RSS $(fmt "$drss") MB/router), nsbgp peak RSS $(fmt "$rss") MB" >&2
}

col() { awk -v c="$1" '{print $c}' "$2" | median; }

shape_config() { # shape -> a lab file in $work
  local f=$work/$1.toml pfx=${BENCH_PREFIX:-ROUTER_}
  case $1 in
    chain-*) printf 'name = "%s"\nrouters = %s\n' "$1" "${1#chain-}" ;;
    ring-*) printf 'name = "%s"\nrouters = %s\n[topology]\nshape = "ring"\n' "$1" "${1#ring-}" ;;
    star-*) printf 'name = "%s"\nrouters = %s\n[topology]\nshape = "star"\n' "$1" "${1#star-}" ;;
    clique-*) printf 'name = "%s"\nrouters = %s\n[topology]\nshape = "clique"\n' "$1" "${1#clique-}" ;;
    tree-*) printf 'name = "%s"\nrouters = %s\n[topology]\nshape = "tree"\nfanout = 2\n' "$1" "${1#tree-}" ;;
    grid-*x*) local rc=${1#grid-}
      printf 'name = "%s"\nrouters = %s\n[topology]\nshape = "grid"\nrows = %s\ncols = %s\n' "$1" $(( ${rc%x*} * ${rc#*x} )) "${rc%x*}" "${rc#*x}" ;;
    *) echo "unknown shape $1 (chain-N, ring-N, star-N, clique-N, tree-N, grid-RxC)" >&2; exit 2 ;;
  esac | sed "2a router_prefix = \"$pfx\"" > "$f"
  echo "$f"
}

shape_run() { # shape round -> appends "launch converge links rss_mb_per_router cpu_s_per_router down" to $work/shape-$1
  local shape=$1 lab="bench-$1-$$-$2" cfg st
  cfg=$(shape_config "$shape")
  sync; sleep 2
  current=$lab
  if ! "$nsbgp" up -c "$cfg" --lab "$lab" --wait --timeout 900 > "$work/up.out" 2> "$work/up.err"; then
    echo "  $shape round $2: did not converge: $(head -c 300 "$work/up.err")" >&2
    "$nsbgp" down --lab "$lab" >/dev/null 2>&1 || true; current=""
    return 0
  fi
  launch=$(sed -n 's/.* up in \([0-9.]*\) s .*/\1/p' "$work/up.out")
  sleep 3
  st=$("$nsbgp" status --lab "$lab" --json | python3 -c '
import json, sys
s = json.load(sys.stdin); r = s["routers"]; n = len(r)
links = sum(x["neighbors"] for x in r) // 2
print(s["converged_after_s"], links, sum(x["rss_kb"] for x in r) / 1024 / n, sum(x["cpu_s"] for x in r) / n)')
  local d0 d1; d0=$(now); "$nsbgp" down --lab "$lab" > /dev/null; d1=$(now); current=""
  echo "$launch $st $(echo "$d1 - $d0" | bc -l)" >> "$work/shape-$shape"
  echo "  $shape round $2: launch ${launch}s, converged/links/RSS MB/CPU s per router: $st, down $(fmt "$(echo "$d1 - $d0" | bc -l)")s" >&2
}

if [ -n "${BENCH_SHAPES:-}" ]; then
  echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GB", $2/1048576}' /proc/meminfo), kernel $(uname -r), $(date -u +%Y-%m-%dT%H:%MZ), load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
  for ((r = 1; r <= repeat; r++)); do
    for sh in $BENCH_SHAPES; do shape_run "$sh" "$r"; done
  done
  echo
  echo "| lab | routers | links | runs | launch s | up --wait converged s | daemons' RSS MB per router | daemons' CPU s per router (3 s after convergence) | down s |"
  echo "|---|---|---|---|---|---|---|---|---|"
  for sh in $BENCH_SHAPES; do
    f=$work/shape-$sh
    [ -s "$f" ] || { echo "| $sh | | | 0 | (did not converge: see the log above) | | | | |"; continue; }
    n=$(sed -n 's/^routers = //p' "$work/$sh.toml")
    echo "| $sh | $n | $(col 3 "$f" | xargs printf '%.0f') | $(wc -l < "$f") | $(fmt "$(col 1 "$f")") | $(fmt "$(col 2 "$f")") | $(fmt "$(col 4 "$f")") | $(fmt "$(col 5 "$f")") | $(fmt "$(col 6 "$f")") |"
  done
  exit 0
fi

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GB", $2/1048576}' /proc/meminfo), kernel $(uname -r), FRR $($nsbgp doctor 2>/dev/null | sed -n 's/.*bgpd version \([0-9.]*\).*/\1/p'), $(/usr/sbin/bird --version 2>&1 | head -1), load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%Y-%m-%dT%H:%MZ)" >&2
for n in $sizes; do
  runs=$repeat; [ "$n" -ge 1000 ] && runs=1
  echo "size $n: $runs run(s) per suite ($suites)" >&2
  for ((r = 1; r <= runs; r++)); do
    for suite in $suites; do one_run "$n" "$r" "$suite"; done
  done
done

# Per-hop propagation: the same announcement on chain-100 with each suite, alternating.
prop=""
if [ "${BENCH_PROPAGATION:-0}" = 1 ]; then
  for suite in $suites; do
    s=""; [ "$suite" = frr ] || s="-$suite"
    exp=configs/experiments/announce-chain-100$s.toml
    current="bench-prop-$suite-$$"
    echo "propagation ($suite): $exp, $repeat run(s)" >&2
    if "$nsbgp" experiment "$exp" --lab "$current" --repeat "$repeat" --out "$work/prop-$suite" > "$work/prop.out" 2>&1; then
      read -r hop total < <(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["per_hop_median_ms"], d["total_median_ms"])' "$work/prop-$suite/summary.json")
      prop+="| $suite | $repeat | $(fmt "$hop") | $(fmt "$total") |"$'\n'
      echo "  per hop ${hop} ms, farthest router ${total} ms" >&2
    else
      echo "  failed: $(tail -c 300 "$work/prop.out")" >&2
    fi
    current=""
  done
fi

base=""
if [ "${BENCH_BASELINE:-1}" = 1 ]; then
  BASE_N=100
  echo "baseline: classic shell script, 100 routers" >&2
  sync; sleep 2
  before=$(mem_avail_kb)
  t0=$(now); scripts/baseline/classic-chain.sh up 100; t1=$(now)
  scripts/baseline/classic-chain.sh wait 100 600 && t2=$(now) || t2=""
  sleep 3; after=$(mem_avail_kb)
  d0=$(now); scripts/baseline/classic-chain.sh down 100; d1=$(now)
  b_launch=$(echo "$t1 - $t0" | bc -l)
  b_conv=$([ -n "$t2" ] && echo "$t2 - $t0" | bc -l || echo "-")
  b_down=$(echo "$d1 - $d0" | bc -l)
  b_mem=$(echo "($before - $after) / 1024 / 100" | bc -l)
  base="| classic script (100) | 1 | $(fmt "$b_launch") | $(fmt "$b_conv") (far-end default) | - | $(fmt "$b_down") | $(fmt "$b_mem") | - | - | - |"
  echo "  launch ${b_launch}s, default at far end ${b_conv}s after start, down ${b_down}s" >&2
fi

echo
echo "| routers | runs | launch s | up --wait converged s | status s | down s | MB per router | MB per router after ksmd | daemons' RSS MB per router | nsbgp peak RSS MB |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for n in $sizes; do for suite in $suites; do
  f=$work/$n-$suite
  label=$n; [ "$suites" = frr ] || label="$n $suite"
  [ -s "$f" ] || { echo "| $label | 0 | (did not converge: see the log above) | | | | | | | |"; continue; }
  echo "| $label | $(wc -l < "$f") | $(fmt "$(col 1 "$f")") | $(fmt "$(col 2 "$f")") | $(fmt "$(col 3 "$f")") | $(fmt "$(col 4 "$f")") | $(fmt "$(col 5 "$f")") | $(fmt "$(col 8 "$f")") | $(fmt "$(col 9 "$f")") | $(fmt "$(col 6 "$f")") |"
done; done
[ -n "$base" ] && echo "$base"
if [ -n "$base" ] && [ -f "$work/100-frr" ]; then
  echo
  echo "ratios at 100 routers (classic / nsbgp, medians): launch $(echo "$b_launch / $(col 1 "$work/100-frr")" | bc -l | xargs printf '%.1f')x, down $(echo "$b_down / $(col 4 "$work/100-frr")" | bc -l | xargs printf '%.1f')x"
fi
if [ -n "$prop" ]; then
  echo
  echo "| suite | runs | per hop ms (fit) | farthest router ms (median) |"
  echo "|---|---|---|---|"
  printf '%s' "$prop"
fi
