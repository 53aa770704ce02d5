/** Exit codes (docs/cli.md) and the one-line errors the CLI ends with. */
import { errorCode, errorMessage, type Answer } from '../client';

export const EXIT = {
  /** The verification completed, or the command did what it was asked. */
  ok: 0,
  /** A bug in the CLI: anything not foreseen below. */
  internal: 1,
  /** Bad usage or input: unknown flags, a bad file, no file left for a retake without a terminal, no such verification. */
  usage: 2,
  /** The verification ended as failed. */
  failed: 3,
  /** The verification was abandoned (no upload in time) or deleted before it completed. */
  abandoned: 4,
  /** No token, or the API refused it (401) or its scope (403). */
  auth: 5,
  /** The API or S3 could not be reached, timed out, throttled (429) or failed (5xx). */
  unavailable: 6,
  /** Ctrl-C. */
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** An error the user sees as one line, with the exit code it ends the CLI with. */
export class CliError extends Error {
  override name = 'CliError';
  constructor(
    message: string,
    readonly exitCode: ExitCode,
  ) {
    super(message);
  }
}

/** A failed answer of the API as a CliError: what was being done, what the API said, the right exit code. */
export function apiFailure(answer: Extract<Answer<unknown>, { ok: false }>, doing: string): CliError {
  const { status, error } = answer;
  const code = errorCode(error);
  const said = errorMessage(error);
  const detail = [code && code !== said ? code : undefined, said].filter(Boolean).join(': ');
  const tail = `(${status}${detail ? ` ${detail}` : ''})`;
  if (status === 401)
    return new CliError(
      `${doing}: the API refused the token ${tail}; it is missing, expired, or not issued for this API`,
      EXIT.auth,
    );
  if (status === 403) return new CliError(`${doing}: the token lacks the scope for this ${tail}`, EXIT.auth);
  if (status === 404 && code === 'not_found')
    return new CliError(`${doing}: no such verification, or not one this token may see ${tail}`, EXIT.usage);
  if (status === 429 || status >= 500)
    return new CliError(`${doing}: the API failed ${tail}`, EXIT.unavailable);
  if (status >= 400) return new CliError(`${doing}: ${tail}`, EXIT.usage);
  return new CliError(`${doing}: unexpected answer ${tail}`, EXIT.unavailable);
}
