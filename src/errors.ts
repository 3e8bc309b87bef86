/**
 * Coded errors. Every error the product raises on purpose carries a stable `code` so callers (the CLI's
 * exit status, the operator's requeue decision, JSON output) can branch on it without parsing messages,
 * and a `cause` so the original failure is never lost.
 */
export class CiRemediatorError extends Error {
  readonly code: string = 'CI_REMEDIATOR_ERROR';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Input a user gave us (a file, a flag, a policy document) is unusable; the message names what and why. */
export class InputError extends CiRemediatorError {
  override readonly code: string = 'INVALID_INPUT';
}

/** A log could not be read or is not a log (missing, a directory, empty, unreadable). */
export class LogInputError extends InputError {
  override readonly code = 'LOG_UNREADABLE';
}

/** A RemediationPolicy document is malformed; the message names the file and the field. */
export class PolicyError extends InputError {
  override readonly code = 'INVALID_POLICY';
}

/** Redaction could not complete; nothing derived from the log may be emitted (fail closed). */
export class RedactionError extends CiRemediatorError {
  override readonly code = 'REDACTION_FAILED';
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * node:util parseArgs' errors, in our words: its own text for an unknown option goes on about positional
 * arguments and '--', and its missing-value text reads "Option '--since <value>' argument missing". Other
 * errors pass through unchanged.
 */
export function argsErrorMessage(error: unknown): string {
  // Duck-typed: parseArgs' TypeError may come from another realm (jest's vm), where instanceof Error fails.
  const { code, message: text } = (error ?? {}) as { code?: unknown; message?: unknown };
  const message = typeof text === 'string' ? text : errorMessage(error);
  const quoted = /'([^']+)'/.exec(message)?.[1] ?? '';
  switch (code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `Unknown option '${quoted}'.`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      if (/argument missing/.test(message)) return `Option '${quoted.split(' ')[0]}' needs a value.`;
      if (/does not take an argument/.test(message)) return `Option '${quoted.split(' ')[0]}' takes no value.`;
      return message;
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return `Unexpected argument '${quoted}': this command takes options only.`;
    default:
      return message;
  }
}
