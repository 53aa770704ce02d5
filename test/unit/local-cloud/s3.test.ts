import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { createPresignedPost, type PresignedPostOptions } from '@aws-sdk/s3-presigned-post';
import type { S3EventRecord } from 'aws-lambda';
import { startS3, type S3Emulator } from '../../../local/cloud/emulators/s3';

const credentials = { accessKeyId: 'local', secretAccessKey: 'localsecretlocalsecret' };
const BUCKET = 'uploads-bucket';
const ORIGIN = 'http://app.example.test';
const MiB = 1024 * 1024;

let s3: S3Emulator;
let client: S3Client;
const records: S3EventRecord[] = [];

beforeAll(async () => {
  s3 = await startS3({ buckets: [BUCKET], credentials, corsOrigins: [ORIGIN] });
  s3.onObjectEvent((record) => records.push(record));
  // No forcePathStyle: an IP endpoint makes the SDK use path-style URLs by itself.
  client = new S3Client({
    endpoint: s3.endpoint,
    region: 'us-east-1',
    credentials,
    requestChecksumCalculation: 'WHEN_REQUIRED',
  });
});

afterAll(async () => {
  client.destroy();
  await s3.close();
});

beforeEach(() => {
  records.length = 0;
});

/** Like CreateUploadFn: exact key, exact Content-Type, 1 byte..20 MiB. */
function presign(key: string, overrides: Partial<PresignedPostOptions> = {}, signer = client) {
  return createPresignedPost(signer, {
    Bucket: BUCKET,
    Key: key,
    Conditions: [
      ['content-length-range', 1, 20 * MiB],
      ['eq', '$Content-Type', 'image/jpeg'],
    ],
    Fields: { 'Content-Type': 'image/jpeg' },
    Expires: 300,
    ...overrides,
  });
}

/** A browser-style multipart POST of the presigned form. */
async function post(
  presigned: { url: string; fields: Record<string, string> },
  file: Buffer,
  {
    fields = {},
    headers = {},
    filename = 'photo.jpg',
  }: { fields?: Record<string, string>; headers?: Record<string, string>; filename?: string } = {},
) {
  const form = new FormData();
  for (const [name, value] of Object.entries({ ...presigned.fields, ...fields })) form.set(name, value);
  form.set('file', new Blob([new Uint8Array(file)], { type: 'image/jpeg' }), filename);
  const response = await fetch(presigned.url, { method: 'POST', body: form, headers });
  return { status: response.status, headers: response.headers, body: await response.text() };
}

const errorCode = (xml: string) => /<Code>([^<]+)<\/Code>/.exec(xml)?.[1];

async function exists(key: string): Promise<boolean> {
  try {
    await client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
    return true;
  } catch (error) {
    if ((error as Error).name === 'NotFound') return false;
    throw error;
  }
}

async function eventFor(key: string): Promise<S3EventRecord> {
  // Events are delivered as S3 does: after the object is stored, asynchronously.
  for (;;) {
    const record = records.find((r) => decodeURIComponent(r.s3.object.key.replace(/\+/g, ' ')) === key);
    if (record) return record;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('the local S3 emulator', () => {
  it('stores a presigned POST upload that meets its policy and announces it as ObjectCreated:Post', async () => {
    const key = 'uploads/vrf 1/document_front/1-a+b.jpg';
    const bytes = Buffer.from('fake jpeg bytes');
    const response = await post(await presign(key), bytes);

    expect(response.status).toBe(204);
    const stored = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    expect(Buffer.from(await stored.Body!.transformToByteArray())).toEqual(bytes);
    expect(stored.ContentType).toBe('image/jpeg');
    expect(stored.Metadata).toEqual({});
    const record = await eventFor(key);
    expect(record).toMatchObject({
      eventVersion: '2.1',
      eventSource: 'aws:s3',
      awsRegion: 'us-east-1',
      eventName: 'ObjectCreated:Post',
      s3: {
        bucket: { name: BUCKET, arn: `arn:aws:s3:::${BUCKET}` },
        object: {
          key: 'uploads/vrf+1/document_front/1-a%2Bb.jpg',
          size: bytes.length,
          eTag: createHash('md5').update(bytes).digest('hex'),
        },
      },
    });
    expect(record.s3.object.sequencer).toMatch(/^[0-9A-F]+$/);
  });

  it('refuses a file over the content-length-range with EntityTooLarge and an empty one with EntityTooSmall', async () => {
    const large = await post(await presign('uploads/large.jpg'), Buffer.alloc(20 * MiB + 1));
    const empty = await post(await presign('uploads/empty.jpg'), Buffer.alloc(0));

    expect([large.status, errorCode(large.body)]).toEqual([400, 'EntityTooLarge']);
    expect(large.body).toContain(`<MaxSizeAllowed>${20 * MiB}</MaxSizeAllowed>`);
    expect([empty.status, errorCode(empty.body)]).toEqual([400, 'EntityTooSmall']);
    expect(await exists('uploads/large.jpg')).toBe(false);
    expect(await exists('uploads/empty.jpg')).toBe(false);
  });

  it('refuses a Content-Type other than the one the policy names', async () => {
    const response = await post(await presign('uploads/typed.jpg'), Buffer.from('x'), {
      fields: { 'Content-Type': 'text/plain' },
    });

    expect([response.status, errorCode(response.body)]).toEqual([403, 'AccessDenied']);
    expect(response.body).toContain('Invalid according to Policy: Policy Condition failed');
    expect(await exists('uploads/typed.jpg')).toBe(false);
  });

  it('refuses an expired policy', async () => {
    const past = new S3Client({
      endpoint: s3.endpoint,
      region: 'us-east-1',
      credentials,
      systemClockOffset: -3_600_000,
    });
    const response = await post(await presign('uploads/late.jpg', { Expires: 60 }, past), Buffer.from('x'));
    past.destroy();

    expect([response.status, errorCode(response.body)]).toEqual([403, 'AccessDenied']);
    expect(response.body).toContain('Policy expired');
  });

  it('refuses a key other than the signed one, a tampered policy, a wrong secret and an unknown access key', async () => {
    const presigned = await presign('uploads/signed.jpg');
    const otherKey = await post(presigned, Buffer.from('x'), { fields: { key: 'uploads/other.jpg' } });
    const widened = Buffer.from(presigned.fields.Policy!, 'base64')
      .toString('utf8')
      .replace(String(20 * MiB), String(200 * MiB));
    const tampered = await post(presigned, Buffer.from('x'), {
      fields: { Policy: Buffer.from(widened).toString('base64') },
    });
    const wrongSecret = new S3Client({
      endpoint: s3.endpoint,
      region: 'us-east-1',
      credentials: { ...credentials, secretAccessKey: 'guessed' },
    });
    const unknownKey = new S3Client({
      endpoint: s3.endpoint,
      region: 'us-east-1',
      credentials: { ...credentials, accessKeyId: 'someone' },
    });
    const badSignature = await post(await presign('uploads/signed.jpg', {}, wrongSecret), Buffer.from('x'));
    const badKeyId = await post(await presign('uploads/signed.jpg', {}, unknownKey), Buffer.from('x'));
    wrongSecret.destroy();
    unknownKey.destroy();

    expect([otherKey.status, errorCode(otherKey.body)]).toEqual([403, 'AccessDenied']);
    expect([tampered.status, errorCode(tampered.body)]).toEqual([403, 'SignatureDoesNotMatch']);
    expect([badSignature.status, errorCode(badSignature.body)]).toEqual([403, 'SignatureDoesNotMatch']);
    expect([badKeyId.status, errorCode(badKeyId.body)]).toEqual([403, 'InvalidAccessKeyId']);
    expect(await exists('uploads/other.jpg')).toBe(false);
    expect(await exists('uploads/signed.jpg')).toBe(false);
  });

  it('refuses form fields that no policy condition mentions, and a form without a policy', async () => {
    const presigned = await presign('uploads/extra.jpg');
    const extra = await post(presigned, Buffer.from('x'), { fields: { 'x-amz-meta-note': 'hi' } });
    const { Policy: _policy, ...unsigned } = presigned.fields;
    const anonymous = await post({ url: presigned.url, fields: unsigned }, Buffer.from('x'));

    expect([extra.status, errorCode(extra.body)]).toEqual([403, 'AccessDenied']);
    expect(extra.body).toContain('Extra input fields: x-amz-meta-note');
    expect([anonymous.status, errorCode(anonymous.body)]).toEqual([403, 'AccessDenied']);
  });

  it('fills ${filename} in a starts-with key with the uploaded file name', async () => {
    const presigned = await presign('uploads/named/${filename}');
    const response = await post(presigned, Buffer.from('x'), { filename: 'id card.jpg' });

    expect(response.status).toBe(204);
    expect(await exists('uploads/named/id card.jpg')).toBe(true);
    expect((await eventFor('uploads/named/id card.jpg')).s3.object.key).toBe('uploads/named/id+card.jpg');
  });

  it('passes SDK object calls through and announces puts and copies with their ETag', async () => {
    await client.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: 'sdk/a.txt', Body: 'hello', ContentType: 'text/plain' }),
    );
    await client.send(
      new CopyObjectCommand({ Bucket: BUCKET, Key: 'sdk/b.txt', CopySource: `${BUCKET}/sdk/a.txt` }),
    );
    const head = await client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'sdk/b.txt' }));
    const listed = await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'sdk/' }));
    const put = await eventFor('sdk/a.txt');
    const copy = await eventFor('sdk/b.txt');
    await client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'sdk/a.txt' }));
    await client.send(
      new DeleteObjectsCommand({ Bucket: BUCKET, Delete: { Objects: [{ Key: 'sdk/b.txt' }] } }),
    );
    const after = await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'sdk/' }));

    expect(head.ContentLength).toBe(5);
    expect(listed.Contents!.map((o) => o.Key)).toEqual(['sdk/a.txt', 'sdk/b.txt']);
    const md5 = createHash('md5').update('hello').digest('hex');
    expect(put).toMatchObject({ eventName: 'ObjectCreated:Put', s3: { object: { size: 5, eTag: md5 } } });
    expect(copy).toMatchObject({ eventName: 'ObjectCreated:Copy', s3: { object: { eTag: md5 } } });
    expect(after.KeyCount).toBe(0);
  });

  it('answers CORS preflights and uploads for the configured origins only', async () => {
    const preflight = (origin: string) =>
      fetch(`${s3.endpoint}/${BUCKET}`, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type',
        },
      });
    const allowed = await preflight(ORIGIN);
    const refused = await preflight('http://evil.example.test');
    const upload = await post(await presign('uploads/cors.jpg'), Buffer.from('x'), {
      headers: { origin: ORIGIN },
    });
    const foreign = await post(await presign('uploads/cors2.jpg'), Buffer.from('x'), {
      headers: { origin: 'http://evil.example.test' },
    });

    expect(allowed.status).toBe(200);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(allowed.headers.get('access-control-allow-methods')).toContain('POST');
    expect(refused.status).toBe(403);
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();
    expect(upload.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('answers a malformed POST with an S3 error and keeps serving', async () => {
    const garbled = await fetch(`${s3.endpoint}/${BUCKET}`, {
      method: 'POST',
      headers: { 'content-type': 'multipart/form-data; boundary=x' },
      body: 'not multipart at all',
    });
    const oddPath = await fetch(`${s3.endpoint}/%E0%A4%A`, { method: 'POST', body: new FormData() });

    expect([garbled.status, errorCode(await garbled.text())]).toEqual([400, 'MalformedPOSTRequest']);
    expect(oddPath.status).toBeGreaterThanOrEqual(400);
    expect(oddPath.status).toBeLessThan(500);
    expect((await post(await presign('uploads/after.jpg'), Buffer.from('x'))).status).toBe(204);
  });

  it('keeps objects in dataDir across restarts', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 's3-data-'));
    try {
      const first = await startS3({ buckets: ['kept'], credentials, dataDir });
      const writer = new S3Client({ endpoint: first.endpoint, region: 'us-east-1', credentials });
      await writer.send(new PutObjectCommand({ Bucket: 'kept', Key: 'k.txt', Body: 'persisted' }));
      writer.destroy();
      await first.close();

      const second = await startS3({ buckets: ['kept'], credentials, dataDir });
      const reader = new S3Client({ endpoint: second.endpoint, region: 'us-east-1', credentials });
      const object = await reader.send(new GetObjectCommand({ Bucket: 'kept', Key: 'k.txt' }));
      expect(await object.Body!.transformToString()).toBe('persisted');
      reader.destroy();
      await second.close();
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
