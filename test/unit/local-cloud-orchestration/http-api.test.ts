import path from 'node:path';
import { generateKeyPair, SignJWT } from 'jose';
import { createDevIssuer, type DevIssuer } from '../../../local/cloud/dev-issuer';
import { startHttpApi, type LocalHttpApi } from '../../../local/cloud/http-api';
import { createLambdaRuntime, type LambdaRuntime } from '../../../local/cloud/lambda-runtime';
import type { HttpApiModel, HttpRouteModel, JwtAuthorizerModel } from '../../../local/cloud/template';

const ISSUER = 'http://127.0.0.1:4000/_local/issuer';
const AUDIENCE = 'berbix-serverless-local';
const CLIENT = 'verifications/client';
const BACKEND = 'verifications/backend';

const authorizer: JwtAuthorizerModel = {
  logicalId: 'Authorizer',
  name: 'JwtAuthorizer',
  issuer: ISSUER,
  audience: [AUDIENCE],
  identitySource: ['$request.header.Authorization'],
};

const route = (routeKey: string, functionName: string, scopes: string[] | null): HttpRouteModel => {
  const [method, routePath] = routeKey.split(' ') as [string, string];
  return {
    logicalId: routeKey,
    routeKey,
    method,
    path: routePath,
    authorizationType: scopes ? 'JWT' : 'NONE',
    authorizer: scopes ? authorizer : undefined,
    scopes: scopes ?? [],
    functionName,
    payloadFormatVersion: '2.0',
    timeoutMs: 30_000,
  };
};

const api: HttpApiModel = {
  logicalId: 'Api',
  name: 'api',
  routes: [
    route('GET /verifications/{id}', 'EchoFn', [CLIENT, BACKEND]),
    route('GET /verifications/{id}/result', 'EchoFn', [BACKEND]),
    route('POST /verifications', 'RespondFn', [CLIENT, BACKEND]),
    route('POST /webhooks/berbix', 'RespondFn', null),
    route('GET /broken', 'FailsFn', null),
  ],
};

describe('the local HTTP API', () => {
  let runtime: LambdaRuntime;
  let issuer: DevIssuer;
  let server: LocalHttpApi;

  const call = (p: string, init: RequestInit = {}) => fetch(`${server.url}${p}`, init);
  const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

  beforeAll(async () => {
    const fixtures = path.join(__dirname, 'fixtures', 'lambdas');
    runtime = createLambdaRuntime({
      log: () => undefined,
      functions: ['echo', 'respond', 'fails'].map((f) => ({
        name: `${f[0]!.toUpperCase()}${f.slice(1)}Fn`,
        arn: `arn:aws:lambda:us-east-1:000000000000:function:${f}`,
        assetDir: path.join(fixtures, f),
        handler: 'index.handler',
        timeoutSeconds: 10,
        memorySize: 128,
        environment: {},
      })),
    });
    issuer = await createDevIssuer({ issuer: ISSUER, audience: [AUDIENCE] });
    server = await startHttpApi({ api, invoke: runtime.invoke, port: 0, devIssuer: issuer });
  });

  afterAll(async () => {
    await server.close();
    await runtime.close();
  });

  it('delivers a payload format 2.0 event with path parameters, lowercased headers and the JWT claims', async () => {
    const token = await issuer.mint({ sub: 'user-1', scopes: [CLIENT] });
    const res = await call('/verifications/vrf_abc?x=1&x=2', {
      headers: { Authorization: `Bearer ${token}`, 'X-Custom-Header': 'yes' },
    });
    expect(res.status).toBe(200);
    const { event } = (await res.json()) as {
      event: { requestContext: { authorizer: { jwt: { claims: Record<string, string> } } } };
    };
    expect(event).toMatchObject({
      version: '2.0',
      routeKey: 'GET /verifications/{id}',
      rawPath: '/verifications/vrf_abc',
      rawQueryString: 'x=1&x=2',
      queryStringParameters: { x: '1,2' },
      pathParameters: { id: 'vrf_abc' },
      isBase64Encoded: false,
      headers: { 'x-custom-header': 'yes' },
      requestContext: {
        routeKey: 'GET /verifications/{id}',
        stage: '$default',
        http: { method: 'GET', path: '/verifications/vrf_abc', sourceIp: '127.0.0.1' },
        authorizer: {
          jwt: { claims: { sub: 'user-1', scope: CLIENT, iss: ISSUER, aud: AUDIENCE }, scopes: [CLIENT] },
        },
      },
    });
    expect(event.requestContext.authorizer.jwt.claims.exp).toMatch(/^\d+$/);
  });

  it('answers 401 Unauthorized without a token', async () => {
    const res = await call('/verifications/vrf_abc');
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ message: 'Unauthorized' });
  });

  it('answers 401 for an expired token', async () => {
    const expired = await issuer.mint({ sub: 'user-1', scopes: [CLIENT], expiresInSeconds: -60 });
    const res = await call('/verifications/vrf_abc', bearer(expired));
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ message: 'Unauthorized' });
  });

  it('answers 401 for a token signed by another key', async () => {
    const { privateKey } = await generateKeyPair('RS256');
    const forged = await new SignJWT({ scope: CLIENT })
      .setProtectedHeader({ alg: 'RS256', kid: issuer.jwks.keys[0]!.kid! })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setSubject('user-1')
      .setExpirationTime('1h')
      .sign(privateKey);
    expect((await call('/verifications/vrf_abc', bearer(forged))).status).toBe(401);
  });

  it('answers 401 for a wrong audience or a wrong issuer', async () => {
    const wrongAudience = await issuer.mint({ sub: 'user-1', scopes: [CLIENT], audience: 'someone-else' });
    expect((await call('/verifications/vrf_abc', bearer(wrongAudience))).status).toBe(401);
    const other = await createDevIssuer({ issuer: 'http://127.0.0.1:9/other', audience: [AUDIENCE] });
    const wrongIssuer = await other.mint({ sub: 'user-1', scopes: [CLIENT] });
    expect((await call('/verifications/vrf_abc', bearer(wrongIssuer))).status).toBe(401);
  });

  it('answers 401 for a token that is not a JWT at all', async () => {
    expect((await call('/verifications/vrf_abc', bearer('not-a-jwt'))).status).toBe(401);
  });

  it("answers 403 Forbidden when the token lacks every one of the route's scopes", async () => {
    const client = await issuer.mint({ sub: 'user-1', scopes: [CLIENT] });
    const res = await call('/verifications/vrf_abc/result', bearer(client));
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({ message: 'Forbidden' });
    const backend = await issuer.mint({ sub: 'backend', scopes: [BACKEND] });
    expect((await call('/verifications/vrf_abc/result', bearer(backend))).status).toBe(200);
  });

  it('prefers the literal route over a parameter route', async () => {
    const backend = await issuer.mint({ sub: 'backend', scopes: [BACKEND] });
    const res = await call('/verifications/vrf_abc/result', bearer(backend));
    const { event } = (await res.json()) as { event: { routeKey: string } };
    expect(event.routeKey).toBe('GET /verifications/{id}/result');
  });

  it('lets a route without an authorizer through and maps the Lambda response to HTTP', async () => {
    const res = await call('/webhooks/berbix', {
      method: 'POST',
      body: '{"raw":true}',
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('x-route-key')).toBe('POST /webhooks/berbix');
    expect(res.headers.get('set-cookie')).toBe('a=1; Path=/');
    expect(await res.json()).toEqual({ received: '{"raw":true}' });
  });

  it('base64-encodes a binary body', async () => {
    const res = await call('/webhooks/berbix', {
      method: 'POST',
      body: new Uint8Array([0xff, 0xd8, 0xff, 0x00]),
      headers: { 'content-type': 'image/jpeg' },
    });
    expect(await res.json()).toEqual({ received: 4 });
  });

  it('answers 500 Internal Server Error when the function fails, without its error', async () => {
    const res = await call('/broken');
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ message: 'Internal Server Error' });
  });

  it('answers 404 Not Found for a path no route matches', async () => {
    const res = await call('/nothing/here');
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ message: 'Not Found' });
  });

  it.each(['/verifications/%zz', '/verifications/%E0%A4%A', '/verifications/%C3%28', '/%/result'])(
    'answers 400 Bad Request for the undecodable path %s, before any authorizer or function',
    async (badPath) => {
      const res = await call(badPath);
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({ message: 'Bad Request' });
    },
  );

  it('decodes valid escapes in path parameters', async () => {
    const token = await issuer.mint({ sub: 'alice', scopes: [CLIENT] });
    const res = await call('/verifications/a%20b%2Fc', bearer(token));
    expect(res.status).toBe(200);
    expect(((await res.json()) as { event: { pathParameters: unknown } }).event.pathParameters).toEqual({
      id: 'a b/c',
    });
  });

  it('mints tokens on the local-only endpoint that the authorizer accepts', async () => {
    const minted = await call('/_local/tokens', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ sub: 'alice', scopes: [CLIENT] }),
    });
    expect(minted.status).toBe(201);
    const { token } = (await minted.json()) as { token: string };
    expect((await call('/verifications/vrf_1', bearer(token))).status).toBe(200);
  });

  it('refuses a token request without a sub or scopes with 400', async () => {
    const res = await call('/_local/tokens', { method: 'POST', body: JSON.stringify({ scopes: [CLIENT] }) });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'invalid_request' } });
  });

  it('serves the issuer discovery document and its JWKS', async () => {
    const config = (await (await call('/_local/issuer/.well-known/openid-configuration')).json()) as {
      issuer: string;
      jwks_uri: string;
    };
    expect(config.issuer).toBe(ISSUER);
    const jwks = (await (await fetch(config.jwks_uri)).json()) as { keys: { kty: string; d?: string }[] };
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).toMatchObject({ kty: 'RSA', alg: 'RS256' });
    expect(jwks.keys[0]!.d).toBeUndefined();
  });

  it('answers a CORS preflight for an allowed origin only, as the API configuration says', async () => {
    const corsServer = await startHttpApi({
      api: {
        ...api,
        cors: {
          allowOrigins: ['https://app.example.com'],
          allowMethods: ['GET', 'POST'],
          allowHeaders: ['authorization', 'content-type'],
          exposeHeaders: [],
          allowCredentials: false,
        },
      },
      invoke: runtime.invoke,
      port: 0,
      devIssuer: issuer,
    });
    try {
      const preflight = (origin: string) =>
        fetch(`${corsServer.url}/verifications`, {
          method: 'OPTIONS',
          headers: { origin, 'access-control-request-method': 'POST' },
        });
      const allowed = await preflight('https://app.example.com');
      expect(allowed.status).toBe(204);
      expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
      expect(allowed.headers.get('access-control-allow-methods')).toBe('GET,POST');
      const other = await preflight('https://evil.example.com');
      expect(other.headers.get('access-control-allow-origin')).toBeNull();
    } finally {
      await corsServer.close();
    }
  });
});
