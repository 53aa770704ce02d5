import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { inflateSync } from 'node:zlib';
import { decode } from 'jpeg-js';
import {
  hostileImages,
  makeAamvaBarcode,
  makeTestImage,
  presets,
  SAMPLE_AAMVA,
} from '../../local/test-images';

/** A minimal PNG reader for the test: chunks by type, and the inflated pixel data. */
function readPng(png: Buffer) {
  expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  const chunks: Array<{ type: string; data: Buffer }> = [];
  for (let offset = 8; offset < png.length;) {
    const length = png.readUInt32BE(offset);
    chunks.push({
      type: png.toString('latin1', offset + 4, offset + 8),
      data: png.subarray(offset + 8, offset + 8 + length),
    });
    offset += 12 + length;
  }
  const ihdr = chunks[0]!.data;
  const pixels = inflateSync(Buffer.concat(chunks.filter((c) => c.type === 'IDAT').map((c) => c.data)));
  return { chunks, width: ihdr.readUInt32BE(0), height: ihdr.readUInt32BE(4), pixels };
}

describe('the test-image generator', () => {
  it('writes real JPEGs with the description in a COM segment', () => {
    const image = presets.driversLicenseFront();
    const decoded = decode(image.bytes, { useTArray: true });
    expect([decoded.width, decoded.height]).toEqual([320, 202]);
    const comment = decoded.comments?.find((c) => c.startsWith('berbix-sandbox:'));
    expect(JSON.parse(comment!.slice('berbix-sandbox:'.length))).toEqual(image.description);
  });

  it('writes real PNGs with the description in a tEXt chunk', () => {
    const image = presets.passport();
    const png = readPng(image.bytes);
    expect(png.chunks.map((c) => c.type)).toEqual(['IHDR', 'tEXt', 'IDAT', 'IEND']);
    expect(png.pixels.length).toBe(png.height * (1 + png.width * 3));
    const text = png.chunks[1]!.data.toString('latin1');
    expect(text.startsWith('berbix-sandbox\0')).toBe(true);
    expect(JSON.parse(text.slice('berbix-sandbox\0'.length))).toEqual(image.description);
  });

  it('makes a 10,001-pixel-wide image that is still a small file', () => {
    const png = readPng(presets.tooWide().bytes);
    expect(png.width).toBe(10_001);
    expect(presets.tooWide().bytes.length).toBeLessThan(10_000);
  });

  it('makes each preset with the description its name promises', () => {
    expect(presets.blurryFront().description).toMatchObject({ quality: 'blurry' });
    expect(presets.noFaceFront().description).toMatchObject({ face: false });
    expect(presets.militaryId().description).toMatchObject({ document: 'military_id' });
    expect(presets.visaPage().description).toMatchObject({ document: 'passport_visa_page' });
    expect(presets.driversLicenseBack().description).toMatchObject({ side: 'back', barcode: 'ok' });
    expect(makeTestImage().subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
  });

  it('writes AAMVA text whose header points at its subfile', () => {
    const text = SAMPLE_AAMVA;
    expect(text.startsWith('@\n\x1e\rANSI 636014100001DL')).toBe(true);
    const offset = Number(text.slice(23, 27));
    const length = Number(text.slice(27, 31));
    expect(text.slice(offset, offset + 2)).toBe('DL');
    expect(offset + length).toBe(text.length);
    expect(text.endsWith('\r')).toBe(true);
    expect(text).toContain('\nDBB12101990\n');
    expect(text).toContain('\nDCSLOVELACE\n');
  });

  it('writes Canadian dates year first, and can cut a payload short', () => {
    const canadian = makeAamvaBarcode({ date_of_birth: '1998-07-03', address_country: 'CA' });
    expect(canadian).toContain('\nDBB19980703\n');
    expect(canadian).toContain('\nDCGCAN\n');
    const truncated = makeAamvaBarcode({ family_name: 'X', given_name: 'Y' }, { truncate: true });
    expect(truncated).not.toContain('DCS');
  });

  it('writes every preset to a folder from the command line', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'test-images-'));
    try {
      await promisify(execFile)('npx', ['tsx', 'bin/make-test-images.ts', dir], {
        cwd: join(__dirname, '../..'),
      });
      const files = await readdir(dir);
      expect(files.sort()).toEqual(
        [
          ...Object.values(presets).map((p) => p().fileName),
          'drivers-license-back.pdf417.txt',
          'drivers-license-back.pdf417.b64',
          'hostile',
        ].sort(),
      );
      expect((await readdir(join(dir, 'hostile'))).sort()).toEqual(
        hostileImages()
          .map((h) => h.fileName)
          .sort(),
      );
      expect(await readFile(join(dir, 'drivers-license-back.pdf417.txt'), 'latin1')).toBe(SAMPLE_AAMVA);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
