import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GlobalOptions } from '../model/global-options.js';
import type { BenchCliOptions } from './options.js';
import { printJson } from '../render/print.js';
import { renderTable } from '../render/table.js';
import { EXIT, OffloadError } from '../model/errors.js';
import { parseProfiles, parseTests, runBenchmark } from './bench.js';
import { footer, progressLine, tableRows, verdictLines } from './render.js';
import { charts } from './svg.js';
import type { BenchResult } from './types.js';

/** The bench command's body: flags → runBenchmark → table or JSON (+ files). */
export async function benchCommand(o: BenchCliOptions, g: GlobalOptions): Promise<number> {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    throw new OffloadError('permission', 'bench needs root (it builds namespaces and changes offloads)');
  }
  const tty = process.stderr.isTTY && o.progress;
  let lastLen = 0;
  const result = await runBenchmark({
    lab: o.lab ?? (o.server ? undefined : 'netns'),
    labName: o.labName,
    server: o.server,
    port: o.port,
    rrPort: o.rrPort,
    profiles: parseProfiles(o.profiles),
    tests: parseTests(o.tests),
    duration: o.duration,
    repeat: o.repeat,
    udpRate: o.udpRate,
    streams: o.streams,
    accel: o.accel,
    interfaces: o.interface,
    stateDir: o.stateDir,
    backend: g.backend && g.backend !== 'auto' ? g.backend : undefined,
    seed: o.seed,
    log: (m) => {
      if (tty && lastLen) process.stderr.write('\r' + ' '.repeat(lastLen) + '\r');
      process.stderr.write(m + '\n');
    },
    onProgress: tty
      ? (p) => {
          const line = progressLine(p);
          process.stderr.write('\r' + line.padEnd(lastLen));
          lastLen = line.length;
        }
      : undefined,
  });
  if (tty && lastLen) process.stderr.write('\r' + ' '.repeat(lastLen) + '\r');
  const text = renderReport(result);
  if (o.out) writeOut(o.out, result, text);
  if (o.json || g.json) printJson(result);
  else process.stdout.write(text);
  return result.restored ? EXIT.ok : EXIT.system;
}

export function renderReport(r: BenchResult): string {
  const { headers, rows } = tableRows(r);
  return [renderTable(headers, rows), verdictLines(r).join('\n'), '', ...footer(r)].join('\n') + '\n';
}

function writeOut(dir: string, r: BenchResult, text: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'results.json'), JSON.stringify(r, null, 2) + '\n');
  writeFileSync(join(dir, 'report.txt'), text);
  for (const [name, svg] of Object.entries(charts(r))) writeFileSync(join(dir, name), svg);
}
