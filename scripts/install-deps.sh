#!/usr/bin/env bash
# Install what is missing. Two sets, so a production hypervisor gets only what offloadctl runs:
#   scripts/install-deps.sh [--yes]          runtime: ethtool, iproute2 (what the CLI and agent exec),
#                                            plus the npm packages of this checkout
#   scripts/install-deps.sh --test [--yes]   also what the tests and benchmarks use (QEMU, udev,
#                                            netplan, ifupdown, prometheus, a compiler for the patched
#                                            netlink addon ...) and every scripts/test-deps.d/*.list
# It asks before installing Debian packages (a prompt on a terminal; --yes answers yes; without a
# terminal and without --yes it says what is missing and stops). Safe to run again.
# The installed package (packaging/) needs none of this: apt installs its Depends.
set -euo pipefail
cd "$(dirname "$0")/.."
test_deps=false
yes=false
for a in "$@"; do
  case "$a" in
    --test) test_deps=true ;;
    --yes|-y) yes=true ;;
    *) echo "usage: install-deps.sh [--test] [--yes]" >&2; exit 2 ;;
  esac
done

# command → Debian package: what the runtime executes
declare -A RUNTIME=(
  [ethtool]=ethtool     # --backend ethtool, doctor's counters, what persist writes for boot
  [ip]=iproute2         # --netns (ip netns exec), lab
  [bridge]=iproute2
)
# command → Debian package: tests, benchmarks, building the patched addon from source
declare -A TEST=(
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
for cmd in "${!RUNTIME[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("${RUNTIME[$cmd]}")
done
if $test_deps; then
  for cmd in "${!TEST[@]}"; do
    command -v "$cmd" >/dev/null 2>&1 || missing+=("${TEST[$cmd]}")
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
fi
if [ ${#missing[@]} -gt 0 ]; then
  pkgs=$(printf '%s\n' "${missing[@]}" | sort -u | tr '\n' ' ')
  if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: missing Debian packages: $pkgs(run as root, or install them)" >&2
    exit 3
  fi
  if ! $yes; then
    if [ -t 0 ]; then
      read -r -p "install-deps: apt-get install $pkgs? [y/N] " answer
      case "$answer" in y|Y|yes) ;; *) echo "install-deps: nothing installed" >&2; exit 3 ;; esac
    else
      echo "install-deps: missing Debian packages: $pkgs(rerun with --yes to install them)" >&2
      exit 3
    fi
  fi
  echo "install-deps: installing $pkgs" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # shellcheck disable=SC2086
  apt-get install -y -qq --no-install-recommends $pkgs >/dev/null
fi

if [ -L node_modules ]; then
  # A shared install (e.g. a git worktree's symlink): `npm ci` would empty the folder it points to.
  npm ls --depth=0 >/dev/null 2>&1 || { echo "install-deps: node_modules is a symlink to an incomplete install; run npm ci where it points" >&2; exit 3; }
elif [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi

# The netlink addon with the overrun fix (scripts/build-netlink-addon.sh), when a compiler is there
# (--test installs one). Without it the agent still works, with its event sockets in a child process.
if command -v g++ >/dev/null 2>&1 && command -v make >/dev/null 2>&1; then
  bash scripts/build-netlink-addon.sh || echo "install-deps: the patched netlink addon was not built; the agent will read its event sockets in a child process" >&2
else
  echo "install-deps: no compiler: using the prebuilt netlink addon (the agent reads its event sockets in a child process; install g++ make python3 and run scripts/build-netlink-addon.sh for the patched one)" >&2
fi
