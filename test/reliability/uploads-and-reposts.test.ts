import {
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
import { objectsOf } from '../integration/support/aws';
import { image } from '../integration/support/images';
import { accessTokenOf, atBerbix, eventually, stopVerificationExecution } from './support/deletion';

const empty = (keys: string[]) => keys.length === 0;

describe('uploads that race, repeat or come back later', () => {
  it('lets exactly one of two forms posted at once for the same wait through', async () => {
    const { token } = await newUser('uploads-race-');
    const v = await createVerification(token);
    const [a, b] = await Promise.all([
      requestUpload(v.id, token, 'document_front'),
      requestUpload(v.id, token, 'document_front'),
    ]);
    const bytes = image('driversLicenseFront').bytes;
    await Promise.all([postToForm(a.body, bytes), postToForm(b.body, bytes)]);

    const after = await waitForVerification(v.id, token, awaiting('upload_document_back'));
    expect(after.attempts).toEqual({ document_front: 1 });
    const kept = await eventually(
      () => objectsOf(v.id),
      (keys) => keys.length === 1,
    );
    expect([a.body.key, b.body.key]).toContain(kept[0]);
  });

  it('deletes a re-post over the accepted front, which is then no longer offered for reuse', async () => {
    const { token } = await newUser('uploads-repost-');
    const v = await createVerification(token);
    const form = await upload(v.id, token, 'document_front', image('driversLicenseFront'));
    await waitForVerification(v.id, token, awaiting('upload_document_back'));
    expect(await objectsOf(v.id)).toEqual([form.key]);

    // Other bytes through the same (still valid) form: they replace the object Berbix checked.
    expect((await postToForm(form, image('blurryFront').bytes)).status).toBeLessThan(300);
    expect(await eventually(() => objectsOf(v.id), empty)).toEqual([]);
    const reuse = await api('POST', `/verifications/${v.id}/document-back/reuse-front`, { token });
    expect(reuse.status).toBe(409);
    expect(reuse.body).toMatchObject({ error: { code: 'front_not_available' } });
    expect(await waitForVerification(v.id, token, awaiting('upload_document_back'))).toMatchObject({
      attempts: { document_front: 1 },
    });
  });

  it('deletes what the last form brings after completion, once the images are gone', async () => {
    const { token } = await newUser('uploads-after-completion-');
    const v = await createVerification(token);
    await upload(v.id, token, 'document_front', image('driversLicenseFront'));
    await waitForVerification(v.id, token, awaiting('upload_document_back'));
    const last = await upload(v.id, token, 'document_back', image('driversLicenseBack'));
    await waitForVerification(v.id, token, hasStatus('completed'));
    expect(await eventually(() => objectsOf(v.id), empty)).toEqual([]);

    expect((await postToForm(last, image('driversLicenseBack').bytes)).status).toBeLessThan(300);
    expect(await eventually(() => objectsOf(v.id), empty)).toEqual([]);
  });

  it("deletes what the accepted front's form brings after the verification failed", async () => {
    const { token } = await newUser('uploads-after-failure-');
    const v = await createVerification(token);
    const front = await upload(v.id, token, 'document_front', image('driversLicenseFront'));
    await waitForVerification(v.id, token, awaiting('upload_document_back'));
    // Berbix drops the transaction (its dashboard): the back's upload fails the verification for good.
    await atBerbix('DELETE', await accessTokenOf(v.id));
    await upload(v.id, token, 'document_back', image('driversLicenseBack'));
    await waitForVerification(v.id, token, hasStatus('failed'));
    expect(await eventually(() => objectsOf(v.id), empty)).toEqual([]);

    expect((await postToForm(front, image('driversLicenseFront').bytes)).status).toBeLessThan(300);
    expect(await eventually(() => objectsOf(v.id), empty)).toEqual([]);
  });

  it('gives the wait back when its task is gone, instead of staying processing for good', async () => {
    const { token } = await newUser('uploads-lost-wait-');
    const v = await createVerification(token);
    // The wait's task ends behind the verification's back (a crash, an operator's stop).
    await stopVerificationExecution(v.id);
    await upload(v.id, token, 'document_front', image('driversLicenseFront'));

    expect(await eventually(() => objectsOf(v.id), empty)).toEqual([]);
    const after = await waitForVerification(v.id, token, awaiting('upload_document_front'));
    expect(after.attempts).toEqual({});
    const again = await requestUpload(v.id, token, 'document_front');
    expect(again.status).toBe(201);
  });
});
