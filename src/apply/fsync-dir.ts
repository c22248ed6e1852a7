import { closeSync, existsSync, fsyncSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';

/** fsync a directory: makes creations, renames and removals of its entries durable. */
export function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** mkdir -p, fsyncing each parent whose entry was created, so the new directory survives a crash. */
export function mkdirDurable(dir: string, mode = 0o700): void {
  if (existsSync(dir)) return;
  const parent = dirname(dir);
  if (parent !== dir) mkdirDurable(parent, mode);
  mkdirSync(dir, { mode });
  fsyncDir(parent);
}
