/**
 * Transient Berbix faults on every call, alone and mixed: no verification is lost, none is stuck,
 * no upload is taken twice, and a verification fails only once the retry budget is spent, with
 * the documented reason. The reliability cloud compresses Step Functions' retry waits
 * (`retryTimeScale`), so the deployed budgets run in milliseconds.
 */
import {
  afterAttempt,
  api,
  awaiting,
  createVerification,
  hasStatus,
  newUser,
  postToForm,
  requestUpload,
  upload,
  waitForVerification,
} from '../integration/support/api';
import { berbixTransactionId } from '../integration/support/aws';
import { image } from '../integration/support/images';
import {
  allCalls,
  clearFaults,
  expireTokens,
  setFaults,
  transactionsAtBerbix,
} from '../integration/support/sandbox';
import {
  burstRemaining,
  completeFlow,
  createBody,
  FAULTY,
  pool,
  processedUploads,
  verify,
  type Document,
} from './support/berbix-faults';

/** One fault of each kind Berbix (or the network to it) can throw at a call. */
const FAULTS = [
  { name: 'a 500', burst: { status: 500 } },
  { name: 'a 502', burst: { status: 502 } },
  { name: 'a 503 with Retry-After', burst: { status: 503, retryAfterSeconds: 1 } },
  { name: 'a 504', burst: { status: 504 } },
  { name: 'a 429 with Retry-After', burst: { status: 429, retryAfterSeconds: 1 } },
  { name: 'a connection dropped before processing', burst: { status: 'drop' } },
  { name: 'an answer lost after processing', burst: { status: 'drop', phase: 'after' } },
] as const;

type Fault = (typeof FAULTS)[number];

/**
 * Each call of the flow, where its fault is set and which flow exercises it (a passport when one
 * upload is enough; the image upload takes a licence, whose front repeat converges on the back).
 */
const CALLS: Array<{
  call: string;
  path: string;
  document: Document;
  /** Runs once the verification exists, before the flow: tokens expire so the next call refreshes. */
  before?: (transactionId: number) => Promise<unknown>;
}> = [
  { call: 'create', path: '/v0/transactions', document: 'passport' },
  { call: 'an image upload', path: '/v0/images/upload', document: 'drivers_licence' },
  { call: 'a barcode scan upload', path: '/v0/idscans/upload', document: 'barcode' },
  // Create is done by then, so the next call on this path is the result's GET.
  { call: 'the result fetch', path: '/v0/transactions', document: 'passport' },
  { call: 'a token refresh', path: '/v0/tokens', document: 'passport', before: expireTokens },
];

/** What a completed flow of each document leaves: uploads Berbix processed, attempts per step. */
const EXPECTED: Record<Document, { uploads: number; attempts: Record<string, number> }> = {
  drivers_licence: { uploads: 2, attempts: { document_front: 1, document_back: 1 } },
  passport: { uploads: 1, attempts: { document_front: 1 } },
  barcode: { uploads: 0, attempts: { id_scan: 1 } },
};

/** Every fault scope this file set, cleared at the end even when a test failed midway. */
const scopes = new Set<string>();
const setFaultsFor = (faults: { customerUidPrefix: string } & Record<string, unknown>) => {
  scopes.add(faults.customerUidPrefix);
  return setFaults(faults);
};
afterAll(() => Promise.all([...scopes].map((scope) => clearFaults(scope))));

describe('each single Berbix fault, before and after Berbix processed the call', () => {
  it.each(CALLS)(
    'rides out every kind of fault on $call',
    async ({ call, path, document, before }) => {
      const prefix = `single-${call.replace(/\W+/g, '-')}-`;
      const outcomes = await pool(
        FAULTS.map((fault, i) => ({ fault, i })),
        4,
        async ({ fault, i }: { fault: Fault; i: number }) => {
          const scope = `${prefix}${i}-`;
          const { token } = await newUser(scope);
          const faults = { customerUidPrefix: scope, burst: { ...fault.burst, count: 1, paths: [path] } };
          if (call === 'create') await setFaultsFor(faults);
          const created = await createVerification(token, createBody(document));
          const transactionId = await berbixTransactionId(created.id);
          await before?.(transactionId);
          if (call !== 'create') await setFaultsFor(faults);
          const done = await completeFlow(created.id, token, document);
          return { fault: fault.name, done, transactionId, injected: (await burstRemaining(scope)) === 0 };
        },
      );
      await Promise.all(FAULTS.map((_, i) => clearFaults(`${prefix}${i}-`)));
      const calls = await allCalls();
      for (const { fault, done, transactionId, injected } of outcomes) {
        const { uploads, attempts } = EXPECTED[document];
        expect({ fault, injected, status: done.status, attempts: done.attempts }).toEqual({
          fault,
          injected: true,
          status: 'completed',
          attempts,
        });
        // Berbix took each upload once: a repeat of one it had processed was answered 409.
        expect({ fault, uploads: processedUploads(calls, transactionId) }).toEqual({ fault, uploads });
      }
    },
    120_000,
  );
});

describe('a lost create answer', () => {
  it('orphans a Berbix transaction holding no email or phone, and the verification still completes', async () => {
    const prefix = 'orphan-';
    const { token, sub } = await newUser(prefix);
    // Email and phone are refused unless the deployment opts in to sending them to Berbix.
    const refused = await api('POST', '/verifications', {
      token,
      json: { id_type: 'DL', email: 'ada@example.com', phone: '+15550100' },
    });
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ error: { code: 'invalid_request' } });

    await setFaultsFor({
      customerUidPrefix: prefix,
      burst: { status: 'drop', phase: 'after', count: 1, paths: ['/v0/transactions'] },
    });
    const done = await verify(token, 'drivers_licence');
    expect(done.status).toBe('completed');

    const atBerbix = (await transactionsAtBerbix(prefix)).filter((t) => t.customerUid === sub);
    const used = await berbixTransactionId(done.id);
    const orphans = atBerbix.filter((t) => t.transactionId !== used);
    expect(orphans).toHaveLength(1);
    expect(orphans[0]!.holds).toEqual({ email: false, phone: false, front: false, back: false, scan: false });
    for (const t of atBerbix) expect(t.holds).toMatchObject({ email: false, phone: false });
    await clearFaults(prefix);
  }, 90_000);
});

describe('a fault soak', () => {
  const documents: Document[] = [
    ...Array.from({ length: 20 }, () => 'drivers_licence' as const),
    'passport',
    'passport',
    'barcode',
    'barcode',
  ];

  it('completes every verification with 30 % mixed Berbix faults on every call, taking no upload twice', async () => {
    const prefix = 'soak-';
    await setFaultsFor({
      customerUidPrefix: prefix,
      seed: 20260815,
      rates: {
        status500: 0.05,
        status502: 0.05,
        status503: 0.04,
        status504: 0.04,
        status429: 0.04,
        drop: 0.04,
        dropAfter: 0.04,
      },
      retryAfterSeconds: 1,
      spikes: { rate: 0.1, ms: 800 },
    });
    const before = (await allCalls()).length;
    const results = await pool(documents, 6, async (document) => {
      const { token } = await newUser(prefix);
      const done = await verify(token, document);
      return { document, done, transactionId: await berbixTransactionId(done.id) };
    });
    await clearFaults(prefix);

    const calls = (await allCalls()).slice(before);
    expect(calls.filter((c) => c.fault === 'rate').length).toBeGreaterThanOrEqual(documents.length);
    for (const { document, done, transactionId } of results) {
      expect({ id: done.id, status: done.status }).toEqual({ id: done.id, status: 'completed' });
      expect({
        id: done.id,
        images: processedUploads(calls, transactionId),
        scans: processedUploads(calls, transactionId, '/v0/idscans/upload'),
        attempts: done.attempts,
      }).toEqual({
        id: done.id,
        images: EXPECTED[document].uploads,
        scans: document === 'barcode' ? 1 : 0,
        attempts: EXPECTED[document].attempts,
      });
    }
  }, 180_000);
});

describe('when the retry budget is spent', () => {
  it('fails the verification with the last fault as its reason, after the documented number of attempts', async () => {
    const prefix = 'budget-';
    const { token } = await newUser(prefix);
    const created = await createVerification(token);
    const transactionId = await berbixTransactionId(created.id);
    await setFaultsFor({
      customerUidPrefix: prefix,
      burst: { status: 500, count: 1000, paths: ['/v0/images/upload'] },
    });
    await upload(created.id, token, 'document_front', image('driversLicenseFront'));
    const failed = await waitForVerification(created.id, token, hasStatus('failed'), FAULTY);
    expect(failed.failure_reason).toBe('berbix_server_500');
    // 4 attempts of the client in each of 1 + 6 task invocations.
    expect(1000 - (await burstRemaining(prefix))!).toBe(28);
    expect(processedUploads(await allCalls(), transactionId)).toBe(0);
    await clearFaults(prefix);
  }, 120_000);

  it('answers a create at once while Berbix is down, and completes it once Berbix is back', async () => {
    const prefix = 'down-';
    const { token } = await newUser(prefix);
    // Four 503s, each with Retry-After 1 s: the first task invocation outlasts the create's wait.
    await setFaultsFor({
      customerUidPrefix: prefix,
      burst: { status: 503, count: 4, retryAfterSeconds: 1, paths: ['/v0/transactions'] },
    });
    const res = await api<{ id: string; status: string }>('POST', '/verifications', {
      token,
      json: { id_type: 'DL' },
    });
    expect(res.status).toBe(202);
    expect(res.body.status).toBe('creating');
    await waitForVerification(res.body.id, token, awaiting('upload_document_front'), FAULTY);
    const done = await completeFlow(res.body.id, token, 'drivers_licence');
    expect(done.status).toBe('completed');
    await clearFaults(prefix);
  }, 120_000);
});

describe('the attempt limit', () => {
  it('fails a verification whose front keeps being refused with upload_attempts_exhausted, Berbix never called', async () => {
    const { token } = await newUser('attempts-');
    const created = await createVerification(token);
    const notAnImage = new TextEncoder().encode('this is not a photo of anything');
    for (let attempt = 1; attempt <= 10; attempt++) {
      const form = await requestUpload(created.id, token, 'document_front');
      expect(form.status).toBe(201);
      await postToForm(form.body, notAnImage);
      await waitForVerification(created.id, token, afterAttempt('document_front', attempt), FAULTY);
    }
    const failed = await waitForVerification(created.id, token, hasStatus('failed'), FAULTY);
    expect(failed).toMatchObject({
      failure_reason: 'upload_attempts_exhausted',
      attempts: { document_front: 10 },
    });
    const transactionId = await berbixTransactionId(created.id);
    expect(
      (await allCalls()).filter((c) => c.transactionId === transactionId && c.path !== '/v0/transactions'),
    ).toEqual([]);
  }, 120_000);
});
