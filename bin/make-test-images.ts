/**
 * Writes the sandbox's test images (ordinary JPEG/PNG with a `berbix-sandbox` description), the
 * sample AAMVA barcode text, and under `hostile/` the images the upload check must refuse, into a
 * folder: `npx tsx bin/make-test-images.ts <folder>`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { hostileImages, presets, SAMPLE_AAMVA } from '../local/test-images';

const folder = process.argv[2];
if (!folder) {
  console.error('usage: tsx bin/make-test-images.ts <output-folder>');
  process.exit(2);
}
const out = resolve(folder);
mkdirSync(out, { recursive: true });
for (const build of Object.values(presets)) {
  const image = build();
  writeFileSync(join(out, image.fileName), image.bytes);
  console.log(`${image.fileName}  ${image.format}  ${image.bytes.length} bytes`);
}
writeFileSync(join(out, 'drivers-license-back.pdf417.txt'), SAMPLE_AAMVA);
writeFileSync(
  join(out, 'drivers-license-back.pdf417.b64'),
  Buffer.from(SAMPLE_AAMVA, 'latin1').toString('base64'),
);
mkdirSync(join(out, 'hostile'), { recursive: true });
for (const image of hostileImages()) {
  writeFileSync(join(out, 'hostile', image.fileName), image.bytes);
}
console.log(`drivers-license-back.pdf417.txt / .b64  AAMVA barcode text (raw and base64)
hostile/  ${hostileImages().length} images the upload check refuses (local/test-images/hostile.ts)
written to ${out}`);
