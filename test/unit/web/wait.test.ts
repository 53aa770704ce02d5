/** The web client's wait for a verdict against real 127.0.0.1 servers, with and without `?wait`. */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createVerificationClient, type Verification } from '../../../client';
import { waitForVerification } from '../../../web/src/wait';

const ID = 'vrf_aaaaaaaaaaaaaaaaaaaaaaaaaa';
const view = (status: Verification['status']): Verification => ({
  id: ID,
  customer_uid: 'u',
  status,
  next_step: status === 'completed' ? 'done' : 'upload_document_back',
  issues: [],
  issue_details: {},
  attempts: { document_front: 1 },
  created_at: '2026-01-01T00:00:00.000Z',
  updated_at: '2026-01-01T00:00:00.000Z',
});

interface Seen {
  url: string;
  headers: IncomingHttpHeaders;
}

let server: Server | undefined;
afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

async function serve(
  answer: (n: number, seen: Seen) => Promise<{ status: number; body?: Verification; etag?: string }>,
) {
  const seen: Seen[] = [];
  server = createServer((req, res) => {
    const entry = { url: req.url ?? '', headers: req.headers };
    seen.push(entry);
    void answer(seen.length, entry).then(({ status, body, etag }) => {
      res.writeHead(status, { 'content-type': 'application/json', ...(etag ? { etag } : {}) });
      res.end(body ? JSON.stringify(body) : undefined);
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', () => resolve()));
  const client = createVerificationClient({
    apiUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    getToken: () => 'token',
  });
  return { client, seen };
}

const isCompleted = (v: Verification) => v.status === 'completed';

test('a server that ignores wait is read again after a pause until the awaited change, without If-None-Match', async () => {
  const { client, seen } = await serve(async (n) => ({
    status: 200,
    body: view(n < 3 ? 'processing' : 'completed'),
  }));
  const read = await waitForVerification(client, ID, isCompleted, { backoffMs: { first: 10, max: 20 } });
  expect(read.ok && read.data.status).toBe('completed');
  expect(seen).toHaveLength(3);
  for (const s of seen) {
    expect(new URL(s.url, 'http://x').searchParams.get('wait')).toBe('20');
    expect(s.headers['if-none-match']).toBeUndefined();
    expect(s.headers.authorization).toBe('Bearer token');
  }
});

test('a server with the waiting read is asked again with If-None-Match, straight after a held 304', async () => {
  const { client, seen } = await serve(async (n) => {
    if (n === 1) return { status: 200, body: view('processing'), etag: '"v1"' };
    if (n === 2) {
      await new Promise((r) => setTimeout(r, 1100)); // held until the server's bound: nothing changed
      return { status: 304, etag: '"v1"' };
    }
    return { status: 200, body: view('completed'), etag: '"v2"' };
  });
  const read = await waitForVerification(client, ID, isCompleted, { waitSeconds: 5 });
  expect(read.ok && read.data.status).toBe('completed');
  expect(seen.map((s) => s.headers['if-none-match'])).toEqual([undefined, '"v1"', '"v1"']);
  expect(seen.every((s) => new URL(s.url, 'http://x').searchParams.get('wait') === '5')).toBe(true);
});

test('an error answer ends the wait at once', async () => {
  const { client, seen } = await serve(async () => ({ status: 404 }));
  const read = await waitForVerification(client, ID, isCompleted);
  expect(read).toMatchObject({ ok: false, status: 404 });
  expect(seen).toHaveLength(1);
});
