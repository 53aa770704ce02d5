/**
 * The local OpenID issuer the HTTP API's JWT authorizer trusts: an RS256 key pair, its discovery
 * document and JWKS, and token minting for any `sub` and scopes. Local only; never deploy it.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import {
  createLocalJWKSet,
  exportJWK,
  generateKeyPair,
  importJWK,
  SignJWT,
  type JSONWebKeySet,
  type JWK,
  type JWTVerifyGetKey,
} from 'jose';

/** Where the issuer is served on the local HTTP API (the issuer URL the stack is synthesized with). */
export const ISSUER_PATH = '/_local/issuer';
/** The audience the local cloud synthesizes the stack with. */
export const LOCAL_AUDIENCE = 'berbix-serverless-local';

/** The issuer the local cloud synthesizes the stack with, for an API on `port`. */
export const localIssuerUrl = (port: number): string => `http://127.0.0.1:${port}${ISSUER_PATH}`;

export interface MintOptions {
  sub: string;
  scopes: string[];
  /** @default 3600 */
  expiresInSeconds?: number;
  /** @default the issuer's first audience */
  audience?: string;
}

export interface DevIssuer {
  readonly issuer: string;
  readonly audience: string[];
  readonly jwks: JSONWebKeySet;
  /** Key resolver for jose's jwtVerify. */
  readonly keys: JWTVerifyGetKey;
  mint(options: MintOptions): Promise<string>;
  /** Serves `<ISSUER_PATH>/.well-known/openid-configuration` and `<ISSUER_PATH>/jwks.json`; false when not its path. */
  handle(req: IncomingMessage, res: ServerResponse, baseUrl: string): boolean;
}

export interface DevIssuerOptions {
  issuer: string;
  audience: string[];
  /** Keep the key pair in this file so minted tokens survive restarts (`--persist`). */
  keyFile?: string;
}

const ALG = 'RS256';

async function loadOrCreateKey(keyFile?: string): Promise<JWK> {
  if (keyFile && existsSync(keyFile)) return JSON.parse(readFileSync(keyFile, 'utf8')) as JWK;
  const { privateKey } = await generateKeyPair(ALG, { extractable: true });
  const jwk = {
    ...(await exportJWK(privateKey)),
    kid: `local-${Date.now().toString(36)}`,
    alg: ALG,
    use: 'sig',
  };
  if (keyFile) {
    mkdirSync(path.dirname(keyFile), { recursive: true });
    writeFileSync(keyFile, JSON.stringify(jwk), { mode: 0o600 });
  }
  return jwk;
}

export async function createDevIssuer(options: DevIssuerOptions): Promise<DevIssuer> {
  const privateJwk = await loadOrCreateKey(options.keyFile);
  const privateKey = await importJWK(privateJwk, ALG);
  const { kty, n, e, kid } = privateJwk;
  const jwks: JSONWebKeySet = { keys: [{ kty, n, e, kid, alg: ALG, use: 'sig' }] };
  const keys = createLocalJWKSet(jwks);

  return {
    issuer: options.issuer,
    audience: options.audience,
    jwks,
    keys,
    async mint({ sub, scopes, expiresInSeconds = 3600, audience }) {
      return new SignJWT({ scope: scopes.join(' ') })
        .setProtectedHeader({ alg: ALG, kid: kid!, typ: 'JWT' })
        .setIssuer(options.issuer)
        .setAudience(audience ?? options.audience[0] ?? LOCAL_AUDIENCE)
        .setSubject(sub)
        .setIssuedAt()
        .setExpirationTime(Math.floor(Date.now() / 1000) + expiresInSeconds)
        .sign(privateKey);
    },
    handle(req, res, baseUrl) {
      const url = new URL(req.url ?? '/', 'http://local');
      const send = (body: unknown) => {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
        return true;
      };
      if (req.method !== 'GET') return false;
      if (url.pathname === `${ISSUER_PATH}/.well-known/openid-configuration`) {
        return send({
          issuer: options.issuer,
          jwks_uri: `${baseUrl}${ISSUER_PATH}/jwks.json`,
          id_token_signing_alg_values_supported: [ALG],
          response_types_supported: ['token'],
          subject_types_supported: ['public'],
        });
      }
      if (url.pathname === `${ISSUER_PATH}/jwks.json`) return send(jwks);
      return false;
    },
  };
}
