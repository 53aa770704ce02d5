/** Reads what the browser really put in the local bucket. */
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { integrationConfig } from '../../integration/support/config';

let s3: S3Client | undefined;

export async function storedObject(key: string): Promise<Buffer> {
  const { endpoints, credentials, bucketName } = integrationConfig();
  s3 ??= new S3Client({
    region: credentials.region,
    credentials,
    endpoint: endpoints.s3,
    forcePathStyle: true,
  });
  const object = await s3.send(new GetObjectCommand({ Bucket: bucketName, Key: key }));
  return Buffer.from(await object.Body!.transformToByteArray());
}

afterAll(() => {
  s3?.destroy();
  s3 = undefined;
});
