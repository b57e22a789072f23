# Shared by the scripts: `source scripts/common.sh; become_root "$0" "$@"`.
# Labs need root (namespaces, mounts): become root through sudo when there is one.
# Only an allow-list of the caller's environment crosses sudo: the toolchain's location,
# CI's switch and bench.sh's BENCH_* settings. Not `sudo -E`: a variable exported in the caller's shell (UPDATE_GOLDEN=1
# above all, which rewrites the golden files) must not slip into the whole test run.
become_root() {
  [ "$(id -u)" = 0 ] && return 0
  command -v sudo >/dev/null 2>&1 || { echo "$1: run as root (namespaces and mounts need it)" >&2; exit 2; }
  local keep=("PATH=$PATH" "CARGO_HOME=${CARGO_HOME:-$HOME/.cargo}" "RUSTUP_HOME=${RUSTUP_HOME:-$HOME/.rustup}")
  local v
  for v in CI CARGO_TARGET_DIR RUST_BACKTRACE $(compgen -e | grep '^BENCH_'); do
    [ -n "${!v+x}" ] && keep+=("$v=${!v}")
  done
  exec sudo env "${keep[@]}" "$@"
}
