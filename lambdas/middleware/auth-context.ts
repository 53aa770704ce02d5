import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2WithJWTAuthorizer } from 'aws-lambda';
import { HttpError } from './http-error';

export interface AuthContext {
  sub: string;
  scopes: string[];
  /** The customer's backend: may act for any customer_uid and read results. */
  isBackend: boolean;
}

export interface AuthScopes {
  backendScope: string;
  clientScope: string;
}

/**
 * Reads the JWT authorizer's claims (API Gateway checked issuer, audience and signature).
 * A caller with neither scope is refused here, so handlers only decide client vs backend.
 */
export function authContext(
  scopes: AuthScopes,
): MiddlewareObj<APIGatewayProxyEventV2WithJWTAuthorizer & { auth?: AuthContext }> {
  return {
    before: (request) => {
      const claims = request.event.requestContext?.authorizer?.jwt?.claims ?? {};
      const sub = claims.sub;
      if (typeof sub !== 'string' || sub === '')
        throw new HttpError(401, 'unauthorized', 'A valid token is required');
      const raw = claims.scope ?? claims.scp;
      const granted = (Array.isArray(raw) ? raw.map(String) : String(raw ?? '').split(' ')).filter(Boolean);
      const isBackend = granted.includes(scopes.backendScope);
      if (!isBackend && !granted.includes(scopes.clientScope)) {
        throw new HttpError(403, 'insufficient_scope', 'The token has no verifications scope');
      }
      request.event.auth = { sub, scopes: granted, isBackend };
    },
  };
}
