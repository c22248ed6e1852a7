#!/usr/bin/env bash
# Stage the installed file tree that both packages are made from:
#   packaging/stage.sh DESTDIR [VERSION]
# The packaged start-up path (documented in docs/packaging.md; keep it here and in
# scripts/build.mjs, nowhere else):
#   /usr/bin/offloadctl -> /usr/lib/offloadctl/bin/offloadctl   the checkout's bin/offloadctl, run by
#        Debian's own nodejs (>= 18): it compiles dist/main.cjs with a V8 code cache kept in
#        /var/cache/offloadctl (CACHE_DIR rewritten below), nothing written under /usr
#   /usr/lib/offloadctl/dist/main.cjs            the esbuild bundle (scripts/build.mjs)
#   /usr/lib/offloadctl/node_modules/netlink     the addon: the patched build when
#        scripts/build-netlink-addon.sh made one, else the package's prebuilt N-API binary
#   /usr/lib/offloadctl/package.json             {"type": "commonjs"} for bin/offloadctl (CommonJS: an
#        ES module entry point costs Node 20 its ESM loader, ~5 ms per command)
# VERSION defaults to package.json's; OFFLOADCTL_BUILD_COMMIT and SOURCE_DATE_EPOCH are honoured.
set -euo pipefail
dest=${1:?usage: stage.sh DESTDIR [VERSION]}
here=$(cd "$(dirname "$0")/.." && pwd)
version=${2:-$(node -p "require('$here/package.json').version")}
lib=/usr/lib/offloadctl
mkdir -p "$dest"
dest=$(cd "$dest" && pwd)
build=$(mktemp -d)
trap 'rm -rf "$build"' EXIT

OFFLOADCTL_BUILD_VERSION=$version node "$here/scripts/build.mjs" --outdir "$build/dist" --docs

install -d -m 0755 "$dest$lib/bin" "$dest$lib/dist" "$dest/usr/bin"
install -m 0644 "$build/dist/main.cjs" "$dest$lib/dist/main.cjs"
printf '{\n  "name": "offloadctl",\n  "version": "%s",\n  "private": true,\n  "type": "commonjs"\n}\n' "$version" >"$dest$lib/package.json"
chmod 0644 "$dest$lib/package.json"
# Debian's node is /usr/bin/node (also RHEL's nodejs); the cache goes to /var/cache/offloadctl.
sed -e '1s|^#!.*|#!/usr/bin/node|' \
    -e "s|^const CACHE_DIR = null;|const CACHE_DIR = '/var/cache/offloadctl';|" \
    "$here/bin/offloadctl" >"$dest$lib/bin/offloadctl"
grep -q "^const CACHE_DIR = '/var/cache/offloadctl';" "$dest$lib/bin/offloadctl" || { echo "stage: bin/offloadctl has no CACHE_DIR line to rewrite" >&2; exit 3; }
chmod 0755 "$dest$lib/bin/offloadctl"
ln -sfn ../lib/offloadctl/bin/offloadctl "$dest/usr/bin/offloadctl"

# Packages the bundle requires at run time (not bundled: src/policy/lazy-deps.ts loads yaml and
# picomatch on first use; netlink's loader finds its addon relative to its own folder): their
# package.json and JavaScript, without types, maps, docs or other platforms' binaries (their
# licences are in the packages' copyright files: packaging/deb/copyright, the rpm's %license).
nm=$here/node_modules
nl=$dest$lib/node_modules/netlink
for pkg in netlink node-gyp-build yaml picomatch; do
  (cd "$nm/$pkg" && find . -path ./node_modules -prune -o -path ./src -prune -o -path ./browser -prune \
     -o -path ./prebuilds -prune -o -path ./build -prune -o -type f \( -name '*.js' -o -name '*.cjs' -o -name '*.mjs' -o -name package.json \) -print0) |
    while IFS= read -r -d '' f; do
      install -D -m 0644 "$nm/$pkg/$f" "$dest$lib/node_modules/$pkg/$f"
    done
done
rm -f "$dest$lib/node_modules/node-gyp-build/"{bin,build-test,optional}.js "$dest$lib/node_modules/yaml/bin.mjs"
if [ -f "$nm/netlink/build/Release/offloadctl-patch.stamp" ] && [ -f "$nm/netlink/build/Release/netlink_binding.node" ]; then
  addon_src=$nm/netlink/build/Release/netlink_binding.node
  addon_dst=$nl/build/Release/netlink_binding.node
  echo "stage: the patched netlink addon" >&2
else
  addon_src=$nm/netlink/prebuilds/linux-x64/node.napi.node
  addon_dst=$nl/prebuilds/linux-x64/node.napi.node
  echo "stage: the prebuilt netlink addon (scripts/build-netlink-addon.sh builds the patched one)" >&2
fi
install -D -m 0644 "$addon_src" "$addon_dst"
strip --strip-unneeded --remove-section=.comment "$addon_dst"

# Configuration, state, cache, the agent's unit (installed, not enabled).
install -D -m 0644 "$here/packaging/policy.yaml" "$dest/etc/offloadctl/policy.yaml"
# /var/lib/offloadctl (mode 0700) is made by the deb's postinst and the rpm's %files, not here.
install -d -m 0755 "$dest/var/cache/offloadctl"
unit_dir=${OFFLOADCTL_UNIT_DIR:-/lib/systemd/system}
install -d -m 0755 "$dest$unit_dir"
# The unit `agent --install-unit` writes, for the package's executable and policy (the policy is read
# to check it, so the repository's copy is named and its path replaced).
node -e 'require(process.argv[1]).main(["node", "/usr/bin/offloadctl", ...process.argv.slice(2)]).then((c) => process.exit(c))' \
  "$dest$lib/dist/main.cjs" agent --install-unit --root "$build/unit" --exec-path /usr/bin/offloadctl \
  --policy "$here/packaging/policy.yaml" >/dev/null
sed -e "s|$here/packaging/policy.yaml|/etc/offloadctl/policy.yaml|" \
    -e 's|^# Written by `offloadctl agent --install-unit`.|# Installed by the offloadctl package, not enabled (offloadctl-agent(8)): systemctl enable --now offloadctl-agent|' \
    "$build/unit/etc/systemd/system/offloadctl-agent.service" >"$dest$unit_dir/offloadctl-agent.service"
chmod 0644 "$dest$unit_dir/offloadctl-agent.service"

# Man pages, completion, docs.
for page in "$build"/dist/man/*; do
  sect=${page##*.}
  install -d -m 0755 "$dest/usr/share/man/man$sect"
  gzip -9n <"$page" >"$dest/usr/share/man/man$sect/$(basename "$page").gz"
  chmod 0644 "$dest/usr/share/man/man$sect/$(basename "$page").gz"
done
install -D -m 0644 "$build/dist/completion/offloadctl.bash" "$dest/usr/share/bash-completion/completions/offloadctl"
install -D -m 0644 "$build/dist/completion/_offloadctl" "$dest/usr/share/zsh/vendor-completions/_offloadctl"
install -d -m 0755 "$dest/usr/share/doc/offloadctl"
for d in "$here"/docs/*.md; do
  if [ -e "$d" ]; then install -m 0644 "$d" "$dest/usr/share/doc/offloadctl/"; fi
done
