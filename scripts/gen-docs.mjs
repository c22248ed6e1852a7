// Man pages and shell completion, generated from the CLI's own commander definitions (the built
// bundle's buildProgram()) plus the prose kept in man/*.mdoc. Written to dist/man/ and
// dist/completion/ by `npm run build` (scripts/build.mjs runs this last); packaging and `npm pack` ship them.
//
// Why mdoc written from JS and not pandoc/ronn/marked-man: the reference part of each page (every
// command, option, choice and default) comes from the commander objects, so a converter would only
// see Markdown this script wrote first; mdoc is what mandoc (Debian's man) and groff both render
// natively, and `mandoc -T lint` checks it strictly. No extra build dependency.
//
// Prose markers in man/*.mdoc, each alone on a line:
//   .\" @GLOBAL-OPTIONS@       the root program's options
//   .\" @COMMANDS@             every command but those of their own page, with its options
//   .\" @COMMAND agent@        one command's synopsis line
//   .\" @OPTIONS agent@        one command's description and options
//   .\" @PROFILES@             the built-in profiles (name, description)
//   .\" @VERSION@ / @DATE@     replaced inline
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
// The bundle's folder: dist/, or scripts/build.mjs's --outdir (packaging/stage.sh builds into its own).
const dist = resolve(root, process.env.OFFLOADCTL_DOCS_DIST ?? 'dist');
const bundle = createRequire(import.meta.url)(join(dist, 'main.cjs'));
const program = bundle.buildProgram();
const info = bundle.buildInfo();
// Profile and feature names as the CLI lists them (its JSON output: no second copy of the lists here).
const cli = (...args) =>
  JSON.parse(
    execFileSync(
      process.execPath,
      [
        '-e',
        'require(process.argv[1]).main(["node", "offloadctl", ...process.argv.slice(2)]).then((c) => (process.exitCode = c))',
        join(dist, 'main.cjs'),
        ...args,
      ],
      {
        encoding: 'utf8',
      },
    ),
  );
const profiles = cli('profiles', '--json').profiles;
const features = cli('explain', '--list', '--json');

/** Commands documented on a page of their own instead of offloadctl(8)'s list. */
const OWN_PAGE = new Set(['agent']);

// ---------- mdoc ----------
/** Escape text for a mdoc text line: backslashes, and a leading dot or quote. */
function esc(s) {
  return s.replace(/\\/g, '\\e');
}
/** Text as mdoc lines: one sentence per line (mdoc style), no line starting with a control character. */
function prose(text) {
  return esc(text)
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/([.!?:;]) (?=[A-Z(`"])/g, '$1\n')
    .split('\n')
    .flatMap((l) => wrap(l, 78))
    .map((l) => (/^[.']/.test(l) ? `\\&${l}` : l))
    .join('\n');
}
/** Lines of at most `width` bytes where words allow (mandoc's style check: 80). */
function wrap(line, width) {
  const out = [];
  let cur = '';
  for (const w of line.split(' ')) {
    if (cur && cur.length + 1 + w.length > width) {
      out.push(cur);
      cur = w;
    } else cur = cur ? `${cur} ${w}` : w;
  }
  if (cur) out.push(cur);
  return out;
}
/** `--guard-server <host[:port]>` → `Fl Fl guard-server Ar host[:port]`; `-y, --yes` → `Fl y , Fl Fl yes`. */
function flagsMacro(o) {
  const parts = [];
  if (o.short) parts.push(`Fl ${o.short.slice(1)}`);
  if (o.long) parts.push(`Fl Fl ${o.long.slice(2)}`);
  let s = parts.join(' , ');
  const arg = /[<[]([^>\]]+)[>\]]/.exec(o.flags);
  if (arg) s += o.optional ? ` Op Ar ${arg[1]}` : ` Ar ${arg[1]}`;
  return s;
}
function defaultText(o) {
  const d = o.defaultValue;
  if (d === undefined || d === false || (Array.isArray(d) && d.length === 0)) return '';
  if (o.negate) return '';
  return ` Default: ${Array.isArray(d) ? d.join(', ') : String(d)}.`;
}
function optionList(cmd) {
  const opts = cmd.options.filter((o) => !o.hidden);
  if (opts.length === 0) return '';
  const out = ['.Bl -tag -width Ds'];
  for (const o of opts) {
    out.push(`.It ${flagsMacro(o)}`);
    let text = o.description.charAt(0).toUpperCase() + o.description.slice(1);
    if (!/[.!?]$/.test(text)) text += '.';
    if (o.argChoices) text += ` One of: ${o.argChoices.join(', ')}.`;
    text += defaultText(o);
    out.push(prose(text));
  }
  out.push('.El');
  return out.join('\n');
}
/** The text a command adds after its --help (addHelpText: notes, Examples, Exit codes), as mdoc. */
function helpExtra(cmd) {
  let text = '';
  cmd.emit('afterHelp', { error: false, command: cmd, write: (t) => (text += t) });
  const out = [];
  for (const block of text
    .split(/\n\s*\n/)
    .map((b) => b.replace(/^\n+|\s+$/g, ''))
    .filter(Boolean)) {
    const lines = block.split('\n');
    const head =
      /^\S/.test(lines[0]) && lines.slice(1).length > 0 && lines.slice(1).every((l) => /^\s{2,}\S/.test(l))
        ? lines.shift()
        : null;
    if (lines.every((l) => /^\s{2,}\S/.test(l))) {
      if (head) out.push('.Pp', prose(head));
      const indent = Math.min(...lines.map((l) => /^\s*/.exec(l)[0].length));
      out.push(
        '.Bd -literal -offset indent',
        ...lines.map((l) => esc(l.slice(indent))).map((l) => (/^[.']/.test(l) ? `\\&${l}` : l)),
        '.Ed',
      );
    } else out.push('.Pp', prose(block));
  }
  return out.join('\n');
}
/** A synopsis, one macro per line (an `Op` on a line would enclose the rest of that line). */
function synopsis(name, cmd, subs = false) {
  const out = [`.Nm ${name}`];
  if (cmd.options.some((o) => !o.hidden)) out.push('.Op Ar options');
  if (subs) out.push('.Ar subcommand');
  for (const a of cmd.registeredArguments) {
    const arg = `Ar ${a.name()}${a.variadic ? ' ...' : ''}`;
    out.push(a.required ? `.${arg}` : `.Op ${arg}`);
  }
  return out.join('\n');
}
function commandSection(cmd, prefix, heading = '.Ss') {
  const visible = cmd.commands.filter((c) => !c._hidden);
  const out = [];
  const name = `${prefix} ${cmd.name()}`.trim();
  out.push(`${heading} ${name}`);
  out.push(synopsis(name.replace(/^offloadctl ?/, ''), cmd, visible.length > 0));
  out.push('.Pp');
  out.push(prose(cmd.description()));
  const list = optionList(cmd);
  if (list) out.push(list);
  const extra = helpExtra(cmd);
  if (extra) out.push(extra);
  for (const sub of visible) {
    out.push('.Pp');
    out.push(synopsis(`${name.replace(/^offloadctl ?/, '')} ${sub.name()}`, sub));
    out.push('.Pp');
    out.push(prose(sub.description()));
    const l = optionList(sub);
    if (l) out.push(l);
    const e = helpExtra(sub);
    if (e) out.push(e);
  }
  return out.join('\n');
}
function byName(name) {
  const c = program.commands.find((x) => x.name() === name);
  if (!c) throw new Error(`gen-docs: no command ${name}`);
  return c;
}
function render(src) {
  const date = new Date(info.date === 'unknown' ? Date.now() : info.date);
  const month = date.toLocaleString('en-US', { month: 'long', timeZone: 'UTC' });
  return src
    .replace(/@DATE@/g, `${month} ${date.getUTCDate()}, ${date.getUTCFullYear()}`)
    .replace(/@VERSION@/g, info.version)
    .replace(/^\.\\" @GLOBAL-OPTIONS@$/m, () => optionList(program))
    .replace(/^\.\\" @COMMANDS@$/m, () =>
      program.commands
        .filter((c) => !c._hidden && !OWN_PAGE.has(c.name()))
        .map((c) => commandSection(c, ''))
        .join('\n'),
    )
    .replace(/^\.\\" @COMMAND ([a-z]+)@$/gm, (_, n) => {
      const c = byName(n);
      return synopsis(`offloadctl ${n}`, c);
    })
    .replace(/^\.\\" @OPTIONS ([a-z]+)@$/gm, (_, n) =>
      [prose(byName(n).description()), optionList(byName(n)), helpExtra(byName(n))].filter(Boolean).join('\n'),
    )
    .replace(/^\.\\" @PROFILES@$/m, () =>
      [
        '.Bl -tag -width Ds',
        ...profiles.flatMap((p) => [`.It Cm ${p.name}${p.default ? ' (default)' : ''}`, prose(p.description)]),
        '.El',
      ].join('\n'),
    );
}

// ---------- completion ----------
function visibleOptions(cmd) {
  return cmd.options.filter((o) => !o.hidden);
}
/** What completes an option's value: fixed choices, or a class the shell fills in at run time. */
function valueKind(o) {
  if (o.argChoices) return { words: o.argChoices };
  const n = o.long ?? '';
  if (n === '--profile' || n === '--profiles') return { words: profiles.map((p) => p.name) };
  if (n === '--interface') return { dyn: 'interfaces' };
  if (n === '--netns') return { dyn: 'netns' };
  if (/dir$|--root|--out$/.test(n)) return { dyn: 'dirs' };
  if (/policy$|file$|--kernel-log|--signatures|-path$/.test(n)) return { dyn: 'files' };
  return { dyn: 'none' };
}
function takesValue(o) {
  return o.required || o.optional;
}
function allCommands() {
  const out = [];
  for (const c of program.commands.filter((x) => !x._hidden)) {
    out.push({ path: c.name(), cmd: c, subs: c.commands.filter((s) => !s._hidden).map((s) => s.name()) });
    for (const s of c.commands.filter((x) => !x._hidden))
      out.push({ path: `${c.name()} ${s.name()}`, cmd: s, subs: [] });
  }
  return out;
}
/** Operand completion per command path: interfaces (status IFACE...), snapshot ids, profiles, features. */
function operandKind(path) {
  if (path === 'status') return 'interfaces';
  if (path === 'restore') return 'snapshots';
  if (path === 'profiles') return 'profiles';
  if (path === 'explain') return 'features';
  return 'none';
}

function bash() {
  const rootOpts = visibleOptions(program);
  const cmds = allCommands();
  const L = [];
  L.push(
    `# bash completion for offloadctl ${info.version}: generated by scripts/gen-docs.mjs from the CLI definitions`,
  );
  L.push('_offloadctl_dyn() {');
  L.push('  case "$1" in');
  L.push('    interfaces) COMPREPLY+=($(compgen -W "$(ls /sys/class/net 2>/dev/null)" -- "$cur")) ;;');
  L.push('    netns) COMPREPLY+=($(compgen -W "$(ls /run/netns 2>/dev/null)" -- "$cur")) ;;');
  // snapshot ids: the file names of STATE_DIR/snapshots/ID.json (src/apply/store.ts)
  L.push(
    '    snapshots) COMPREPLY+=($(compgen -W "$(cd "${state_dir:-/var/lib/offloadctl}/snapshots" 2>/dev/null && ls -- *.json 2>/dev/null | sed \'s/\\.json$//\')" -- "$cur")) ;;',
  );
  L.push(`    profiles) COMPREPLY+=($(compgen -W "${profiles.map((p) => p.name).join(' ')}" -- "$cur")) ;;`);
  L.push(`    features) COMPREPLY+=($(compgen -W "${features.join(' ')}" -- "$cur")) ;;`);
  L.push('    dirs) compopt -o filenames 2>/dev/null; COMPREPLY+=($(compgen -d -- "$cur")) ;;');
  L.push('    files) compopt -o filenames 2>/dev/null; COMPREPLY+=($(compgen -f -- "$cur")) ;;');
  L.push('  esac');
  L.push('}');
  L.push('_offloadctl() {');
  L.push('  local cur prev path="" state_dir="" i w');
  L.push('  COMPREPLY=()');
  L.push('  cur=${COMP_WORDS[COMP_CWORD]}');
  L.push('  prev=${COMP_WORDS[COMP_CWORD-1]}');
  L.push('  for ((i = 1; i < COMP_CWORD; i++)); do');
  L.push('    w=${COMP_WORDS[i]}');
  L.push('    case "$w" in');
  const rootValued = rootOpts.filter(takesValue).map((o) => o.long);
  L.push(`      ${rootValued.join('|')}) ((i++)) ;;`);
  L.push('      --state-dir) state_dir=${COMP_WORDS[i+1]}; ((i++)) ;;');
  L.push('      -*) ;;');
  L.push('      *) if [ -z "$path" ]; then path=$w; else case "$path $w" in');
  const subPaths = cmds.filter((c) => c.path.includes(' ')).map((c) => `"${c.path}"`);
  if (subPaths.length) L.push(`        ${subPaths.join('|')}) path="$path $w" ;; esac; fi ;;`);
  else L.push('        *) ;; esac; fi ;;');
  L.push('    esac');
  L.push('  done');
  L.push('  case "$path" in');
  const emitCase = (label, cmd, subs, opKind) => {
    const opts = visibleOptions(cmd);
    L.push(`    ${label})`);
    L.push('      case "$prev" in');
    for (const o of opts.filter(takesValue)) {
      const k = valueKind(o);
      const names = [o.short, o.long].filter(Boolean).join('|');
      if (k.words) L.push(`        ${names}) COMPREPLY=($(compgen -W "${k.words.join(' ')}" -- "$cur")); return ;;`);
      else L.push(`        ${names}) _offloadctl_dyn ${k.dyn}; return ;;`);
    }
    L.push('      esac');
    const words = opts.flatMap((o) => [o.long ?? o.short]).concat(['--help']);
    L.push(`      if [[ $cur == -* ]]; then COMPREPLY=($(compgen -W "${words.join(' ')}" -- "$cur")); return; fi`);
    if (subs.length) L.push(`      COMPREPLY=($(compgen -W "${subs.join(' ')}" -- "$cur"))`);
    else if (opKind !== 'none') L.push(`      _offloadctl_dyn ${opKind}`);
    L.push('      ;;');
  };
  for (const c of cmds) emitCase(`"${c.path}"`, c.cmd, c.subs, operandKind(c.path));
  // No command yet: root options and command names.
  L.push('    *)');
  L.push('      case "$prev" in');
  for (const o of rootOpts.filter(takesValue)) {
    const k = valueKind(o);
    if (k.words) L.push(`        ${o.long}) COMPREPLY=($(compgen -W "${k.words.join(' ')}" -- "$cur")); return ;;`);
    else L.push(`        ${o.long}) _offloadctl_dyn ${k.dyn}; return ;;`);
  }
  L.push('      esac');
  const rootWords = rootOpts.map((o) => o.long).concat(['--help']);
  L.push(`      if [[ $cur == -* ]]; then COMPREPLY=($(compgen -W "${rootWords.join(' ')}" -- "$cur")); return; fi`);
  L.push(
    `      COMPREPLY=($(compgen -W "${program.commands
      .filter((c) => !c._hidden)
      .map((c) => c.name())
      .concat('help')
      .join(' ')}" -- "$cur"))`,
  );
  L.push('      ;;');
  L.push('  esac');
  L.push('}');
  L.push('complete -F _offloadctl offloadctl');
  return L.join('\n') + '\n';
}

/** zsh: one _arguments spec per command (descriptions as zsh shows them: [] and : escaped). */
function zsh() {
  const zq = (s) =>
    s.replace(/\\/g, '\\\\').replace(/'/g, "'\\''").replace(/\[/g, '\\[').replace(/\]/g, '\\]').replace(/:/g, '\\:');
  const action = (o) => {
    const k = valueKind(o);
    if (k.words) return `(${k.words.join(' ')})`;
    return {
      interfaces: '_offloadctl_interfaces',
      netns: '_offloadctl_netns',
      dirs: '_directories',
      files: '_files',
      none: ' ',
    }[k.dyn];
  };
  const spec = (o) => {
    const names = [o.short, o.long].filter(Boolean);
    const head = names.length > 1 ? `(${names.join(' ')})'{${names.join(',')}}'` : names[0];
    const desc = zq(o.description.split(/[.(]/)[0].trim());
    const arg = takesValue(o) ? `:${zq(/[<[]([^>\]]+)/.exec(o.flags)?.[1] ?? 'value')}:${action(o)}` : '';
    return `'${head}[${desc}]${arg}'`;
  };
  const L = [];
  L.push('#compdef offloadctl');
  L.push(`# zsh completion for offloadctl ${info.version}: generated by scripts/gen-docs.mjs from the CLI definitions`);
  L.push(
    '_offloadctl_interfaces() { local -a ifs; ifs=(${(f)"$(ls /sys/class/net 2>/dev/null)"}); _describe interface ifs; }',
  );
  L.push('_offloadctl_netns() { local -a ns; ns=(${(f)"$(ls /run/netns 2>/dev/null)"}); _describe namespace ns; }');
  L.push(
    '_offloadctl_snapshots() { local -a ids; ids=(${(f)"$(cd /var/lib/offloadctl/snapshots 2>/dev/null && ls -- *.json 2>/dev/null | sed \'s/\\.json$//\')"}); _describe snapshot ids; }',
  );
  L.push(`_offloadctl_profiles() { local -a p; p=(${profiles.map((p) => p.name).join(' ')}); _describe profile p; }`);
  L.push(`_offloadctl_features() { local -a f; f=(${features.join(' ')}); _describe feature f; }`);
  const operand = {
    interfaces: "'*:interface:_offloadctl_interfaces'",
    snapshots: "'1:snapshot:_offloadctl_snapshots'",
    profiles: "'1:profile:_offloadctl_profiles'",
    features: "'1:feature:_offloadctl_features'",
  };
  const cmds = allCommands();
  for (const c of cmds) {
    const fn = `_offloadctl_cmd_${c.path.replace(/ /g, '_')}`;
    const specs = visibleOptions(c.cmd).map(spec);
    if (c.subs.length) {
      L.push(`${fn}() {`);
      L.push('  local -a subs');
      L.push(
        `  subs=(${c.cmd.commands
          .filter((s) => !s._hidden)
          .map((s) => `'${s.name()}:${zq(s.description().split(/[.(:]/)[0])}'`)
          .join(' ')})`,
      );
      L.push(`  _arguments -C ${specs.join(' ')} '1:subcommand:->sub' '*::arg:->args'`);
      L.push('  case $state in');
      L.push('    sub) _describe subcommand subs ;;');
      L.push(`    args) (( $+functions[${fn}_$words[1]] )) && ${fn}_$words[1] ;;`);
      L.push('  esac');
      L.push('}');
    } else {
      const k = operandKind(c.path);
      L.push(`${fn}() { _arguments ${[...specs, ...(k !== 'none' ? [operand[k]] : [])].join(' ')}; }`);
    }
  }
  const top = program.commands.filter((c) => !c._hidden);
  L.push('_offloadctl() {');
  L.push('  local -a cmds');
  L.push(`  cmds=(${top.map((c) => `'${c.name()}:${zq(c.description().split(/[.(:]/)[0])}'`).join(' ')})`);
  L.push(`  _arguments -C ${visibleOptions(program).map(spec).join(' ')} '1:command:->cmd' '*::arg:->args'`);
  L.push('  case $state in');
  L.push('    cmd) _describe command cmds ;;');
  L.push('    args) (( $+functions[_offloadctl_cmd_$words[1]] )) && _offloadctl_cmd_$words[1] ;;');
  L.push('  esac');
  L.push('}');
  L.push('_offloadctl "$@"');
  return L.join('\n') + '\n';
}

function writeAtomic(path, text) {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}
mkdirSync(join(dist, 'man'), { recursive: true });
mkdirSync(join(dist, 'completion'), { recursive: true });
for (const f of readdirSync(join(root, 'man'))) {
  const m = /^(.+\.[1-8])\.mdoc$/.exec(f);
  if (m) writeAtomic(join(dist, 'man', m[1]), render(readFileSync(join(root, 'man', f), 'utf8')));
}
writeAtomic(join(dist, 'completion', 'offloadctl.bash'), bash());
writeAtomic(join(dist, 'completion', '_offloadctl'), zsh());
