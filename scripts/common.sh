# Shared by the scripts: `source scripts/common.sh; become_root "$0" "$@"`.
# Labs need root (namespaces, mounts): become root through sudo when there is one.
become_root() {
  [ "$(id -u)" = 0 ] && return 0
  command -v sudo >/dev/null 2>&1 || { echo "$1: run as root (namespaces and mounts need it)" >&2; exit 2; }
  exec sudo -E env "PATH=$PATH" "$@"
}
