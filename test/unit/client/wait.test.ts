import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createVerificationClient,
  judged,
  waitForVerification,
  WaitTimeoutError,
  type Answer,
  type Verification,
  type VerificationClient,
} from '../../../client';
import { newVerification } from './fixtures';

const base = newVerification;

/** A client whose reads answer the given states in turn (the last one repeats). */
function reading(
  states: (Partial<Verification> | { status: number })[],
): VerificationClient & { reads: number } {
  const client = {
    reads: 0,
    async getVerification(): Promise<Answer<Verification>> {
      const next = states[Math.min(client.reads, states.length - 1)]!;
      client.reads += 1;
      const response = new Response();
      if (typeof next.status === 'number')
        return { ok: false, status: next.status, error: { message: 'Unauthorized' }, response };
      return { ok: true, status: 200, data: { ...base, ...(next as Partial<Verification>) }, response };
    },
  };
  return client as unknown as VerificationClient & { reads: number };
}

describe('waiting for a verification', () => {
  it('reads until the upload was judged and answers that read', async () => {
    const client = reading([
      { status: 'awaiting_upload' },
      { status: 'processing', attempts: { document_front: 1 } },
      { status: 'awaiting_upload', attempts: { document_front: 1 }, issues: ['text_unreadable'] },
    ]);
    const answer = await waitForVerification(client, base.id, judged('document_front', 1), { intervalMs: 1 });
    expect(answer.ok && answer.data.issues).toEqual(['text_unreadable']);
    expect(client.reads).toBe(3);
  });

  it('answers an error read at once', async () => {
    const client = reading([{ status: 401 }]);
    const answer = await waitForVerification(client, base.id, () => true, { intervalMs: 1 });
    expect(answer).toMatchObject({ ok: false, status: 401 });
  });

  it('gives up after the timeout with the last state seen', async () => {
    const client = reading([{ status: 'processing' }]);
    const wait = waitForVerification(client, base.id, judged('document_back', 1), {
      intervalMs: 1,
      timeoutMs: 20,
    });
    await expect(wait).rejects.toBeInstanceOf(WaitTimeoutError);
    await expect(wait).rejects.toThrow('last status: processing');
  });

  it('counts an ended verification as judged', () => {
    expect(judged('document_back', 1)({ ...base, status: 'abandoned' })).toBe(true);
    expect(
      judged('document_back', 1)({ ...base, status: 'processing', attempts: { document_back: 1 } }),
    ).toBe(false);
  });
});

/** A real 127.0.0.1 API answering each GET as the test says, recording what it was sent. */
async function apiServer(
  answer: (n: number, seen: Seen) => Promise<{ status: number; body?: Verification; etag?: string }>,
) {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    const entry = { url: new URL(req.url ?? '', 'http://x'), headers: req.headers };
    seen.push(entry);
    void answer(seen.length, entry).then(({ status, body, etag }) => {
      res.writeHead(status, {
        ...(body ? { 'content-type': 'application/json' } : {}),
        ...(etag ? { etag } : {}),
      });
      res.end(body ? JSON.stringify(body) : undefined);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  servers.push(server);
  const client = createVerificationClient({
    apiUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    getToken: () => 'token',
  });
  return { client, seen };
}

interface Seen {
  url: URL;
  headers: IncomingHttpHeaders;
}

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
});

const held = (ms: number) => new Promise((r) => setTimeout(r, ms));
const processing = { ...base, status: 'processing' as const, attempts: { document_front: 1 } };
const judgedState = { ...base, status: 'awaiting_upload' as const, attempts: { document_front: 1 } };

describe('waiting with the waiting read', () => {
  it('names the version seen and lets the API wait, asking again at once after a held 304', async () => {
    const { client, seen } = await apiServer(async (n) => {
      if (n === 1) return { status: 200, body: base, etag: 'W/"v1"' };
      if (n === 2) return { status: 200, body: processing, etag: 'W/"v2"' };
      if (n === 3) {
        await held(1100); // the API's bound passed without a change
        return { status: 304, etag: 'W/"v2"' };
      }
      return { status: 200, body: judgedState, etag: 'W/"v3"' };
    });
    const answer = await waitForVerification(client, base.id, judged('document_front', 1), {
      waitSeconds: 2,
      intervalMs: 60_000, // a poll would time the test out: every read must be asked at once
    });
    expect(answer.ok && answer.data.status).toBe('awaiting_upload');
    expect(seen.map((s) => s.headers['if-none-match'])).toEqual([undefined, 'W/"v1"', 'W/"v2"', 'W/"v2"']);
    expect(seen.map((s) => s.url.searchParams.get('wait'))).toEqual([null, '2', '2', '2']);
    expect(seen.every((s) => s.headers.authorization === 'Bearer token')).toBe(true);
  });

  it('polls an API that answers 304 at once instead of waiting', async () => {
    const { client, seen } = await apiServer(async (n) =>
      n === 1
        ? { status: 200, body: processing, etag: 'W/"v1"' }
        : n < 4
          ? { status: 304, etag: 'W/"v1"' }
          : { status: 200, body: judgedState, etag: 'W/"v2"' },
    );
    const answer = await waitForVerification(client, base.id, judged('document_front', 1), {
      waitSeconds: 20,
      intervalMs: 5,
    });
    expect(answer.ok && answer.data.status).toBe('awaiting_upload');
    expect(seen).toHaveLength(4);
  });

  it('polls an API that ignores If-None-Match and sends the same ETag again', async () => {
    const { client, seen } = await apiServer(async (n) =>
      n < 3
        ? { status: 200, body: processing, etag: 'W/"same"' }
        : { status: 200, body: judgedState, etag: 'W/"same"' },
    );
    const answer = await waitForVerification(client, base.id, judged('document_front', 1), { intervalMs: 5 });
    expect(answer.ok && answer.data.status).toBe('awaiting_upload');
    expect(seen).toHaveLength(3);
  });

  it('gives up after the timeout with the last state seen, never asking the API to wait past it', async () => {
    const { client, seen } = await apiServer(async (n) => {
      if (n === 1) return { status: 200, body: processing, etag: 'W/"v1"' };
      await held(1050);
      return { status: 304, etag: 'W/"v1"' };
    });
    const wait = waitForVerification(client, base.id, judged('document_back', 1), {
      timeoutMs: 1500,
      intervalMs: 1,
    });
    await expect(wait).rejects.toThrow('last status: processing');
    for (const s of seen.slice(1)) expect(Number(s.url.searchParams.get('wait'))).toBeLessThanOrEqual(2);
  });

  it('returns an error answer of a waiting read at once', async () => {
    const { client } = await apiServer(async (n) =>
      n === 1 ? { status: 200, body: processing, etag: 'W/"v1"' } : { status: 404 },
    );
    const answer = await waitForVerification(client, base.id, judged('document_back', 1));
    expect(answer).toMatchObject({ ok: false, status: 404 });
  });
});
