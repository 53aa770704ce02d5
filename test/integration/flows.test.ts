import {
  afterAttempt,
  api,
  awaiting,
  backendToken,
  createVerification,
  hasStatus,
  newUser,
  upload,
  waitForVerification,
} from './support/api';
import { berbixTransactionId } from './support/aws';
import { barcodeBase64, image } from './support/images';
import { callsFor } from './support/sandbox';

describe('verification flows through the local cloud', () => {
  it("takes a driver's licence to completed, caches the result and asks Berbix for it once", async () => {
    const { token } = await newUser();
    const v = await createVerification(token, { id_country: 'US', id_type: 'DL' });
    expect(v).toMatchObject({ status: 'awaiting_upload', next_step: 'upload_document_front' });

    await upload(v.id, token, 'document_front', image('driversLicenseFront'));
    await waitForVerification(v.id, token, awaiting('upload_document_back'));
    await upload(v.id, token, 'document_back', image('driversLicenseBack'));
    const done = await waitForVerification(v.id, token, hasStatus('completed'));
    expect(done).toMatchObject({ next_step: 'done', result: { action: expect.any(String) } });
    expect(done.completed_at).toEqual(expect.any(String));

    const backend = await backendToken();
    const first = await api('GET', `/verifications/${v.id}/result`, { token: backend });
    const second = await api('GET', `/verifications/${v.id}/result`, { token: backend });
    expect(first.status).toBe(200);
    expect(second.body).toEqual(first.body);
    expect(JSON.stringify(first.body)).toContain('Lovelace');

    const fetches = (await callsFor(await berbixTransactionId(v.id))).filter(
      (c) => c.method === 'GET' && c.path === '/v0/transactions',
    );
    expect(fetches).toHaveLength(1);
  });

  it('skips the back for a passport created with id_type P', async () => {
    const { token } = await newUser();
    const v = await createVerification(token, { id_country: 'GB', id_type: 'P' });
    await upload(v.id, token, 'document_front', image('passport'));
    const done = await waitForVerification(v.id, token, hasStatus('completed'));
    expect(done.attempts.document_back ?? 0).toBe(0);
  });

  it('completes an unknown-type passport that is asked for a back by reusing the front', async () => {
    const { token } = await newUser();
    const v = await createVerification(token, {});
    await upload(v.id, token, 'document_front', image('passport'));
    await waitForVerification(v.id, token, awaiting('upload_document_back'));
    const reuse = await api('POST', `/verifications/${v.id}/document-back/reuse-front`, { token });
    expect(reuse.status).toBeLessThan(300);
    await waitForVerification(v.id, token, hasStatus('completed'));
  });

  it('asks for a blurry front again and accepts the retake', async () => {
    const { token } = await newUser();
    const v = await createVerification(token);
    await upload(v.id, token, 'document_front', image('blurryFront'));
    const retake = await waitForVerification(v.id, token, afterAttempt('document_front', 1));
    expect(retake).toMatchObject({
      status: 'awaiting_upload',
      next_step: 'upload_document_front',
      issues: ['text_unreadable'],
    });
    await upload(v.id, token, 'document_front', image('driversLicenseFront'));
    const moved = await waitForVerification(v.id, token, awaiting('upload_document_back'));
    expect(moved.issues).toEqual([]);
  });

  it('moves on with issues [] once the retries of a step are exhausted', async () => {
    const { token } = await newUser();
    const v = await createVerification(token);
    for (let attempt = 1; attempt <= 3; attempt += 1) {
      await upload(v.id, token, 'document_front', image('blurryFront'));
      await waitForVerification(v.id, token, afterAttempt('document_front', attempt));
    }
    const moved = await waitForVerification(v.id, token, awaiting('upload_document_back'));
    expect(moved.issues).toEqual([]);
    expect(moved.attempts.document_front).toBe(3);
  });

  it('reports unsupported_id_type for a military ID', async () => {
    const { token } = await newUser();
    const v = await createVerification(token);
    await upload(v.id, token, 'document_front', image('militaryId'));
    const after = await waitForVerification(v.id, token, afterAttempt('document_front', 1));
    expect(after.issues).toContain('unsupported_id_type');
    expect(after.issue_details).toHaveProperty('unsupported_id_type');
  });

  it('reports a passport visa page as unsupported_id_type with visa_page_of_passport', async () => {
    const { token } = await newUser();
    const v = await createVerification(token, {});
    await upload(v.id, token, 'document_front', image('visaPage'));
    const after = await waitForVerification(v.id, token, afterAttempt('document_front', 1));
    expect(after.issues).toContain('unsupported_id_type');
    expect(JSON.stringify(after.issue_details)).toContain('visa_page_of_passport');
  });

  it('completes from a PDF417 barcode scan with the fields it encodes', async () => {
    const { token } = await newUser();
    const v = await createVerification(token);
    const scan = await api('POST', `/verifications/${v.id}/id-scans`, {
      token,
      json: { scan_type: 'pdf417', data: barcodeBase64() },
    });
    expect(scan.status).toBeLessThan(300);
    await waitForVerification(v.id, token, hasStatus('completed'));
    const result = await api('GET', `/verifications/${v.id}/result`, { token: await backendToken() });
    expect(JSON.stringify(result.body)).toContain('Lovelace');
  });

  it('falls back to photo uploads when the barcode scan cannot be parsed', async () => {
    const { token } = await newUser();
    const v = await createVerification(token);
    const scan = await api('POST', `/verifications/${v.id}/id-scans`, {
      token,
      json: { scan_type: 'pdf417', data: Buffer.from('not an AAMVA barcode').toString('base64') },
    });
    expect(scan.status).toBeLessThan(300);
    const fallback = await waitForVerification(
      v.id,
      token,
      (x) => x.status === 'awaiting_upload' && x.issues.includes('incomplete_barcode_detected'),
    );
    expect(fallback.next_step).toBe('upload_document_front');
    await upload(v.id, token, 'document_front', image('driversLicenseFront'));
    await waitForVerification(v.id, token, awaiting('upload_document_back'));
    await upload(v.id, token, 'document_back', image('driversLicenseBack'));
    await waitForVerification(v.id, token, hasStatus('completed'));
  });
});
