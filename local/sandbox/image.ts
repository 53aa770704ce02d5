import { decode as decodeJpeg } from 'jpeg-js';
import { crc32, createInflate } from 'node:zlib';
import { DESCRIPTION_KEYWORD, imageDescriptionSchema, type ImageDescription } from './description';

export const MAX_IMAGE_SIDE = 10_000;

export type InspectedImage = {
  format: 'image/jpeg' | 'image/png';
  width: number;
  height: number;
  /** The raw description text, if the image carries one (validated by {@link parseDescription}). */
  descriptionText?: string;
};

/** Why bytes are not an image the sandbox can judge. */
export type ImageRejection =
  | { kind: 'not_jpeg_or_png' }
  | { kind: 'undecodable'; detail: string }
  | { kind: 'too_many_pixels'; width: number; height: number };

export class ImageRejected extends Error {
  constructor(readonly rejection: ImageRejection) {
    super(rejection.kind);
    this.name = 'ImageRejected';
  }
}

const undecodable = (detail: string) => new ImageRejected({ kind: 'undecodable', detail });

/**
 * Reads a JPEG or PNG for real: the format by magic number (never the declared type), the size from
 * its header, then the whole image is decoded (JPEG with jpeg-js, PNG by inflating its pixel data).
 * Over 10,000 px a side is refused before decoding.
 */
export async function inspectImage(bytes: Buffer): Promise<InspectedImage> {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff)
    return inspectJpeg(bytes);
  if (bytes.length >= 8 && bytes.subarray(0, 8).equals(PNG_SIGNATURE)) return inspectPng(bytes);
  throw new ImageRejected({ kind: 'not_jpeg_or_png' });
}

/** Parses and validates the embedded description; an invalid one is the integrator's mistake. */
export function parseDescription(text: string): ImageDescription {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new DescriptionInvalid('the berbix-sandbox description is not valid JSON');
  }
  const parsed = imageDescriptionSchema.safeParse(json);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new DescriptionInvalid(
      `the berbix-sandbox description is invalid at ${first?.path.join('.') || '(root)'}: ${first?.message}`,
    );
  }
  return parsed.data;
}

export class DescriptionInvalid extends Error {
  override name = 'DescriptionInvalid';
}

function checkSides(width: number, height: number): void {
  if (width === 0 || height === 0) throw undecodable('the image has no pixels');
  if (width > MAX_IMAGE_SIDE || height > MAX_IMAGE_SIDE) {
    throw new ImageRejected({ kind: 'too_many_pixels', width, height });
  }
}

// ---- JPEG ----

const SOF_MARKERS = new Set([0xc0, 0xc1, 0xc2, 0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf]);
const COM_PREFIX = `${DESCRIPTION_KEYWORD}:`;

function inspectJpeg(bytes: Buffer): InspectedImage {
  let offset = 2;
  let size: { width: number; height: number } | undefined;
  let descriptionText: string | undefined;
  let sawScan = false;
  let sawEnd = false;
  while (offset < bytes.length) {
    if (bytes[offset] !== 0xff) throw undecodable('expected a JPEG marker');
    while (bytes[offset] === 0xff) offset++; // fill bytes
    const marker = bytes[offset++];
    if (marker === undefined) break;
    if (marker === 0xd9) {
      sawEnd = true;
      break;
    }
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) continue; // no length
    if (offset + 2 > bytes.length) throw undecodable('the JPEG is truncated');
    const length = bytes.readUInt16BE(offset);
    if (length < 2 || offset + length > bytes.length) throw undecodable('the JPEG is truncated');
    const segment = bytes.subarray(offset + 2, offset + length);
    offset += length;
    if (SOF_MARKERS.has(marker)) {
      if (segment.length < 5) throw undecodable('the JPEG frame header is too short');
      size = { height: segment.readUInt16BE(1), width: segment.readUInt16BE(3) };
    } else if (marker === 0xfe) {
      const text = segment.toString('utf8');
      if (text.startsWith(COM_PREFIX) && descriptionText === undefined) {
        descriptionText = text.slice(COM_PREFIX.length);
      }
    } else if (marker === 0xda) {
      sawScan = true;
      offset = skipEntropyCodedData(bytes, offset);
    }
  }
  if (!size) throw undecodable('the JPEG has no frame header');
  if (!sawScan || !sawEnd) throw undecodable('the JPEG is truncated');
  checkSides(size.width, size.height);
  try {
    decodeJpeg(bytes, { useTArray: true, maxResolutionInMP: 101, maxMemoryUsageInMB: 1024 });
  } catch {
    throw undecodable('the JPEG image data could not be decoded');
  }
  return { format: 'image/jpeg', ...size, descriptionText };
}

/** Returns the offset of the first marker after a scan (skipping stuffed 0xFF00 and RSTn). */
function skipEntropyCodedData(bytes: Buffer, start: number): number {
  let offset = start;
  while (offset < bytes.length - 1) {
    if (bytes[offset] === 0xff) {
      const next = bytes[offset + 1] ?? 0;
      if (next !== 0x00 && next !== 0xff && !(next >= 0xd0 && next <= 0xd7)) return offset;
    }
    offset++;
  }
  return bytes.length;
}

// ---- PNG ----

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
const DEPTHS: Record<number, number[]> = {
  0: [1, 2, 4, 8, 16],
  2: [8, 16],
  3: [1, 2, 4, 8],
  4: [8, 16],
  6: [8, 16],
};
// Adam7 passes: x start, y start, x step, y step.
const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
] as const;

async function inspectPng(bytes: Buffer): Promise<InspectedImage> {
  let offset = 8;
  let header: { width: number; height: number; depth: number; colour: number; interlace: number } | undefined;
  let descriptionText: string | undefined;
  let sawPalette = false;
  let sawEnd = false;
  const data: Buffer[] = [];
  while (offset + 12 <= bytes.length) {
    const length = bytes.readUInt32BE(offset);
    const type = bytes.toString('latin1', offset + 4, offset + 8);
    if (offset + 12 + length > bytes.length) throw undecodable('the PNG is truncated');
    const typeAndData = bytes.subarray(offset + 4, offset + 8 + length);
    if (crc32(typeAndData) >>> 0 !== bytes.readUInt32BE(offset + 8 + length)) {
      throw undecodable(`the PNG ${type} chunk fails its CRC`);
    }
    const chunk = typeAndData.subarray(4);
    offset += 12 + length;
    if (!header && type !== 'IHDR') throw undecodable('the PNG does not start with IHDR');
    if (type === 'IHDR') {
      if (chunk.length !== 13) throw undecodable('the PNG header is malformed');
      header = {
        width: chunk.readUInt32BE(0),
        height: chunk.readUInt32BE(4),
        depth: chunk[8] ?? 0,
        colour: chunk[9] ?? 0,
        interlace: chunk[12] ?? 0,
      };
      if (
        !DEPTHS[header.colour]?.includes(header.depth) ||
        chunk[10] !== 0 ||
        chunk[11] !== 0 ||
        header.interlace > 1
      ) {
        throw undecodable('the PNG header is malformed');
      }
    } else if (type === 'PLTE') {
      sawPalette = true;
    } else if (type === 'IDAT') {
      data.push(chunk);
    } else if (type === 'tEXt') {
      const nul = chunk.indexOf(0);
      if (
        nul > 0 &&
        chunk.toString('latin1', 0, nul) === DESCRIPTION_KEYWORD &&
        descriptionText === undefined
      ) {
        descriptionText = chunk.toString('latin1', nul + 1);
      }
    } else if (type === 'IEND') {
      sawEnd = true;
      break;
    }
  }
  if (!header) throw undecodable('the PNG has no header');
  if (!sawEnd || data.length === 0) throw undecodable('the PNG is truncated');
  if (header.colour === 3 && !sawPalette) throw undecodable('the PNG has no palette');
  checkSides(header.width, header.height);
  const expected = rawPngSize(header);
  const actual = await inflatedLength(Buffer.concat(data), expected).catch(() => -1);
  if (actual !== expected) throw undecodable('the PNG pixel data could not be decoded');
  return { format: 'image/png', width: header.width, height: header.height, descriptionText };
}

function rawPngSize(h: { width: number; height: number; depth: number; colour: number; interlace: number }) {
  const bitsPerPixel = h.depth * (CHANNELS[h.colour] ?? 1);
  const rowBytes = (width: number) => 1 + Math.ceil((width * bitsPerPixel) / 8);
  if (h.interlace === 0) return h.height * rowBytes(h.width);
  let total = 0;
  for (const [x0, y0, dx, dy] of ADAM7) {
    const w = Math.ceil((h.width - x0) / dx);
    const rows = Math.ceil((h.height - y0) / dy);
    if (w > 0 && rows > 0) total += rows * rowBytes(w);
  }
  return total;
}

/** Inflates without keeping the output, stopping once past `limit`; rejects on corrupt data. */
function inflatedLength(deflated: Buffer, limit: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const inflate = createInflate();
    let total = 0;
    inflate.on('data', (chunk: Buffer) => {
      total += chunk.length;
      if (total > limit) {
        inflate.destroy();
        resolve(total);
      }
    });
    inflate.on('end', () => resolve(total));
    inflate.on('error', reject);
    inflate.end(deflated);
  });
}
