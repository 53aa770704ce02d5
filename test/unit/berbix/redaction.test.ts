import { inspect } from 'node:util';
import { BerbixClient, BerbixError, type CallOptions, type TokenSession } from '../../../lambdas/berbix';
import { json, startServer, type TestServer } from './test-server';

// Shorter than the client's "long opaque run" rule, so only knowing the secret can remove it.
const API_SECRET = 'secret_test_Kq7Z';
const BASIC_B64 = Buffer.from(`${API_SECRET}:`).toString('base64');
const ACCESS = 'acc_Pv2Lm9';
const CLIENT = 'cli_Tr4Wn8';
const REFRESH = 'ref_Ys6Hd1';
const EMAIL = 'ada.lovelace@example.com';
const IMAGE = Buffer.alloc(3_000, 0xab);
const IMAGE_B64 = IMAGE.toString('base64');
// A credential the client never saw (e.g. a rotated token echoed by Berbix).
const UNKNOWN_TOKEN = 'tok_' + 'N3wT0k3nTh4tTh3Cl13ntN3v3rS4w0000';

const FORBIDDEN = [
  API_SECRET,
  BASIC_B64,
  ACCESS,
  CLIENT,
  REFRESH,
  EMAIL,
  IMAGE_B64.slice(0, 40),
  UNKNOWN_TOKEN,
];

let server: TestServer;
beforeEach(async () => {
  server = await startServer();
});
afterEach(async () => {
  server.handleEarly(undefined);
  await server.close();
});

const client = () =>
  new BerbixClient({
    apiSecret: API_SECRET,
    baseUrl: server.url,
    timeoutMs: 5_000,
    retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 2 },
  });
const session = (): TokenSession => ({
  tokens: {
    transactionId: 9,
    accessToken: ACCESS,
    clientToken: CLIENT,
    refreshToken: REFRESH,
    expiresAt: Date.now() + 3_600_000,
  },
});
const upload = (call: CallOptions = {}) =>
  client().uploadImages(session(), [{ subject: 'document_front', format: 'image/jpeg', data: IMAGE }], call);

/** Berbix (or a proxy) echoing the credentials and the request back in its error text. */
function echo(
  status: number,
  extra: Record<string, unknown> = {},
  alsoEcho: string[] = [ACCESS, CLIENT, REFRESH],
) {
  server.handle((req, res) =>
    json(res, status, {
      code: `${status} ${req.headers.authorization}`,
      message: `rejected ${req.headers.authorization} ${req.body} ${UNKNOWN_TOKEN} ${alsoEcho.join(' ')}`,
      ...extra,
    }),
  );
}

async function caught(promise: Promise<unknown>): Promise<BerbixError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(BerbixError);
    return error as BerbixError;
  }
  throw new Error('expected the call to fail');
}

function renderings(value: unknown): string[] {
  return [
    String(value),
    JSON.stringify(value),
    inspect(value, { showHidden: true, depth: Infinity }),
    (value as Error).stack ?? '',
  ];
}

function expectNoSecrets(value: unknown): void {
  for (const text of renderings(value)) {
    for (const secret of FORBIDDEN) expect(text).not.toContain(secret);
  }
}

describe('redaction of secrets', () => {
  it.each([
    ['a 400 on upload', () => (echo(400), upload())],
    ['a 401 on upload, after the refresh', () => (echo(401), upload())],
    ['a 409 on upload', () => (echo(409, { next_step: 'upload_document_back' }), upload())],
    ['a 413 on upload', () => (echo(413), upload())],
    ['a 429 on upload', () => (echo(429), upload())],
    ['a 500 on upload', () => (echo(500), upload())],
    [
      'a 403 on create with an email',
      () => (
        echo(403, {}, []),
        client().createTransaction({ customerUid: 'u', templateKey: 'k', email: EMAIL })
      ),
    ],
    ['a 400 on refresh', () => (echo(400, {}, [REFRESH]), client().refreshTokens(REFRESH))],
    ['a 503 on get', () => (echo(503), client().getTransaction(session()))],
    ['a 410 on delete', () => (echo(410), client().deleteTransaction(session()))],
  ])('keeps tokens, the secret and image data out of the error for %s', async (_name, run) => {
    const error = await caught(run());
    expect(error.berbixMessage).toContain('rejected');
    expectNoSecrets(error);
  });

  it('keeps credentials out of a protocol error about a malformed token response', async () => {
    server.handle((_req, res) =>
      json(res, 200, {
        transaction_id: 'x',
        access_token: ACCESS,
        client_token: CLIENT,
        refresh_token: REFRESH,
      }),
    );
    expectNoSecrets(await caught(client().createTransaction({ customerUid: 'u', templateKey: 'k' })));
  });

  it('scrubs a tiny image, too short to look opaque, from an echo by knowing its bytes', async () => {
    const tiny = Buffer.from('Zq9!x.');
    const tinyB64 = tiny.toString('base64');
    expect(tinyB64.length).toBeLessThan(32);
    server.handle((_req, res) => json(res, 400, { code: 400, message: `rejected image ${tinyB64} here` }));
    const error = await caught(
      client().uploadImages(session(), [{ subject: 'document_front', format: 'image/jpeg', data: tiny }]),
    );
    expect(error.berbixMessage).toBe('rejected image [redacted] here');
  });

  it('keeps image data out of network errors', async () => {
    server.handle((_req, res) => res.socket?.destroy());
    expectNoSecrets(await caught(upload()));
    server.handle(() => undefined);
    expectNoSecrets(await caught(upload({ timeoutMs: 100 })));
  });

  it('never shows the API secret or the Authorization header of the client itself', () => {
    const c = client();
    expectNoSecrets(c);
    expect(Object.keys(c)).toEqual([]);
    expect(JSON.stringify(c)).toBe(JSON.stringify({ baseUrl: server.url }));
  });

  it('sends the credentials to Berbix all the same', async () => {
    echo(400);
    await caught(upload());
    expect(server.requests[0]?.headers.authorization).toBe(`Bearer ${CLIENT}`);
    expect(server.requests[0]?.body).toContain(IMAGE_B64);
  });
});
