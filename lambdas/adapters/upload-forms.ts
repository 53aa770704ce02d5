import type { S3Client } from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';

export interface PresignedUpload {
  url: string;
  fields: Record<string, string>;
  expiresAt: string;
}

/**
 * Presigned POST forms to the uploads bucket (apart from UploadStore: the presigner is large and
 * only the function that hands out forms bundles it). Keys are always built by the server.
 */
export class UploadForms {
  readonly #s3: S3Client;
  readonly #bucket: string;

  constructor(s3: S3Client, bucket: string) {
    this.#s3 = s3;
    this.#bucket = bucket;
  }

  /**
   * A browser form upload for exactly `key`: 1..maxBytes bytes, exactly `contentType`, valid
   * for `expiresSeconds`.
   */
  async presignUpload(input: {
    key: string;
    contentType: string;
    maxBytes: number;
    expiresSeconds: number;
    now?: Date;
  }): Promise<PresignedUpload> {
    const now = input.now ?? new Date();
    const { url, fields } = await createPresignedPost(this.#s3, {
      Bucket: this.#bucket,
      Key: input.key,
      Conditions: [
        ['content-length-range', 1, input.maxBytes],
        ['eq', '$Content-Type', input.contentType],
      ],
      Fields: { 'Content-Type': input.contentType },
      Expires: input.expiresSeconds,
    });
    return { url, fields, expiresAt: new Date(now.getTime() + input.expiresSeconds * 1000).toISOString() };
  }
}
