/** `npm run build:web`: the reference web client as static files in web/dist/ (see docs/web-client.md). */
import { gzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { writeWebClient } from '../web/build';

writeWebClient()
  .then((written) => {
    for (const file of written) {
      const bytes = readFileSync(file);
      console.log(
        `${path.relative(process.cwd(), file).padEnd(28)} ${(bytes.length / 1024).toFixed(1).padStart(7)} KB  (gzip ${(gzipSync(bytes).length / 1024).toFixed(1)} KB)`,
      );
    }
  })
  .catch((err: unknown) => {
    console.error(`The web client did not build: ${(err as Error).message}`);
    process.exit(1);
  });
