/**
 * A large lab for the page (tests and bench/ui-render.ts): `n` interfaces in bridges of at most
 * 500 ports (a bridge takes 1023: BR_MAX_PORTS) — half libvirt-style taps (vnetN, role vm-port),
 * the rest veth pairs with one end in a bridge — created with `ip -batch` in the namespace.
 */
import { ipBatch } from '../../../src/lab/netns.js';
import { http, waitFor } from '../agent-harness.js';

export async function buildScaleLab(ns: string, n: number): Promise<void> {
  const taps = Math.floor(n / 2);
  const pairs = Math.floor((n - taps) / 2);
  const bridges = Math.max(1, Math.ceil((taps + pairs) / 500));
  const lines: string[] = [];
  for (let b = 0; b < bridges; b++) lines.push(`link add br${b} type bridge`, `link set br${b} up`);
  for (let i = 0; i < taps; i++)
    lines.push(`tuntap add dev vnet${i} mode tap`, `link set vnet${i} master br${i % bridges}`);
  for (let i = 0; i < pairs; i++)
    lines.push(`link add ve${i} type veth peer name vp${i}`, `link set vp${i} master br${i % bridges}`);
  await ipBatch(ns, lines);
}

/** Until the agent has looked at every interface (none pending) and knows at least `n`. */
export async function agentSettled(ns: string, port: number, n: number, timeoutMs = 60_000): Promise<void> {
  await waitFor(
    async () => {
      const s = JSON.parse((await http(ns, port, 'GET', '/api/state')).text) as { counts: Record<string, number> };
      const total = Object.values(s.counts).reduce((a, b) => a + b, 0);
      return total >= n && (s.counts.pending ?? 0) === 0;
    },
    timeoutMs,
    `the agent has reconciled ${n} interfaces`,
    250,
  );
}
