import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';

const isMissing = (error: unknown): boolean => {
  const name = (error as { name?: string })?.name;
  return name === 'NoSuchKey' || name === 'NotFound';
};

/**
 * S3 sent a body of another length than its Content-Length (a dropped connection): a server-side
 * fault, which the task middleware names `AwsTransientError` so the state machine tries again.
 */
export class TruncatedBodyError extends Error {
  override name = 'TruncatedBodyError';
  readonly $fault = 'server';
  constructor(expected: number, received: number) {
    super(`the object's body had ${received} bytes where Content-Length said ${expected}`);
  }
}

/** Reads a body of exactly `length` bytes into one buffer allocated up front. */
async function readExactly(body: AsyncIterable<Uint8Array>, length: number): Promise<Uint8Array> {
  const bytes = Buffer.allocUnsafeSlow(length);
  let offset = 0;
  for await (const chunk of body) {
    if (offset + chunk.byteLength > length) throw new TruncatedBodyError(length, offset + chunk.byteLength);
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  if (offset !== length) throw new TruncatedBodyError(length, offset);
  return bytes;
}

/** The uploads bucket. Keys are always built by the server (lambdas/domain/upload-key.ts). */
export class UploadStore {
  readonly #s3: S3Client;
  readonly #bucket: string;

  constructor(s3: S3Client, bucket: string) {
    this.#s3 = s3;
    this.#bucket = bucket;
  }

  /**
   * The object's bytes, or undefined when it does not exist (deleted meanwhile). Read into one
   * buffer of the object's Content-Length as the body arrives: no list of chunks joined at the
   * end, so a 20 MiB image costs 20 MiB.
   */
  async getBytes(key: string): Promise<Uint8Array | undefined> {
    try {
      const out = await this.#s3.send(new GetObjectCommand({ Bucket: this.#bucket, Key: key }));
      if (!out.Body) return new Uint8Array();
      const length = out.ContentLength;
      const body = out.Body as unknown as Partial<AsyncIterable<Uint8Array>>;
      if (length === undefined || typeof body[Symbol.asyncIterator] !== 'function') {
        return await out.Body.transformToByteArray();
      }
      return await readExactly(body as AsyncIterable<Uint8Array>, length);
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  }

  async put(key: string, body: Uint8Array, contentType: string): Promise<void> {
    await this.#s3.send(
      new PutObjectCommand({ Bucket: this.#bucket, Key: key, Body: body, ContentType: contentType }),
    );
  }

  /** Copies an object; false when the source does not exist (deleted meanwhile). */
  async copy(fromKey: string, toKey: string): Promise<boolean> {
    try {
      await this.#s3.send(
        new CopyObjectCommand({
          Bucket: this.#bucket,
          Key: toKey,
          CopySource: `${this.#bucket}/${fromKey.split('/').map(encodeURIComponent).join('/')}`,
        }),
      );
      return true;
    } catch (error) {
      if (isMissing(error)) return false;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    await this.#s3.send(new DeleteObjectCommand({ Bucket: this.#bucket, Key: key }));
  }

  /** Deletes every object under `prefix`; returns how many. One verification holds a handful. */
  async deletePrefix(prefix: string): Promise<number> {
    let deleted = 0;
    let token: string | undefined;
    do {
      const page = await this.#s3.send(
        new ListObjectsV2Command({ Bucket: this.#bucket, Prefix: prefix, ContinuationToken: token }),
      );
      for (const object of page.Contents ?? []) {
        if (!object.Key) continue;
        await this.delete(object.Key);
        deleted++;
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return deleted;
  }
}
