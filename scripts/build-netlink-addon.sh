#!/usr/bin/env bash
# Build the `netlink` addon (0.3.0) from its own source with patches/netlink-0.3.0-pollerr.patch,
# into node_modules/netlink/build/Release, which its loader (node-gyp-build) prefers to the
# package's prebuilt binaries. The patch: a netlink overrun (POLLERR, sk_err = ENOBUFS) is reported
# as an ENOBUFS error and the socket keeps working, where the prebuilt addon aborts the process.
# With it the agent reads its event sockets in its own process (no monitor process, no IPC);
# without it (no compiler, build failed) the agent keeps them in a child process, as before.
# Safe to run again: rebuilds only when the patch or the node version changed. Needs g++, make,
# python3 and node's headers (the node install's include/node; no download).
set -euo pipefail
cd "$(dirname "$0")/.."
pkg=node_modules/netlink
patch=patches/netlink-0.3.0-pollerr.patch
[ -f "$pkg/src/binding.cc" ] || { echo "build-netlink-addon: no $pkg/src (run npm ci first)" >&2; exit 3; }
grep -q '"version": "0.3.0"' "$pkg/package.json" || { echo "build-netlink-addon: the patch is for netlink 0.3.0" >&2; exit 3; }
stamp="$pkg/build/Release/offloadctl-patch.stamp"
want="$(node -p process.version) $(sha256sum "$patch" | cut -c1-16)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -f "$pkg/build/Release/netlink_binding.node" ]; then exit 0; fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp -r "$pkg/binding.gyp" "$pkg/src" "$tmp/"
ln -s "$PWD/node_modules" "$tmp/node_modules" # node-addon-api's headers (binding.gyp include_dirs)
patch -s -d "$tmp" -p1 <"$patch"
nodedir="$(dirname "$(readlink -f "$(command -v node)")")/.."
gyp="$(npm root -g)/npm/node_modules/node-gyp/bin/node-gyp.js"
[ -f "$gyp" ] || { echo "build-netlink-addon: node-gyp not found (it comes with npm)" >&2; exit 3; }
(cd "$tmp" && node "$gyp" rebuild --nodedir="$nodedir" --loglevel=error >/dev/null)
mkdir -p "$pkg/build/Release"
cp "$tmp/build/Release/netlink_binding.node" "$pkg/build/Release/netlink_binding.node.tmp"
mv "$pkg/build/Release/netlink_binding.node.tmp" "$pkg/build/Release/netlink_binding.node"
echo "$want" >"$stamp"
echo "build-netlink-addon: built $pkg/build/Release/netlink_binding.node (patched)" >&2
