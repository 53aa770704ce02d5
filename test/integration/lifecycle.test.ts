import path from 'node:path';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { startLocalCloud, type LocalCloud } from '../../local/cloud';
import {
  api,
  awaiting,
  backendToken,
  CLIENT_SCOPE,
  createVerification,
  hasStatus,
  newUser,
  upload,
  waitForVerification,
} from './support/api';
import { itemsOf, objectsOf } from './support/aws';
import { image } from './support/images';

describe('the end of a verification', () => {
  it('deletes images, Berbix tokens and personal data on DELETE and leaves a tombstone', async () => {
    const { token } = await newUser();
    const v = await createVerification(token, { id_country: 'US', id_type: 'DL', email: 'ada@example.com' });
    await upload(v.id, token, 'document_front', image('driversLicenseFront'));
    await waitForVerification(v.id, token, awaiting('upload_document_back'));
    expect(Object.keys(await itemsOf(v.id))).toContain('TOKENS');

    const res = await api('DELETE', `/verifications/${v.id}`, { token: await backendToken() });
    expect(res.status).toBeLessThan(300);
    await waitForVerification(v.id, token, hasStatus('deleted'));
    expect(await objectsOf(v.id)).toEqual([]);
    const items = await itemsOf(v.id);
    expect(Object.keys(items)).toEqual(['META']);
    expect(JSON.stringify(items)).not.toContain('ada@example.com');
  });
});

describe('abandonment', () => {
  let cloud: LocalCloud;

  // A cloud of its own: the wait timeout is a deployment setting, short only here.
  beforeAll(async () => {
    cloud = await startLocalCloud({
      port: 0,
      quiet: true,
      berbix: 'sandbox',
      envOverrides: { ABANDON_AFTER_SECONDS: '6' },
      projectDir: path.resolve(__dirname, '../..'),
    });
  }, 120_000);

  afterAll(() => cloud?.stop());

  it('abandons a verification whose upload never comes and deletes its images', async () => {
    const token = await cloud.mintToken('abandoning-user', [CLIENT_SCOPE]);
    const call = async (method: string, p: string, json?: unknown) => {
      const res = await fetch(`${cloud.apiUrl}${p}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: json === undefined ? undefined : JSON.stringify(json),
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    const poll = async (id: string, until: (v: Record<string, unknown>) => boolean) => {
      for (let i = 0; i < 300; i += 1) {
        const res = await call('GET', `/verifications/${id}`);
        if (until(res.body)) return res.body;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`verification ${id} never reached the expected state`);
    };
    const s3 = new S3Client({
      region: cloud.credentials.region,
      credentials: cloud.credentials,
      endpoint: cloud.endpoints.s3,
      forcePathStyle: true,
    });
    const objects = async (id: string) =>
      (await s3.send(new ListObjectsV2Command({ Bucket: cloud.bucketName, Prefix: `uploads/${id}/` })))
        .Contents ?? [];
    /** Creates a verification and uploads its front, as fast as the client can. */
    const startWithFront = async () => {
      const created = await call('POST', '/verifications', { id_country: 'US', id_type: 'DL' });
      const id = String(created.body.id);
      await poll(id, (v) => v.status === 'awaiting_upload');
      const form = await call('POST', `/verifications/${id}/uploads`, {
        step: 'document_front',
        content_type: 'image/jpeg',
      });
      const body = new FormData();
      for (const [k, v] of Object.entries(form.body.fields as Record<string, string>)) body.append(k, v);
      body.append(
        'file',
        new Blob([new Uint8Array(image('driversLicenseFront').bytes)], { type: 'image/jpeg' }),
      );
      await fetch(String(form.body.url), { method: 'POST', body });
      return id;
    };

    try {
      // The first one warms every function up (cold starts would eat into the short wait).
      await startWithFront();
      const id = await startWithFront();
      await poll(id, (v) => v.next_step === 'upload_document_back');
      expect(await objects(id)).toHaveLength(1);

      // Nobody uploads the back: the wait times out.
      await poll(id, (v) => v.status === 'abandoned');
      // Closing deletes the images right after recording the status: allow it a moment.
      for (let i = 0; i < 50 && (await objects(id)).length > 0; i += 1)
        await new Promise((r) => setTimeout(r, 100));
      expect(await objects(id)).toEqual([]);
    } finally {
      s3.destroy();
    }
  });
});
