import { checkJpeg } from './jpeg';
import { checkPng } from './png';
import {
  MAX_IMAGE_BYTES,
  MAX_IMAGE_METADATA_BYTES,
  MAX_IMAGE_SIDE,
  MAX_PNG_RAW_BYTES,
  type FormatCheck,
  type ImageCheck,
  type ImageFormat,
  type ImageLimits,
  type ImageRejection,
  type ResolvedImageLimits,
} from './rules';

export {
  MAX_IMAGE_BYTES,
  MAX_IMAGE_METADATA_BYTES,
  MAX_IMAGE_SIDE,
  MAX_PNG_RAW_BYTES,
  type ImageCheck,
  type ImageFormat,
  type ImageLimits,
  type ImageRejection,
} from './rules';

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const JPEG_SIGNATURE = [0xff, 0xd8, 0xff];

/**
 * Judges an image from its bytes alone, without decoding a pixel: the format comes from the magic
 * number (never the declared Content-Type), and the whole structure is walked to its end marker —
 * PNG chunks with their CRCs and the image data inflated (counted, not kept) to the size IHDR
 * declares; JPEG segments with every scan's entropy-coded data — with nothing allowed after it.
 * Memory stays bounded by the input: no copy of it and no pixel buffer is made.
 */
export async function checkImage(bytes: Uint8Array, limits: ImageLimits = {}): Promise<ImageCheck> {
  const resolved: ResolvedImageLimits = {
    maxBytes: limits.maxBytes ?? MAX_IMAGE_BYTES,
    maxSide: limits.maxSide ?? MAX_IMAGE_SIDE,
    maxPngRawBytes: limits.maxPngRawBytes ?? MAX_PNG_RAW_BYTES,
    maxMetadataBytes: limits.maxMetadataBytes ?? MAX_IMAGE_METADATA_BYTES,
  };
  if (bytes.length === 0) return reject('empty');
  if (bytes.length > resolved.maxBytes) return reject('too_large');
  let format: ImageFormat;
  let found: FormatCheck;
  if (startsWith(bytes, PNG_SIGNATURE)) {
    format = 'image/png';
    found = await checkPng(bytes, resolved);
  } else if (startsWith(bytes, JPEG_SIGNATURE)) {
    format = 'image/jpeg';
    found = checkJpeg(bytes, resolved);
  } else {
    // A prefix of a signature is a truncated image; anything else (GIF, WebP, SVG, HEIC, …) is
    // not a format Berbix takes, whatever Content-Type it was uploaded with.
    const prefix = startsWith(PNG_SIGNATURE, bytes) || startsWith(JPEG_SIGNATURE, bytes);
    return reject(prefix ? 'truncated' : 'unsupported_format');
  }
  return typeof found === 'string' ? reject(found) : { ok: true, format, ...found };
}

const reject = (reason: ImageRejection): ImageCheck => ({ ok: false, reason });

function startsWith(bytes: ArrayLike<number>, prefix: ArrayLike<number>): boolean {
  if (bytes.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[i] !== prefix[i]) return false;
  return true;
}
