import { checkImage, MAX_IMAGE_BYTES } from '../../../lambdas/domain';
import { makeJpeg, makePng } from '../support/images';

describe('checkImage', () => {
  it('accepts a real JPEG and reads its size from the SOF header', () => {
    expect(checkImage(makeJpeg(40, 30))).toEqual({ ok: true, format: 'image/jpeg', width: 40, height: 30 });
  });

  it('accepts a real PNG and reads its size from IHDR', () => {
    expect(checkImage(makePng(17, 9))).toEqual({ ok: true, format: 'image/png', width: 17, height: 9 });
  });

  it('judges the format by the magic number, whatever the file was declared as', () => {
    // The caller never passes a declared type: a PNG is a PNG even when uploaded as image/jpeg.
    expect(checkImage(makePng()).ok && checkImage(makePng())).toMatchObject({ format: 'image/png' });
  });

  it('refuses an empty object', () => {
    expect(checkImage(new Uint8Array())).toEqual({ ok: false, reason: 'empty' });
  });

  it('refuses text sent as an image as an unsupported format', () => {
    expect(checkImage(Buffer.from('this is not an image at all'))).toEqual({
      ok: false,
      reason: 'unsupported_format',
    });
  });

  it('refuses a GIF as an unsupported format', () => {
    expect(checkImage(Buffer.from('GIF89a\x01\x00\x01\x00', 'latin1'))).toEqual({
      ok: false,
      reason: 'unsupported_format',
    });
  });

  it('refuses an image over the byte limit before reading it', () => {
    const big = new Uint8Array(MAX_IMAGE_BYTES + 1);
    big.set(makeJpeg());
    expect(checkImage(big)).toEqual({ ok: false, reason: 'too_large' });
    expect(checkImage(makeJpeg(), { maxBytes: 10 })).toEqual({ ok: false, reason: 'too_large' });
  });

  it('refuses a JPEG wider than 10,000 px', () => {
    expect(checkImage(makeJpeg(10_001, 8))).toEqual({ ok: false, reason: 'dimensions_too_large' });
  });

  it('accepts exactly 10,000 px a side', () => {
    expect(checkImage(makePng(10_000, 1))).toMatchObject({ ok: true, width: 10_000 });
  });

  it('refuses a PNG taller than 10,000 px', () => {
    expect(checkImage(makePng(1, 10_001))).toEqual({ ok: false, reason: 'dimensions_too_large' });
  });

  it.each([
    ['a JPEG cut in its entropy-coded data', () => makeJpeg().subarray(0, 300)],
    ['a JPEG missing only its EOI marker', () => makeJpeg().subarray(0, makeJpeg().length - 2)],
    ['a PNG cut inside IDAT', () => makePng(64, 64).subarray(0, 60)],
    ['a PNG without IEND', () => makePng().subarray(0, makePng().length - 12)],
    ['the first bytes of a PNG signature', () => makePng().subarray(0, 4)],
    ['a JPEG signature alone', () => makeJpeg().subarray(0, 3)],
  ])('refuses %s as truncated', (_name, bytes) => {
    expect(checkImage(bytes())).toEqual({ ok: false, reason: 'truncated' });
  });

  it('refuses a PNG whose first chunk is not IHDR', () => {
    const png = makePng();
    png.write('IHDX', 12, 'ascii');
    expect(checkImage(png)).toEqual({ ok: false, reason: 'invalid_header' });
  });

  it('refuses a PNG that claims zero width', () => {
    expect(checkImage(makePng(0, 5))).toEqual({ ok: false, reason: 'invalid_header' });
  });

  it('refuses a JPEG that reaches image data without a frame header', () => {
    // SOI, then straight to SOS and EOI: no SOF, so no dimensions.
    const bytes = Buffer.from([0xff, 0xd8, 0xff, 0xda, 0x00, 0x02, 0x00, 0xff, 0xd9]);
    expect(checkImage(bytes)).toEqual({ ok: false, reason: 'invalid_header' });
  });

  it('refuses a JPEG whose segments are not markers', () => {
    const bytes = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x04, 0x00, 0x00, 0x12, 0x34]);
    expect(checkImage(bytes)).toEqual({ ok: false, reason: 'invalid_header' });
  });
});
