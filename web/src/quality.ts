/**
 * Rough photo-quality estimates from the pixels (RGBA, already scaled down to a few hundred pixels
 * a side). They only ever warn: Berbix's verdict decides.
 */
export interface Pixels {
  data: ArrayLike<number>;
  width: number;
  height: number;
}

/** Below this, edges are too soft to read small print (variance of the Laplacian of luminance). */
export const BLUR_THRESHOLD = 25;
/** A block counts as glare when nearly all its pixels are blown out to white. */
const GLARE_LEVEL = 250;
const GLARE_BLOCK_SHARE = 0.95;
/** Warn when this share of the picture is glare. */
export const GLARE_THRESHOLD = 0.02;

function luminance({ data, width, height }: Pixels): Float32Array {
  const out = new Float32Array(width * height);
  for (let i = 0; i < out.length; i += 1) {
    out[i] = 0.299 * data[i * 4]! + 0.587 * data[i * 4 + 1]! + 0.114 * data[i * 4 + 2]!;
  }
  return out;
}

/** Variance of the 4-neighbour Laplacian: high for crisp edges, near zero for a soft picture. */
export function sharpness(pixels: Pixels): number {
  const { width, height } = pixels;
  if (width < 3 || height < 3) return 0;
  const y = luminance(pixels);
  let sum = 0;
  let sumSq = 0;
  let n = 0;
  for (let row = 1; row < height - 1; row += 1) {
    for (let col = 1; col < width - 1; col += 1) {
      const i = row * width + col;
      const lap = y[i - 1]! + y[i + 1]! + y[i - width]! + y[i + width]! - 4 * y[i]!;
      sum += lap;
      sumSq += lap * lap;
      n += 1;
    }
  }
  const mean = sum / n;
  return sumSq / n - mean * mean;
}

/**
 * The share of 8×8 blocks that are almost entirely blown-out white: a reflection, unlike the thin
 * white bars of a barcode or a light background.
 */
export function glareShare(pixels: Pixels, block = 8): number {
  const { width, height } = pixels;
  const y = luminance(pixels);
  let blocks = 0;
  let glaring = 0;
  for (let by = 0; by + block <= height; by += block) {
    for (let bx = 0; bx + block <= width; bx += block) {
      let bright = 0;
      for (let row = by; row < by + block; row += 1)
        for (let col = bx; col < bx + block; col += 1) if (y[row * width + col]! >= GLARE_LEVEL) bright += 1;
      blocks += 1;
      if (bright >= GLARE_BLOCK_SHARE * block * block) glaring += 1;
    }
  }
  return blocks === 0 ? 0 : glaring / blocks;
}

export interface QualityEstimate {
  blurry: boolean;
  glare: boolean;
}

export function estimateQuality(pixels: Pixels): QualityEstimate {
  return { blurry: sharpness(pixels) < BLUR_THRESHOLD, glare: glareShare(pixels) >= GLARE_THRESHOLD };
}
