/**
 * VMs start and stop while an operator looks: links appear and vanish between the link dump and the
 * features dump (and during each dump: NLM_F_DUMP_INTR). `status --json` must keep answering with a
 * consistent document (every interface it lists has features; no exception), for both backends.
 * Needs root; run `npm run build` first (scripts/test.sh does).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { run } from '../../src/kernel/exec.js';
import { createNetns, deleteNetns, ipBatch, uniquePrefix } from '../../src/lab/netns.js';

const root = process.getuid?.() === 0;
const bin = new URL('../../bin/offloadctl', import.meta.url).pathname;
let ns = '';
after(async () => {
  if (ns) await deleteNetns(ns);
});

test('status while VM ports come and go', {
  skip: root ? false : 'needs root: creates a network namespace',
}, async () => {
  ns = await createNetns(`${uniquePrefix('olsc')}a`);
  const base = ['link add br0 type bridge', 'link set br0 up'];
  for (let i = 0; i < 50; i++)
    base.push(`link add vif${i}.0 type veth peer name gst${i}`, `link set vif${i}.0 master br0`);
  await ipBatch(ns, base);

  let stop = false;
  let cycles = 0;
  const churn = (async () => {
    while (!stop) {
      const lines: string[] = [];
      for (let i = 0; i < 20; i++)
        lines.push(`tuntap add dev vnet${i} mode tap vnet_hdr`, `link set vnet${i} master br0`);
      for (let i = 0; i < 20; i++) lines.push(`link del vnet${i}`);
      await ipBatch(ns, lines);
      cycles++;
    }
  })();
  try {
    for (let r = 0; r < 6; r++) {
      for (const backend of ['netlink', 'ethtool']) {
        const res = await run([process.execPath, bin, '--netns', ns, '--backend', backend, 'status', '--json'], {
          timeoutMs: 60_000,
        });
        assert.equal(res.code, 0, `${backend}: ${res.stderr}`);
        const doc = JSON.parse(res.stdout) as {
          interfaces: { name: string; features: object; master: string | null }[];
        };
        const names = new Set(doc.interfaces.map((i) => i.name));
        assert.ok(names.has('br0') && names.has('vif49.0'), 'the stable interfaces are always there');
        for (const i of doc.interfaces) assert.ok(Object.keys(i.features).length > 0, `${i.name} has features`);
      }
    }
  } finally {
    stop = true;
    await churn;
  }
  assert.ok(cycles > 0, 'the churn ran');
});
