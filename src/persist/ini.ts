/**
 * A strict parser for the INI dialects systemd (.link) and NetworkManager (keyfile) use:
 * `[Section]`, `Key=Value`, `#`/`;` comment lines, repeated keys kept in order. Anything else is
 * an error with its line number (used to validate keyfiles when NetworkManager is not installed).
 */
export interface IniSection {
  name: string;
  entries: [string, string][];
}

export class IniError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(`line ${line}: ${message}`);
  }
}

export function parseIni(text: string): IniSection[] {
  const sections: IniSection[] = [];
  let cur: IniSection | null = null;
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/\r$/, '').trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) return;
    const sec = /^\[([^\]]+)\]$/.exec(line);
    if (sec) {
      cur = { name: sec[1]!, entries: [] };
      sections.push(cur);
      return;
    }
    const kv = /^([A-Za-z0-9_.-]+)\s*=\s*(.*)$/.exec(line);
    if (!kv) throw new IniError(`expected [Section] or Key=Value, got ${JSON.stringify(line)}`, i + 1);
    if (!cur) throw new IniError('Key=Value before any [Section]', i + 1);
    (cur as IniSection).entries.push([kv[1]!, kv[2]!]);
  });
  return sections;
}

export function iniValues(sections: IniSection[], section: string, key: string): string[] {
  return sections
    .filter((s) => s.name === section)
    .flatMap((s) => s.entries.filter(([k]) => k === key).map(([, v]) => v));
}

export function iniSection(sections: IniSection[], name: string): IniSection | undefined {
  return sections.find((s) => s.name === name);
}

export function formatIni(sections: IniSection[]): string {
  return sections.map((s) => `[${s.name}]\n` + s.entries.map(([k, v]) => `${k}=${v}\n`).join('')).join('\n');
}
