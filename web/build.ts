/**
 * Builds the reference web client with esbuild: `app.js` (the standalone page's script),
 * `berbix-web.js` (the embeddable ES module exporting `mount`), `berbix-web.css` and `index.html`.
 * The local cloud builds it in memory; `npm run build:web` writes it to `web/dist/`.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';

export const WEB_DIR = __dirname;

export interface WebClientFile {
  contentType: string;
  body: Buffer;
}

const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/** The files of the static build, by name (`index.html`, `app.js`, …). */
export async function buildWebClient(): Promise<Map<string, WebClientFile>> {
  const result = await build({
    absWorkingDir: WEB_DIR,
    entryPoints: { app: 'src/main.ts', 'berbix-web': 'src/mount.ts' },
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2022', 'chrome111', 'firefox113', 'safari16.4'],
    minify: true,
    legalComments: 'none',
    write: false,
    outdir: 'dist',
    logLevel: 'silent',
  });
  const files = new Map<string, WebClientFile>();
  const add = (name: string, body: Buffer) =>
    files.set(name, { contentType: CONTENT_TYPES[path.extname(name)]!, body });
  for (const out of result.outputFiles) add(path.basename(out.path), Buffer.from(out.contents));
  add('berbix-web.css', readFileSync(path.join(WEB_DIR, 'src/berbix-web.css')));
  add('favicon.svg', readFileSync(path.join(WEB_DIR, 'src/favicon.svg')));
  add('index.html', readFileSync(path.join(WEB_DIR, 'index.html')));
  return files;
}

export async function writeWebClient(outdir = path.join(WEB_DIR, 'dist')): Promise<string[]> {
  const files = await buildWebClient();
  mkdirSync(outdir, { recursive: true });
  for (const [name, file] of files) writeFileSync(path.join(outdir, name), file.body);
  return [...files.keys()].map((name) => path.join(outdir, name));
}
