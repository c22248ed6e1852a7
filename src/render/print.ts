/** Output helpers: human tables on stdout, diagnostics on stderr, --json on stdout from the same data. */

export function printJson(data: unknown): void {
  process.stdout.write(JSON.stringify(data, null, 2) + '\n');
}

export function warn(message: string): void {
  process.stderr.write(`offloadctl: ${message}\n`);
}
