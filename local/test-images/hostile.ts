import { crc32, deflateSync } from 'node:zlib';
import type { ImageDescription } from '../sandbox/description';
import { makeTestImage } from './presets';
import { PNG_SIGNATURE, pngChunk } from './png';

/** An upload that must never reach Berbix, with the reason the local image check gives for it. */
export interface HostileImage {
  fileName: string;
  /** What it is, in one sentence. */
  what: string;
  /** The Content-Type it is uploaded with (the check never trusts it). */
  contentType: 'image/jpeg' | 'image/png';
  bytes: Buffer;
  /** `issue_details.bad_upload.reason` for it (an `ImageRejection` of lambdas/domain). */
  reason: string;
}

const FRONT: ImageDescription = { document: 'drivers_license', side: 'front', quality: 'ok', face: true };

const goodJpeg = () => makeTestImage({ description: FRONT, format: 'image/jpeg' });
const goodPng = () => makeTestImage({ description: FRONT, format: 'image/png' });

interface Chunk {
  type: string;
  data: Buffer;
}

/** A PNG's chunks, in order (the input is one of our own, well-formed). */
function chunksOf(png: Buffer): Chunk[] {
  const chunks: Chunk[] = [];
  for (let at = PNG_SIGNATURE.length; at < png.length;) {
    const length = png.readUInt32BE(at);
    chunks.push({
      type: png.toString('latin1', at + 4, at + 8),
      data: png.subarray(at + 8, at + 8 + length),
    });
    at += 12 + length;
  }
  return chunks;
}

const assemblePng = (chunks: readonly Chunk[]) =>
  Buffer.concat([PNG_SIGNATURE, ...chunks.map((c) => pngChunk(c.type, c.data))]);

const dataOf = (chunks: readonly Chunk[], type: string) => chunks.find((c) => c.type === type)!.data;

/** Where a baseline JPEG's single scan's entropy-coded data lies: [start, end) up to EOI. */
function scanDataOf(jpeg: Buffer): [number, number] {
  let at = 2;
  while (jpeg[at + 1] !== 0xda) at += 2 + jpeg.readUInt16BE(at + 2);
  return [at + 2 + jpeg.readUInt16BE(at + 2), jpeg.length - 2];
}

/** A JPEG segment: marker, length, payload. */
function jpegSegment(marker: number, payload: Buffer): Buffer {
  const header = Buffer.from([0xff, marker, 0, 0]);
  header.writeUInt16BE(payload.length + 2, 2);
  return Buffer.concat([header, payload]);
}

/** `segments` inserted right after SOI. */
const withSegments = (jpeg: Buffer, segments: readonly Buffer[]) =>
  Buffer.concat([jpeg.subarray(0, 2), ...segments, jpeg.subarray(2)]);

/** Deterministic bytes (mulberry32), never 0xFF so byte stuffing stays intact. */
function noise(length: number, seed: number): Buffer {
  const out = Buffer.alloc(length);
  let state = seed >>> 0;
  for (let i = 0; i < length; i++) {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), state | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = ((t ^ (t >>> 14)) >>> 0) % 0xff;
  }
  return out;
}

/** A one-file ZIP archive (stored), as a polyglot would append it. */
function zipOf(name: string, content: string): Buffer {
  const file = Buffer.from(name, 'latin1');
  const data = Buffer.from(content, 'latin1');
  const crc = crc32(data) >>> 0;
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4);
  local.writeUInt32LE(crc, 14);
  local.writeUInt32LE(data.length, 18);
  local.writeUInt32LE(data.length, 22);
  local.writeUInt16LE(file.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(20, 4);
  central.writeUInt16LE(20, 6);
  central.writeUInt32LE(crc, 16);
  central.writeUInt32LE(data.length, 20);
  central.writeUInt32LE(data.length, 24);
  central.writeUInt16LE(file.length, 28);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(central.length + file.length, 12);
  end.writeUInt32LE(local.length + file.length + data.length, 16);
  return Buffer.concat([local, file, data, central, file, end]);
}

/** IHDR data: size, bit depth and colour type, default methods, no interlace. */
function ihdr(width: number, height: number, bitDepth: number, colourType: number): Buffer {
  const data = Buffer.alloc(13);
  data.writeUInt32BE(width, 0);
  data.writeUInt32BE(height, 4);
  data[8] = bitDepth;
  data[9] = colourType;
  return data;
}

/** `count` segments of `marker` filled to the 64 KiB segment limit, each starting with `prefix`. */
const giantSegments = (marker: number, prefix: string, count: number) =>
  Array.from({ length: count }, () => {
    const payload = Buffer.alloc(0xffff - 2, 0x20);
    payload.write(prefix, 'latin1');
    return jpegSegment(marker, payload);
  });

/**
 * The hostile corpus: each image is built afresh, deterministically, from the ordinary test
 * images (`presets.ts`), then broken in one precise way.
 */
export function hostileImages(): HostileImage[] {
  const jpeg = goodJpeg();
  const png = goodPng();
  const chunks = chunksOf(png);
  const [scanStart, scanEnd] = scanDataOf(jpeg);
  const idat = dataOf(chunks, 'IDAT');

  const badCrc = Buffer.from(png);
  const firstIdatByte = badCrc.indexOf('IDAT', 0, 'latin1') + 8;
  badCrc[firstIdatByte] = badCrc[firstIdatByte]! ^ 0x01;

  // The same header, and the compressed rows of an image half as tall: valid zlib, too few bytes.
  const half = chunksOf(makeTestImage({ description: FRONT, format: 'image/png', height: 101 }));
  const scrambled = Buffer.from(jpeg);
  noise(scanEnd - scanStart, 8).copy(scrambled, scanStart);

  const images: HostileImage[] = [
    {
      fileName: 'truncated.jpg',
      what: 'A JPEG cut off halfway through its scan data (an interrupted upload).',
      contentType: 'image/jpeg',
      bytes: jpeg.subarray(0, Math.floor(jpeg.length / 2)),
      reason: 'truncated',
    },
    {
      fileName: 'truncated.png',
      what: 'A PNG cut off inside its IDAT chunk.',
      contentType: 'image/png',
      bytes: png.subarray(0, png.indexOf('IDAT', 0, 'latin1') + 40),
      reason: 'truncated',
    },
    {
      fileName: 'bad-crc.png',
      what: 'A PNG with one bit flipped in its image data, so the IDAT CRC does not match.',
      contentType: 'image/png',
      bytes: badCrc,
      reason: 'png_bad_crc',
    },
    {
      fileName: 'no-idat.png',
      what: 'A PNG with a header, its description and IEND, but no image data at all.',
      contentType: 'image/png',
      bytes: assemblePng(chunks.filter((c) => c.type !== 'IDAT')),
      reason: 'png_missing_idat',
    },
    {
      fileName: 'short-idat.png',
      what: 'A PNG whose valid zlib stream holds only the top half of the rows IHDR declares.',
      contentType: 'image/png',
      bytes: assemblePng(
        chunks.map((c) => (c.type === 'IDAT' ? { type: 'IDAT', data: dataOf(half, 'IDAT') } : c)),
      ),
      reason: 'png_image_data_short',
    },
    {
      fileName: 'split-idat.png',
      what: 'A PNG whose image data is split by a text chunk between two IDAT chunks.',
      contentType: 'image/png',
      bytes: assemblePng([
        ...chunks.filter((c) => c.type !== 'IDAT' && c.type !== 'IEND'),
        { type: 'IDAT', data: idat.subarray(0, 100) },
        { type: 'tEXt', data: Buffer.from('Comment\0between', 'latin1') },
        { type: 'IDAT', data: idat.subarray(100) },
        { type: 'IEND', data: Buffer.alloc(0) },
      ]),
      reason: 'png_idat_not_contiguous',
    },
    {
      fileName: 'after-iend.png',
      what: 'A whole PNG with a kilobyte of other data after IEND.',
      contentType: 'image/png',
      bytes: Buffer.concat([png, Buffer.alloc(1024, 0x41)]),
      reason: 'trailing_data',
    },
    {
      fileName: 'bomb.png',
      what: 'A 1 KiB PNG declaring 10,000 × 10,000 px of 16-bit RGBA (800 MB of raw data).',
      contentType: 'image/png',
      bytes: assemblePng([
        { type: 'IHDR', data: ihdr(10_000, 10_000, 16, 6) },
        { type: 'IDAT', data: deflateSync(Buffer.alloc(1024)) },
        { type: 'IEND', data: Buffer.alloc(0) },
      ]),
      reason: 'decompression_bomb',
    },
    {
      fileName: 'too-wide-10001px.png',
      what: 'A valid PNG 10,001 px wide (Berbix takes at most 10,000 px a side).',
      contentType: 'image/png',
      bytes: makeTestImage({ description: FRONT, format: 'image/png', width: 10_001, height: 8 }),
      reason: 'dimensions_too_large',
    },
    {
      fileName: 'too-tall-10001px.jpg',
      what: 'A valid JPEG 10,001 px tall.',
      contentType: 'image/jpeg',
      bytes: makeTestImage({ description: FRONT, format: 'image/jpeg', width: 8, height: 10_001 }),
      reason: 'dimensions_too_large',
    },
    {
      fileName: 'scrambled-scan.jpg',
      what: 'A JPEG whose scan data was replaced by noise that keeps the byte stuffing intact.',
      contentType: 'image/jpeg',
      bytes: scrambled,
      reason: 'jpeg_bad_scan_data',
    },
    {
      fileName: 'empty-scan.jpg',
      what: 'A JPEG whose scan header is followed straight by EOI.',
      contentType: 'image/jpeg',
      bytes: Buffer.concat([jpeg.subarray(0, scanStart), jpeg.subarray(scanEnd)]),
      reason: 'jpeg_empty_scan',
    },
    {
      fileName: 'zip-polyglot.jpg',
      what: 'A whole JPEG with a ZIP archive appended after EOI (a JPEG+ZIP polyglot).',
      contentType: 'image/jpeg',
      bytes: Buffer.concat([jpeg, zipOf('payload.txt', 'not an image')]),
      reason: 'trailing_data',
    },
    {
      fileName: 'giant-com.jpg',
      what: 'A JPEG carrying 17 full COM segments (1.1 MB of comments).',
      contentType: 'image/jpeg',
      bytes: withSegments(jpeg, giantSegments(0xfe, 'comment', 17)),
      reason: 'metadata_too_large',
    },
    {
      fileName: 'giant-exif.jpg',
      what: 'A JPEG carrying 17 full APP1 Exif segments (1.1 MB of metadata).',
      contentType: 'image/jpeg',
      bytes: withSegments(jpeg, giantSegments(0xe1, 'Exif\0\0MM\0*', 17)),
      reason: 'metadata_too_large',
    },
    {
      fileName: 'gif-as-jpeg.jpg',
      what: 'A 1 × 1 GIF uploaded as image/jpeg.',
      contentType: 'image/jpeg',
      bytes: Buffer.from('R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==', 'base64'),
      reason: 'unsupported_format',
    },
    {
      fileName: 'webp-as-jpeg.jpg',
      what: 'A 1 × 1 lossless WebP uploaded as image/jpeg.',
      contentType: 'image/jpeg',
      bytes: Buffer.from('UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA==', 'base64'),
      reason: 'unsupported_format',
    },
    {
      fileName: 'svg-as-jpeg.jpg',
      what: 'An SVG document uploaded as image/jpeg.',
      contentType: 'image/jpeg',
      bytes: Buffer.from(
        '<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="320" height="202"><rect width="320" height="202"/></svg>',
      ),
      reason: 'unsupported_format',
    },
    {
      fileName: 'heic-as-jpeg.jpg',
      what: 'The start of a HEIC file (ISO-BMFF ftyp heic, a meta box) uploaded as image/jpeg.',
      contentType: 'image/jpeg',
      bytes: Buffer.concat([
        Buffer.from('00000018', 'hex'),
        Buffer.from('ftypheic', 'latin1'),
        Buffer.alloc(4),
        Buffer.from('mif1heic', 'latin1'),
        Buffer.from('0000000c', 'hex'),
        Buffer.from('meta', 'latin1'),
        Buffer.alloc(4),
      ]),
      reason: 'unsupported_format',
    },
  ];
  return images;
}
