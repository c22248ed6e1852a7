#!/usr/bin/env bash
# Start-up of the packaged offloadctl (the .deb on Debian 12's nodejs 18, installed into a cached
# minbase root) against today's bin/offloadctl from this checkout (Node 20 of this machine), side by
# side in one hyperfine run: `--version`, and `status` on 1000 interfaces (500 veth pairs) in a
# network namespace made here. Also the package sizes. Root; network to Debian's mirror.
#   bench/packaged-startup.sh [--runs N]
# The chroot adds an exec of chroot(8) to each packaged run: `chroot ROOT /bin/true` is measured too.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=15
[ "${1:-}" = --runs ] && runs=$2
command -v hyperfine >/dev/null || { echo "needs hyperfine" >&2; exit 3; }
work=$(mktemp -d /tmp/olc-startup.XXXXXX)
ns=olc-startup-$$
cleanup() { ip netns del "$ns" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
npm run --silent build
deb=$(bash packaging/build-deb.sh "$work/out" 2>/dev/null)
rpm=$(bash packaging/build-rpm.sh "$work/out" 2>/dev/null)
bash packaging/test/bookworm-root.sh "$work/root"
root=$work/root
cp "$deb" "$root/tmp/"
mkdir -p /var/cache/offloadctl-test/apt-archives/partial
unshare -m --propagation private bash -c "
  mount --bind /etc/resolv.conf $root/etc/resolv.conf
  mount --bind /var/cache/offloadctl-test/apt-archives $root/var/cache/apt/archives
  mount -t proc proc $root/proc
  chroot $root env DEBIAN_FRONTEND=noninteractive sh -c 'apt-get update -qq && apt-get install -y -qq --no-install-recommends ca-certificates /tmp/$(basename "$deb") >/dev/null'"
ip netns add "$ns"
{ for i in $(seq 1 500); do echo "link add sv$i type veth peer name sp$i"; done; } | ip -n "$ns" -batch -
echo "== $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg); checkout: node $(node -v); package: node $(chroot "$root" node -v)"
echo "== sizes: .deb $(stat -c %s "$deb") B, .rpm $(stat -c %s "$rpm") B, installed $(dpkg-deb -f "$deb" Installed-Size) KiB (+ Debian's nodejs, libnode108: $(chroot "$root" dpkg-query -W -f='${Installed-Size}\n' nodejs libnode108 | paste -sd+ | bc) KiB)"
ip netns exec "$ns" unshare -m --propagation private bash -c "
  mount -t proc proc $root/proc; mount -t sysfs sysfs $root/sys
  hyperfine -N --warmup 3 --runs $runs --export-json $work/version.json \
    -n 'bin/offloadctl --version (checkout, node 20)' '$PWD/bin/offloadctl --version' \
    -n 'packaged --version (nodejs 18)' 'chroot $root /usr/bin/offloadctl --version' \
    -n 'chroot ROOT /bin/true' 'chroot $root /bin/true' \
    -n 'node -e 0 (node 20)' 'node -e 0' \
    -n 'chroot ROOT node -e 0 (nodejs 18)' 'chroot $root /usr/bin/node -e 0' >/dev/null
  hyperfine -N --warmup 2 --runs $runs --export-json $work/status.json \
    -n 'bin/offloadctl status, 1001 interfaces (checkout, node 20)' '$PWD/bin/offloadctl status' \
    -n 'packaged status, 1001 interfaces (nodejs 18)' 'chroot $root /usr/bin/offloadctl status' >/dev/null"
# Medians (the machine is shared: means are dragged by outliers), minimum, ratio to the checkout's median.
node -e '
for (const f of process.argv.slice(1)) {
  const { results } = JSON.parse(require("fs").readFileSync(f, "utf8"));
  const med = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
  const base = med(results[0].times);
  const cpu = (r) => (r.user + r.system) * 1000; // hyperfine reports CPU as means only
  console.log("| command | median ms | min ms | CPU ms (mean) | runs | median / checkout | CPU / checkout |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
  for (const r of results) console.log(`| ${r.command} | ${(med(r.times) * 1000).toFixed(1)} | ${(Math.min(...r.times) * 1000).toFixed(1)} | ${cpu(r).toFixed(1)} | ${r.times.length} | ${(med(r.times) / base).toFixed(2)} | ${(cpu(r) / cpu(results[0])).toFixed(2)} |`);
  console.log();
}' "$work/version.json" "$work/status.json"
