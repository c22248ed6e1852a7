#!/usr/bin/env bash
# A minimal Debian 12 root for the package tests, cached outside the clone:
#   bookworm-root.sh DIR   unpacks the cached minbase root into DIR (creating the cache first, ~2-4 min)
# The mirror is the one apt uses on this machine (first deb.debian.org-style URI in /etc/apt/sources.list*),
# OFFLOADCTL_TEST_MIRROR overrides it; OFFLOADCTL_TEST_CACHE overrides the cache folder.
set -euo pipefail
dest=${1:?usage: bookworm-root.sh DIR}
cache_dir=${OFFLOADCTL_TEST_CACHE:-/var/cache/offloadctl-test}
tarball=$cache_dir/bookworm-minbase.tar
mirror=${OFFLOADCTL_TEST_MIRROR:-}
if [ -z "$mirror" ]; then
  mirror=$(grep -rhoE '^(URIs:|deb) +[^ ]*/debian/?( |$)' /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null \
    | awk '{print $2}' | head -n1 || true)
  mirror=${mirror:-http://deb.debian.org/debian}
fi
if [ ! -s "$tarball" ]; then
  mkdir -p "$cache_dir"
  work=$(mktemp -d "$cache_dir/build.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  start=$(date +%s)
  debootstrap --variant=minbase bookworm "$work/root" "$mirror" >"$work/log" 2>&1 \
    || { tail -n 20 "$work/log" >&2; exit 1; }
  # The archive only (no security/updates suites): the package must install from Debian 12 itself.
  echo "deb $mirror bookworm main" >"$work/root/etc/apt/sources.list"
  rm -rf "$work/root/var/cache/apt/archives/"*.deb
  tar -C "$work/root" -cf "$tarball.tmp" .
  mv "$tarball.tmp" "$tarball"
  echo "bookworm-root: created $tarball in $(( $(date +%s) - start )) s" >&2
fi
mkdir -p "$dest"
tar -C "$dest" -xf "$tarball"
