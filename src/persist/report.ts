import { renderTable } from '../render/table.js';
import type { CheckReport } from './check.js';
import type { InstallReport } from './install.js';
import type { PersistOutcome } from './persist.js';

/** Human text and JSON for persist results (pure; the CLI prints them). */

export function installText(reports: readonly InstallReport[]): string {
  if (reports.length === 0) return 'nothing installed by offloadctl persist under this root\n';
  let text = '';
  for (const r of reports) {
    if (r.status === 'nothing-installed') {
      text += `${r.target}: nothing installed\n`;
      continue;
    }
    const rows = r.files.map((f) => [
      f.path,
      f.action,
      [f.backup ? `backup ${f.backup}` : '', f.detail ?? ''].filter(Boolean).join('; '),
    ]);
    if (rows.length) text += renderTable(['FILE', 'ACTION', 'DETAIL'], rows);
    text += `${r.target}: ${r.status}${r.dryRun ? ' (dry run: nothing written)' : ''}\n`;
    for (const w of r.warnings) text += `warning: ${w}\n`;
  }
  return text;
}

export function persistText(o: PersistOutcome, dryRun: boolean): string {
  let text = '';
  if (o.auto) {
    const found = Object.entries(o.auto.detected)
      .filter(([, v]) => v)
      .map(([k]) => k);
    text += `detected: ${found.join(', ') || 'nothing'}\n`;
    for (const r of o.auto.reasons) text += `  ${r}\n`;
    if (o.auto.vmStart.length) text += `  VM ports: ${o.auto.vmStart.join(' + ')}\n`;
    text += '\n';
  }
  for (const t of o.targets) {
    text += `== ${t.target}\n`;
    if (t.install) text += installText([t.install]);
    if (dryRun) {
      for (const f of t.result.files) {
        text += `--- ${f.path} (mode ${f.mode.toString(8)})\n${f.content}${f.content.endsWith('\n') ? '' : '\n'}`;
      }
    }
    for (const n of t.result.notes) text += `note: ${n}\n`;
    const byCaveat = new Map<string, string[]>();
    for (const c of t.result.coverage)
      for (const cv of c.caveats ?? []) byCaveat.set(cv, [...(byCaveat.get(cv) ?? []), c.match]);
    for (const [cv, m] of byCaveat) text += `caveat (${m.join(', ')}): ${cv}\n`;
    if (t.result.commands.length && t.install?.status === 'changed') {
      text += 'to take effect now, run:\n' + t.result.commands.map((c) => `  ${c}\n`).join('');
    }
    text += '\n';
  }
  for (const n of o.notes) text += `note: ${n}\n`;
  return text;
}

export function persistJson(o: PersistOutcome, dryRun: boolean): unknown {
  return {
    dryRun,
    auto: o.auto,
    notes: o.notes,
    targets: o.targets.map((t) => ({
      target: t.target,
      status: t.install?.status ?? null,
      files: t.install?.files ?? [],
      warnings: t.install?.warnings ?? [],
      rendered: t.result.files.map((f) => ({
        path: f.path,
        mode: '0' + f.mode.toString(8),
        ...(dryRun ? { content: f.content } : {}),
      })),
      moves: t.result.moves,
      coverage: t.result.coverage,
      notes: t.result.notes,
      commands: t.result.commands,
    })),
  };
}

export function checkText(r: CheckReport): string {
  const rows = r.rows.map((x) => [
    x.interface,
    x.role,
    x.boot.join(',') || '-',
    x.vmStart.join(',') || '-',
    x.holds === 'kept' ? 'kept' : x.holds === 'set-once' ? 'set once' : '-',
    x.gaps.join('; ') || 'ok',
  ]);
  let text = renderTable(['INTERFACE', 'ROLE', 'BOOT', 'VM-START', 'HOLDS', 'GAPS'], rows);
  if (r.mechanisms.length) {
    text +=
      '\nHOLDS: "kept" = a mechanism re-enforces the setting (the agent: also after QEMU re-enables a tap\'s TSO when the\n' +
      'guest negotiates, TUNSETOFFLOAD); "set once" = applied when the device appears (udev, libvirt hook, boot files).\n';
    for (const m of r.mechanisms)
      text += `mechanism: ${m.target}: ${m.holds === 'kept' ? 'keeps the setting' : 'sets it once'}${m.credited ? '' : ' (not credited here)'}\n`;
  }
  for (const n of r.notes) text += `note: ${n}\n`;
  const caveats = [...new Set(r.rows.flatMap((x) => x.caveats))];
  if (caveats.length) text += '\n' + caveats.map((c) => `caveat: ${c}\n`).join('');
  for (const p of r.problems) text += `problem: ${p}\n`;
  text += `\n${r.gaps === 0 ? 'no gaps' : `${r.gaps} gap${r.gaps === 1 ? '' : 's'}`}: ${r.rows.length} interfaces and VM-port schemes checked\n`;
  return text;
}
