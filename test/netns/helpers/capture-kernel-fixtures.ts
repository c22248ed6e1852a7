/**
 * Records real kernel netlink messages as hex fixtures for the codec unit tests
 * (test/unit/kernel/fixtures/), together with the oracle's view of the same state
 * (`ethtool --json -k`, `ip -json -d link`) taken at the same moment.
 *
 *   node --import tsx test/netns/helpers/capture-kernel-fixtures.ts [OUTDIR]
 *
 * Builds its own namespace (removed afterwards), then re-runs itself inside it ("inner" mode),
 * because netlink sockets talk to the namespace of the process.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { release } from 'node:os';
import { fileURLToPath } from 'node:url';
import { createNetns, deleteNetns, ipBatch, nsRunOk, uniquePrefix } from '../../../src/lab/netns.js';
import { runOk } from '../../../src/kernel/exec.js';
import { NlSocket } from '../../../src/kernel/netlink/socket.js';
import { NETLINK_GENERIC, NETLINK_ROUTE } from '../../../src/kernel/netlink/nlmsg.js';
import { decodeFamily, encodeGetFamily, GENL_ID_CTRL } from '../../../src/kernel/netlink/genl.js';
import {
  decodeStrset,
  encodeFeaturesGet,
  encodeFeaturesSet,
  encodeStrsetFeatures,
} from '../../../src/kernel/netlink/ethtool-msg.js';
import { encodeGetLinkDump, RTM_GETLINK } from '../../../src/kernel/netlink/rtnl.js';
import { KERNEL_TOPOLOGY, UNUSUAL_STATES } from './kernel-topology.js';

const here = fileURLToPath(import.meta.url);
const defaultOut = fileURLToPath(new URL('../../unit/kernel/fixtures/', import.meta.url));

async function outer(outDir: string): Promise<void> {
  const ns = await createNetns(`${uniquePrefix('kfix')}a`);
  try {
    await ipBatch(ns, KERNEL_TOPOLOGY);
    for (const argv of UNUSUAL_STATES) await nsRunOk(ns, ['ethtool', '-K', ...argv]);
    await nsRunOk(ns, [process.execPath, '--import', 'tsx', here, 'inner', outDir]);
  } finally {
    await deleteNetns(ns);
  }
}

interface Capture {
  out: string[];
  in: string[];
}

function tapped(sock: NlSocket): Capture {
  const c: Capture = { out: [], in: [] };
  sock.tap = (dir, buf) => c[dir].push(buf.toString('hex'));
  return c;
}

function save(outDir: string, name: string, data: Record<string, unknown>): void {
  writeFileSync(`${outDir}/${name}.json`, JSON.stringify({ kernel: release(), ...data }, null, 1) + '\n');
}

async function inner(outDir: string): Promise<void> {
  mkdirSync(outDir, { recursive: true });
  const oracle = async (argv: string[]) => JSON.parse(await runOk(argv)) as unknown;

  const genl = new NlSocket(NETLINK_GENERIC);
  let cap = tapped(genl);
  const fr = await genl.request(GENL_ID_CTRL, encodeGetFamily('ethtool'), {});
  const fam = decodeFamily(fr.messages[0]!.payload);
  save(outDir, 'genl-getfamily-ethtool', {
    description: 'CTRL_CMD_GETFAMILY "ethtool": request and reply (+ ACK)',
    ...cap,
  });

  cap = tapped(genl);
  const sr = await genl.request(fam.id, encodeStrsetFeatures(), {});
  const names = decodeStrset(sr.messages[0]!.payload)!;
  save(outDir, 'strset-features', { description: 'STRSET_GET ETH_SS_FEATURES (global)', familyId: fam.id, ...cap });

  cap = tapped(genl);
  await genl.request(fam.id, encodeFeaturesGet({}), { dump: true });
  save(outDir, 'features-dump-compact', {
    description: 'FEATURES_GET dump with COMPACT_BITSETS; oracle = ethtool --json -k * at the same moment',
    familyId: fam.id,
    names,
    ...cap,
    oracle: await oracle(['ethtool', '--json', '-k', '*']),
  });

  cap = tapped(genl);
  await genl.request(fam.id, encodeFeaturesGet({ ifname: 'abcdefghijklmno' }, false), {});
  save(outDir, 'features-get-verbose', {
    description: 'FEATURES_GET abcdefghijklmno, verbose bitsets (names included)',
    familyId: fam.id,
    names,
    ...cap,
    oracle: await oracle(['ethtool', '--json', '-k', 'abcdefghijklmno']),
  });

  // SET: gso off (changeable), tx-checksum-ipv4 on (not in hw_features: silently ignored, reported
  // in the reply's WANTED diff), rx-gro on. Value+mask compact bitset.
  const idx = (n: string) => names.indexOf(n);
  const before = await oracle(['ethtool', '--json', '-k', 'vif3.0']);
  cap = tapped(genl);
  await genl.request(
    fam.id,
    encodeFeaturesSet({ ifname: 'vif3.0' }, names.length, [
      [idx('tx-generic-segmentation'), false],
      [idx('tx-checksum-ipv4'), true],
      [idx('rx-gro'), true],
    ]),
    {},
  );
  save(outDir, 'features-set', {
    description:
      'FEATURES_SET vif3.0 gso off, tx-checksum-ipv4 on (not changeable), rx-gro on; reply has the WANTED/ACTIVE diffs',
    familyId: fam.id,
    names,
    ...cap,
    before,
    after: await oracle(['ethtool', '--json', '-k', 'vif3.0']),
  });

  cap = tapped(genl);
  await genl.request(fam.id, encodeFeaturesGet({ ifname: 'nosuchdev0' }), {}).catch(() => undefined);
  save(outDir, 'features-get-enodev', {
    description: 'FEATURES_GET of a missing device: NLMSG_ERROR ENODEV (no extended ACK requested)',
    familyId: fam.id,
    ...cap,
  });
  genl.close();

  const rt = new NlSocket(NETLINK_ROUTE);
  cap = tapped(rt);
  await rt.request(RTM_GETLINK, encodeGetLinkDump(), { dump: true });
  save(outDir, 'rtnl-getlink-dump', {
    description: 'RTM_GETLINK dump with RTEXT_FILTER_SKIP_STATS; oracle = ip -json -d link show',
    ...cap,
    oracle: await oracle(['ip', '-json', '-d', 'link', 'show']),
  });
  rt.close();
}

const [mode, dir] = process.argv.slice(2);
if (mode === 'inner') await inner(dir!);
else await outer(mode ?? defaultOut);
