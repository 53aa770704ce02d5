import path from 'node:path';
import { build } from 'esbuild';

describe('the API client', () => {
  it('bundles for a browser: nothing in it needs Node', async () => {
    const result = await build({
      entryPoints: [path.resolve(__dirname, '../../../client/index.ts')],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      logLevel: 'silent',
    });
    expect(result.errors).toEqual([]);
    const code = result.outputFiles[0]!.text;
    expect(code).not.toMatch(/\bfrom ["']node:|require\(["']node:/);
    expect(code).toContain('createVerificationClient');
  });
});
