import os from 'node:os';
import path from 'node:path';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
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
import { startCloudProcess, type CloudProcess } from './support/cloud-process';
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
    // The local cloud still lists the key it saw written (the leak scan reads every key).
    const seen = await api<{ objects: { key: string }[] }>('GET', '/_local/s3/objects');
    expect(seen.body.objects.filter((o) => o.key.startsWith(`uploads/${v.id}/`))).toHaveLength(1);
    const items = await itemsOf(v.id);
    expect(Object.keys(items)).toEqual(['META']);
    expect(JSON.stringify(items)).not.toContain('ada@example.com');
  });
});

describe('abandonment', () => {
  let cloud: CloudProcess;

  // A cloud of its own: the wait timeout is a deployment setting, short only here.
  beforeAll(async () => {
    cloud = await startCloudProcess({
      port: 0,
      envOverrides: { ABANDON_AFTER_SECONDS: '6' },
      logFile: path.join(os.tmpdir(), `berbix-serverless-abandonment-${process.pid}.log`),
    });
  }, 300_000);

  afterAll(() => cloud?.stop(), 90_000);

  it('abandons a verification whose upload never comes and deletes its images', async () => {
    const { apiUrl, credentials, endpoints, bucketName } = cloud.config;
    const minted = await fetch(`${apiUrl}/_local/tokens`, {
      method: 'POST',
      body: JSON.stringify({ sub: 'abandoning-user', scopes: [CLIENT_SCOPE] }),
    });
    const { token } = (await minted.json()) as { token: string };
    const call = async (method: string, p: string, json?: unknown) => {
      const res = await fetch(`${apiUrl}${p}`, {
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
      region: credentials.region,
      credentials,
      endpoint: endpoints.s3,
      forcePathStyle: true,
    });
    const objects = async (id: string) =>
      (await s3.send(new ListObjectsV2Command({ Bucket: bucketName, Prefix: `uploads/${id}/` }))).Contents ??
      [];
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
