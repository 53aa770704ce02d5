/**
 * The HTTP API (API Gateway v2) on loopback, from the template's routes: payload format 2.0
 * events, route matching with `{param}` and `{proxy+}`, the JWT authorizer enforced as API
 * Gateway does (401 / 403 with its bodies), CORS from the API's CorsConfiguration, and the
 * local-only token endpoint and issuer documents under `/_local/`.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createRemoteJWKSet,
  errors as joseErrors,
  jwtVerify,
  type JWTPayload,
  type JWTVerifyGetKey,
} from 'jose';
import type { DevIssuer } from './dev-issuer';
import type { InvokeResult } from './lambda-runtime';
import type { HttpApiModel, HttpRouteModel, JwtAuthorizerModel } from './template';
import { LOCAL_AWS } from './template';

/** API Gateway's request payload limit. */
const MAX_BODY_BYTES = 10 * 1024 * 1024;

export interface HttpApiOptions {
  api: HttpApiModel;
  invoke(functionName: string, event: unknown): Promise<InvokeResult>;
  /** @default 4000 (0 picks a free port) */
  port?: number;
  /** Signs tokens for `POST /_local/tokens` and serves the issuer documents. */
  devIssuer?: DevIssuer;
  /** One line per request (method, path, status). */
  log?: (line: string) => void;
  /** Extra local-only endpoints under `/_local/`, keyed `METHOD /_local/...`, answering JSON. */
  localRoutes?: Record<string, LocalRoute>;
  /** Serves local-only pages under `/_local/` (the web client); answers false for a path it does not serve. */
  localPages?: (req: IncomingMessage, res: ServerResponse, path: string) => Promise<boolean>;
}

/** A local-only control endpoint: gets the parsed JSON body, answers a status and a JSON body. */
export type LocalRoute = (body: unknown) => Promise<{ status: number; body: unknown }>;

export interface LocalHttpApi {
  url: string;
  port: number;
  close(): Promise<void>;
}

type Claims = JWTPayload & Record<string, unknown>;

/** Mirrors API Gateway's rendering of claims in the event: every value a string. */
function stringifyClaims(claims: Claims): Record<string, string> {
  return Object.fromEntries(
    Object.entries(claims).map(([k, v]) => [
      k,
      typeof v === 'string'
        ? v
        : Array.isArray(v)
          ? `[${v.join(' ')}]`
          : typeof v === 'object'
            ? JSON.stringify(v)
            : String(v),
    ]),
  );
}

function scopesOf(claims: Claims): string[] {
  const raw = claims.scope ?? claims.scp;
  if (Array.isArray(raw)) return raw.map(String);
  return typeof raw === 'string' ? raw.split(' ').filter((s) => s.length > 0) : [];
}

/** A path segment decoded, or undefined when its `%` escapes are not valid UTF-8 percent-encoding. */
function decodeSegment(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

/** True when every `%` escape of the path decodes (API Gateway answers 400 otherwise). */
export function isDecodablePath(path: string): boolean {
  return path.split('/').every((segment) => decodeSegment(segment) !== undefined);
}

/** Chooses the most specific route: literal segments beat `{param}`, which beats `{proxy+}`; `$default` last. */
export function matchRoute(
  routes: HttpRouteModel[],
  method: string,
  path: string,
): { route: HttpRouteModel; pathParameters?: Record<string, string> } | undefined {
  const segments = path.split('/').slice(1);
  let best: { route: HttpRouteModel; pathParameters: Record<string, string>; score: number } | undefined;
  for (const route of routes) {
    if (route.path === '$default') continue;
    if (route.method !== method && route.method !== 'ANY') continue;
    const pattern = route.path.split('/').slice(1);
    const params: Record<string, string> = {};
    let score = route.method === method ? 1 : 0;
    let matched = true;
    for (let i = 0; i < pattern.length; i += 1) {
      const p = pattern[i]!;
      const greedy = /^\{(.+)\+\}$/.exec(p);
      if (greedy && i === pattern.length - 1) {
        if (segments.length <= i) matched = false;
        else
          params[greedy[1]!] = segments
            .slice(i)
            .map((x) => decodeSegment(x) ?? x)
            .join('/');
        break;
      }
      const s = segments[i];
      if (s === undefined || (i === pattern.length - 1 && segments.length !== pattern.length)) {
        matched = false;
        break;
      }
      const param = /^\{(.+)\}$/.exec(p);
      if (param) {
        if (s === '') {
          matched = false;
          break;
        }
        params[param[1]!] = decodeSegment(s) ?? s;
        score += 10;
      } else if (p === s) score += 100;
      else {
        matched = false;
        break;
      }
    }
    if (matched && (!best || score > best.score)) best = { route, pathParameters: params, score };
  }
  if (best)
    return {
      route: best.route,
      pathParameters: Object.keys(best.pathParameters).length ? best.pathParameters : undefined,
    };
  const fallback = routes.find((r) => r.path === '$default');
  return fallback ? { route: fallback } : undefined;
}

const TEXT_TYPES =
  /^(text\/|application\/(json|xml|javascript|x-www-form-urlencoded|graphql)|[^;]*\+(json|xml))/i;

function readBody(req: IncomingMessage): Promise<Buffer | 'too-large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY_BYTES) chunks.push(c);
    });
    req.on('end', () => resolve(size > MAX_BODY_BYTES ? 'too-large' : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function json(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
}

const isLoopback = (address?: string) =>
  address === '127.0.0.1' || address === '::1' || address === '::ffff:127.0.0.1';

export async function startHttpApi(options: HttpApiOptions): Promise<LocalHttpApi> {
  const { api, devIssuer } = options;
  const log = options.log ?? (() => undefined);
  const verifiers = new Map<string, JWTVerifyGetKey>();
  let baseUrl = '';

  /** The key set of an authorizer: the dev issuer's when it is the issuer, else discovered like API Gateway does. */
  const keysFor = async (authorizer: JwtAuthorizerModel): Promise<JWTVerifyGetKey> => {
    const cached = verifiers.get(authorizer.logicalId);
    if (cached) return cached;
    let keys: JWTVerifyGetKey;
    if (devIssuer && devIssuer.issuer === authorizer.issuer) keys = devIssuer.keys;
    else {
      const config = (await (
        await fetch(`${authorizer.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`)
      ).json()) as {
        jwks_uri: string;
      };
      keys = createRemoteJWKSet(new URL(config.jwks_uri));
    }
    verifiers.set(authorizer.logicalId, keys);
    return keys;
  };

  /** API Gateway's JWT authorizer: 401 for a missing/invalid/expired token or wrong iss/aud, 403 for scopes. */
  const authorize = async (
    route: HttpRouteModel,
    headers: Record<string, string>,
  ): Promise<{ status: 401 | 403 } | { claims: Claims; scopes: string[] }> => {
    const authorizer = route.authorizer!;
    const source = authorizer.identitySource[0] ?? '$request.header.Authorization';
    const headerName = source.replace(/^\$request\.header\./, '').toLowerCase();
    const raw = headers[headerName];
    if (!raw) return { status: 401 };
    const token = raw.replace(/^Bearer\s+/i, '').trim();
    let claims: Claims;
    try {
      const keys = await keysFor(authorizer);
      ({ payload: claims } = await jwtVerify(token, keys, {
        issuer: authorizer.issuer,
        algorithms: ['RS256', 'RS384', 'RS512'],
        requiredClaims: ['exp'],
      }));
    } catch (err) {
      if (err instanceof joseErrors.JOSEError || err instanceof TypeError) return { status: 401 };
      throw err;
    }
    // API Gateway accepts the audience in `aud` or, for access tokens, in `client_id`.
    const audiences = [claims.aud ?? []].flat().map(String);
    if (typeof claims.client_id === 'string') audiences.push(claims.client_id);
    if (!audiences.some((a) => authorizer.audience.includes(a))) return { status: 401 };
    const scopes = scopesOf(claims);
    if (route.scopes.length > 0 && !route.scopes.some((s) => scopes.includes(s))) return { status: 403 };
    return { claims, scopes };
  };

  const corsHeaders = (origin: string | undefined): Record<string, string> => {
    const cors = api.cors;
    if (!cors || !origin || !(cors.allowOrigins.includes(origin) || cors.allowOrigins.includes('*')))
      return {};
    const h: Record<string, string> = {
      'access-control-allow-origin': cors.allowOrigins.includes('*') ? '*' : origin,
      vary: 'origin',
    };
    if (cors.allowCredentials) h['access-control-allow-credentials'] = 'true';
    if (cors.exposeHeaders.length) h['access-control-expose-headers'] = cors.exposeHeaders.join(',');
    return h;
  };

  const handleLocal = async (req: IncomingMessage, res: ServerResponse, path: string): Promise<boolean> => {
    if (!path.startsWith('/_local/')) return false;
    if (!isLoopback(req.socket.remoteAddress)) {
      json(res, 404, { message: 'Not Found' });
      return true;
    }
    if (devIssuer?.handle(req, res, baseUrl)) return true;
    if (await options.localPages?.(req, res, path)) return true;
    if (devIssuer && path === '/_local/tokens' && req.method === 'POST') {
      const body = await readBody(req);
      let input: { sub?: unknown; scopes?: unknown; expires_in?: unknown };
      try {
        input = body === 'too-large' ? {} : (JSON.parse(body.toString('utf8') || '{}') as typeof input);
      } catch {
        input = {};
      }
      const scopes = typeof input.scopes === 'string' ? input.scopes.split(/[ ,]+/) : input.scopes;
      const expiresIn = input.expires_in === undefined ? 3600 : Number(input.expires_in);
      if (
        typeof input.sub !== 'string' ||
        input.sub.length === 0 ||
        !Array.isArray(scopes) ||
        !scopes.every((s) => typeof s === 'string') ||
        !Number.isInteger(expiresIn) ||
        expiresIn < 1
      ) {
        json(res, 400, {
          error: {
            code: 'invalid_request',
            message:
              'Send {"sub": "<subject>", "scopes": ["verifications/client"], "expires_in"?: <seconds>}',
          },
        });
        return true;
      }
      const token = await devIssuer.mint({
        sub: input.sub,
        scopes: scopes as string[],
        expiresInSeconds: expiresIn,
      });
      json(res, 201, { token, token_type: 'Bearer', expires_in: expiresIn, sub: input.sub, scopes });
      return true;
    }
    const local = options.localRoutes?.[`${req.method} ${path}`];
    if (local) {
      const body = await readBody(req);
      let input: unknown = {};
      try {
        input = body === 'too-large' ? {} : JSON.parse(body.toString('utf8') || '{}');
      } catch {
        json(res, 400, { error: { code: 'invalid_json', message: 'The body is not JSON' } });
        return true;
      }
      const answer = await local(input);
      json(res, answer.status, answer.body);
      return true;
    }
    json(res, 404, { message: 'Not Found' });
    return true;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<number> => {
    const requestId = randomUUID();
    const rawUrl = req.url ?? '/';
    const q = rawUrl.indexOf('?');
    const rawPath = q === -1 ? rawUrl : rawUrl.slice(0, q);
    const rawQueryString = q === -1 ? '' : rawUrl.slice(q + 1);
    const method = (req.method ?? 'GET').toUpperCase();
    res.setHeader('apigw-requestid', requestId);

    if (await handleLocal(req, res, rawPath)) return res.statusCode;

    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) {
      if (v !== undefined) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(',') : v;
    }
    const cors = corsHeaders(headers.origin);

    // CORS preflight is answered by API Gateway itself when the API has a CORS configuration.
    if (method === 'OPTIONS' && api.cors && headers['access-control-request-method']) {
      const h: Record<string, string> = { ...cors };
      if (cors['access-control-allow-origin']) {
        h['access-control-allow-methods'] = api.cors.allowMethods.join(',');
        if (api.cors.allowHeaders.length) h['access-control-allow-headers'] = api.cors.allowHeaders.join(',');
        if (api.cors.maxAge !== undefined) h['access-control-max-age'] = String(api.cors.maxAge);
      }
      res.writeHead(204, h).end();
      return 204;
    }

    if (!isDecodablePath(rawPath)) {
      json(res, 400, { message: 'Bad Request' }, cors);
      return 400;
    }
    const match = matchRoute(api.routes, method, rawPath);
    if (!match) {
      json(res, 404, { message: 'Not Found' }, cors);
      return 404;
    }
    const { route, pathParameters } = match;

    let authorizer: { jwt: { claims: Record<string, string>; scopes: string[] | null } } | undefined;
    if (route.authorizationType === 'JWT' && route.authorizer) {
      const auth = await authorize(route, headers);
      if ('status' in auth) {
        json(
          res,
          auth.status,
          { message: auth.status === 401 ? 'Unauthorized' : 'Forbidden' },
          {
            ...cors,
            ...(auth.status === 401 ? { 'www-authenticate': 'Bearer' } : {}),
          },
        );
        return auth.status;
      }
      authorizer = {
        jwt: { claims: stringifyClaims(auth.claims), scopes: auth.scopes.length ? auth.scopes : null },
      };
    }

    const body = await readBody(req);
    if (body === 'too-large') {
      json(res, 413, { message: 'Request Entity Too Large' }, cors);
      return 413;
    }
    const isText = body.length === 0 || TEXT_TYPES.test(headers['content-type'] ?? '');
    const cookies = headers.cookie?.split(';').map((c) => c.trim());
    delete headers.cookie;
    const queryStringParameters: Record<string, string> = {};
    for (const [k, v] of new URLSearchParams(rawQueryString)) {
      queryStringParameters[k] =
        queryStringParameters[k] === undefined ? v : `${queryStringParameters[k]},${v}`;
    }
    const now = new Date();
    const host = headers.host ?? '127.0.0.1';
    const event = {
      version: '2.0',
      routeKey: route.routeKey,
      rawPath,
      rawQueryString,
      ...(cookies ? { cookies } : {}),
      headers,
      ...(rawQueryString ? { queryStringParameters } : {}),
      requestContext: {
        accountId: LOCAL_AWS.accountId,
        apiId: 'local',
        ...(authorizer ? { authorizer } : {}),
        domainName: host,
        domainPrefix: host.split('.')[0] ?? host,
        http: {
          method,
          path: rawPath,
          protocol: `HTTP/${req.httpVersion}`,
          sourceIp: (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, ''),
          userAgent: headers['user-agent'] ?? '',
        },
        requestId,
        routeKey: route.routeKey,
        stage: '$default',
        time: now.toISOString(),
        timeEpoch: now.getTime(),
      },
      ...(body.length ? { body: isText ? body.toString('utf8') : body.toString('base64') } : {}),
      ...(pathParameters ? { pathParameters } : {}),
      isBase64Encoded: !isText,
    };

    const result = await Promise.race([
      options.invoke(route.functionName, event),
      new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), route.timeoutMs).unref()),
    ]);
    if (result === 'timeout') {
      json(res, 503, { message: 'Service Unavailable' }, cors);
      return 503;
    }
    if (!result.ok) {
      log(`${route.functionName} failed: ${result.error.errorType}`);
      json(res, 500, { message: 'Internal Server Error' }, cors);
      return 500;
    }
    return sendLambdaResponse(res, result.payload, cors);
  };

  const server: Server = createServer((req, res) => {
    const started = req.method + ' ' + (req.url ?? '/').split('?')[0];
    handle(req, res)
      .then((status) => log(`${started} → ${status}`))
      .catch((err: unknown) => {
        log(`${started} → 500 (${(err as Error).name})`);
        if (!res.headersSent) json(res, 500, { message: 'Internal Server Error' });
        else res.end();
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 4000, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  baseUrl = `http://127.0.0.1:${port}`;
  return {
    url: baseUrl,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Maps a payload format 2.0 Lambda response to HTTP, as API Gateway does. */
function sendLambdaResponse(res: ServerResponse, payload: unknown, cors: Record<string, string>): number {
  const isResponse = typeof payload === 'object' && payload !== null && 'statusCode' in payload;
  if (!isResponse) {
    // A bare value: API Gateway answers 200 with it as JSON.
    const body = typeof payload === 'string' ? payload : JSON.stringify(payload);
    res.writeHead(200, { 'content-type': 'application/json', ...cors }).end(body);
    return 200;
  }
  const r = payload as {
    statusCode: unknown;
    headers?: Record<string, unknown>;
    multiValueHeaders?: Record<string, unknown[]>;
    body?: unknown;
    isBase64Encoded?: boolean;
    cookies?: string[];
  };
  const status = Number(r.statusCode);
  if (!Number.isInteger(status) || status < 100 || status > 599) {
    json(res, 500, { message: 'Internal Server Error' }, cors);
    return 500;
  }
  const headers: Record<string, string | string[]> = { ...cors };
  for (const [k, v] of Object.entries(r.headers ?? {})) headers[k.toLowerCase()] = String(v);
  for (const [k, v] of Object.entries(r.multiValueHeaders ?? {}))
    headers[k.toLowerCase()] = v.map(String).join(',');
  if (r.cookies?.length) headers['set-cookie'] = r.cookies;
  const body = r.body === undefined || r.body === null ? '' : String(r.body);
  if (body.length && !headers['content-type']) headers['content-type'] = 'application/json';
  res.writeHead(status, headers).end(r.isBase64Encoded ? Buffer.from(body, 'base64') : body);
  return status;
}
