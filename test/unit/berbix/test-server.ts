/** A real HTTP server on 127.0.0.1 (port 0) that records requests and answers as each test says. */
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** Answers one request; `n` counts requests from 1. Fully read body, or `null` if `early` replied first. */
export type Handler = (req: RecordedRequest, res: ServerResponse, n: number) => void;

export interface TestServer {
  url: string;
  requests: RecordedRequest[];
  /** Replaces the handler (default: 404 JSON). */
  handle(handler: Handler): void;
  /** Runs before the body is read, e.g. to drop the connection mid-request. Return true if handled. */
  handleEarly(handler: ((req: IncomingMessage, res: ServerResponse) => boolean) | undefined): void;
  close(): Promise<void>;
}

export function json(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers }).end(JSON.stringify(body));
}

export async function startServer(): Promise<TestServer> {
  const requests: RecordedRequest[] = [];
  let handler: Handler = (_req, res) => json(res, 404, { code: 404, message: 'no handler' });
  let early: ((req: IncomingMessage, res: ServerResponse) => boolean) | undefined;

  const server: Server = createServer((req, res) => {
    if (early?.(req, res)) {
      requests.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: '' });
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const recorded = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(recorded);
      handler(recorded, res, requests.length);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    handle: (h) => {
      handler = h;
    },
    handleEarly: (h) => {
      early = h;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The error a call fails with; a call that succeeds fails the test. */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail');
}
