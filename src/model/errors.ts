/**
 * One error type for everything a user can see. Only the CLI layer turns it into an exit code.
 * Exit codes: 0 ok, 1 findings/deviation, 2 usage or bad input, 3 system (permission, kernel support).
 */
export type ErrorCategory = 'usage' | 'input' | 'not-found' | 'permission' | 'unsupported' | 'system';

export const EXIT = { ok: 0, findings: 1, usage: 2, system: 3 } as const;

export class OffloadError extends Error {
  readonly category: ErrorCategory;
  /** Optional machine-readable detail (errno name, file location ...). */
  readonly detail?: Record<string, unknown>;
  constructor(category: ErrorCategory, message: string, detail?: Record<string, unknown>) {
    super(message);
    this.name = 'OffloadError';
    this.category = category;
    this.detail = detail;
  }
  get exitCode(): number {
    return exitCodeFor(this.category);
  }
}

export function exitCodeFor(category: ErrorCategory): number {
  switch (category) {
    case 'usage':
    case 'input':
    case 'not-found':
      return EXIT.usage;
    case 'permission':
    case 'unsupported':
    case 'system':
      return EXIT.system;
  }
}

export function isOffloadError(e: unknown): e is OffloadError {
  return e instanceof OffloadError;
}
