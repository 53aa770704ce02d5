import path from 'node:path';
import middy from '@middy/core';
import { SignJWT } from 'jose';

describe('the toolchain', () => {
  it('runs every npm script on Node 22 or later, the Lambda runtime', () => {
    const major = Number(process.versions.node.split('.')[0]);
    expect(major).toBeGreaterThanOrEqual(22);
  });

  it('loads the ESM-only packages the handlers and the local cloud depend on', async () => {
    const handler = middy(async (event: { n: number }) => event.n * 2);
    await expect(handler({ n: 21 }, {} as never)).resolves.toBe(42);
    expect(typeof SignJWT).toBe('function');
  });

  it('gives the S3 presigned-post helper the S3 client the functions use, so CreateUploadFn bundles one', () => {
    // The helper pins an exact client-s3 version: upgrade both together.
    const helperDir = path.dirname(require.resolve('@aws-sdk/s3-presigned-post/package.json'));
    const helpersClient = require.resolve('@aws-sdk/client-s3/package.json', { paths: [helperDir] });
    expect(helpersClient).toBe(require.resolve('@aws-sdk/client-s3/package.json'));
  });
});
