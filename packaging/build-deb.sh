#!/usr/bin/env bash
# Build offloadctl_VERSION_ARCH.deb from the staged tree (packaging/stage.sh) with dpkg-deb:
#   packaging/build-deb.sh OUTDIR [VERSION]
# Prints the path of the .deb. Depends is what the runtime executes: node (Debian 12's nodejs 18
# runs it: docs/packaging.md), ip (--netns re-executes under `ip netns exec`), ethtool
# (--backend ethtool, doctor's counters, and what persist writes into boot-time configuration).
set -euo pipefail
out=${1:?usage: build-deb.sh OUTDIR [VERSION]}
here=$(cd "$(dirname "$0")/.." && pwd)
version=${2:-$(node -p "require('$here/package.json').version")}
arch=$(dpkg --print-architecture)
mkdir -p "$out"
out=$(cd "$out" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=$work/root
SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git -C "$here" log -1 --format=%ct 2>/dev/null || date +%s)}
export SOURCE_DATE_EPOCH
bash "$here/packaging/stage.sh" "$root" "$version"

doc=$root/usr/share/doc/offloadctl
install -m 0644 "$here/packaging/deb/copyright" "$doc/copyright"
{
  echo "offloadctl ($version) unstable; urgency=medium"
  echo
  echo "  * Package built from the offloadctl repository (git $(git -C "$here" describe --always --dirty 2>/dev/null || echo unknown))."
  echo
  echo " -- offloadctl maintainers <offloadctl@users.noreply.github.com>  $(date -u -R -d "@$SOURCE_DATE_EPOCH")"
} | gzip -9n >"$doc/changelog.gz" # a native package: changelog.gz
chmod 0644 "$doc/changelog.gz"
# No lintian overrides: `lintian` (errors, warnings) and `lintian -I` are clean but for notes on the
# netlink addon's linking (bindnow: built by node-gyp) and the unit without an init.d script.

install -d -m 0755 "$root/DEBIAN"
for s in postinst prerm postrm; do install -m 0755 "$here/packaging/deb/$s" "$root/DEBIAN/$s"; done
find "$root/etc" -type f -printf '/etc/%P\n' | sort >"$root/DEBIAN/conffiles"
(cd "$root" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z | xargs -0 md5sum) >"$root/DEBIAN/md5sums"
# The netlink addon's shared libraries (libc6, libstdc++6, libgcc-s1), as dpkg-shlibdeps finds them.
mkdir -p "$work/src/debian"
printf 'Source: offloadctl\n\nPackage: offloadctl\nArchitecture: any\n' >"$work/src/debian/control"
shlibs=$(cd "$work/src" && dpkg-shlibdeps -O $(find "$root/usr/lib" -name '*.node') 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
cat >"$root/DEBIAN/control" <<CONTROL
Package: offloadctl
Version: $version
Architecture: $arch
Maintainer: offloadctl maintainers <offloadctl@users.noreply.github.com>
Installed-Size: $size
Depends: nodejs (>= 18), ethtool, iproute2${shlibs:+, $shlibs}
Suggests: iperf3, qemu-system-x86
Section: net
Priority: optional
Description: see, audit, change and enforce NIC offloads on KVM and Xen hosts
 offloadctl shows which offloads (TSO, GSO, GRO, scatter-gather, checksums)
 every interface of a virtualisation host has and who owns it (bridge, VM tap,
 Xen vif, bond, VLAN, uplink), audits them against a policy, changes them with
 a snapshot first and a verified result, restores any snapshot, writes the
 policy into the host's network configuration, enforces it on new interfaces
 with an agent (installed, not enabled), and measures what a profile costs.
CONTROL
deb=$out/offloadctl_${version}_${arch}.deb
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
echo "$deb"
