import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createVerificationClient,
  errorCode,
  errorMessage,
  etagOf,
  isNotModified,
  NetworkError,
} from '../../../client';
import { newVerification } from './fixtures';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** A real HTTP server answering each request with the next scripted reply, recording what it got. */
async function apiServer(replies: { status: number; body?: unknown; headers?: Record<string, string> }[]) {
  const seen: Seen[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      const reply = replies.shift() ?? { status: 500, body: { message: 'Internal Server Error' } };
      if (reply.body === undefined) res.writeHead(reply.status, reply.headers).end();
      else
        res
          .writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers })
          .end(JSON.stringify(reply.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, seen, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

const verification = newVerification;

describe('the typed API client', () => {
  it('asks for the token before every request and sends it as a bearer token', async () => {
    const server = await apiServer([
      { status: 200, body: verification },
      { status: 200, body: verification },
    ]);
    let n = 0;
    const api = createVerificationClient({ apiUrl: `${server.url}/`, getToken: async () => `token-${++n}` });
    try {
      await api.getVerification(verification.id);
      await api.getVerification(verification.id);
      expect(server.seen.map((s) => s.headers.authorization)).toEqual(['Bearer token-1', 'Bearer token-2']);
      expect(server.seen[0]!.url).toBe(`/verifications/${verification.id}`);
    } finally {
      await server.close();
    }
  });

  it('sends the create body as JSON with the Idempotency-Key and answers the typed verification', async () => {
    const server = await apiServer([{ status: 201, body: verification }]);
    const api = createVerificationClient({ apiUrl: server.url, getToken: () => 't' });
    try {
      const created = await api.createVerification({ id_type: 'DL' }, { idempotencyKey: 'key-1' });
      expect(created.ok && created.data.next_step).toBe('upload_document_front');
      expect(created.status).toBe(201);
      const [request] = server.seen;
      expect(request).toMatchObject({ method: 'POST', url: '/verifications', body: '{"id_type":"DL"}' });
      expect(request!.headers['idempotency-key']).toBe('key-1');
      expect(request!.headers['content-type']).toBe('application/json');
    } finally {
      await server.close();
    }
  });

  it("answers an error with the handler's code, or API Gateway's message, and no token leaves it unset", async () => {
    const server = await apiServer([
      {
        status: 409,
        body: { error: { code: 'step_out_of_order', message: 'Berbix expects x', next_step: 'x' } },
      },
      { status: 401, body: { message: 'Unauthorized' } },
    ]);
    const api = createVerificationClient({ apiUrl: server.url, getToken: () => undefined });
    try {
      const conflict = await api.createUpload(verification.id, {
        step: 'document_back',
        content_type: 'image/png',
      });
      expect(conflict.ok).toBe(false);
      expect(
        !conflict.ok && [conflict.status, errorCode(conflict.error), errorMessage(conflict.error)],
      ).toEqual([409, 'step_out_of_order', 'Berbix expects x']);
      const refused = await api.getResult(verification.id);
      expect(!refused.ok && [refused.status, errorCode(refused.error)]).toEqual([401, 'Unauthorized']);
      expect(server.seen[1]!.headers.authorization).toBeUndefined();
    } finally {
      await server.close();
    }
  });

  it('answers a 204 delete with no body', async () => {
    const server = await apiServer([{ status: 204 }]);
    const api = createVerificationClient({ apiUrl: server.url, getToken: () => 't' });
    try {
      const deleted = await api.deleteVerification(verification.id);
      expect(deleted).toMatchObject({ ok: true, status: 204, data: undefined });
      expect(server.seen[0]!.method).toBe('DELETE');
    } finally {
      await server.close();
    }
  });

  it('throws a NetworkError naming the API when nothing answers', async () => {
    const server = await apiServer([]);
    await server.close();
    const api = createVerificationClient({ apiUrl: server.url, getToken: () => 't' });
    const failure = api.getVerification(verification.id);
    await expect(failure).rejects.toBeInstanceOf(NetworkError);
    await expect(failure).rejects.toThrow(`No answer from ${server.url}: ECONNREFUSED`);
  });
});

describe('the conditional read of the typed client', () => {
  async function versionedServer(replies: { status: number; etag: string; body?: unknown }[]) {
    const seen: { url: string; headers: IncomingMessage['headers'] }[] = [];
    const server: Server = createServer((req, res) => {
      seen.push({ url: req.url!, headers: req.headers });
      const reply = replies.shift()!;
      res.writeHead(reply.status, {
        etag: reply.etag,
        ...(reply.body ? { 'content-type': 'application/json' } : {}),
      });
      res.end(reply.body ? JSON.stringify(reply.body) : undefined);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return { url, seen, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
  }

  it('sends If-None-Match and wait, and answers 304 as NotModified with the ETag', async () => {
    const server = await versionedServer([{ status: 304, etag: 'W/"v1"' }]);
    const api = createVerificationClient({ apiUrl: server.url, getToken: () => 't' });
    try {
      const read = await api.getVerificationIfChanged(verification.id, { ifNoneMatch: 'W/"v1"', wait: 20 });
      expect(isNotModified(read)).toBe(true);
      expect(read).toMatchObject({ ok: false, status: 304, notModified: true, error: undefined });
      expect(etagOf(read)).toBe('W/"v1"');
      expect(server.seen[0]!.url).toBe(`/verifications/${verification.id}?wait=20`);
      expect(server.seen[0]!.headers['if-none-match']).toBe('W/"v1"');
    } finally {
      await server.close();
    }
  });

  it('answers a change as the typed verification with its new ETag', async () => {
    const server = await versionedServer([{ status: 200, etag: 'W/"v2"', body: verification }]);
    const api = createVerificationClient({ apiUrl: server.url, getToken: () => 't' });
    try {
      const read = await api.getVerificationIfChanged(verification.id, { ifNoneMatch: 'W/"v1"' });
      expect(isNotModified(read)).toBe(false);
      expect(read.ok && read.data.id).toBe(verification.id);
      expect(etagOf(read)).toBe('W/"v2"');
      expect(server.seen[0]!.url).toBe(`/verifications/${verification.id}`);
    } finally {
      await server.close();
    }
  });
});

describe('the typed client when the API is busy', () => {
  const busy = {
    status: 503,
    body: { error: { code: 'service_unavailable', message: 'The service is busy; try again shortly' } },
    headers: { 'retry-after': '0' },
  };

  it('sends the same request again after a 503 with Retry-After and answers what came next', async () => {
    const server = await apiServer([busy, { status: 201, body: verification }]);
    const api = createVerificationClient({ apiUrl: server.url, getToken: () => 't' });
    try {
      const created = await api.createVerification({ id_type: 'DL' }, { idempotencyKey: 'key-1' });
      expect(created.status).toBe(201);
      expect(server.seen).toHaveLength(2);
      expect(server.seen.map((s) => [s.body, s.headers['idempotency-key'], s.headers.authorization])).toEqual(
        [
          ['{"id_type":"DL"}', 'key-1', 'Bearer t'],
          ['{"id_type":"DL"}', 'key-1', 'Bearer t'],
        ],
      );
    } finally {
      await server.close();
    }
  });

  it('retries a 429 even without Retry-After, and gives up after the retries with the last answer', async () => {
    const throttled = { status: 429, body: { message: 'Too Many Requests' } };
    const server = await apiServer([throttled, throttled, throttled, { status: 200, body: verification }]);
    const api = createVerificationClient({
      apiUrl: server.url,
      getToken: () => 't',
      retryWhenBusy: { retries: 2, maxWaitSeconds: 0.01 },
    });
    try {
      const read = await api.getVerification(verification.id);
      expect(read.status).toBe(429);
      expect(server.seen).toHaveLength(3);
    } finally {
      await server.close();
    }
  });

  it("answers the gateway's 503 without Retry-After at once: the function may have done its work", async () => {
    const server = await apiServer([
      { status: 503, body: { message: 'Service Unavailable' } },
      { status: 201, body: verification },
    ]);
    const api = createVerificationClient({ apiUrl: server.url, getToken: () => 't' });
    try {
      const created = await api.createVerification({});
      expect(created.status).toBe(503);
      expect(server.seen).toHaveLength(1);
    } finally {
      await server.close();
    }
  });

  it('answers at once with retryWhenBusy false, and waits at most maxWaitSeconds however long Retry-After is', async () => {
    const server = await apiServer([
      busy,
      { ...busy, headers: { 'retry-after': '3600' } },
      { status: 200, body: verification },
    ]);
    try {
      const once = createVerificationClient({
        apiUrl: server.url,
        getToken: () => 't',
        retryWhenBusy: false,
      });
      expect((await once.getVerification(verification.id)).status).toBe(503);
      const patient = createVerificationClient({
        apiUrl: server.url,
        getToken: () => 't',
        retryWhenBusy: { maxWaitSeconds: 0.05 },
      });
      expect((await patient.getVerification(verification.id)).status).toBe(200);
      // Waiting the hour it asked for would fail this test on Jest's timeout.
      expect(server.seen).toHaveLength(3);
    } finally {
      await server.close();
    }
  });

  it('stops waiting when the caller aborts', async () => {
    const server = await apiServer([{ ...busy, headers: { 'retry-after': '5' } }]);
    const api = createVerificationClient({ apiUrl: server.url, getToken: () => 't' });
    const controller = new AbortController();
    try {
      const read = api.getVerification(verification.id, { signal: controller.signal });
      setTimeout(() => controller.abort(new Error('user left')), 50);
      await expect(read).rejects.toThrow('user left');
      expect(server.seen).toHaveLength(1);
    } finally {
      await server.close();
    }
  });
});
