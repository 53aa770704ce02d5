import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { S3EventRecord } from 'aws-lambda';
import S3rver from 's3rver';
import { DUMMY_ACCOUNT } from 's3rver/lib/models/account';
import { checkPostPolicy, type S3Refusal } from './s3-post-policy';

export type { S3EventRecord };

/** The facts of an object event, before they are dressed as an S3 notification record. */
export interface S3ObjectEvent {
  eventName: string;
  bucket: string;
  /** URL-encoded as S3 does in notifications. */
  key: string;
  size: number;
  eTag?: string;
}

export interface S3Options {
  /** @default 0 (a free port) */
  port?: number;
  /** Where objects live, kept across restarts; without it a temporary folder removed on close. */
  dataDir?: string;
  buckets: string[];
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** Browser origins allowed by CORS (the bucket's CORS rule); `*` allows any. @default [] */
  corsOrigins?: string[];
  /** @default 'us-east-1' */
  region?: string;
  /** The largest multipart POST body read into memory. @default 64 MiB */
  maxPostBytes?: number;
}

export interface S3Emulator {
  endpoint: string;
  /** Called for every object created or deleted, with one `Records[]` element of an S3 notification. */
  onObjectEvent(listener: (record: S3EventRecord) => void): void;
  /** Allows one more browser origin by CORS (the local web client's, known once the API listens). */
  allowOrigin(origin: string): void;
  close(): Promise<void>;
}

const CORS_METHODS = ['GET', 'HEAD', 'PUT', 'POST'];
const INTERNAL_ERROR: S3Refusal = {
  status: 500,
  code: 'InternalError',
  message: 'We encountered an internal error. Please try again.',
};
/** Authentication fields of a POST form: checked here, never stored as object metadata. */
const AUTH_FIELDS = new Set([
  'policy',
  'x-amz-algorithm',
  'x-amz-credential',
  'x-amz-date',
  'x-amz-signature',
  'x-amz-security-token',
  'bucket',
]);

/**
 * S3 on 127.0.0.1: s3rver stores objects and serves the SDK's calls; a front in front of it checks
 * presigned POST policies as S3 does (s3rver does not), answers CORS for the configured origins,
 * and turns s3rver's events into proper S3 notification records.
 * Use path-style URLs (`http://127.0.0.1:port/bucket/key`), which the SDK picks for an IP endpoint.
 */
export async function startS3(opts: S3Options): Promise<S3Emulator> {
  const region = opts.region ?? 'us-east-1';
  const maxPostBytes = opts.maxPostBytes ?? 64 * 1024 * 1024;
  const corsOrigins = [...(opts.corsOrigins ?? [])];
  const listeners: Array<(record: S3EventRecord) => void> = [];
  const temporaryDir = opts.dataDir ? undefined : await mkdtemp(join(tmpdir(), 'local-s3-'));
  // s3rver only accepts requests signed with access keys it knows.
  DUMMY_ACCOUNT.createKeyPair(opts.credentials.accessKeyId, opts.credentials.secretAccessKey);

  const backend = new S3rver({
    address: '127.0.0.1',
    port: 0,
    directory: opts.dataDir ?? temporaryDir!,
    silent: true,
    configureBuckets: opts.buckets.map((name) => ({ name })),
  });
  const { port: backendPort } = await backend.run();

  let sequence = 0;
  backend.on('event', (event: { Records: S3EventRecord[] }) => {
    for (const raw of event.Records) {
      const object = raw.s3.object as Partial<S3EventRecord['s3']['object']>;
      const facts: S3ObjectEvent = {
        eventName: raw.eventName,
        bucket: raw.s3.bucket.name,
        key: encodeEventKey(String(object.key)),
        size: object.size ?? 0,
        eTag: object.eTag,
      };
      sequence += 1;
      const sequencer = `${Date.now().toString(16)}${sequence.toString(16).padStart(8, '0')}`.toUpperCase();
      void withETag(facts, String(object.key), backendPort).then((complete) => {
        const record = notificationRecord(complete, region, sequencer);
        for (const listener of listeners) {
          try {
            listener(record);
          } catch (error) {
            console.error('[local-s3] object event listener failed', error);
          }
        }
      });
    }
  });

  const corsHeaders = (req: IncomingMessage): Record<string, string> => {
    const origin = req.headers.origin;
    if (!origin || !(corsOrigins.includes(origin) || corsOrigins.includes('*'))) return {};
    return {
      'access-control-allow-origin': origin,
      'access-control-expose-headers': 'ETag, Location, x-amz-request-id',
      vary: 'Origin',
    };
  };

  const front = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    // Path-style POST to a bucket (bucket names need no decoding: lower-case letters, digits, '.', '-').
    const bucket = /^\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\/?$/.exec(url.pathname)?.[1];
    if (req.method === 'OPTIONS') return preflight(req, res, corsHeaders(req));
    if (req.method === 'POST' && bucket && url.search === '' && isMultipart(req)) {
      return void postObject(req, res, bucket, corsHeaders(req)).catch((error: unknown) => {
        console.error('[local-s3] POST upload failed', error);
        sendError(res, INTERNAL_ERROR, {});
      });
    }
    proxy(req, res, backendPort, corsHeaders(req));
  });

  const postObject = async (
    req: IncomingMessage,
    res: ServerResponse,
    bucket: string,
    cors: Record<string, string>,
  ) => {
    const body = await readBody(req, maxPostBytes);
    if (!body) {
      req.resume();
      return sendError(
        res,
        {
          status: 400,
          code: 'EntityTooLarge',
          message: 'Your proposed upload exceeds the maximum allowed size',
        },
        cors,
      );
    }
    let form: FormData;
    try {
      form = await new Response(new Uint8Array(body), {
        headers: { 'content-type': String(req.headers['content-type']) },
      }).formData();
    } catch {
      return sendError(
        res,
        {
          status: 400,
          code: 'MalformedPOSTRequest',
          message: 'The body of your POST request is not well-formed multipart/form-data.',
        },
        cors,
      );
    }
    // S3 reads the fields up to the file and ignores the rest.
    const fields = new Map<string, string>();
    let file: Blob | undefined;
    let filename = '';
    form.forEach((value, name) => {
      if (file) return;
      if (name.toLowerCase() === 'file') {
        file = typeof value === 'string' ? new Blob([value]) : value;
        filename = typeof value === 'string' ? '' : value.name;
      } else {
        fields.set(name.toLowerCase(), typeof value === 'string' ? value : '');
      }
    });
    if (!file) {
      return sendError(
        res,
        {
          status: 400,
          code: 'InvalidArgument',
          message: 'POST requires exactly one file upload per request.',
        },
        cors,
      );
    }
    const outcome = checkPostPolicy({
      bucket,
      fields,
      filename,
      fileSize: file.size,
      credentials: opts.credentials,
      region,
      now: new Date(),
    });
    if ('code' in outcome) return sendError(res, outcome, cors);

    // Forward what S3 would store: the key, metadata fields and the file, without the auth fields.
    const forwarded = new FormData();
    for (const [name, value] of fields) {
      if (!AUTH_FIELDS.has(name)) forwarded.set(name, name === 'key' ? outcome.key : value);
    }
    forwarded.set(
      'file',
      new Blob([await file.arrayBuffer()], { type: fields.get('content-type') ?? 'binary/octet-stream' }),
      filename || 'file',
    );
    const encoded = new Request('http://127.0.0.1/', { method: 'POST', body: forwarded });
    const payload = Buffer.from(await encoded.arrayBuffer());
    const headers = {
      ...req.headers,
      'content-type': encoded.headers.get('content-type') ?? '',
      'content-length': String(payload.length),
    };
    delete headers['transfer-encoding'];
    const upstream = httpRequest(
      { host: '127.0.0.1', port: backendPort, method: 'POST', path: req.url, headers },
      (response) => relay(response, res, cors),
    );
    upstream.on('error', () => sendError(res, INTERNAL_ERROR, cors));
    upstream.end(payload);
  };

  await new Promise<void>((resolve, reject) => {
    front.once('error', reject);
    front.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = front.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    onObjectEvent(listener) {
      listeners.push(listener);
    },
    allowOrigin(origin) {
      if (!corsOrigins.includes(origin)) corsOrigins.push(origin);
    },
    async close() {
      await new Promise<void>((resolve) => {
        front.close(() => resolve());
        front.closeAllConnections();
      });
      await backend.close();
      if (temporaryDir) await rm(temporaryDir, { recursive: true, force: true });
    },
  };
}

/** S3 notifications URL-encode keys like a form: spaces become `+`, the rest percent-encoded, `/` kept. */
export function encodeEventKey(key: string): string {
  return key
    .split('/')
    .map((segment) => encodeURIComponent(segment).replace(/%20/g, '+'))
    .join('/');
}

/** The ObjectCreated record of an object already stored, for delivering its event again. */
export function objectCreatedRecord(input: {
  bucket: string;
  /** The object's key as stored (not encoded). */
  key: string;
  size: number;
  eTag?: string;
  region?: string;
}): S3EventRecord {
  const sequencer = `${Date.now().toString(16)}00000000`.toUpperCase();
  const event = { eventName: 'ObjectCreated:Post', bucket: input.bucket, key: encodeEventKey(input.key) };
  return notificationRecord(
    { ...event, size: input.size, eTag: input.eTag },
    input.region ?? 'us-east-1',
    sequencer,
  );
}

function notificationRecord(event: S3ObjectEvent, region: string, sequencer: string): S3EventRecord {
  const requestId = randomBytes(8).toString('hex').toUpperCase();
  const object: S3EventRecord['s3']['object'] = event.eventName.startsWith('ObjectRemoved')
    ? ({ key: event.key, sequencer } as S3EventRecord['s3']['object'])
    : { key: event.key, size: event.size, eTag: event.eTag ?? '', sequencer };
  return {
    eventVersion: '2.1',
    eventSource: 'aws:s3',
    awsRegion: region,
    eventTime: new Date().toISOString(),
    eventName: event.eventName,
    userIdentity: { principalId: 'AWS:LOCAL' },
    requestParameters: { sourceIPAddress: '127.0.0.1' },
    responseElements: { 'x-amz-request-id': requestId, 'x-amz-id-2': randomBytes(24).toString('base64') },
    s3: {
      s3SchemaVersion: '1.0',
      configurationId: 'local',
      bucket: {
        name: event.bucket,
        ownerIdentity: { principalId: 'LOCAL' },
        arn: `arn:aws:s3:::${event.bucket}`,
      },
      object,
    },
  };
}

/** s3rver leaves the ETag out of Copy events: ask for it. */
async function withETag(event: S3ObjectEvent, rawKey: string, backendPort: number): Promise<S3ObjectEvent> {
  if (event.eTag || !event.eventName.startsWith('ObjectCreated')) return event;
  const path = `/${encodeURIComponent(event.bucket)}/${rawKey.split('/').map(encodeURIComponent).join('/')}`;
  const eTag = await new Promise<string | undefined>((resolve) => {
    const head = httpRequest({ host: '127.0.0.1', port: backendPort, method: 'HEAD', path }, (response) => {
      response.resume();
      resolve(response.headers.etag?.replaceAll('"', ''));
    });
    head.on('error', () => resolve(undefined));
    head.end();
  });
  return { ...event, eTag };
}

function isMultipart(req: IncomingMessage): boolean {
  return (req.headers['content-type'] ?? '').toLowerCase().startsWith('multipart/form-data');
}

/** Reads the body, or returns undefined once it passes the limit. */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.off('data', onData);
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function preflight(req: IncomingMessage, res: ServerResponse, cors: Record<string, string>): void {
  const method = String(req.headers['access-control-request-method'] ?? '').toUpperCase();
  if (!cors['access-control-allow-origin'] || !CORS_METHODS.includes(method)) {
    return sendError(
      res,
      { status: 403, code: 'AccessForbidden', message: 'CORSResponse: This CORS request is not allowed.' },
      {},
    );
  }
  const requested = req.headers['access-control-request-headers'];
  res.writeHead(200, {
    ...cors,
    'access-control-allow-methods': method,
    ...(requested ? { 'access-control-allow-headers': requested } : {}),
    'access-control-max-age': '3000',
    'content-length': '0',
  });
  res.end();
}

function proxy(
  req: IncomingMessage,
  res: ServerResponse,
  backendPort: number,
  cors: Record<string, string>,
): void {
  const upstream = httpRequest(
    { host: '127.0.0.1', port: backendPort, method: req.method, path: req.url, headers: req.headers },
    (response) => relay(response, res, cors),
  );
  upstream.on('error', () => sendError(res, INTERNAL_ERROR, cors));
  req.pipe(upstream);
}

function relay(response: IncomingMessage, res: ServerResponse, cors: Record<string, string>): void {
  const headers = { ...response.headers };
  // The front decides CORS, not s3rver.
  for (const name of Object.keys(headers)) if (name.startsWith('access-control-')) delete headers[name];
  res.writeHead(response.statusCode ?? 502, { ...headers, ...cors });
  response.pipe(res);
}

function sendError(res: ServerResponse, refusal: S3Refusal, cors: Record<string, string>): void {
  if (res.headersSent) return void res.destroy();
  const escape = (text: string) => text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
  const details = Object.entries(refusal.details ?? {})
    .map(([name, value]) => `<${name}>${escape(String(value))}</${name}>`)
    .join('');
  const requestId = randomBytes(8).toString('hex').toUpperCase();
  const xml =
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<Error><Code>${refusal.code}</Code><Message>${escape(refusal.message)}</Message>${details}<RequestId>${requestId}</RequestId></Error>`;
  res.writeHead(refusal.status, {
    ...cors,
    'content-type': 'application/xml',
    'content-length': Buffer.byteLength(xml),
  });
  res.end(xml);
}
