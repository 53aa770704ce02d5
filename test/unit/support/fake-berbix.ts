import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  authorization: string | undefined;
  body: unknown;
}

export interface Reply {
  status: number;
  /** Read the request, then drop the connection without answering. */
  drop?: boolean;
  body?: unknown;
  headers?: Record<string, string>;
}

type Route = (request: RecordedRequest) => Reply;

/**
 * A scripted Berbix on 127.0.0.1: each `METHOD /path` answers from a queue of replies (the last
 * one repeats), and every request is recorded so tests can see what reached "Berbix".
 */
export class FakeBerbix {
  readonly requests: RecordedRequest[] = [];
  #routes = new Map<string, Array<Reply | Route>>();
  #server: Server | undefined;
  url = '';

  on(route: string, ...replies: Array<Reply | Route>): this {
    this.#routes.set(route, replies);
    return this;
  }

  reset(): void {
    this.requests.length = 0;
    this.#routes.clear();
  }

  calls(route: string): RecordedRequest[] {
    const [method, path] = route.split(' ');
    return this.requests.filter((r) => r.method === method && r.path === path);
  }

  async start(): Promise<string> {
    this.#server = createServer((req, res) => {
      void readBody(req).then((text) => {
        let body: unknown = text;
        try {
          body = text ? JSON.parse(text) : undefined;
        } catch {
          // keep the text
        }
        const recorded = {
          method: req.method ?? '',
          path: (req.url ?? '').split('?')[0] ?? '',
          authorization: req.headers.authorization,
          body,
        };
        this.requests.push(recorded);
        const queue = this.#routes.get(`${recorded.method} ${recorded.path}`);
        const next = queue && (queue.length > 1 ? queue.shift() : queue[0]);
        const reply = !next
          ? { status: 404, body: { code: 404, message: 'no route in the fake' } }
          : typeof next === 'function'
            ? next(recorded)
            : next;
        if (reply.drop) {
          req.socket.destroy();
          return;
        }
        res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
        res.end(reply.body === undefined ? '' : JSON.stringify(reply.body));
      });
    });
    await new Promise<void>((resolve) => this.#server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    if (!this.#server) return;
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server!.close(() => resolve()));
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** A token response as Berbix sends it. */
export function tokenReply(overrides: Record<string, unknown> = {}): Reply {
  return {
    status: 200,
    body: {
      transaction_id: 4242,
      access_token: 'access-token-secret',
      client_token: 'client-token-secret',
      refresh_token: 'refresh-token-secret',
      expires_in: 3600,
      ...overrides,
    },
  };
}
