import { gzipSync } from 'node:zlib';
import { buildWebClient } from '../../../web/build';

/** The page's JavaScript budget (issue: "under about 100 KB gzip"). */
const BUDGET_BYTES = 100 * 1024;

test('the web client builds, and each of its scripts stays under 100 KB gzip', async () => {
  const files = await buildWebClient();
  expect([...files.keys()].sort()).toEqual([
    'app.js',
    'berbix-web.css',
    'berbix-web.js',
    'favicon.svg',
    'index.html',
  ]);
  for (const name of ['app.js', 'berbix-web.js']) {
    expect(gzipSync(files.get(name)!.body).length).toBeLessThan(BUDGET_BYTES);
  }
  // The embeddable module exports mount.
  expect(files.get('berbix-web.js')!.body.toString()).toMatch(
    /export\s*\{[^}]*\bas mount\b|export\s*\{[^}]*\bmount\b/,
  );
});
