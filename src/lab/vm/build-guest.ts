import { spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  openSync,
  closeSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';
import { run, runOk } from '../../kernel/exec.js';

/**
 * The vm lab's guest: a Debian kernel plus a busybox initramfs that brings up virtio-net, starts
 * `iperf3 -s` and an echo server (busybox `nc -ll -e cat`, for the rr test) and prints a ready line
 * on the serial console. Assembled from Debian packages (`apt-get download`, `dpkg-deb -x`); nothing
 * is installed on this machine. Cached: a second call returns the cached files.
 */

/** Bump when the image layout or init script changes, so caches rebuild. */
const IMAGE_VERSION = 3;

export const GUEST_READY = 'OFFLOADCTL-GUEST-READY';
export const GUEST_IPERF_PORT = 5201;
export const GUEST_ECHO_PORT = 7;

export interface GuestImage {
  kernel: string;
  initrd: string;
  kernelPackage: string;
  dir: string;
}

/** virtio_ring before virtio, as the modules' `depends=` say; failover before net_failover. */
const MODULES = [
  'drivers/virtio/virtio_ring.ko',
  'drivers/virtio/virtio.ko',
  'drivers/virtio/virtio_pci_legacy_dev.ko',
  'drivers/virtio/virtio_pci_modern_dev.ko',
  'drivers/virtio/virtio_pci.ko',
  'net/core/failover.ko',
  'drivers/net/net_failover.ko',
  'drivers/net/virtio_net.ko',
];

const LIBS = ['libiperf.so.0', 'libc.so.6', 'libm.so.6', 'libcrypto.so.3', 'libsctp.so.1', 'ld-linux-x86-64.so.2'];

const INIT = `#!/bin/busybox sh
/bin/busybox --install -s /bin
mkdir -p /proc /sys /dev /tmp
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for m in ${MODULES.map((m) => m.split('/').pop()).join(' ')}; do insmod /lib/modules/$m || echo "insmod $m failed"; done
IP=
for a in $(cat /proc/cmdline); do
  case "$a" in offloadctl.ip=*) IP="\${a#offloadctl.ip=}" ;; esac
done
ip link set lo up
ip link set eth0 up
[ -n "$IP" ] && ip addr add "$IP" dev eth0
LD_LIBRARY_PATH=/lib/x86_64-linux-gnu iperf3 -s -D -p ${GUEST_IPERF_PORT}
nc -ll -p ${GUEST_ECHO_PORT} -e cat &
sleep 1
echo "${GUEST_READY} $(ip -o -4 addr show dev eth0 | awk '{print $4}') $(uname -r)"
while true; do sleep 3600; done
`;

export function defaultCacheDir(): string {
  if (process.env.OFFLOADCTL_CACHE) return process.env.OFFLOADCTL_CACHE;
  return process.getuid?.() === 0 ? '/var/cache/offloadctl' : join(homedir(), '.cache', 'offloadctl');
}

/** The versioned kernel package the cloud (or generic) metapackage depends on. */
async function kernelPackage(): Promise<string> {
  for (const meta of ['linux-image-cloud-amd64', 'linux-image-amd64']) {
    const r = await run(['apt-cache', 'depends', meta]);
    const m = /Depends:\s+(linux-image-[0-9][^\s]*)/.exec(r.stdout);
    if (r.code === 0 && m) return m[1]!;
  }
  throw new Error('apt-cache knows no linux-image-cloud-amd64 or linux-image-amd64 (run apt-get update?)');
}

/** Resolve a path inside an extracted tree, following symlinks within that tree (never the host's). */
function resolveIn(root: string, rel: string, depth = 0): string {
  const p = join(root, rel);
  if (depth > 10 || (!existsSync(p) && !isLink(p))) return p;
  if (!isLink(p)) return p;
  const target = readlinkSync(p);
  const next = target.startsWith('/') ? target.slice(1) : join(dirname(rel), target);
  return resolveIn(root, next, depth + 1);
}
function isLink(p: string): boolean {
  try {
    return lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}

function findLib(root: string, name: string): string {
  for (const d of ['lib/x86_64-linux-gnu', 'usr/lib/x86_64-linux-gnu', 'lib64', 'usr/lib64']) {
    const p = resolveIn(root, join(d, name));
    if (existsSync(p) && !isLink(p)) return p;
  }
  throw new Error(`guest build: ${name} not found in the extracted packages`);
}

function listTree(dir: string, base = dir): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    out.push(relative(base, p));
    if (e.isDirectory()) out.push(...listTree(p, base));
  }
  return out;
}

/** newc cpio of dir written to file, by the guest's own (static) busybox. */
function cpio(busybox: string, dir: string, file: string): Promise<void> {
  const list = ['.', ...listTree(dir)].join('\n') + '\n';
  return new Promise((resolve, reject) => {
    const fd = openSync(file, 'w');
    const child = spawn(busybox, ['cpio', '-o', '-H', 'newc'], { cwd: dir, stdio: ['pipe', fd, 'pipe'] });
    let err = '';
    child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
    child.on('error', (e) => (closeSync(fd), reject(e)));
    child.on('close', (code) => {
      closeSync(fd);
      if (code === 0) resolve();
      else reject(new Error(`busybox cpio exited ${code}: ${err.trim()}`));
    });
    child.stdin!.end(list);
  });
}

export async function buildGuest(opts: { cacheDir?: string; log?: (msg: string) => void } = {}): Promise<GuestImage> {
  const log = opts.log ?? (() => {});
  const dir = join(opts.cacheDir ?? defaultCacheDir(), 'guest');
  const manifestFile = join(dir, 'manifest.json');
  if (existsSync(manifestFile)) {
    try {
      const m = JSON.parse(readFileSync(manifestFile, 'utf8')) as GuestImage & { version: number };
      if (m.version === IMAGE_VERSION && existsSync(m.kernel) && existsSync(m.initrd)) return m;
    } catch {
      /* rebuild */
    }
  }
  const kpkg = await kernelPackage();
  const debs = join(dir, 'debs');
  mkdirSync(debs, { recursive: true });
  const pkgs = [kpkg, 'busybox-static', 'iperf3', 'libiperf0', 'libsctp1', 'libssl3', 'libc6'];
  log(`guest: apt-get download ${pkgs.join(' ')}`);
  // apt-get download writes into its working directory; as root it warns that _apt cannot write there.
  const dl = spawnSync('apt-get', ['download', ...pkgs], {
    cwd: debs,
    encoding: 'utf8',
    timeout: 600_000,
    env: { ...process.env, LC_ALL: 'C' },
  });
  if (dl.status !== 0)
    throw new Error(`apt-get download failed: ${(dl.stderr ?? String(dl.error)).trim().split('\n').pop()}`);
  const staging = join(dir, 'staging');
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  for (const p of pkgs) {
    const deb = readdirSync(debs)
      .filter((f) => f.startsWith(`${p}_`) && f.endsWith('.deb'))
      .sort()
      .pop();
    if (!deb) throw new Error(`guest build: ${p} was not downloaded`);
    await runOk(['dpkg-deb', '-x', join(debs, deb), staging]);
  }
  const kver = kpkg.replace(/^linux-image-/, '');
  const root = join(dir, 'initramfs');
  rmSync(root, { recursive: true, force: true });
  for (const d of ['bin', 'lib/modules', 'lib/x86_64-linux-gnu', 'lib64', 'proc', 'sys', 'dev', 'tmp', 'etc'])
    mkdirSync(join(root, d), { recursive: true });
  copyFileSync(resolveIn(staging, 'bin/busybox'), join(root, 'bin/busybox'));
  chmodSync(join(root, 'bin/busybox'), 0o755);
  symlinkSync('busybox', join(root, 'bin/sh'));
  copyFileSync(resolveIn(staging, 'usr/bin/iperf3'), join(root, 'bin/iperf3'));
  chmodSync(join(root, 'bin/iperf3'), 0o755);
  for (const l of LIBS) copyFileSync(findLib(staging, l), join(root, 'lib/x86_64-linux-gnu', l));
  symlinkSync('/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2', join(root, 'lib64/ld-linux-x86-64.so.2'));
  for (const m of MODULES) {
    const src = join(staging, 'lib/modules', kver, 'kernel', m);
    if (!existsSync(src)) throw new Error(`guest build: module ${m} missing from ${kpkg}`);
    copyFileSync(src, join(root, 'lib/modules', m.split('/').pop()!));
  }
  writeFileSync(join(root, 'init'), INIT, { mode: 0o755 });
  const cpioFile = join(dir, 'initramfs.cpio');
  await cpio(join(root, 'bin/busybox'), root, cpioFile);
  const initrd = join(dir, 'initrd.img');
  writeFileSync(initrd, gzipSync(readFileSync(cpioFile)));
  rmSync(cpioFile);
  const kernel = join(dir, 'vmlinuz');
  copyFileSync(join(staging, 'boot', `vmlinuz-${kver}`), kernel);
  rmSync(staging, { recursive: true, force: true });
  const image: GuestImage = { kernel, initrd, kernelPackage: kpkg, dir };
  writeFileSync(manifestFile, JSON.stringify({ ...image, version: IMAGE_VERSION }, null, 2));
  log(`guest: built ${initrd} with ${kpkg}`);
  return image;
}
