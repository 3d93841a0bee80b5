// Errors the CLI reports without a stack trace. Stable codes (STYLE.md): GREGOR_USAGE for bad
// arguments (exit status 2), GREGOR_CLI_FAILED for operations that failed (exit status 1).
export class CliError extends Error {
  override readonly name = 'CliError'
  constructor(
    readonly code: 'GREGOR_USAGE' | 'GREGOR_CLI_FAILED',
    message: string,
  ) {
    super(message)
  }

  get exitCode(): number {
    return this.code === 'GREGOR_USAGE' ? 2 : 1
  }
}

export function usageError(message: string): CliError {
  return new CliError('GREGOR_USAGE', message)
}
