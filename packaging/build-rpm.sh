#!/usr/bin/env bash
# Build offloadctl-VERSION-1.ARCH.rpm from the same staged tree (packaging/stage.sh) with rpmbuild
# (Debian's `rpm` package): for RHEL-family libvirt and OpenStack hosts (nodejs >= 18 from AppStream).
#   packaging/build-rpm.sh OUTDIR [VERSION]
# Prints the path of the .rpm. Same layout as the .deb, but the unit in /usr/lib/systemd/system.
set -euo pipefail
out=${1:?usage: build-rpm.sh OUTDIR [VERSION]}
here=$(cd "$(dirname "$0")/.." && pwd)
version=${2:-$(node -p "require('$here/package.json').version")}
mkdir -p "$out"
out=$(cd "$out" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git -C "$here" log -1 --format=%ct 2>/dev/null || date +%s)}
export SOURCE_DATE_EPOCH
OFFLOADCTL_UNIT_DIR=/usr/lib/systemd/system bash "$here/packaging/stage.sh" "$work/tree" "$version"
install -D -m 0644 "$here/packaging/deb/copyright" "$work/tree/usr/share/licenses/offloadctl/COPYING"
# rpm versions cannot hold '-': a test build's 0.1.0-test2 becomes 0.1.0~test2.
rpm_version=${version//-/\~}
sed -e "s/@VERSION@/$rpm_version/" -e "s/@CHANGELOG_DATE@/$(LC_ALL=C date -u -d "@$SOURCE_DATE_EPOCH" '+%a %b %d %Y')/" "$here/packaging/rpm/offloadctl.spec" >"$work/offloadctl.spec"
rpmbuild -bb --quiet \
  --define "_topdir $work/rpmbuild" \
  --define "_rpmdir $out" \
  --define "_build_name_fmt %%{NAME}-%%{VERSION}-%%{RELEASE}.%%{ARCH}.rpm" \
  --define "stagedir $work/tree" \
  --define "use_source_date_epoch_as_buildtime 1" \
  --define "_buildhost reproducible" \
  "$work/offloadctl.spec" >"$work/log" 2>&1 || { cat "$work/log" >&2; exit 1; }
ls "$out"/offloadctl-"$rpm_version"-1.*.rpm
