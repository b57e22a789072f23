#!/usr/bin/env bash
# Builds the `nsbgp:latest` image on a machine that reaches no image registry:
#   1. Debian's docker.io (apt) when dockerd is missing;
#   2. dockerd started when none answers (overlay2; no bridge, no iptables rules, so the host's
#      root namespace is untouched) and stopped again at the end (--keep-dockerd keeps it);
#   3. a base image `nsbgp-base:CODENAME` made with debootstrap from this machine's own Debian
#      mirror (from /etc/apt/sources.list*), FRR, BIRD 2, traceroute, iproute2, tcpdump included,
#      then `docker import` (skipped when the image exists; --rebuild-base redoes it);
#   4. the release binary (cargo build --release) and configs/ copied in by docker/Dockerfile.
# Nothing is pulled: the Dockerfile starts FROM the imported base.
#   scripts/docker-image.sh [--keep-dockerd] [--rebuild-base] [--run]
#   docker run --rm --privileged nsbgp:latest              # the default job (chain-3, see README)
# --run then runs the default job once: `docker run --rm --privileged`, or, where this shell's
# capability bounding set lacks some (as in some VMs, where --privileged fails with "unable to
# apply caps"), every capability it has plus what --privileged unconfines.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/common.sh
become_root "$0" "$@"

keep_dockerd=0 rebuild_base=0 run=0
for arg in "$@"; do
  case "$arg" in
    --keep-dockerd) keep_dockerd=1 ;;
    --rebuild-base) rebuild_base=1 ;;
    --run) run=1 ;;
    *) echo "docker-image.sh: unknown argument $arg (known: --keep-dockerd, --rebuild-base, --run)" >&2; exit 2 ;;
  esac
done

export DEBIAN_FRONTEND=noninteractive
need=()
command -v dockerd >/dev/null 2>&1 || need+=(docker.io)
command -v debootstrap >/dev/null 2>&1 || need+=(debootstrap)
if [ "${#need[@]}" -gt 0 ]; then
  echo "installing: ${need[*]}"
  apt-get update -qq
  apt-get install -y -qq "${need[@]}" >/dev/null
fi
# Debian's client, matching its dockerd (another `docker` earlier in PATH may be another version).
docker=docker
[ -x /usr/bin/docker ] && docker=/usr/bin/docker

started_pid=""
stop_dockerd() {
  if [ -n "$started_pid" ] && [ "$keep_dockerd" = 0 ]; then
    echo "stopping the dockerd this script started (pid $started_pid)"
    kill "$started_pid" 2>/dev/null || true
    for _ in $(seq 1 60); do kill -0 "$started_pid" 2>/dev/null || break; sleep 0.5; done
  fi
}
trap stop_dockerd EXIT
if ! $docker info >/dev/null 2>&1; then
  log=/var/log/nsbgp-dockerd.log
  echo "starting dockerd (overlay2, no bridge, no iptables; log in $log)"
  dockerd --storage-driver overlay2 --bridge none --iptables=false --ip6tables=false >"$log" 2>&1 &
  started_pid=$!
  for _ in $(seq 1 60); do $docker info >/dev/null 2>&1 && break; sleep 1; done
  $docker info >/dev/null 2>&1 || { echo "dockerd did not answer within 60 s; see $log" >&2; exit 1; }
fi

codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
base="nsbgp-base:$codename"
# The first Debian mirror apt uses (one-line `deb URL SUITE` or deb822 `URIs:`), not -security.
mirror_of_apt() {
  { cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null || true; } \
    | awk '/^deb / && $0 !~ /security/ {print $2; exit} /^URIs:/ && $0 !~ /security/ {print $2; exit}'
}
if [ "$rebuild_base" = 1 ] || ! $docker image inspect "$base" >/dev/null 2>&1; then
  mirror=$(mirror_of_apt)
  [ -n "$mirror" ] || { echo "no Debian mirror in /etc/apt/sources.list*: add one (deb URL $codename main)" >&2; exit 2; }
  root=$(mktemp -d /var/tmp/nsbgp-base.XXXXXX)
  echo "debootstrap $codename from $mirror into $root (minutes)"
  debootstrap --variant=minbase \
    --include=frr,bird2,traceroute,iproute2,tcpdump,iptables,iputils-ping,procps,ca-certificates \
    "$codename" "$root" "$mirror" >/var/log/nsbgp-debootstrap.log 2>&1 \
    || { echo "debootstrap failed; see /var/log/nsbgp-debootstrap.log" >&2; rm -rf "$root"; exit 1; }
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
  tar -C "$root" --numeric-owner -c . | $docker import - "$base"
  rm -rf "$root"
fi

cargo build --release --locked --quiet
ctx=$(mktemp -d /var/tmp/nsbgp-image.XXXXXX)
cp target/release/nsbgp "$ctx/"
cp -r configs "$ctx/configs"
cp docker/Dockerfile "$ctx/Dockerfile"
# The classic builder: it takes FROM from the local images and never asks a registry.
DOCKER_BUILDKIT=0 $docker build --build-arg BASE="$base" -t nsbgp:latest "$ctx"
rm -rf "$ctx"
$docker image ls nsbgp:latest

if [ "$run" = 1 ]; then
  # All 41 capabilities (0-40) in the bounding set: --privileged works as documented.
  if [ "$(awk '/^CapBnd/ {print $2}' /proc/self/status)" = 000001ffffffffff ]; then
    flags=(--privileged)
  else
    flags=(--cap-add ALL --security-opt seccomp=unconfined --security-opt apparmor=unconfined
           --security-opt systempaths=unconfined)
    bnd=$((16#$(awk '/^CapBnd/ {print $2}' /proc/self/status)))
    names=(CHOWN DAC_OVERRIDE DAC_READ_SEARCH FOWNER FSETID KILL SETGID SETUID SETPCAP LINUX_IMMUTABLE
           NET_BIND_SERVICE NET_BROADCAST NET_ADMIN NET_RAW IPC_LOCK IPC_OWNER SYS_MODULE SYS_RAWIO
           SYS_CHROOT SYS_PTRACE SYS_PACCT SYS_ADMIN SYS_BOOT SYS_NICE SYS_RESOURCE SYS_TIME
           SYS_TTY_CONFIG MKNOD LEASE AUDIT_WRITE AUDIT_CONTROL SETFCAP MAC_OVERRIDE MAC_ADMIN SYSLOG
           WAKE_ALARM BLOCK_SUSPEND AUDIT_READ PERFMON BPF CHECKPOINT_RESTORE)
    for i in "${!names[@]}"; do
      (( (bnd >> i) & 1 )) || flags+=(--cap-drop "${names[$i]}")
    done
    echo "this shell lacks some capabilities (CapBnd $(awk '/^CapBnd/ {print $2}' /proc/self/status)): running with ${flags[*]} instead of --privileged"
  fi
  echo "+ docker run --rm ${flags[*]} nsbgp:latest"
  $docker run --rm "${flags[@]}" nsbgp:latest
fi
