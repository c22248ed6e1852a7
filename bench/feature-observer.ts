/**
 * The agent bench's second observer (bench/agent-burst.ts starts it inside the burst's namespace:
 * `ip netns exec NS node --import tsx bench/feature-observer.ts`). It listens to the kernel's
 * ethtool "monitor" group — every FEATURES_SET, by the agent or by `ethtool -K`, is followed by a
 * FEATURES_NTF with the device's whole state (net/ethtool/features.c ethnl_set_features →
 * netdev_features_change → ethnl_notify) — and prints `NAME EPOCH_MS` the first time a device's
 * notification shows every changeable TSO/GSO bit requested and active off: when the kernel says
 * the device became compliant, whoever made it so and whenever that one gets round to saying so.
 * Prints `ready` once subscribed; exits on SIGTERM or when stdin closes.
 */
import { performance } from 'node:perf_hooks';
import { openMonitor } from '../src/kernel/monitor/netlink-monitor.js';
import type { FeatureMap } from '../src/model/types.js';

/** tso-gso-off's bits (kernel names): every tx-tcp*-segmentation bit and GSO. */
const TSO_GSO = /^tx-tcp.*-segmentation$|^tx-tcp-segmentation$|^tx-generic-segmentation$/;

function compliant(f: FeatureMap): boolean {
  let seen = false;
  for (const [name, st] of Object.entries(f)) {
    if (!TSO_GSO.test(name) || st.fixed) continue;
    seen = true;
    if (st.requested || st.active) return false;
  }
  return seen;
}

const mon = await openMonitor();
const done = new Set<string>();
mon.onEvent((e) => {
  if (e.type !== 'features' || done.has(e.name) || !compliant(e.features)) return;
  done.add(e.name);
  process.stdout.write(`${e.name} ${(performance.timeOrigin + e.at).toFixed(3)}\n`);
});
mon.onError((err) => {
  process.stderr.write(`feature-observer: ${err.message}\n`);
  process.exit(3);
});
const stop = () => {
  mon.close();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.stdin.on('end', stop).resume();
process.stdout.write('ready\n');
