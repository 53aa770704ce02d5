import type { Repository } from '../adapters/repository';
import type { BerbixTokens, TokenSession } from '../berbix';
import { VerificationGoneError } from '../domain/errors';

/**
 * A Berbix session on the transaction's tokens, refreshed tokens written back as soon as Berbix
 * issues them. No tokens: the verification was deleted meanwhile.
 */
export function tokenSession(
  repository: Pick<Repository, 'putTokens'>,
  verificationId: string,
  tokens: BerbixTokens | undefined,
): TokenSession {
  if (!tokens) throw new VerificationGoneError(verificationId);
  return { tokens, onTokensRefreshed: (fresh) => repository.putTokens(verificationId, fresh) };
}
