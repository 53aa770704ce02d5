import { decode } from 'jpeg-js';
import { makeTestImage, presets } from '../../../local/test-images';
import {
  BLUR_THRESHOLD,
  estimateQuality,
  glareShare,
  GLARE_THRESHOLD,
  sharpness,
} from '../../../web/src/quality';

const pixelsOf = (jpeg: Buffer) => decode(jpeg, { useTArray: true });

describe('photo quality estimates', () => {
  test('the sandbox blurry front reads as blurry and a sharp licence front does not', () => {
    expect(sharpness(pixelsOf(presets.blurryFront().bytes))).toBeLessThan(BLUR_THRESHOLD);
    expect(sharpness(pixelsOf(presets.driversLicenseFront().bytes))).toBeGreaterThan(BLUR_THRESHOLD);
    expect(estimateQuality(pixelsOf(presets.blurryFront().bytes))).toEqual({ blurry: true, glare: false });
  });

  test('a blown-out white patch is glare, the thin white bars of a barcode are not', () => {
    const back = pixelsOf(presets.driversLicenseBack().bytes);
    expect(glareShare(back)).toBeLessThan(GLARE_THRESHOLD);
    const front = pixelsOf(makeTestImage({}));
    for (let y = 40; y < 120; y += 1)
      for (let x = 120; x < 220; x += 1)
        front.data.fill(255, (y * front.width + x) * 4, (y * front.width + x) * 4 + 3);
    expect(glareShare(front)).toBeGreaterThan(GLARE_THRESHOLD);
    expect(estimateQuality(front)).toEqual({ blurry: false, glare: true });
  });

  test('a picture too small to judge scores zero instead of failing', () => {
    expect(sharpness({ data: new Uint8Array(4 * 4), width: 2, height: 2 })).toBe(0);
    expect(glareShare({ data: new Uint8Array(4 * 4), width: 2, height: 2 })).toBe(0);
  });
});
