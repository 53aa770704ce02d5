/** Berbix's limits for one image (docs: ≤ 20 MiB, ≤ 10,000 px a side). */
export const MAX_IMAGE_BYTES = 20 * 1024 * 1024;
export const MAX_IMAGE_SIDE = 10_000;

export type ImageFormat = 'image/jpeg' | 'image/png';

/** Why an image was refused locally, before any call to Berbix. */
export type ImageRejection =
  'empty' | 'too_large' | 'unsupported_format' | 'truncated' | 'invalid_header' | 'dimensions_too_large';

export type ImageCheck =
  { ok: true; format: ImageFormat; width: number; height: number } | { ok: false; reason: ImageRejection };

export interface ImageLimits {
  maxBytes?: number;
  maxSide?: number;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

const reject = (reason: ImageRejection): ImageCheck => ({ ok: false, reason });

/**
 * Judges an image from its bytes alone: the format comes from the magic number (never the declared
 * Content-Type), the dimensions from the real IHDR / SOF header, and the structure must reach its end
 * marker (PNG IEND, JPEG EOI), so an interrupted upload is caught here rather than by Berbix.
 */
export function checkImage(bytes: Uint8Array, limits: ImageLimits = {}): ImageCheck {
  const maxBytes = limits.maxBytes ?? MAX_IMAGE_BYTES;
  const maxSide = limits.maxSide ?? MAX_IMAGE_SIDE;
  if (bytes.length === 0) return reject('empty');
  if (bytes.length > maxBytes) return reject('too_large');
  let header: Dimensions | ImageRejection;
  let format: ImageFormat;
  if (startsWith(bytes, PNG_SIGNATURE)) {
    format = 'image/png';
    header = readPng(bytes);
  } else if (startsWith(bytes, [0xff, 0xd8, 0xff])) {
    format = 'image/jpeg';
    header = readJpeg(bytes);
  } else {
    // A prefix of a signature is a truncated image, anything else is not an image we accept.
    const prefix = startsWith(PNG_SIGNATURE, bytes) || startsWith([0xff, 0xd8, 0xff], bytes);
    return reject(prefix ? 'truncated' : 'unsupported_format');
  }
  if (typeof header === 'string') return reject(header);
  if (header.width === 0 || header.height === 0) return reject('invalid_header');
  if (header.width > maxSide || header.height > maxSide) return reject('dimensions_too_large');
  return { ok: true, format, ...header };
}

interface Dimensions {
  width: number;
  height: number;
}

function startsWith(bytes: ArrayLike<number>, prefix: ArrayLike<number>): boolean {
  if (bytes.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[i] !== prefix[i]) return false;
  return true;
}

const u16 = (b: Uint8Array, at: number): number => (b[at]! << 8) | b[at + 1]!;
const u32 = (b: Uint8Array, at: number): number =>
  ((b[at]! << 24) >>> 0) + (b[at + 1]! << 16) + (b[at + 2]! << 8) + b[at + 3]!;
const ascii = (b: Uint8Array, at: number, length: number): string =>
  String.fromCharCode(...b.subarray(at, at + length));

/** PNG: IHDR must be the first chunk; chunks are walked by length up to IEND. */
function readPng(bytes: Uint8Array): Dimensions | ImageRejection {
  let at = 8;
  if (bytes.length < at + 8 + 13) return 'truncated';
  if (ascii(bytes, at + 4, 4) !== 'IHDR' || u32(bytes, at) !== 13) return 'invalid_header';
  const dimensions = { width: u32(bytes, at + 8), height: u32(bytes, at + 12) };
  while (at + 12 <= bytes.length) {
    const length = u32(bytes, at);
    const type = ascii(bytes, at + 4, 4);
    if (at + 12 + length > bytes.length) return 'truncated';
    if (type === 'IEND') return dimensions;
    at += 12 + length;
  }
  return 'truncated';
}

/** SOF0..SOF15 carry the frame size, except DHT (C4), JPG (C8) and DAC (CC). */
const isStartOfFrame = (marker: number): boolean =>
  marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
const isStandalone = (marker: number): boolean => marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7);

/** JPEG: segments walked by length; entropy-coded data after SOS scanned for the next marker, up to EOI. */
function readJpeg(bytes: Uint8Array): Dimensions | ImageRejection {
  let at = 2;
  let dimensions: Dimensions | undefined;
  while (at < bytes.length) {
    if (bytes[at] !== 0xff) return 'invalid_header';
    while (at < bytes.length && bytes[at] === 0xff) at++; // fill bytes
    if (at >= bytes.length) return 'truncated';
    const marker = bytes[at]!;
    at++;
    if (marker === 0xd9) return dimensions ?? 'invalid_header';
    if (isStandalone(marker)) continue;
    if (at + 2 > bytes.length) return 'truncated';
    const length = u16(bytes, at);
    if (length < 2) return 'invalid_header';
    if (at + length > bytes.length) return 'truncated';
    if (isStartOfFrame(marker)) {
      if (length < 7) return 'invalid_header';
      dimensions = { height: u16(bytes, at + 3), width: u16(bytes, at + 5) };
    }
    at += length;
    if (marker === 0xda) {
      if (!dimensions) return 'invalid_header';
      at = skipEntropyCodedData(bytes, at);
    }
  }
  return 'truncated';
}

/** Returns the offset of the next real marker (0xFF not followed by 0x00 or RSTn), or the end. */
function skipEntropyCodedData(bytes: Uint8Array, from: number): number {
  let at = from;
  for (;;) {
    at = bytes.indexOf(0xff, at);
    if (at === -1 || at + 1 >= bytes.length) return bytes.length;
    const next = bytes[at + 1]!;
    if (next === 0x00 || (next >= 0xd0 && next <= 0xd7) || next === 0xff) {
      at += next === 0xff ? 1 : 2;
      continue;
    }
    return at;
  }
}
