/**
 * The packages as a new user gets them (issue 17). Root; network to Debian's mirror and npm.
 *  1. build the .deb twice (two versions) and the .rpm; lintian and rpmlint clean; contents as
 *     expected (dpkg-deb -c, rpm -qlp); man pages `mandoc -T lint` clean.
 *  2. a fresh Debian 12 minbase root (debootstrap, cached in /var/cache/offloadctl-test:
 *     packaging/test/bookworm-root.sh), in a private mount namespace: `apt-get install ./pkg.deb`
 *     with Debian's archive only; there `offloadctl --version`, `status --json` in a namespace made
 *     here (oracle: `ip -json link`, `ethtool --json -k` run outside the root), the agent in
 *     report mode, `audit` of the
 *     shipped policy, `man offloadctl`, bash completion of `offloadctl st`; apply (a snapshot),
 *     upgrade to the second build (edited conffile and snapshot kept), remove, purge (nothing left).
 *  3. `npm pack` → `npm install -g --prefix EMPTY` (no compiler: CC/CXX are false) → `offloadctl
 *     status --json` in the namespace, with the prebuilt netlink addon.
 * Every step's time is reported (t.diagnostic). Nothing touches this machine's /etc, systemd or root
 * namespace: the chroot and its mounts live in `unshare -m`, the interfaces in the test's namespace.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createNetns, deleteNetns, ipIn, uniquePrefix } from '../../src/lab/netns.js';
import { isRoot } from './helpers/cli.js';
import { oracleFeatures } from './helpers/oracle.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BASE_VERSION = (
  JSON.parse(spawnSync('cat', [join(ROOT, 'package.json')], { encoding: 'utf8' }).stdout) as { version: string }
).version;
const V1 = `${BASE_VERSION}+test1`;
const V2 = `${BASE_VERSION}+test2`;
const APT_CACHE = process.env.OFFLOADCTL_TEST_CACHE ?? '/var/cache/offloadctl-test';

const missing = [
  'debootstrap',
  'lintian',
  'rpmbuild',
  'rpmlint',
  'mandoc',
  'dpkg-shlibdeps',
  'unshare',
  'ethtool',
].filter((c) => spawnSync('sh', ['-c', `command -v ${c}`]).status !== 0);
const skip = !isRoot
  ? 'needs root: chroot, mounts, a network namespace'
  : missing.length
    ? `missing ${missing.join(', ')} (scripts/test-deps.d/packaging.list)`
    : false;

const work = mkdtempSync(join(tmpdir(), 'olc-pkg-test-'));
const chroot = join(work, 'root');
let ns = '';
after(async () => {
  if (ns) await deleteNetns(ns);
  // The chroot's mounts live in the unshare'd namespaces that ran each step: nothing to unmount here.
  rmSync(work, { recursive: true, force: true });
});

/** Run a command; fail the test with its output when it exits non-zero (unless `allow` lists the code). */
function sh(
  script: string,
  opts: SpawnSyncOptions & { allow?: number[] } = {},
): { out: string; err: string; code: number } {
  const r = spawnSync('bash', ['-euo', 'pipefail', '-c', script], {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
    timeout: 600_000,
    ...opts,
  });
  const res = { out: String(r.stdout ?? ''), err: String(r.stderr ?? ''), code: r.status ?? -1 };
  if (!(opts.allow ?? [0]).includes(res.code))
    assert.fail(
      `exit ${res.code}: ${script}\n--- stdout\n${res.out.slice(-3000)}\n--- stderr\n${res.err.slice(-3000)}`,
    );
  return res;
}

/**
 * A script inside the Debian root: a private mount namespace with /proc, /sys (of the network
 * namespace it runs in), /dev/pts, the host's resolv.conf and the apt archive cache bound in; with
 * `netns`, in the test's network namespace. Everything is unmounted when the namespace ends.
 */
function inRoot(
  script: string,
  opts: { netns?: boolean; allow?: number[] } = {},
): { out: string; err: string; code: number } {
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const setup = [
    `mount -t proc proc ${chroot}/proc`,
    `mount -t sysfs sysfs ${chroot}/sys`,
    `mount --bind /etc/resolv.conf ${chroot}/etc/resolv.conf`,
    `mkdir -p ${APT_CACHE}/apt-archives/partial && mount --bind ${APT_CACHE}/apt-archives ${chroot}/var/cache/apt/archives`,
    `exec chroot ${chroot} /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 TERM=dumb DEBIAN_FRONTEND=noninteractive bash -euo pipefail -c ${q(script)}`,
  ].join(' && ');
  const outer = `unshare -m --propagation private bash -c ${q(setup)}`;
  return sh(opts.netns ? `ip netns exec ${ns} ${outer}` : outer, { allow: opts.allow });
}

const times: [string, number][] = [];
function timed<T>(step: string, fn: () => T): T {
  const t0 = performance.now();
  try {
    return fn();
  } finally {
    times.push([step, Math.round(performance.now() - t0)]);
  }
}
after(() => {
  if (times.length)
    process.stderr.write(`packaging test step times (ms): ${times.map(([s, ms]) => `${s} ${ms}`).join('; ')}\n`);
});

const debs: Record<string, string> = {};
let rpm = '';

before(async () => {
  if (skip) return;
  ns = await createNetns(`${uniquePrefix('olcpkg')}-ns`);
  await ipIn(ns, ['link', 'add', 'pkg-a', 'type', 'veth', 'peer', 'name', 'pkg-b']);
  await ipIn(ns, ['link', 'set', 'pkg-a', 'up']);
  await ipIn(ns, ['link', 'set', 'pkg-b', 'up']);
});

test('the .deb (two versions) and the .rpm build; lintian and rpmlint are clean; contents as expected', {
  skip,
  timeout: 600_000,
}, () => {
  const out = join(work, 'out');
  timed('build deb v1', () => (debs[V1] = sh(`bash ${ROOT}/packaging/build-deb.sh ${out} ${V1}`).out.trim()));
  timed('build deb v2', () => (debs[V2] = sh(`bash ${ROOT}/packaging/build-deb.sh ${out} ${V2}`).out.trim()));
  timed('build rpm', () => (rpm = sh(`bash ${ROOT}/packaging/build-rpm.sh ${out} ${V1}`).out.trim()));
  const lint = timed('lintian', () =>
    sh(`lintian --fail-on error,warning ${debs[V1]} 2>&1 | grep -v 'running with root privileges' || true`),
  );
  assert.equal(lint.out.trim(), '', 'lintian: no errors, no warnings');
  const rl = timed('rpmlint', () => sh(`rpmlint -c ${ROOT}/packaging/rpm/rpmlint.toml ${rpm}`, { allow: [0, 64, 66] }));
  assert.match(rl.out, /0 errors, 0 warnings/, rl.out);

  const debFiles = sh(`dpkg-deb -c ${debs[V1]}`).out;
  for (const f of [
    /^-rwxr-xr-x root\/root .* \.\/usr\/lib\/offloadctl\/bin\/offloadctl$/m,
    /^lrwxrwxrwx root\/root .* \.\/usr\/bin\/offloadctl -> \.\.\/lib\/offloadctl\/bin\/offloadctl$/m,
    /\.\/usr\/lib\/offloadctl\/dist\/main\.cjs$/m,
    /\.\/usr\/lib\/offloadctl\/node_modules\/netlink\/(build\/Release\/netlink_binding|prebuilds\/linux-x64\/node\.napi)\.node$/m,
    /\.\/lib\/systemd\/system\/offloadctl-agent\.service$/m,
    /\.\/etc\/offloadctl\/policy\.yaml$/m,
    /\.\/usr\/share\/man\/man8\/offloadctl\.8\.gz$/m,
    /\.\/usr\/share\/man\/man8\/offloadctl-agent\.8\.gz$/m,
    /\.\/usr\/share\/man\/man5\/offloadctl-policy\.5\.gz$/m,
    /\.\/usr\/share\/bash-completion\/completions\/offloadctl$/m,
    /\.\/usr\/share\/zsh\/vendor-completions\/_offloadctl$/m,
  ])
    assert.match(debFiles, f);
  assert.doesNotMatch(debFiles, /\.d\.ts$|\.map$|node_modules\/(esbuild|typescript|tsx)\//m, 'no build-only files');
  assert.equal(
    sh(`dpkg-deb -f ${debs[V1]} Depends`).out.trim().split(', ').slice(0, 3).join(', '),
    'nodejs (>= 18), ethtool, iproute2',
  );
  assert.match(sh(`dpkg-deb -f ${debs[V1]} Suggests`).out, /iperf3, qemu-system-x86/);
  assert.equal(sh(`dpkg-deb -I ${debs[V1]} conffiles`).out.trim(), '/etc/offloadctl/policy.yaml');
  const rpmFiles = sh(`rpm -qlp ${rpm} 2>/dev/null`).out;
  for (const f of [
    '/usr/bin/offloadctl',
    '/usr/lib/offloadctl/dist/main.cjs',
    '/usr/lib/systemd/system/offloadctl-agent.service',
    '/etc/offloadctl/policy.yaml',
    '/var/lib/offloadctl',
    '/usr/share/man/man8/offloadctl.8.gz',
  ])
    assert.ok(rpmFiles.split('\n').includes(f), `rpm has ${f}`);
  assert.match(sh(`rpm -qp --configfiles ${rpm} 2>/dev/null`).out, /^\/etc\/offloadctl\/policy\.yaml$/m);
  // The man pages as generated (the packaged ones are the same files, gzipped).
  sh(`for p in ${ROOT}/dist/man/*; do mandoc -T lint -W warning "$p"; done`);
});

test('the .deb on a fresh Debian 12: install, run, upgrade keeping an edited conffile, remove, purge', {
  skip,
  timeout: 900_000,
}, async () => {
  assert.ok(debs[V1] && debs[V2], 'built by the previous test');
  timed('debian root (cached tarball)', () => sh(`bash ${ROOT}/packaging/test/bookworm-root.sh ${chroot}`));
  mkdirSync(join(chroot, 'tmp/pkgs'), { recursive: true });
  sh(`cp ${debs[V1]} ${debs[V2]} ${chroot}/tmp/pkgs/`);
  const v1 = `/tmp/pkgs/${debs[V1]!.split('/').pop()}`;
  const v2 = `/tmp/pkgs/${debs[V2]!.split('/').pop()}`;
  // Only Debian's archive and the .deb; man-db and bash-completion are the test's tools.
  const inst = timed('apt-get install ./offloadctl.deb', () =>
    inRoot(`apt-get update -qq && apt-get install -y -qq --no-install-recommends ${v1} man-db bash-completion 2>&1`),
  );
  assert.match(inst.out, /changed nothing/, 'postinst says the agent is not enabled');
  assert.match(inst.out, /NOT enabled or started/);
  assert.ok(
    !existsSync(join(chroot, 'etc/systemd/system/multi-user.target.wants/offloadctl-agent.service')),
    'the agent unit is not enabled',
  );
  assert.equal(sh(`stat -c %a ${chroot}/var/lib/offloadctl`).out.trim(), '700');

  type Status = { interfaces: { name: string; features: Record<string, { active: boolean; fixed: boolean }> }[] };
  const st = timed('run in the root', () => {
    const ver = inRoot('offloadctl --version').out;
    assert.match(
      ver,
      new RegExp(
        `^offloadctl ${V1.replace(/[.+]/g, '\\$&')} \\(commit \\S+, built \\d{4}-\\d\\d-\\d\\d; (patched|prebuilt) netlink addon`,
      ),
    );

    // status --json inside the namespace against the oracle, read outside the root.
    const status = JSON.parse(inRoot('offloadctl status --json', { netns: true }).out) as Status;
    const names = status.interfaces.map((i) => i.name).sort();
    const oracleNames = (JSON.parse(sh(`ip -n ${ns} -json link show`).out) as { ifname: string }[])
      .map((l) => l.ifname)
      .sort();
    assert.deepEqual(names, oracleNames);
    // The agent on nodejs 18 (report mode: changes nothing), stopped by SIGINT after a few seconds.
    const agent = inRoot(
      'timeout --preserve-status -s INT 6 offloadctl agent --mode report --policy /etc/offloadctl/policy.yaml --state-dir /tmp/agent-state 2>&1',
      { netns: true },
    );
    assert.match(agent.out, /"msg":"agent ready"/);
    assert.match(agent.out, /"msg":"stopping"/);
    return status;
  });
  {
    const oracle = await oracleFeatures(ns, 'pkg-a');
    const mine = st.interfaces.find((i) => i.name === 'pkg-a')!.features;
    for (const f of ['tx-tcp-segmentation', 'tx-generic-segmentation', 'rx-gro', 'tx-scatter-gather'])
      assert.deepEqual(
        { active: mine[f]?.active, fixed: mine[f]?.fixed },
        { active: oracle[f]?.active, fixed: oracle[f]?.fixed },
        f,
      );

    timed('audit, man, completion', () => {
      const audit = inRoot('offloadctl audit --policy /etc/offloadctl/policy.yaml', { netns: true });
      assert.match(audit.out, /compliant/, 'the shipped policy selects nothing');
      assert.equal(
        inRoot('offloadctl audit --profile tso-gso-off', { netns: true, allow: [1] }).code,
        1,
        'a veth with TSO on deviates',
      );
      const man = inRoot('MANWIDTH=80 man -P cat offloadctl 2>&1');
      assert.match(man.out, /EXIT STATUS/);
      assert.match(man.out, /offloadctl-policy\(5\)/);
      assert.match(
        inRoot('man -w offloadctl-agent && man -w 5 offloadctl-policy').out,
        /offloadctl-agent\.8\.gz[\s\S]*offloadctl-policy\.5\.gz/,
      );
      const comp = inRoot(
        'source /usr/share/bash-completion/bash_completion; __load_completion offloadctl; COMP_WORDS=(offloadctl st); COMP_CWORD=1; _offloadctl; echo "${COMPREPLY[*]}"',
      );
      assert.equal(comp.out.trim(), 'status');
      const ifs = inRoot(
        'source /usr/share/bash-completion/bash_completion; __load_completion offloadctl; COMP_WORDS=(offloadctl status pkg-); COMP_CWORD=2; _offloadctl; echo "${COMPREPLY[*]}"',
        { netns: true },
      );
      assert.deepEqual(ifs.out.trim().split(' ').sort(), ['pkg-a', 'pkg-b'], 'interface names from /sys/class/net');
    });

    timed('apply, edit conffile, upgrade', () => {
      inRoot('offloadctl apply --profile tso-gso-off --interface pkg-a -y', { netns: true });
      const snaps = JSON.parse(inRoot('offloadctl snapshots --json').out) as { id: string }[];
      assert.equal(snaps.length, 1);
      const comp = inRoot(
        'source /usr/share/bash-completion/bash_completion; __load_completion offloadctl; COMP_WORDS=(offloadctl restore ""); COMP_CWORD=2; _offloadctl; echo "${COMPREPLY[*]}"',
      );
      assert.equal(comp.out.trim(), snaps[0]!.id, 'snapshot ids complete');
      inRoot("echo '# edited by the operator' >> /etc/offloadctl/policy.yaml");
      inRoot(`apt-get install -y -qq --no-install-recommends ${v2} 2>&1`);
      assert.match(inRoot('offloadctl --version').out, new RegExp(V2.replace(/[.+]/g, '\\$&')));
      assert.match(
        inRoot('tail -n1 /etc/offloadctl/policy.yaml').out,
        /edited by the operator/,
        'the edited conffile is kept',
      );
      assert.deepEqual(
        (JSON.parse(inRoot('offloadctl snapshots --json').out) as { id: string }[]).map((s) => s.id),
        snaps.map((s) => s.id),
        'snapshots kept',
      );
      inRoot('offloadctl restore --last -y', { netns: true });
    });

    timed('remove, purge', () => {
      inRoot('offloadctl status >/dev/null'); // a code cache written to /var/cache/offloadctl
      assert.ok(
        readdirSync(join(chroot, 'var/cache/offloadctl')).length > 0,
        'the code cache is in /var/cache/offloadctl',
      );
      inRoot('apt-get remove -y -qq offloadctl 2>&1');
      assert.ok(
        !existsSync(join(chroot, 'usr/lib/offloadctl')) && !existsSync(join(chroot, 'usr/bin/offloadctl')),
        'program removed',
      );
      assert.ok(!existsSync(join(chroot, 'var/cache/offloadctl')), 'caches removed');
      assert.ok(existsSync(join(chroot, 'etc/offloadctl/policy.yaml')), 'remove keeps the conffile (Debian policy)');
      assert.ok(existsSync(join(chroot, 'var/lib/offloadctl/snapshots')), 'remove keeps the state');
      inRoot('dpkg --purge offloadctl 2>&1');
      // Not ours: apt's lists and archives, the test's .debs, man-db's cache of formatted pages.
      const left = sh(
        `cd ${chroot} && find . -path ./proc -prune -o -path ./sys -prune -o -path ./tmp/pkgs -prune -o -path ./var/cache/apt -prune -o -path ./var/lib/apt/lists -prune -o -path ./var/cache/man -prune -o -iname '*offloadctl*' -print`,
      ).out.trim();
      assert.equal(left, '', 'purge leaves nothing named offloadctl');
      assert.equal(inRoot('dpkg-query -W offloadctl 2>&1 || true').out.includes('no packages found'), true);
    });
  }
});

test('npm pack → npm install -g into an empty prefix, no compiler → status --json in a namespace', {
  skip,
  timeout: 600_000,
}, async () => {
  const packDir = join(work, 'pack');
  const prefix = join(work, 'prefix');
  mkdirSync(packDir);
  mkdirSync(prefix);
  const tgz = timed(
    'npm pack (runs the build)',
    () => sh(`cd ${ROOT} && npm pack --silent --pack-destination ${packDir}`).out.trim().split('\n').pop()!,
  );
  const listing = sh(`tar -tzf ${join(packDir, tgz)}`).out;
  for (const f of [
    'package/bin/offloadctl',
    'package/bin/package.json', // bin/offloadctl is CommonJS
    'package/dist/main.cjs',
    'package/dist/man/offloadctl.8',
    'package/dist/completion/offloadctl.bash',
  ])
    assert.match(listing, new RegExp(`^${f}$`, 'm'));
  // No compiler: a node-gyp build would fail, so the addon must be the package's prebuilt one.
  timed('npm install -g ./offloadctl.tgz', () =>
    sh(
      `cd ${packDir} && CC=/bin/false CXX=/bin/false npm_config_build_from_source=false npm install -g --prefix ${prefix} --no-audit --no-fund --loglevel=error ./${tgz}`,
    ),
  );
  const bin = join(prefix, 'bin/offloadctl');
  assert.match(sh(`${bin} --version`).out, /prebuilt netlink addon/);
  const st = JSON.parse(sh(`ip netns exec ${ns} ${bin} status --json`).out) as {
    interfaces: { name: string; features: Record<string, { active: boolean }> }[];
  };
  const oracle = await oracleFeatures(ns, 'pkg-b');
  assert.equal(
    st.interfaces.find((i) => i.name === 'pkg-b')?.features['tx-tcp-segmentation']?.active,
    oracle['tx-tcp-segmentation']?.active,
  );
  // A policy file needs yaml at run time (not bundled): it must be installed too.
  assert.match(sh(`ip netns exec ${ns} ${bin} audit --policy ${ROOT}/packaging/policy.yaml`).out, /compliant/);
});
