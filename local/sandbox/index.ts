import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { BerbixApi, MAX_IMAGE_BYTES, type CallContext, type TransactionInventoryEntry } from './api';
import { FaultRegistry, faultConfigSchema, type FaultConfig } from './faults';
import { BodyTooLarge, HttpError, isLoopback, parseJsonBody, readBody, send, type Reply } from './http-util';
import { generateCa, issueServerCertificate, type CertificateAuthority } from './tls';
import { SandboxStateFile } from './persistence';
import { DEFAULT_TEMPLATE_KEYS, DEFAULT_TEMPLATES, type SandboxTemplate } from './templates';
import { TokenStore } from './tokens';
import { WebhookSender, type WebhookDelivery } from './webhooks';

export type { FaultConfig } from './faults';
export type { TransactionInventoryEntry } from './api';
export type { SandboxTemplate } from './templates';
export type { WebhookDelivery } from './webhooks';
export type { CertificateAuthority } from './tls';
export { DEFAULT_TEMPLATE_KEYS } from './templates';
export { generateCa } from './tls';
export { signWebhook } from './webhooks';

export interface SandboxOptions {
  /** @default '127.0.0.1' */
  host?: string;
  /** HTTP port. @default 0 (random) */
  httpPort?: number;
  /** HTTPS port, served with a certificate from the sandbox's own CA. @default 0 (random) */
  httpsPort?: number;
  /** @default 'secret_test_sandbox_0123456789abcdef' */
  apiSecret?: string;
  /** `expires_in` of access and client tokens. @default 3600 */
  tokenTtlSeconds?: number;
  webhook?: { url: string; secret: string };
  /** Merged over the default templates (see DEFAULT_TEMPLATE_KEYS). */
  templates?: Record<string, SandboxTemplate>;
  /** Reuse a CA (e.g. one persisted across restarts); a new one is generated otherwise. */
  ca?: CertificateAuthority;
  /**
   * Keep transactions, tokens and accepted images in this JSON file across restarts (read at start,
   * written after every change). Faults, the call log and webhook deliveries are not kept.
   * @default in memory only
   */
  dataFile?: string;
}

/** One call the sandbox received: never tokens, secrets or bodies. */
export interface CallRecord {
  method: string;
  path: string;
  /** The status answered, or null when the connection was dropped. */
  status: number | null;
  authScheme: CallContext['authScheme'];
  tokenKind: CallContext['tokenKind'];
  transactionId?: number;
  /** Set when the answer was an injected fault. */
  fault?: 'burst' | 'rate';
  /**
   * For a connection dropped after the call was handled: the status Berbix would have answered
   * (200 when it took an upload, 409 when it refused a repeat).
   */
  handledStatus?: number;
  timestamp: string;
}

export interface Sandbox {
  httpUrl: string;
  httpsUrl: string;
  apiSecret: string;
  caCertPem: string;
  templateKeys: { frontBack: string; barcode: string; frontOnly?: string };
  /** Sets the faults of the config's scope (`customerUidPrefix`, or all other calls). */
  setFaults(faults: FaultConfig): void;
  /** Clears one scope's faults, or every scope's. */
  clearFaults(customerUidPrefix?: string): void;
  setTokenTtl(seconds: number): void;
  setWebhook(w?: { url: string; secret: string }): void;
  /** Expires the access and client tokens of one transaction (or all), as if their hour had passed. */
  expireTokens(transactionId?: number): number;
  calls(): CallRecord[];
  /** The transactions (optionally of one customer_uid prefix) and which personal data each holds. */
  transactions(customerUidPrefix?: string): TransactionInventoryEntry[];
  clearCalls(): void;
  webhookDeliveries(): WebhookDelivery[];
  /** Resolves once every webhook delivery in flight has finished. */
  webhooksIdle(): Promise<void>;
  close(): Promise<void>;
}

const DEFAULT_SECRET = 'secret_test_sandbox_0123456789abcdef';
// A 20 MiB image as base64 inside JSON, plus room for the rest of the body.
const MAX_BODY_BYTES = Math.ceil((MAX_IMAGE_BYTES * 4) / 3) + 1024 * 1024;

const configSchema = z.strictObject({
  tokenTtlSeconds: z
    .number()
    .int()
    .min(0)
    .max(30 * 86_400)
    .optional(),
  webhook: z
    .strictObject({ url: z.url(), secret: z.string().min(1) })
    .nullable()
    .optional(),
});
const expireSchema = z.strictObject({ transactionId: z.number().int().optional() });

/** Starts the Berbix sandbox on HTTP and HTTPS (loopback by default). */
export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const host = options.host ?? '127.0.0.1';
  const apiSecret = options.apiSecret ?? DEFAULT_SECRET;
  const templates = Object.fromEntries(
    Object.entries({ ...DEFAULT_TEMPLATES, ...options.templates }).map(([key, t]) => [
      key,
      {
        documentSteps: t.documentSteps,
        barcodeScan: t.barcodeScan ?? false,
        maxAttempts: t.maxAttempts ?? 3,
      },
    ]),
  );
  const tokens = new TokenStore(options.tokenTtlSeconds ?? 3600);
  const webhooks = new WebhookSender(options.webhook);
  const faults = new FaultRegistry();
  const api = new BerbixApi({ apiSecret, templates, tokens, webhooks });
  const state = options.dataFile ? new SandboxStateFile(options.dataFile, api, tokens) : undefined;
  state?.load();
  const callLog: CallRecord[] = [];
  const ca = options.ca ?? generateCa();
  const serverCert = issueServerCertificate(ca, host);
  const urls = { http: '', https: '' };

  const info = () => ({
    httpUrl: urls.http,
    httpsUrl: urls.https,
    apiSecret,
    caCertPem: ca.certPem,
    templateKeys: DEFAULT_TEMPLATE_KEYS,
    templates,
    tokenTtlSeconds: tokens.ttlSeconds,
    webhookUrl: webhooks.configured?.url ?? null,
  });

  async function control(req: IncomingMessage, path: string): Promise<Reply> {
    const body = async () => parseJsonBody(await readBody(req, 1024 * 1024));
    const route = `${req.method} ${path}`;
    const parseOr400 = <T extends z.ZodType>(schema: T, value: unknown): z.output<T> => {
      const parsed = schema.safeParse(value ?? {});
      if (!parsed.success) throw new HttpError(400, z.prettifyError(parsed.error));
      return parsed.data;
    };
    switch (route) {
      case 'GET /_sandbox/info':
        return { status: 200, body: info() };
      case 'GET /_sandbox/transactions': {
        const prefix = new URL(req.url ?? '/', 'http://sandbox').searchParams.get('customerUidPrefix');
        return { status: 200, body: { transactions: api.inventory(prefix ?? undefined) } };
      }
      case 'GET /_sandbox/calls':
        return { status: 200, body: { calls: callLog } };
      case 'DELETE /_sandbox/calls':
        callLog.length = 0;
        return { status: 204 };
      case 'GET /_sandbox/faults':
        return { status: 200, body: faults.get() };
      case 'PUT /_sandbox/faults':
        faults.set(parseOr400(faultConfigSchema, await body()));
        return { status: 200, body: faults.get() };
      case 'DELETE /_sandbox/faults': {
        const prefix = new URL(req.url ?? '/', 'http://sandbox').searchParams.get('customerUidPrefix');
        faults.clear(prefix ?? undefined);
        return { status: 204 };
      }
      case 'PUT /_sandbox/config': {
        const config = parseOr400(configSchema, await body());
        if (config.tokenTtlSeconds !== undefined) tokens.ttlSeconds = config.tokenTtlSeconds;
        if (config.webhook !== undefined) webhooks.configure(config.webhook ?? undefined);
        return { status: 200, body: info() };
      }
      case 'POST /_sandbox/expire-tokens': {
        const { transactionId } = parseOr400(expireSchema, await body());
        const expired = tokens.expire(transactionId, Date.now());
        state?.scheduleSave();
        return { status: 200, body: { expired } };
      }
      case 'GET /_sandbox/webhooks':
        return { status: 200, body: { deliveries: webhooks.log() } };
      // Every token ever issued, so a test can look for them where they must never be (the leak scan).
      case 'GET /_sandbox/issued-tokens':
        return {
          status: 200,
          body: {
            tokens: tokens
              .entries()
              .map(([token, { kind, transactionId }]) => ({ token, kind, transactionId })),
          },
        };
    }
    const imageKey = /^\/_sandbox\/images\/([\w-]+)$/.exec(path)?.[1];
    const image = req.method === 'GET' && imageKey ? api.image(imageKey) : undefined;
    if (image) return { status: 200, bytes: { contentType: image.format, data: image.bytes } };
    throw new HttpError(404, `No sandbox control route for ${req.method} ${path}.`);
  }

  /**
   * Whose call this is, for scoped faults: the create call by the `customer_uid` in its body, a
   * refresh by its refresh token, every other call by its bearer token. Undefined when unknown.
   */
  async function customerUidOf(
    req: IncomingMessage,
    path: string,
    body: () => Promise<unknown>,
  ): Promise<string | undefined> {
    const uidOf = (token: unknown) => {
      const id = typeof token === 'string' ? tokens.transactionOf(token) : undefined;
      return id === undefined ? undefined : api.transactions.get(id)?.customerUid;
    };
    if (req.method === 'POST' && (path === '/v0/transactions' || path === '/v0/tokens')) {
      // A body that cannot be read is answered by the API itself, from the same cached promise.
      const parsed = (await body().catch(() => undefined)) as Record<string, unknown> | undefined;
      if (path === '/v0/tokens') return uidOf(parsed?.refresh_token);
      const uid = parsed?.customer_uid;
      return typeof uid === 'string' || typeof uid === 'number' ? String(uid) : undefined;
    }
    const [scheme, credential] = (req.headers.authorization ?? '').split(' ');
    return /^(bearer|token)$/i.test(scheme ?? '') ? uidOf(credential) : undefined;
  }

  async function handle(req: IncomingMessage, res: ServerResponse, baseUrl: string): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://sandbox').pathname;
    if (path.startsWith('/_sandbox/')) {
      if (!isLoopback(req.socket.remoteAddress)) {
        send(res, {
          status: 403,
          body: new HttpError(403, 'Sandbox controls answer loopback callers only.').body(),
        });
        return;
      }
      send(res, await control(req, path).catch(errorReply));
      return;
    }
    const ctx: CallContext = { authScheme: 'none', tokenKind: 'none' };
    const record = (status: number | null, fault?: CallRecord['fault'], handledStatus?: number) =>
      callLog.push({
        method: req.method ?? 'GET',
        path,
        status,
        authScheme: ctx.authScheme,
        tokenKind: ctx.tokenKind,
        ...(ctx.transactionId !== undefined ? { transactionId: ctx.transactionId } : {}),
        ...(fault ? { fault } : {}),
        ...(handledStatus !== undefined ? { handledStatus } : {}),
        timestamp: new Date().toISOString(),
      });
    let bodyRead: Promise<unknown> | undefined;
    const body = () => (bodyRead ??= readBody(req, MAX_BODY_BYTES).then(parseJsonBody));
    const injector = faults.for(await customerUidOf(req, path, body));
    const latency = injector.latencyMs(path);
    if (latency > 0) await sleep(latency);
    const decision = injector.decide(path);
    if (decision.kind === 'drop' && decision.phase === 'before') {
      record(null, decision.source);
      req.socket.destroy();
      return;
    }
    if (decision.kind === 'status') {
      req.resume();
      const headers: Record<string, string> =
        decision.retryAfterSeconds !== undefined ? { 'retry-after': String(decision.retryAfterSeconds) } : {};
      const error = new HttpError(decision.status, 'Injected fault: try again later.', {
        readable: 'Service unavailable',
      });
      record(decision.status, decision.source);
      send(res, { status: decision.status, headers, body: error.body() });
      return;
    }
    const reply = await api
      .handle(
        {
          method: req.method ?? 'GET',
          path,
          authorization: req.headers.authorization,
          baseUrl,
          body,
        },
        ctx,
      )
      .catch(errorReply);
    if (!bodyRead) req.resume();
    // Anything but a read may have changed a transaction or issued tokens.
    if (req.method !== 'GET') state?.scheduleSave();
    if (decision.kind === 'drop') {
      record(null, decision.source, reply.status);
      req.socket.destroy();
      return;
    }
    record(reply.status);
    send(res, reply);
  }

  const listener = (scheme: 'http' | 'https') => (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res, urls[scheme]).catch(() => {
      // Only a bug reaches here; answer in the error shape, never with a stack trace.
      if (!res.headersSent)
        send(res, { status: 500, body: new HttpError(500, 'Internal sandbox error.').body() });
    });
  };
  const httpServer = createHttpServer(listener('http'));
  const httpsServer = createHttpsServer(
    { cert: serverCert.certPem + ca.certPem, key: serverCert.keyPem },
    listener('https'),
  );
  const hostInUrl = host.includes(':') ? `[${host}]` : host;
  urls.http = `http://${hostInUrl}:${await listen(httpServer, options.httpPort ?? 0, host)}`;
  urls.https = `https://${hostInUrl}:${await listen(httpsServer, options.httpsPort ?? 0, host)}`;

  return {
    httpUrl: urls.http,
    httpsUrl: urls.https,
    apiSecret,
    caCertPem: ca.certPem,
    templateKeys: { ...DEFAULT_TEMPLATE_KEYS },
    setFaults: (config) => faults.set(config),
    clearFaults: (prefix) => faults.clear(prefix),
    setTokenTtl: (seconds) => {
      tokens.ttlSeconds = seconds;
    },
    setWebhook: (w) => webhooks.configure(w),
    expireTokens: (transactionId) => {
      const expired = tokens.expire(transactionId, Date.now());
      state?.scheduleSave();
      return expired;
    },
    calls: () => callLog.map((c) => ({ ...c })),
    transactions: (prefix) => api.inventory(prefix),
    clearCalls: () => {
      callLog.length = 0;
    },
    webhookDeliveries: () => webhooks.log(),
    webhooksIdle: () => webhooks.idle(),
    close: async () => {
      await webhooks.close();
      await Promise.all([closeServer(httpServer), closeServer(httpsServer)]);
      state?.save();
    },
  };
}

function errorReply(error: unknown): Reply {
  if (error instanceof HttpError)
    return { status: error.status, body: error.body(), headers: error.extra.headers };
  if (error instanceof BodyTooLarge) {
    return {
      status: 413,
      body: new HttpError(413, 'The request body is too large.', { readable: 'Payload too large' }).body(),
    };
  }
  if (error instanceof z.ZodError)
    return { status: 400, body: new HttpError(400, z.prettifyError(error)).body() };
  return { status: 500, body: new HttpError(500, 'Internal sandbox error.').body() };
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
