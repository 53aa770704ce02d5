import { Readable } from 'node:stream';
import { GetObjectCommand, NoSuchKey, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { TruncatedBodyError, UploadStore } from '../../../lambdas/adapters/storage';
import { isTransientAwsError } from '../../../lambdas/middleware';

const s3 = mockClient(S3Client);
const store = new UploadStore(new S3Client({ region: 'us-east-1' }), 'uploads-bucket');
const KEY = 'uploads/vrf_abcdefghijklmnopqrstuvwxyz/document_front/1-0123456789abcdef.jpg';

/** A body as the SDK hands it over in Node: a stream (in the given chunks) with its helpers. */
const streamOf = (chunks: Buffer[]) =>
  Object.assign(Readable.from(chunks), {
    transformToByteArray: async () => new Uint8Array(Buffer.concat(chunks)),
  }) as never;

beforeEach(() => s3.reset());

describe('reading an upload', () => {
  it('reads the body, chunk by chunk, into one buffer of the object’s Content-Length', async () => {
    const bytes = Buffer.from(Array.from({ length: 100_000 }, (_, i) => i % 256));
    const chunks = [bytes.subarray(0, 1), bytes.subarray(1, 65_537), bytes.subarray(65_537)];
    s3.on(GetObjectCommand, { Bucket: 'uploads-bucket', Key: KEY }).resolves({
      Body: streamOf(chunks),
      ContentLength: bytes.length,
    });
    const read = await store.getBytes(KEY);
    expect(Buffer.from(read!).equals(bytes)).toBe(true);
    // One allocation of exactly the object's size, not a joined list of chunks.
    expect(read!.byteLength).toBe(bytes.length);
    expect(read!.buffer.byteLength).toBe(bytes.length);
  });

  it('reads an empty object as no bytes', async () => {
    s3.on(GetObjectCommand).resolves({ Body: streamOf([]), ContentLength: 0 });
    await expect(store.getBytes(KEY)).resolves.toHaveLength(0);
  });

  it('answers undefined for an object deleted meanwhile', async () => {
    s3.on(GetObjectCommand).rejects(new NoSuchKey({ message: 'gone', $metadata: {} }));
    await expect(store.getBytes(KEY)).resolves.toBeUndefined();
  });

  it.each([
    ['shorter', [Buffer.alloc(10)], 11],
    ['longer', [Buffer.alloc(6), Buffer.alloc(6)], 11],
  ])(
    'fails as a transient fault when the body is %s than its Content-Length',
    async (_what, chunks, length) => {
      s3.on(GetObjectCommand).resolves({ Body: streamOf(chunks), ContentLength: length });
      const error = await store.getBytes(KEY).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TruncatedBodyError);
      expect(isTransientAwsError(error)).toBe(true);
    },
  );

  it('falls back to the SDK’s own reading when the answer has no Content-Length', async () => {
    const bytes = Buffer.from('a whole body');
    s3.on(GetObjectCommand).resolves({ Body: streamOf([bytes]) });
    const read = await store.getBytes(KEY);
    expect(Buffer.from(read!).toString()).toBe('a whole body');
  });
});
