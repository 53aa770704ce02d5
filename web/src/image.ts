/**
 * Gets a picked or captured photo ready for the upload form: checked with the server's own rules
 * (lambdas/domain/image-check.ts), scaled down and re-encoded only when it is over the limits, and
 * estimated for blur and glare.
 */
import {
  checkImage,
  MAX_IMAGE_BYTES,
  MAX_IMAGE_SIDE,
  type ImageFormat,
  type ImageRejection,
} from '../../lambdas/domain/image-check';
import { estimateQuality, type QualityEstimate } from './quality';

/** A photo over the limits is scaled to this longest side: plenty for a document, far under the limit. */
export const DOWNSCALED_SIDE = 4000;
/** The quality estimates look at a copy this wide at most. */
const ESTIMATE_SIDE = 480;

export interface PreparedImage {
  blob: Blob;
  format: ImageFormat;
  width: number;
  height: number;
  /** The original was over the limits and was scaled down and re-encoded here. */
  downscaled: boolean;
  quality: QualityEstimate;
}

export type Preparation = { ok: true; image: PreparedImage } | { ok: false; reason: ImageRejection };

const NO_LIMITS = { maxBytes: Number.POSITIVE_INFINITY, maxSide: Number.POSITIVE_INFINITY };

export async function prepareImage(file: Blob): Promise<Preparation> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  // The structure and format first, whatever the size: a broken file cannot be rescued by scaling.
  const shape = await checkImage(bytes, NO_LIMITS);
  if (!shape.ok) return shape;
  const withinLimits = await checkImage(bytes);
  let image: Omit<PreparedImage, 'quality'>;
  if (withinLimits.ok) {
    // Sent as it is: re-encoding a photo that fits would only lose detail.
    image = { blob: new Blob([bytes], { type: shape.format }), ...withinLimits, downscaled: false };
  } else {
    const smaller = await downscale(file, shape.width, shape.height);
    if (!smaller) return { ok: false, reason: withinLimits.reason };
    image = smaller;
  }
  return { ok: true, image: { ...image, quality: await estimate(image.blob, image.width, image.height) } };
}

const scaleToFit = (width: number, height: number, side: number) => {
  const scale = Math.min(1, side / Math.max(width, height));
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
};

async function decodeScaled(file: Blob, width: number, height: number): Promise<ImageBitmap> {
  return createImageBitmap(file, { resizeWidth: width, resizeHeight: height, resizeQuality: 'high' });
}

function canvasOf(bitmap: ImageBitmap): HTMLCanvasElement {
  const canvas = document.createElement('canvas');
  canvas.width = bitmap.width;
  canvas.height = bitmap.height;
  canvas.getContext('2d')!.drawImage(bitmap, 0, 0);
  return canvas;
}

export const toJpeg = (canvas: HTMLCanvasElement, quality: number): Promise<Blob | null> =>
  new Promise((resolve) => canvas.toBlob(resolve, 'image/jpeg', quality));

async function downscale(
  file: Blob,
  width: number,
  height: number,
): Promise<Omit<PreparedImage, 'quality'> | undefined> {
  const size = scaleToFit(width, height, Math.min(DOWNSCALED_SIDE, MAX_IMAGE_SIDE));
  let bitmap: ImageBitmap;
  try {
    bitmap = await decodeScaled(file, size.width, size.height);
  } catch {
    return undefined; // the browser cannot decode it
  }
  const canvas = canvasOf(bitmap);
  bitmap.close();
  for (const quality of [0.9, 0.8, 0.6]) {
    const blob = await toJpeg(canvas, quality);
    if (blob && blob.size <= MAX_IMAGE_BYTES) {
      return { blob, format: 'image/jpeg', width: canvas.width, height: canvas.height, downscaled: true };
    }
  }
  return undefined;
}

async function estimate(blob: Blob, width: number, height: number): Promise<QualityEstimate> {
  try {
    const size = scaleToFit(width, height, ESTIMATE_SIDE);
    const bitmap = await decodeScaled(blob, size.width, size.height);
    const canvas = canvasOf(bitmap);
    bitmap.close();
    const pixels = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
    return estimateQuality(pixels);
  } catch {
    // No estimate is no warning: the server still judges the photo.
    return { blurry: false, glare: false };
  }
}
