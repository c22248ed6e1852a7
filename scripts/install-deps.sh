#!/usr/bin/env bash
# Install what is missing: Debian packages the tool and its tests use, and the npm packages.
# Safe to run again: it installs only what is absent.
set -euo pipefail
cd "$(dirname "$0")/.."

# command → Debian package
declare -A PKG=(
  [ethtool]=ethtool
  [ip]=iproute2
  [bridge]=iproute2
  [iperf3]=iperf3
  [ping]=iputils-ping
  [udevadm]=udev        # persist tests: the real consumer of .link files and udev rules
  [netplan]=netplan.io  # persist tests: netplan generate
  [ifquery]=ifupdown    # persist tests: ifquery parses rendered stanzas
  [promtool]=prometheus  # agent tests: promtool check metrics / test rules (~96 MB, ~6 s)
  [curl]=curl           # agent netns tests: HTTP inside the namespace
  [/usr/bin/time]=time  # bench/status-scale.ts: peak memory (time -v)
  [qemu-system-x86_64]=qemu-system-x86  # bench --lab vm and its test: a virtio guest on a lab tap (~30 MB)
  [g++]=g++             # scripts/build-netlink-addon.sh: the patched netlink addon
  [make]=make
  [python3]=python3     # node-gyp
)
missing=()
for cmd in "${!PKG[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("${PKG[$cmd]}")
done
# Test-only Debian packages, one list per topic (scripts/test-deps.d/*.list: a package per line,
# `#` comments): installed when absent.
for list in scripts/test-deps.d/*.list; do
  [ -e "$list" ] || continue
  while read -r pkg _; do
    case "$pkg" in ''|'#'*) continue ;; esac
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done < "$list"
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: missing Debian packages: ${missing[*]} (run as root, or install them)" >&2
    exit 3
  fi
  echo "install-deps: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends $(printf '%s\n' "${missing[@]}" | sort -u) >/dev/null
fi

if [ -L node_modules ]; then
  # A shared install (e.g. a git worktree's symlink): `npm ci` would empty the folder it points to.
  npm ls --depth=0 >/dev/null 2>&1 || { echo "install-deps: node_modules is a symlink to an incomplete install; run npm ci where it points" >&2; exit 3; }
elif [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi

# The netlink addon with the overrun fix (scripts/build-netlink-addon.sh). Without it the agent
# still works, with its event sockets in a child process; say so, don't stop.
bash scripts/build-netlink-addon.sh || echo "install-deps: the patched netlink addon was not built; the agent will read its event sockets in a child process" >&2
