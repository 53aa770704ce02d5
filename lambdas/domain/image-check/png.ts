import { crc32 } from './crc32';
import { checkSides, u32, type FormatCheck, type ImageRejection, type ResolvedImageLimits } from './rules';

/**
 * Deflate turns one bit pair (length + distance code) into at most 258 bytes, so a zlib stream
 * never inflates to more than 1032 times its size: a PNG declaring more cannot be whole.
 */
const MAX_DEFLATE_RATIO = 1032;

/** Bit depths each colour type allows, and its samples per pixel (PNG spec, table 11.1). */
const COLOUR_TYPES: Readonly<Record<number, { depths: readonly number[]; samples: number }>> = {
  0: { depths: [1, 2, 4, 8, 16], samples: 1 }, // greyscale
  2: { depths: [8, 16], samples: 3 }, // truecolour
  3: { depths: [1, 2, 4, 8], samples: 1 }, // indexed
  4: { depths: [8, 16], samples: 2 }, // greyscale + alpha
  6: { depths: [8, 16], samples: 4 }, // truecolour + alpha
};

/** Adam7's seven passes: x start, y start, x step, y step. */
const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
] as const;

interface Header {
  width: number;
  height: number;
  bitDepth: number;
  colourType: number;
  compression: number;
  filter: number;
  interlace: number;
}

/** What the chunk walk found: the header, where the image data lies, whether there is a palette. */
interface Layout {
  header: Header;
  /** [start, end) of each IDAT chunk's data, in order. */
  idat: [number, number][];
  idatBytes: number;
  palette: boolean;
}

/** Rows of the filtered image data: `count` rows of `bytes` each (one run per Adam7 pass). */
type RowRun = { bytes: number; count: number };

/**
 * PNG: every chunk is complete and its CRC holds, IHDR comes first and is valid, the IDAT chunks
 * are contiguous, IEND is last with nothing after it; then the image data is inflated as a stream,
 * counting bytes and checking each row's filter type, and must be exactly what IHDR declares.
 * A declared size no PNG could honestly need is refused before inflating anything.
 */
export async function checkPng(bytes: Uint8Array, limits: ResolvedImageLimits): Promise<FormatCheck> {
  const layout = readChunks(bytes, limits.maxMetadataBytes);
  if (typeof layout === 'string') return layout;
  const { header } = layout;
  const sides = checkSides(header.width, header.height, limits.maxSide);
  if (typeof sides === 'string') return sides;
  const colour = COLOUR_TYPES[header.colourType];
  if (
    !colour ||
    !colour.depths.includes(header.bitDepth) ||
    header.compression !== 0 ||
    header.filter !== 0 ||
    (header.interlace !== 0 && header.interlace !== 1)
  ) {
    return 'invalid_header';
  }
  // Indexed images need a palette; greyscale ones may not have one.
  const greyscale = header.colourType === 0 || header.colourType === 4;
  if ((header.colourType === 3 && !layout.palette) || (greyscale && layout.palette))
    return 'png_invalid_chunk';
  if (layout.idat.length === 0) return 'png_missing_idat';
  const rows = rowRuns(header, colour.samples);
  const declared = rows.reduce((sum, r) => sum + r.bytes * r.count, 0);
  if (declared > limits.maxPngRawBytes || declared > layout.idatBytes * MAX_DEFLATE_RATIO + 1024) {
    return 'decompression_bomb';
  }
  const data = await inflateImageData(bytes, layout, rows, declared);
  return data ?? sides;
}

function readChunks(bytes: Uint8Array, maxMetadataBytes: number): Layout | ImageRejection {
  let at = 8;
  let header: Header | undefined;
  const idat: [number, number][] = [];
  let idatBytes = 0;
  let idatState: 'before' | 'inside' | 'after' = 'before';
  let palette = false;
  let metadata = 0;
  for (;;) {
    if (at + 12 > bytes.length) return 'truncated';
    const length = u32(bytes, at);
    if (length > 0x7fffffff) return 'png_invalid_chunk';
    const dataStart = at + 8;
    const dataEnd = dataStart + length;
    if (dataEnd + 4 > bytes.length) return 'truncated';
    if (crc32(bytes, at + 4, dataEnd) !== u32(bytes, dataEnd)) return 'png_bad_crc';
    const type = chunkType(bytes, at + 4);
    if (type === undefined) return 'png_invalid_chunk';
    if (!header && type !== 'IHDR') return 'png_ihdr_not_first';
    if (idatState === 'inside' && type !== 'IDAT') idatState = 'after';
    switch (type) {
      case 'IHDR':
        if (header) return 'png_invalid_chunk';
        if (length !== 13) return 'invalid_header';
        header = {
          width: u32(bytes, dataStart),
          height: u32(bytes, dataStart + 4),
          bitDepth: bytes[dataStart + 8]!,
          colourType: bytes[dataStart + 9]!,
          compression: bytes[dataStart + 10]!,
          filter: bytes[dataStart + 11]!,
          interlace: bytes[dataStart + 12]!,
        };
        break;
      case 'PLTE':
        if (palette || idatState !== 'before' || length === 0 || length % 3 !== 0 || length > 768)
          return 'png_invalid_chunk';
        palette = true;
        break;
      case 'IDAT':
        if (idatState === 'after') return 'png_idat_not_contiguous';
        idatState = 'inside';
        idat.push([dataStart, dataEnd]);
        idatBytes += length;
        break;
      case 'IEND':
        if (length !== 0) return 'png_invalid_chunk';
        if (dataEnd + 4 !== bytes.length) return 'trailing_data';
        return { header: header!, idat, idatBytes, palette };
      default:
        // An unknown critical chunk (upper-case first letter) changes how the image decodes.
        if (type.charCodeAt(0) < 0x61) return 'png_invalid_chunk';
        metadata += length;
        if (metadata > maxMetadataBytes) return 'metadata_too_large';
    }
    at = dataEnd + 4;
  }
}

/** The four ASCII letters of a chunk type, or undefined when they are not letters. */
function chunkType(bytes: Uint8Array, at: number): string | undefined {
  let type = '';
  for (let i = at; i < at + 4; i++) {
    const c = bytes[i]!;
    if (!((c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a))) return undefined;
    type += String.fromCharCode(c);
  }
  return type;
}

/** The filtered image data's rows as IHDR declares them: a filter byte plus the packed samples. */
function rowRuns(header: Header, samples: number): RowRun[] {
  const bitsPerPixel = header.bitDepth * samples;
  const rowBytes = (width: number) => 1 + Math.ceil((width * bitsPerPixel) / 8);
  if (header.interlace === 0) return [{ bytes: rowBytes(header.width), count: header.height }];
  const runs: RowRun[] = [];
  for (const [x0, y0, dx, dy] of ADAM7) {
    const width = Math.ceil(Math.max(0, header.width - x0) / dx);
    const height = Math.ceil(Math.max(0, header.height - y0) / dy);
    // An empty pass has no rows at all, not even filter bytes.
    if (width > 0 && height > 0) runs.push({ bytes: rowBytes(width), count: height });
  }
  return runs;
}

/**
 * Inflates the IDAT data as one zlib stream without keeping it: output is counted (and each row's
 * filter byte checked) as it streams by, and inflation stops as soon as it exceeds `declared`.
 * Undefined when the data is exactly the declared image. `DecompressionStream` (browsers and
 * Node alike) refuses a bad checksum and anything after the end of the stream.
 */
async function inflateImageData(
  bytes: Uint8Array,
  layout: Layout,
  rows: readonly RowRun[],
  declared: number,
): Promise<ImageRejection | undefined> {
  const inflate = new DecompressionStream('deflate');
  const writer = inflate.writable.getWriter();
  const reader = inflate.readable.getReader();
  // Written without waiting: the reader below pulls the data through, a chunk at a time.
  const writing = (async () => {
    // A view, not a copy (the upload is never held twice).
    for (const [start, end] of layout.idat)
      await writer.write(bytes.subarray(start, end) as Uint8Array<ArrayBuffer>);
    await writer.close();
  })().catch(() => undefined);
  let produced = 0;
  let run = 0;
  let rowsLeft = rows[0]?.count ?? 0;
  let nextFilterByte = 0;
  let outcome: ImageRejection | undefined;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (produced + value.length > declared) {
        outcome = 'png_image_data_long';
        break;
      }
      while (nextFilterByte < produced + value.length) {
        if (value[nextFilterByte - produced]! > 4) outcome = 'png_image_data_corrupt';
        nextFilterByte += rows[run]!.bytes;
        if (--rowsLeft === 0) rowsLeft = rows[++run]?.count ?? 0;
      }
      produced += value.length;
      if (outcome) break;
    }
    if (!outcome && produced < declared) outcome = 'png_image_data_short';
  } catch (error) {
    outcome = inflateFailure(error, produced, declared);
  }
  if (outcome) await reader.cancel().catch(() => undefined);
  await writing;
  return outcome;
}

/**
 * Why inflation failed: after exactly the declared bytes, what follows the stream is extra data;
 * before them, a stream cut short (Node names it `Z_BUF_ERROR`) or one that is not deflate at all.
 */
function inflateFailure(error: unknown, produced: number, declared: number): ImageRejection {
  if (produced === declared) return 'png_image_data_long';
  return (error as { code?: string }).code === 'Z_BUF_ERROR'
    ? 'png_image_data_short'
    : 'png_image_data_corrupt';
}
