/** Scrubbing of text that came from Berbix before it goes into an error. */

const MAX_MESSAGE_LENGTH = 200;
// Tokens, secrets and base64 image data are long runs of token characters; prose is not.
const LONG_OPAQUE_RUN = /[A-Za-z0-9+/=_.-]{32,}/g;

/**
 * Makes Berbix's error text safe to log: every known secret is removed, long opaque runs (tokens
 * we do not know, base64) are replaced, control characters dropped, and the length capped.
 */
export function scrubText(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length >= 4) out = out.split(secret).join('[redacted]');
  }
  out = out
    .replace(LONG_OPAQUE_RUN, '[redacted]')
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u001f\u007f]+/g, ' ')
    .trim();
  return out.length > MAX_MESSAGE_LENGTH ? `${out.slice(0, MAX_MESSAGE_LENGTH)}…` : out;
}
