/**
 * Streaming the kernel log (what `offloadctl doctor --kernel-log` does) vs reading it whole
 * (readFileSync + split), on a generated log: time and peak memory, medians over repeats, each run in
 * a fresh process so peak RSS is its own. Run: node --import tsx bench/doctor-log-scan.ts [LINES] [REPEATS]
 */
import { spawnSync } from 'node:child_process';
import { createReadStream, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { linesOf, scanLog } from '../src/doctor/log-scan.js';
import { builtinSignatures } from '../src/doctor/signatures.js';

const NOISE = [
  'e1000e 0000:00:19.0 eth0: NIC Link is Up 1000 Mbps Full Duplex, Flow Control: Rx/Tx',
  'vmbr0: port 2(tap100i0) entered forwarding state',
  'audit: type=1400 audit(1390227884.983:30): apparmor="DENIED" operation="capable" profile="/usr/sbin/cupsd"',
  'EXT4-fs (sda1): mounted filesystem with ordered data mode. Quota mode: none.',
];

async function one(variant: string, file: string): Promise<void> {
  const t0 = performance.now();
  const sigs = builtinSignatures();
  let lines: AsyncIterable<string>;
  if (variant === 'stream') lines = linesOf(createReadStream(file, { highWaterMark: 64 * 1024 }));
  else {
    const all = readFileSync(file, 'utf8').split('\n');
    lines = (async function* () {
      yield* all;
    })();
  }
  const r = await scanLog(lines, { signatures: sigs, source: file });
  const ms = performance.now() - t0;
  process.stdout.write(
    JSON.stringify({
      ms,
      maxRssMiB: process.resourceUsage().maxRSS / 1024,
      matched: r.linesMatched,
      read: r.linesRead,
    }),
  );
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

async function main(): Promise<void> {
  if (process.argv[2] === '--one') return one(process.argv[3]!, process.argv[4]!);
  const LINES = Number(process.argv[2] ?? 300_000);
  const REPEATS = Number(process.argv[3] ?? 3);
  const dir = mkdtempSync(join(tmpdir(), 'olc-bench-log-'));
  try {
    const file = join(dir, 'kern.log');
    const parts: string[] = [];
    for (let i = 0; i < LINES; i++) {
      const ts = `[${(i / 100).toFixed(6).padStart(12)}] `;
      parts.push(
        ts + (i % 1000 === 0 ? 'e1000e 0000:00:1f.6 eno1: Detected Hardware Unit Hang:' : NOISE[i % NOISE.length]),
      );
    }
    writeFileSync(file, parts.join('\n') + '\n');
    const mb = statSync(file).size / 1e6;
    const self = fileURLToPath(import.meta.url);
    const res: Record<string, { ms: number[]; rss: number[] }> = {
      stream: { ms: [], rss: [] },
      whole: { ms: [], rss: [] },
    };
    for (let r = 0; r < REPEATS; r++) {
      for (const v of ['stream', 'whole']) {
        const p = spawnSync(process.execPath, ['--import', 'tsx', self, '--one', v, file], { encoding: 'utf8' });
        if (p.status !== 0) throw new Error(p.stderr);
        const o = JSON.parse(p.stdout);
        res[v]!.ms.push(o.ms);
        res[v]!.rss.push(o.maxRssMiB);
      }
    }
    const s = res.stream!;
    const w = res.whole!;
    console.log(
      `kernel log scan: ${LINES} lines, ${mb.toFixed(1)} MB, ${REPEATS} repeats (medians; each run in a fresh node process)`,
    );
    console.log('variant            time ms   lines/s    peak RSS MiB');
    for (const [name, v] of [
      ['stream (doctor)', s],
      ['read whole+split', w],
    ] as const) {
      const ms = median(v.ms);
      console.log(
        `${name.padEnd(18)} ${ms.toFixed(0).padStart(7)}   ${((LINES / ms) * 1000).toFixed(0).padStart(8)}   ${median(v.rss).toFixed(0).padStart(12)}`,
      );
    }
    console.log(
      `ratio whole/stream: time ${(median(w.ms) / median(s.ms)).toFixed(2)}x, peak RSS ${(median(w.rss) / median(s.rss)).toFixed(2)}x`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
