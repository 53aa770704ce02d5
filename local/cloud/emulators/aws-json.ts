import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * An error the AWS JSON protocol reports to the caller: `{"__type": code, "message": ...}` with an
 * HTTP 4xx. The SDK turns `__type` into the thrown exception's `name`.
 */
export class AwsServiceError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly statusCode = 400,
  ) {
    super(message);
    this.name = code;
  }
}

/** One operation, keyed by its full `X-Amz-Target` (`AWSStepFunctions.StartExecution`). */
export type AwsJsonOperation = (input: Record<string, unknown>) => unknown;

export interface AwsJsonServer {
  endpoint: string;
  close(): Promise<void>;
}

export interface AwsJsonServerOptions {
  /** @default 0 (a free port) */
  port?: number;
  operations: Record<string, AwsJsonOperation>;
  /** @default 2 MiB */
  maxBodyBytes?: number;
}

/**
 * Serves the AWS JSON 1.0/1.1 protocols (what the SDK speaks to Step Functions, Secrets Manager,
 * EventBridge, DynamoDB) on 127.0.0.1. Signatures are not checked: this is a local, single-user cloud.
 */
export async function startAwsJsonServer(opts: AwsJsonServerOptions): Promise<AwsJsonServer> {
  const maxBodyBytes = opts.maxBodyBytes ?? 2 * 1024 * 1024;
  const server = createServer((req, res) => {
    void handle(req, res, opts.operations, maxBodyBytes);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // The SDK keeps sockets alive; without this close() would wait for them to time out.
        server.closeAllConnections();
      }),
  };
}

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  operations: Record<string, AwsJsonOperation>,
  maxBodyBytes: number,
): Promise<void> {
  const contentType = req.headers['content-type']?.startsWith('application/x-amz-json-1.1')
    ? 'application/x-amz-json-1.1'
    : 'application/x-amz-json-1.0';
  try {
    const target = req.headers['x-amz-target'];
    const operation =
      typeof target === 'string' ? Object.hasOwn(operations, target) && operations[target] : undefined;
    const body = await readBody(req, maxBodyBytes);
    if (req.method !== 'POST' || !operation) {
      throw new AwsServiceError('UnknownOperationException', `Unknown operation ${String(target ?? '')}`);
    }
    let input: unknown;
    try {
      input = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
    } catch {
      throw new AwsServiceError('SerializationException', 'The request body is not valid JSON');
    }
    if (typeof input !== 'object' || input === null || Array.isArray(input)) {
      throw new AwsServiceError('SerializationException', 'The request body must be a JSON object');
    }
    const output = await operation(input as Record<string, unknown>);
    send(res, 200, contentType, output ?? {});
  } catch (error) {
    if (error instanceof AwsServiceError) {
      send(res, error.statusCode, contentType, { __type: error.code, message: error.message });
    } else {
      // Our bug, not the caller's: say so without a stack trace, and keep the detail on the console.
      console.error('[local-aws] internal error', error);
      send(res, 500, contentType, {
        __type: 'InternalFailure',
        message: 'Internal error in the local emulator',
      });
    }
  }
}

function readBody(req: IncomingMessage, maxBodyBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBodyBytes) {
        reject(new AwsServiceError('RequestEntityTooLargeException', 'Request body too large', 413));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, contentType: string, body: unknown): void {
  if (res.headersSent || res.destroyed) return;
  // AWS JSON timestamps are epoch seconds.
  const json = JSON.stringify(body, function (this: Record<string, unknown>, key, value: unknown) {
    const raw = this[key];
    return raw instanceof Date ? raw.getTime() / 1000 : value;
  });
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(json) });
  res.end(json);
}

/** Reads a required string member of a request, or fails like AWS's input validation. */
export function requireString(input: Record<string, unknown>, name: string): string {
  const value = input[name];
  if (typeof value !== 'string' || value.length === 0) {
    throw new AwsServiceError('ValidationException', `Value for '${name}' is required and must be a string`);
  }
  return value;
}

/** Reads an optional string member of a request. */
export function optionalString(input: Record<string, unknown>, name: string): string | undefined {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') {
    throw new AwsServiceError('ValidationException', `Value for '${name}' must be a string`);
  }
  return value;
}
