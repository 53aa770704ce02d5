import {
  api,
  awaiting,
  backendToken,
  createVerification,
  hasStatus,
  newUser,
  postToForm,
  requestUpload,
  upload,
  waitForVerification,
  type Verification,
} from '../integration/support/api';
import { berbixTransactionId, itemsOf, objectsOf } from '../integration/support/aws';
import { image } from '../integration/support/images';
import { callsFor, clearFaults, expireTokens, setFaults } from '../integration/support/sandbox';
import {
  accessTokenOf,
  atBerbix,
  deleteVerification,
  eventually,
  executionsOf,
  expectNothingLeft,
  setTokenTtl,
  verificationIdsOf,
} from './support/deletion';

/** Each test's users share a prefix, and so do the sandbox faults and records the test looks at. */
const PREFIX = {
  creating: 'del-creating-',
  front: 'del-front-',
  back: 'del-back-',
  processing: 'del-processing-',
  fetching: 'del-fetching-',
  completed: 'del-completed-',
  failed: 'del-failed-',
  berbixDown: 'del-berbix-down-',
  expiredTokens: 'del-expired-tokens-',
} as const;

let backend: string;
beforeAll(async () => {
  backend = await backendToken();
});
afterEach(() => clearFaults());

/** Berbix's answers so far to `path` for a transaction (read its id before the DELETE drops it). */
const answered = async (transactionId: number, path: string) =>
  (await callsFor(transactionId)).filter((c) => c.path === path).map((c) => c.status);

/**
 * With short-lived tokens every task refreshes them right before its Berbix call: once the
 * `count`-th refresh is in the sandbox's log, that task is past reading the verification and its
 * call is on its way to Berbix.
 */
const taskCallingBerbix = (transactionId: number, count: number) =>
  eventually(
    () => answered(transactionId, '/v0/tokens'),
    (refreshes) => refreshes.length >= count,
  );

async function completed(token: string): Promise<Verification> {
  const v = await createVerification(token);
  await upload(v.id, token, 'document_front', image('driversLicenseFront'));
  await waitForVerification(v.id, token, awaiting('upload_document_back'));
  await upload(v.id, token, 'document_back', image('driversLicenseBack'));
  return waitForVerification(v.id, token, hasStatus('completed'));
}

describe('DELETE, whatever the verification is doing', () => {
  it('deletes the Berbix transaction of a verification deleted while Berbix was still creating it', async () => {
    const { sub, token } = await newUser(PREFIX.creating);
    // Berbix takes its time creating: the DELETE comes while the verification is `creating`.
    await setFaults({ customerUidPrefix: PREFIX.creating, latencyMs: 2500, paths: ['/v0/transactions'] });
    const creating = api<Verification>('POST', '/verifications', {
      token,
      json: { id_country: 'US', id_type: 'DL' },
    });
    const [id] = await eventually(
      () => verificationIdsOf(sub),
      (ids) => ids.length > 0,
    );
    const res = await deleteVerification(id!, backend);
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ id, status: 'deleted', berbix_deletion: 'pending' });
    await clearFaults(PREFIX.creating);
    await creating;

    await expectNothingLeft(id!, token, PREFIX.creating);
  });

  it('deletes everything of a verification awaiting its front', async () => {
    const { token } = await newUser(PREFIX.front);
    const v = await createVerification(token, { id_country: 'US', id_type: 'DL' });
    expect((await deleteVerification(v.id, backend)).status).toBe(204);
    await expectNothingLeft(v.id, token, PREFIX.front);
  });

  it('deletes everything of a verification awaiting its back, the stored front included', async () => {
    const { token } = await newUser(PREFIX.back);
    const v = await createVerification(token);
    await upload(v.id, token, 'document_front', image('driversLicenseFront'));
    await waitForVerification(v.id, token, awaiting('upload_document_back'));
    expect(await objectsOf(v.id)).toHaveLength(1);
    expect((await deleteVerification(v.id, backend)).status).toBe(204);
    await expectNothingLeft(v.id, token, PREFIX.back);
  });

  describe('with a task on its way to Berbix', () => {
    beforeAll(() => setTokenTtl(30));
    afterAll(() => setTokenTtl(3600));

    it('leaves the tombstone untouched by an upload Berbix answers after the DELETE', async () => {
      const { token } = await newUser(PREFIX.processing);
      const v = await createVerification(token);
      await setFaults({
        customerUidPrefix: PREFIX.processing,
        latencyMs: 2500,
        paths: ['/v0/images/upload'],
      });
      const transactionId = await berbixTransactionId(v.id);
      await upload(v.id, token, 'document_front', image('driversLicenseFront'));
      await taskCallingBerbix(transactionId, 1);
      expect((await deleteVerification(v.id, backend)).status).toBe(204);

      // The upload reaches Berbix after its transaction is gone; the task's outcome writes nothing.
      const uploads = await eventually(
        () => answered(transactionId, '/v0/images/upload'),
        (statuses) => statuses.some((s) => s !== null),
      );
      expect(uploads).toEqual([410]);
      const tombstone = await expectNothingLeft(v.id, token, PREFIX.processing);
      expect(tombstone.attempts).toEqual({});
    });

    it('keeps a result Berbix returns after the DELETE out of DynamoDB', async () => {
      const { token } = await newUser(PREFIX.fetching);
      const v = await createVerification(token);
      await upload(v.id, token, 'document_front', image('driversLicenseFront'));
      await waitForVerification(v.id, token, awaiting('upload_document_back'));
      // The result is being fetched (slowly) when the DELETE comes; Berbix answers the fetch first.
      await setFaults({ customerUidPrefix: PREFIX.fetching, latencyMs: 2000, paths: ['/v0/transactions'] });
      const transactionId = await berbixTransactionId(v.id);
      await upload(v.id, token, 'document_back', image('driversLicenseBack'));
      await taskCallingBerbix(transactionId, 3); // the front's submit, the back's, then the result's fetch
      expect((await deleteVerification(v.id, backend)).status).toBe(204);

      const fetched = (await callsFor(transactionId)).filter((c) => c.method === 'GET');
      expect(fetched.map((c) => c.status)).toEqual([200]);
      await expectNothingLeft(v.id, token, PREFIX.fetching);
    });
  });

  it('deletes everything of a completed verification, its cached result included', async () => {
    const { token } = await newUser(PREFIX.completed);
    const v = await completed(token);
    expect(Object.keys(await itemsOf(v.id))).toContain('RESULT');
    expect((await deleteVerification(v.id, backend)).status).toBe(204);
    await expectNothingLeft(v.id, token, PREFIX.completed);
  });

  it('deletes everything of a failed verification whose transaction Berbix already dropped', async () => {
    const { token } = await newUser(PREFIX.failed);
    const v = await createVerification(token);
    // Deleted at Berbix behind the pipeline's back (its dashboard): the next upload fails for good.
    await atBerbix('DELETE', await accessTokenOf(v.id));
    await upload(v.id, token, 'document_front', image('driversLicenseFront'));
    await waitForVerification(v.id, token, hasStatus('failed'));
    expect((await deleteVerification(v.id, backend)).status).toBe(204);
    await expectNothingLeft(v.id, token, PREFIX.failed);
  });

  it('answers 202 while Berbix is down, retries the Berbix deletion, and finishes it once Berbix is back', async () => {
    const { token } = await newUser(PREFIX.berbixDown);
    const v = await createVerification(token);
    const transactionId = await berbixTransactionId(v.id);
    const form = await requestUpload(v.id, token, 'document_front');
    await setFaults({
      customerUidPrefix: PREFIX.berbixDown,
      rates: { status503: 1 },
      retryAfterSeconds: 0,
      paths: ['/v0/transactions'],
    });

    const res = await deleteVerification(v.id, backend);
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ status: 'deleted', berbix_deletion: 'pending' });
    // Already gone here: images, result, flow state; only the tokens the Berbix deletion needs stay.
    expect(Object.keys(await itemsOf(v.id)).sort()).toEqual(['META', 'TOKENS']);
    expect(await executionsOf(v.id)).toEqual(expect.arrayContaining(['ABORTED', 'RUNNING']));
    // The old form still works at S3 for a while: what it brings is deleted, and nothing waits.
    expect((await postToForm(form.body, image('driversLicenseFront').bytes)).status).toBeLessThan(300);
    expect(
      await eventually(
        () => objectsOf(v.id),
        (keys) => keys.length === 0,
      ),
    ).toEqual([]);
    const again = await requestUpload(v.id, token, 'document_front');
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ error: { code: 'verification_closed' } });

    await clearFaults(PREFIX.berbixDown);
    await expectNothingLeft(v.id, token, PREFIX.berbixDown);
    // The refused tries were faults (they name no transaction); the one that went through did.
    expect(await answered(transactionId, '/v0/transactions')).toContain(204);
  });

  it('refreshes tokens Berbix no longer accepts and deletes with the fresh ones', async () => {
    const { token } = await newUser(PREFIX.expiredTokens);
    const v = await createVerification(token);
    await expireTokens(await berbixTransactionId(v.id));
    const transactionId = await berbixTransactionId(v.id);
    expect((await deleteVerification(v.id, backend)).status).toBe(204);
    const calls = await callsFor(transactionId);
    expect(
      calls.filter((c) => c.path !== '/v0/images/upload').map((c) => [c.method, c.path, c.status]),
    ).toEqual(
      expect.arrayContaining([
        ['POST', '/v0/tokens', 200],
        ['DELETE', '/v0/transactions', 204],
      ]),
    );
    await expectNothingLeft(v.id, token, PREFIX.expiredTokens);
  });
});
