import type { IncomingMessage, ServerResponse } from 'node:http';
import { STATUS_CODES } from 'node:http';
import type { NextStep } from './engine';

/** A failure answered with Berbix's error shape: `{code, readable, message}` (+ `next_step` on 409). */
export class HttpError extends Error {
  override name = 'HttpError';
  constructor(
    readonly status: number,
    message: string,
    readonly extra: { readable?: string; nextStep?: NextStep; headers?: Record<string, string> } = {},
  ) {
    super(message);
  }

  body(): Record<string, unknown> {
    return {
      code: this.status,
      readable: this.extra.readable ?? STATUS_CODES[this.status] ?? 'Error',
      message: this.message,
      ...(this.extra.nextStep ? { next_step: this.extra.nextStep } : {}),
    };
  }
}

export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Raw bytes instead of JSON (served images). */
  bytes?: { contentType: string; data: Buffer };
}

export function send(res: ServerResponse, reply: Reply): void {
  const headers: Record<string, string> = { ...reply.headers };
  let payload: Buffer | undefined;
  if (reply.bytes) {
    headers['content-type'] = reply.bytes.contentType;
    payload = reply.bytes.data;
  } else if (reply.status !== 204) {
    headers['content-type'] = 'application/json';
    payload = Buffer.from(JSON.stringify(reply.body ?? {}));
  }
  if (payload) headers['content-length'] = String(payload.length);
  res.writeHead(reply.status, headers);
  res.end(payload);
}

export class BodyTooLarge extends Error {}

/**
 * Reads the whole body up to `limit` bytes. Past the limit the rest is drained and discarded (so
 * the client can read the 413 instead of seeing a reset) and BodyTooLarge is thrown.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
    });
    req.on('end', () => (size > limit ? reject(new BodyTooLarge()) : resolve(Buffer.concat(chunks))));
    req.on('error', reject);
  });
}

export function parseJsonBody(raw: Buffer): unknown {
  if (raw.length === 0) return undefined;
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    throw new HttpError(400, 'The request body is not valid JSON.', { readable: 'Invalid request body' });
  }
}

export function isLoopback(address: string | undefined): boolean {
  return !!address && (address.startsWith('127.') || address === '::1' || address.startsWith('::ffff:127.'));
}
