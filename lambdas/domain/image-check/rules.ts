import { MAX_UPLOAD_BYTES } from '../../contract/limits';

/** Berbix's limits for one image (docs: ≤ 20 MiB, ≤ 10,000 px a side); the upload form's limit too. */
export const MAX_IMAGE_BYTES = MAX_UPLOAD_BYTES;
export const MAX_IMAGE_SIDE = 10_000;

/**
 * The most raw (filtered, uncompressed) PNG image data a PNG may declare: 256 MiB, e.g. 8192 × 8192
 * RGBA at 8 bits. Inflating that much takes a fraction of a second; a PNG that declares more is a
 * decompression bomb and is refused before anything is inflated.
 */
export const MAX_PNG_RAW_BYTES = 256 * 1024 * 1024;

/**
 * Metadata an image may carry (JPEG APPn and COM segments, PNG ancillary chunks), all together:
 * 1 MiB. EXIF with a thumbnail fits in one 64 KiB segment and ICC profiles are a few KiB; more is
 * a payload riding along, never something Berbix looks at.
 */
export const MAX_IMAGE_METADATA_BYTES = 1024 * 1024;

export type ImageFormat = 'image/jpeg' | 'image/png';

/**
 * Why an image was refused locally, before any call to Berbix. Recorded as
 * `issue_details.bad_upload.reason`; docs/operations.md explains each one.
 */
export type ImageRejection =
  // any format
  | 'empty'
  | 'too_large'
  | 'unsupported_format'
  | 'truncated'
  | 'invalid_header'
  | 'dimensions_too_large'
  | 'trailing_data'
  | 'metadata_too_large'
  // PNG
  | 'png_ihdr_not_first'
  | 'png_bad_crc'
  | 'png_invalid_chunk'
  | 'png_missing_idat'
  | 'png_idat_not_contiguous'
  | 'decompression_bomb'
  | 'png_image_data_short'
  | 'png_image_data_long'
  | 'png_image_data_corrupt'
  // JPEG
  | 'jpeg_invalid_marker'
  | 'jpeg_invalid_segment'
  | 'jpeg_unsupported_coding'
  | 'jpeg_missing_frame'
  | 'jpeg_missing_scan'
  | 'jpeg_empty_scan'
  | 'jpeg_bad_scan_data';

export type ImageCheck =
  { ok: true; format: ImageFormat; width: number; height: number } | { ok: false; reason: ImageRejection };

export interface ImageLimits {
  /** @default MAX_IMAGE_BYTES */
  maxBytes?: number;
  /** @default MAX_IMAGE_SIDE */
  maxSide?: number;
  /** @default MAX_PNG_RAW_BYTES */
  maxPngRawBytes?: number;
  /** @default MAX_IMAGE_METADATA_BYTES */
  maxMetadataBytes?: number;
}

/** The limits with every default filled in, as the format checks receive them. */
export type ResolvedImageLimits = Required<ImageLimits>;

/** What a format check found: the image's size, or why it is refused. */
export type FormatCheck = { width: number; height: number } | ImageRejection;

/** Width and height within `(0, maxSide]`, or the reason they are not. */
export function checkSides(width: number, height: number, maxSide: number): FormatCheck {
  if (width === 0 || height === 0) return 'invalid_header';
  if (width > maxSide || height > maxSide) return 'dimensions_too_large';
  return { width, height };
}

export const u16 = (b: Uint8Array, at: number): number => (b[at]! << 8) | b[at + 1]!;
export const u32 = (b: Uint8Array, at: number): number =>
  ((b[at]! << 24) >>> 0) + (b[at + 1]! << 16) + (b[at + 2]! << 8) + b[at + 3]!;
