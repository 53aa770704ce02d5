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
});
