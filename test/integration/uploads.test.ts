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
} from './support/api';
import { berbixTransactionId, objectsOf } from './support/aws';
import { image } from './support/images';
import { callsFor } from './support/sandbox';

const MAX_BYTES = 20 * 1024 * 1024;
const imageUploads = async (id: string) =>
  (await callsFor(await berbixTransactionId(id))).filter((c) => c.path === '/v0/images/upload');

describe('uploads through presigned S3 forms', () => {
  it('refuses an upload form for a step Berbix does not ask for yet with 409 and the expected next_step', async () => {
    const { token } = await newUser();
    const v = await createVerification(token);
    const res = await requestUpload(v.id, token, 'document_back');
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({
      error: { code: 'step_out_of_order', next_step: 'upload_document_front' },
    });
  });

  it('refuses an upload form after the verification is done with 409', async () => {
    const { token } = await newUser();
    const v = await createVerification(token, { id_country: 'GB', id_type: 'P' });
    await upload(v.id, token, 'document_front', image('passport'));
    await waitForVerification(v.id, token, hasStatus('completed'));
    const res = await requestUpload(v.id, token, 'document_front');
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ error: { code: 'verification_closed' } });
  });

  it('has S3 refuse a file over 20 MiB by the form policy', async () => {
    const { token } = await newUser();
    const v = await createVerification(token);
    const form = await requestUpload(v.id, token, 'document_front');
    expect(form.body.max_bytes).toBe(MAX_BYTES);
    const tooBig = new Uint8Array(MAX_BYTES + 1);
    tooBig.set(image('driversLicenseFront').bytes);
    const posted = await postToForm(form.body, tooBig);
    expect(posted.status).toBe(400);
    expect(posted.text).toContain('EntityTooLarge');
    expect(await objectsOf(v.id)).toEqual([]);
  });

  it('has S3 refuse a Content-Type other than the one the form was signed for', async () => {
    const { token } = await newUser();
    const v = await createVerification(token);
    const form = await requestUpload(v.id, token, 'document_front', 'image/jpeg');
    const posted = await postToForm(form.body, image('passport').bytes, {
      fieldOverrides: { 'Content-Type': 'image/png' },
      contentType: 'image/png',
    });
    expect(posted.status).toBe(403);
    expect(posted.text).toContain('AccessDenied');
    expect(await objectsOf(v.id)).toEqual([]);
  });

  it('records a text file uploaded as image/jpeg as an issue without calling Berbix', async () => {
    const { token } = await newUser();
    const v = await createVerification(token);
    await upload(v.id, token, 'document_front', {
      bytes: new TextEncoder().encode('this is not a picture of an ID card'),
      format: 'image/jpeg',
    });
    const after = await waitForVerification(v.id, token, afterAttempt('document_front', 1));
    expect(after).toMatchObject({ status: 'awaiting_upload', next_step: 'upload_document_front' });
    expect(after.issues.length).toBeGreaterThan(0);
    expect(await imageUploads(v.id)).toEqual([]);
  });

  it('resumes the wait once when S3 delivers the same event twice', async () => {
    const { token } = await newUser();
    const v = await createVerification(token);
    const form = await upload(v.id, token, 'document_front', image('driversLicenseFront'));
    await waitForVerification(v.id, token, awaiting('upload_document_back'));

    const replay = await api('POST', '/_local/s3/redeliver', { json: { key: form.key } });
    expect(replay.status).toBe(202);
    // The replayed event is handled asynchronously: a later upload form proves the state is intact.
    const back = await requestUpload(v.id, token, 'document_back');
    expect(back.status).toBe(201);
    const settled = await waitForVerification(v.id, token, awaiting('upload_document_back'));
    expect(settled.attempts.document_front).toBe(1);
    expect(await imageUploads(v.id)).toHaveLength(1);
  });

  it('ignores an upload through a presigned form of an earlier attempt', async () => {
    const { token } = await newUser();
    const v = await createVerification(token);
    const first = await upload(v.id, token, 'document_front', image('blurryFront'));
    await waitForVerification(v.id, token, afterAttempt('document_front', 1));
    expect(await imageUploads(v.id)).toHaveLength(1);

    const stale = await postToForm(first, image('driversLicenseFront').bytes);
    expect(stale.status).toBeLessThan(300);
    // A fresh form for attempt 2 still works: the stale upload resumed nothing.
    await upload(v.id, token, 'document_front', image('driversLicenseFront'));
    const moved = await waitForVerification(v.id, token, awaiting('upload_document_back'));
    expect(moved.attempts.document_front).toBe(2);
    expect(await imageUploads(v.id)).toHaveLength(2);
  });
});
