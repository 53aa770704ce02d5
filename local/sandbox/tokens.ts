import { randomBytes } from 'node:crypto';

export type TokenKind = 'access' | 'client' | 'refresh';

interface TokenRecord {
  kind: TokenKind;
  transactionId: number;
  /** Epoch ms; refresh tokens never expire. */
  expiresAt: number;
}

export interface IssuedTokens {
  transaction_id: number;
  access_token: string;
  client_token: string;
  refresh_token: string;
  expires_in: number;
}

export type TokenCheck =
  | { ok: true; transactionId: number }
  | { ok: false; reason: 'unknown' | 'wrong_kind' | 'expired'; kind?: TokenKind; transactionId?: number };

const newToken = () => randomBytes(24).toString('base64url');

/** Opaque tokens held in memory. Refreshing issues new access and client tokens and keeps the refresh token. */
export class TokenStore {
  private readonly tokens = new Map<string, TokenRecord>();

  constructor(public ttlSeconds: number) {}

  issue(transactionId: number, refreshToken: string | undefined, now: number): IssuedTokens {
    const expiresAt = now + this.ttlSeconds * 1000;
    const access = newToken();
    const client = newToken();
    this.tokens.set(access, { kind: 'access', transactionId, expiresAt });
    this.tokens.set(client, { kind: 'client', transactionId, expiresAt });
    const refresh = refreshToken ?? newToken();
    this.tokens.set(refresh, { kind: 'refresh', transactionId, expiresAt: Number.POSITIVE_INFINITY });
    return {
      transaction_id: transactionId,
      access_token: access,
      client_token: client,
      refresh_token: refresh,
      expires_in: this.ttlSeconds,
    };
  }

  check(token: string, kind: TokenKind, now: number): TokenCheck {
    const record = this.tokens.get(token);
    if (!record) return { ok: false, reason: 'unknown' };
    if (record.kind !== kind) return { ok: false, reason: 'wrong_kind', kind: record.kind };
    if (now >= record.expiresAt) {
      return { ok: false, reason: 'expired', kind: record.kind, transactionId: record.transactionId };
    }
    return { ok: true, transactionId: record.transactionId };
  }

  /** The transaction a token of any kind belongs to, expired or not. */
  transactionOf(token: string): number | undefined {
    return this.tokens.get(token)?.transactionId;
  }

  kindOf(token: string): TokenKind | undefined {
    return this.tokens.get(token)?.kind;
  }

  /** Expires the access and client tokens of one transaction (or of all), as the clock would. */
  expire(transactionId: number | undefined, now: number): number {
    let count = 0;
    for (const record of this.tokens.values()) {
      if (record.kind === 'refresh') continue;
      if (transactionId !== undefined && record.transactionId !== transactionId) continue;
      if (record.expiresAt > now) {
        record.expiresAt = now;
        count++;
      }
    }
    return count;
  }
}
