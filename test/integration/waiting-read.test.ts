/** The waiting read, GET /verifications/{id}?wait= with If-None-Match, through the local cloud. */
import { etagOf, isNotModified, type Verification } from '../../client';
import { clientFor, createVerification, newUser, upload } from './support/api';
import { image } from './support/images';

/** A verification waiting for its front, and the version the caller saw. */
async function seen(): Promise<{ token: string; v: Verification; etag: string }> {
  const { token } = await newUser();
  const v = await createVerification(token, { id_country: 'US', id_type: 'DL' });
  const read = await clientFor(token).getVerification(v.id);
  if (!read.ok) throw new Error(`GET answered ${read.status}`);
  const etag = etagOf(read);
  expect(etag).toMatch(/^W\/"[A-Za-z0-9_-]+"$/);
  expect(read.response.headers.get('cache-control')).toBe('no-store');
  return { token, v: read.data, etag: etag! };
}

describe('the waiting read of a verification', () => {
  it('answers 304 with the same ETag at once when If-None-Match names the current version', async () => {
    const { token, v, etag } = await seen();
    const read = await clientFor(token).getVerificationIfChanged(v.id, { ifNoneMatch: etag });
    expect(isNotModified(read)).toBe(true);
    expect(etagOf(read)).toBe(etag);
  });

  it('answers 304 with the same ETag once wait seconds passed without a change', async () => {
    const { token, v, etag } = await seen();
    const read = await clientFor(token).getVerificationIfChanged(v.id, { ifNoneMatch: etag, wait: 1 });
    expect(isNotModified(read)).toBe(true);
    expect(etagOf(read)).toBe(etag);
  });

  it('answers a held read with the changed verification and its new ETag once an upload arrives', async () => {
    const { token, v, etag } = await seen();
    const held = clientFor(token).getVerificationIfChanged(v.id, { ifNoneMatch: etag, wait: 20 });
    await upload(v.id, token, 'document_front', image('driversLicenseFront'));
    const read = await held;
    expect(isNotModified(read)).toBe(false);
    if (isNotModified(read) || !read.ok) throw new Error(`the held read answered ${read.status}`);
    expect(read.status).toBe(200);
    // The first change after the upload: claimed (processing) or already judged.
    expect(read.data.status === 'processing' || (read.data.attempts.document_front ?? 0) >= 1).toBe(true);
    expect(etagOf(read)).not.toBe(etag);

    // Asked again with the new version, it waits for the next change: Berbix's verdict.
    let last = read;
    while (last.data.status === 'processing') {
      const next = await clientFor(token).getVerificationIfChanged(v.id, {
        ifNoneMatch: etagOf(last)!,
        wait: 20,
      });
      if (isNotModified(next)) continue;
      if (!next.ok) throw new Error(`the held read answered ${next.status}`);
      last = next;
    }
    expect(last.data).toMatchObject({ status: 'awaiting_upload', next_step: 'upload_document_back' });
  });

  it('answers at once, with the verification, when wait comes without If-None-Match', async () => {
    const { token, v } = await seen();
    const { response, data } = await clientFor(token).raw.GET('/verifications/{id}', {
      params: { path: { id: v.id }, query: { wait: 20 } },
    });
    expect(response.status).toBe(200);
    expect(data?.id).toBe(v.id);
  });

  it.each(['21', '-1', '1.5', 'later'])(
    'refuses wait=%s with 400 invalid_request naming it',
    async (wait) => {
      const { token, v } = await seen();
      const { response, error } = await clientFor(token).raw.GET('/verifications/{id}', {
        params: { path: { id: v.id }, query: { wait: wait as unknown as number } },
      });
      expect(response.status).toBe(400);
      expect(error).toMatchObject({
        error: { code: 'invalid_request', details: [{ path: 'wait', message: expect.any(String) }] },
      });
    },
  );

  it('shows another end user nothing, waiting or not', async () => {
    const { v, etag } = await seen();
    const stranger = await newUser();
    const read = await clientFor(stranger.token).getVerificationIfChanged(v.id, {
      ifNoneMatch: etag,
      wait: 2,
    });
    expect(read.status).toBe(404);
  });
});
