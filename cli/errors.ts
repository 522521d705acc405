// Owns how the `keel` command fails: its exit codes, and turning whatever was thrown into the
// one line a user reads on stderr.

/** The exit codes of `keel`, as scripts see them. */
export const ExitCode = {
  /** The command did what it was asked. */
  OK: 0,
  /** The command failed: the service refused, the workflow failed, nothing answered. */
  FAILED: 1,
  /** The command line is wrong: an unknown flag, a missing or malformed value. */
  USAGE: 2,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** A failure the CLI itself detected, with the message to print and the exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode = ExitCode.FAILED,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** A command-line value that cannot be used; exits with {@link ExitCode.USAGE}. */
export class UsageError extends CliError {
  constructor(message: string) {
    super(message, ExitCode.USAGE);
    this.name = 'UsageError';
  }
}

/** Network error codes that mean nothing answered at the address. */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ECONNRESET', 'UND_ERR_CONNECT_TIMEOUT']);

/**
 * The one line that says what went wrong: the error's message, with a service error's code, and
 * for an unreachable service what to check. Never a stack trace (`--log-level debug` shows one).
 */
export function describeError(err: unknown, context: { address?: string } = {}): string {
  const unreachable = findCode(err);
  if (unreachable !== undefined && UNREACHABLE.has(unreachable)) {
    const where = context.address ? ` at ${context.address}` : '';
    return `cannot reach the Keel service${where} (${unreachable}); is \`keel dev\` running? Set --address or KEEL_ADDRESS to use another service.`;
  }
  if (!(err instanceof Error)) return oneLine(String(err));
  const code = (err as { code?: unknown }).code;
  const withCode = err.name === 'KeelServiceError' && typeof code === 'string' ? `${err.message} (${code})` : err.message;
  return oneLine(withCode || err.name);
}

/** The exit code an error stands for. */
export function exitCodeOf(err: unknown): ExitCode {
  return err instanceof CliError ? err.exitCode : ExitCode.FAILED;
}

/** Messages may span lines (a stack, a list of issues); the CLI promises one. */
export function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

/** The first socket error code in an error's cause chain (undici nests it in `cause`). */
function findCode(err: unknown): string | undefined {
  for (let e = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && UNREACHABLE.has(code)) return code;
  }
  return undefined;
}
