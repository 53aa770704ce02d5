import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { crc32 as nodeCrc32, deflateSync } from 'node:zlib';
import { checkImage, MAX_IMAGE_BYTES, type ImageRejection } from '../../../lambdas/domain';
import { crc32 } from '../../../lambdas/domain/image-check/crc32';
import { hostileImages } from '../../../local/test-images';
import { PNG_SIGNATURE, pngChunk } from '../../../local/test-images/png';
import { makeJpeg, makePng } from '../support/images';

/** Real libjpeg-turbo output (fixtures/README.md says how each was made). */
const fixture = (name: string) => readFileSync(path.join(__dirname, 'fixtures', name));

const refused = (reason: ImageRejection) => ({ ok: false, reason });

/** A PNG from its IHDR fields and raw (filtered) image data, every CRC right. */
function png(
  header: { width: number; height: number; bitDepth?: number; colourType?: number; interlace?: number },
  idat: Buffer,
  extra: { before?: Buffer[]; after?: Buffer[] } = {},
): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(header.width, 0);
  ihdr.writeUInt32BE(header.height, 4);
  ihdr[8] = header.bitDepth ?? 8;
  ihdr[9] = header.colourType ?? 2;
  ihdr[12] = header.interlace ?? 0;
  return Buffer.concat([
    PNG_SIGNATURE,
    pngChunk('IHDR', ihdr),
    ...(extra.before ?? []),
    pngChunk('IDAT', idat),
    ...(extra.after ?? []),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/** `bytes` with the bits of `mask` flipped at `at`. */
function flip(bytes: Buffer, at: number, mask: number): Buffer {
  bytes[at] = bytes[at]! ^ mask;
  return bytes;
}

/** The chunk of `type` in `bytes` rewritten by `change`, its CRC recomputed. */
function rewriteChunk(bytes: Buffer, type: string, change: (data: Buffer) => Buffer): Buffer {
  const at = bytes.indexOf(type, 8, 'latin1') - 4;
  const length = bytes.readUInt32BE(at);
  const data = change(Buffer.from(bytes.subarray(at + 8, at + 8 + length)));
  return Buffer.concat([bytes.subarray(0, at), pngChunk(type, data), bytes.subarray(at + 12 + length)]);
}

const segment = (marker: number, ...payload: number[]) => [0xff, marker, 0, payload.length + 2, ...payload];

/**
 * A hand-made 16 × 8 greyscale JPEG: two blocks, each coded as DC size 0 and EOB (Huffman code
 * `0` for both), so every block is exactly two bits and `data` can be written by hand.
 */
function tinyJpeg(
  data: number[],
  options: { restartInterval?: number; sof?: number; precision?: number } = {},
) {
  const { sof = 0xc0, precision = 8 } = options;
  const oneCode = (tableClassAndId: number) => [tableClassAndId, 1, ...new Array(15).fill(0), 0x00];
  return Buffer.from([
    0xff,
    0xd8,
    ...segment(0xdb, 0x00, ...new Array(64).fill(1)),
    ...segment(sof, precision, 0, 8, 0, 16, 1, 1, 0x11, 0),
    ...segment(0xc4, ...oneCode(0x00), ...oneCode(0x10)),
    ...(options.restartInterval ? segment(0xdd, 0, options.restartInterval) : []),
    ...segment(0xda, 1, 1, 0x00, 0, 63, 0),
    ...data,
    0xff,
    0xd9,
  ]);
}

/** Two blocks of two bits, padded with ones: one byte, or one per restart interval. */
const TWO_BLOCKS = [0x0f];
const TWO_INTERVALS = [0x3f, 0xff, 0xd0, 0x3f];

describe('checkImage: what it accepts', () => {
  it('accepts a real JPEG and reads its size from the SOF header', async () => {
    await expect(checkImage(makeJpeg(40, 30))).resolves.toEqual({
      ok: true,
      format: 'image/jpeg',
      width: 40,
      height: 30,
    });
  });

  it('accepts a real PNG and reads its size from IHDR', async () => {
    await expect(checkImage(makePng(17, 9))).resolves.toEqual({
      ok: true,
      format: 'image/png',
      width: 17,
      height: 9,
    });
  });

  it.each([
    'subsampled-420.jpg',
    'progressive.jpg',
    'restart-intervals.jpg',
    'restart-rows-420.jpg',
    'grayscale.jpg',
    'multi-scan.jpg',
    'optimized-huffman.jpg',
  ])('accepts libjpeg-turbo output: %s', async (name) => {
    await expect(checkImage(fixture(name))).resolves.toMatchObject({ ok: true, format: 'image/jpeg' });
  });

  it('accepts exactly 10,000 px a side', async () => {
    await expect(checkImage(makePng(10_000, 1))).resolves.toMatchObject({ ok: true, width: 10_000 });
  });

  it('accepts an Adam7-interlaced PNG whose seven passes hold exactly the declared rows', async () => {
    // 3 × 3 RGB: passes 1, 4, 5, 6 and 7 are not empty: 4 + 4 + 7 + 2 × 4 + 10 bytes with filter bytes.
    const interlaced = { width: 3, height: 3, interlace: 1 };
    await expect(checkImage(png(interlaced, deflateSync(Buffer.alloc(33))))).resolves.toMatchObject({
      ok: true,
    });
    await expect(checkImage(png(interlaced, deflateSync(Buffer.alloc(32))))).resolves.toEqual(
      refused('png_image_data_short'),
    );
  });

  it('accepts a palette PNG with its PLTE chunk', async () => {
    const plte = pngChunk('PLTE', Buffer.from([0, 0, 0, 255, 255, 255]));
    const indexed = { width: 8, height: 2, bitDepth: 1, colourType: 3 };
    await expect(
      checkImage(png(indexed, deflateSync(Buffer.alloc(4)), { before: [plte] })),
    ).resolves.toMatchObject({
      ok: true,
    });
  });

  it('accepts a hand-coded JPEG with restart markers in sequence, and without restarts', async () => {
    const expected = { ok: true, format: 'image/jpeg', width: 16, height: 8 };
    await expect(checkImage(tinyJpeg(TWO_INTERVALS, { restartInterval: 1 }))).resolves.toEqual(expected);
    await expect(checkImage(tinyJpeg(TWO_BLOCKS))).resolves.toEqual(expected);
    await expect(checkImage(tinyJpeg(TWO_BLOCKS, { sof: 0xc1, precision: 12 }))).resolves.toEqual(expected);
  });

  it('accepts one full 64 KiB comment segment (well below the metadata limit)', async () => {
    const comment = Buffer.alloc(0xffff - 2, 0x20);
    const jpeg = makeJpeg();
    const bytes = Buffer.concat([
      jpeg.subarray(0, 2),
      Buffer.from([0xff, 0xfe, 0xff, 0xff]),
      comment,
      jpeg.subarray(2),
    ]);
    await expect(checkImage(bytes)).resolves.toMatchObject({ ok: true });
  });

  it('accepts a 20 MiB PNG, inflating all of it', async () => {
    const width = 2500;
    const height = 2700;
    const raw = randomBytes((width * 3 + 1) * height);
    for (let row = 0; row < height; row++) raw[row * (width * 3 + 1)] = row % 5; // every filter type
    const bytes = png({ width, height }, deflateSync(raw, { level: 0 }));
    expect(bytes.length).toBeGreaterThan(19 * 1024 * 1024);
    expect(bytes.length).toBeLessThanOrEqual(MAX_IMAGE_BYTES);
    await expect(checkImage(bytes)).resolves.toEqual({ ok: true, format: 'image/png', width, height });
  });
});

describe('checkImage: the hostile corpus (local/test-images/hostile.ts)', () => {
  it.each(hostileImages().map((image) => [image.fileName, image] as const))(
    'refuses %s with its reason',
    async (_name, image) => {
      await expect(checkImage(image.bytes)).resolves.toEqual(refused(image.reason as ImageRejection));
    },
  );
});

describe('checkImage: any format', () => {
  it('refuses an empty object', async () => {
    await expect(checkImage(new Uint8Array())).resolves.toEqual(refused('empty'));
  });

  it('refuses text sent as an image as an unsupported format', async () => {
    await expect(checkImage(Buffer.from('this is not an image at all'))).resolves.toEqual(
      refused('unsupported_format'),
    );
  });

  it('refuses an image over the byte limit before reading it', async () => {
    const big = new Uint8Array(MAX_IMAGE_BYTES + 1);
    big.set(makeJpeg());
    await expect(checkImage(big)).resolves.toEqual(refused('too_large'));
    await expect(checkImage(makeJpeg(), { maxBytes: 10 })).resolves.toEqual(refused('too_large'));
  });

  it('refuses images over 10,000 px a side', async () => {
    await expect(checkImage(makeJpeg(10_001, 8))).resolves.toEqual(refused('dimensions_too_large'));
    await expect(checkImage(makePng(1, 10_001))).resolves.toEqual(refused('dimensions_too_large'));
  });

  it.each([
    ['a JPEG cut in its entropy-coded data', () => makeJpeg().subarray(0, 300)],
    ['a JPEG missing only its EOI marker', () => makeJpeg().subarray(0, makeJpeg().length - 2)],
    ['a PNG cut inside IDAT', () => makePng(64, 64).subarray(0, 60)],
    ['a PNG without IEND', () => makePng().subarray(0, makePng().length - 12)],
    ['the first bytes of a PNG signature', () => makePng().subarray(0, 4)],
    ['a JPEG signature alone', () => makeJpeg().subarray(0, 3)],
  ])('refuses %s as truncated', async (_name, bytes) => {
    await expect(checkImage(bytes())).resolves.toEqual(refused('truncated'));
  });
});

describe('checkImage: PNG', () => {
  it('refuses a PNG whose first chunk is not IHDR', async () => {
    const bytes = Buffer.concat([
      PNG_SIGNATURE,
      pngChunk('tEXt', Buffer.from('a\0b')),
      makePng().subarray(8),
    ]);
    await expect(checkImage(bytes)).resolves.toEqual(refused('png_ihdr_not_first'));
  });

  it('refuses a PNG whose IHDR is invalid', async () => {
    await expect(checkImage(makePng(0, 5))).resolves.toEqual(refused('invalid_header'));
    const rgbAt4Bits = png({ width: 2, height: 2, bitDepth: 4, colourType: 2 }, deflateSync(Buffer.alloc(8)));
    await expect(checkImage(rgbAt4Bits)).resolves.toEqual(refused('invalid_header'));
  });

  it('refuses a chunk whose CRC does not match, even in metadata', async () => {
    const bytes = makePng();
    flip(bytes, bytes.indexOf('IHDR', 0, 'latin1') + 4, 0x80); // the width's top byte
    await expect(checkImage(bytes)).resolves.toEqual(refused('png_bad_crc'));
    const text = png({ width: 1, height: 1 }, deflateSync(Buffer.alloc(4)), {
      before: [pngChunk('tEXt', Buffer.from('a\0b'))],
    });
    flip(text, text.indexOf('tEXt', 0, 'latin1') + 5, 0x01);
    await expect(checkImage(text)).resolves.toEqual(refused('png_bad_crc'));
  });

  it('refuses a palette PNG without a palette, and an unknown critical chunk', async () => {
    const indexed = { width: 8, height: 2, bitDepth: 1, colourType: 3 };
    await expect(checkImage(png(indexed, deflateSync(Buffer.alloc(4))))).resolves.toEqual(
      refused('png_invalid_chunk'),
    );
    const unknown = png({ width: 1, height: 1 }, deflateSync(Buffer.alloc(4)), {
      before: [pngChunk('ABCD', Buffer.alloc(2))],
    });
    await expect(checkImage(unknown)).resolves.toEqual(refused('png_invalid_chunk'));
  });

  it('refuses image data longer than IHDR declares, or with bytes after the zlib stream', async () => {
    const rows = (count: number) => Buffer.alloc(count * (1 + 2 * 3));
    await expect(checkImage(png({ width: 2, height: 2 }, deflateSync(rows(3))))).resolves.toEqual(
      refused('png_image_data_long'),
    );
    const trailing = Buffer.concat([deflateSync(rows(2)), Buffer.from([1, 2, 3])]);
    await expect(checkImage(png({ width: 2, height: 2 }, trailing))).resolves.toEqual(
      refused('png_image_data_long'),
    );
  });

  it('refuses image data that is not a valid zlib stream or has a bad filter type', async () => {
    // The last byte of the zlib stream's Adler-32.
    const badChecksum = rewriteChunk(makePng(), 'IDAT', (data) => flip(data, data.length - 1, 0xff));
    await expect(checkImage(badChecksum)).resolves.toEqual(refused('png_image_data_corrupt'));
    const filterFive = Buffer.alloc(2 * (1 + 2 * 3));
    filterFive[1 + 2 * 3] = 5; // the second row's filter byte
    await expect(checkImage(png({ width: 2, height: 2 }, deflateSync(filterFive)))).resolves.toEqual(
      refused('png_image_data_corrupt'),
    );
  });

  it('refuses a declared size that the compressed data could never inflate to, without inflating', async () => {
    // Passes through to the real DecompressionStream; tells whether anything was inflated.
    const RealStream = globalThis.DecompressionStream;
    const inflate = jest.fn((format: CompressionFormat) => new RealStream(format));
    globalThis.DecompressionStream = inflate as unknown as typeof DecompressionStream;
    // 5000 × 5000 RGB is 75 MB raw: under the raw-size cap, but 20 compressed bytes give at most 21 KB.
    const liar = png({ width: 5000, height: 5000 }, deflateSync(Buffer.alloc(16)));
    await expect(checkImage(liar)).resolves.toEqual(refused('decompression_bomb'));
    await expect(checkImage(makePng(), { maxPngRawBytes: 100 })).resolves.toEqual(
      refused('decompression_bomb'),
    );
    expect(inflate).not.toHaveBeenCalled();
    await expect(checkImage(makePng())).resolves.toMatchObject({ ok: true });
    expect(inflate).toHaveBeenCalledTimes(1);
    globalThis.DecompressionStream = RealStream;
  });

  it('computes chunk CRCs exactly as zlib does', () => {
    const bytes = randomBytes(4099);
    for (const [start, end] of [
      [0, 4099],
      [1, 4098],
      [3, 3],
      [5, 12],
    ] as const) {
      expect(crc32(bytes, start, end)).toBe(nodeCrc32(bytes.subarray(start, end)) >>> 0);
    }
  });

  it('refuses ancillary chunks beyond the metadata limit', async () => {
    const text = pngChunk('tEXt', Buffer.alloc(600, 0x41));
    const bytes = png({ width: 1, height: 1 }, deflateSync(Buffer.alloc(4)), {
      before: [text],
      after: [text],
    });
    await expect(checkImage(bytes, { maxMetadataBytes: 1000 })).resolves.toEqual(
      refused('metadata_too_large'),
    );
    await expect(checkImage(bytes, { maxMetadataBytes: 1200 })).resolves.toMatchObject({ ok: true });
  });
});

describe('checkImage: JPEG', () => {
  it('refuses restart markers out of sequence, or without a restart interval', async () => {
    const outOfSequence = [0x3f, 0xff, 0xd1, 0x3f];
    await expect(checkImage(tinyJpeg(outOfSequence, { restartInterval: 1 }))).resolves.toEqual(
      refused('jpeg_bad_scan_data'),
    );
    await expect(checkImage(tinyJpeg(TWO_INTERVALS))).resolves.toEqual(refused('jpeg_bad_scan_data'));
    const libjpeg = fixture('restart-intervals.jpg');
    const firstRestart = libjpeg.indexOf(Buffer.from([0xff, 0xd0]));
    libjpeg[firstRestart + 1] = 0xd3;
    await expect(checkImage(libjpeg)).resolves.toEqual(refused('jpeg_bad_scan_data'));
  });

  it('refuses a scan with fewer or more blocks than the frame declares', async () => {
    await expect(checkImage(tinyJpeg([0x3f], { restartInterval: 1 }))).resolves.toEqual(
      refused('jpeg_bad_scan_data'),
    );
    await expect(
      checkImage(tinyJpeg([...TWO_INTERVALS, 0xff, 0xd1, 0x3f], { restartInterval: 1 })),
    ).resolves.toEqual(refused('jpeg_bad_scan_data'));
    await expect(checkImage(tinyJpeg([0x0f, ...new Array(40).fill(0x00)]))).resolves.toEqual(
      refused('jpeg_bad_scan_data'),
    );
  });

  it('refuses a 0xFF in scan data that is neither stuffed nor a marker', async () => {
    await expect(checkImage(tinyJpeg([0x0f, 0xff, 0x37]))).resolves.toEqual(refused('jpeg_bad_scan_data'));
  });

  it('refuses a scan of libjpeg output replaced by noise', async () => {
    const bytes = fixture('restart-rows-420.jpg');
    const sos = bytes.indexOf(Buffer.from([0xff, 0xda]));
    const start = sos + 2 + bytes.readUInt16BE(sos + 2);
    // Stuffed 0xFF and the restart markers stay: only Huffman decoding can tell.
    for (let i = start; i < bytes.length - 2; i++) {
      if (bytes[i] === 0xff) i++;
      else bytes[i] = (i * 131) % 0xff;
    }
    await expect(checkImage(bytes)).resolves.toEqual(refused('jpeg_bad_scan_data'));
  });

  it('refuses frames no common decoder reads', async () => {
    await expect(checkImage(tinyJpeg(TWO_BLOCKS, { sof: 0xc3 }))).resolves.toEqual(
      refused('jpeg_unsupported_coding'),
    );
    await expect(checkImage(tinyJpeg(TWO_BLOCKS, { sof: 0xc9 }))).resolves.toEqual(
      refused('jpeg_unsupported_coding'),
    );
  });

  it('refuses a JPEG that reaches image data without a frame header', async () => {
    const bytes = Buffer.from([0xff, 0xd8, ...segment(0xda, 1, 1, 0, 0, 63, 0), 0x00, 0xff, 0xd9]);
    await expect(checkImage(bytes)).resolves.toEqual(refused('jpeg_missing_frame'));
  });

  it('refuses a JPEG whose segments are not markers', async () => {
    const bytes = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x04, 0x00, 0x00, 0x12, 0x34]);
    await expect(checkImage(bytes)).resolves.toEqual(refused('jpeg_invalid_marker'));
  });

  it('refuses a frame whose components are not all scanned', async () => {
    const bytes = fixture('multi-scan.jpg');
    const lastScan = bytes.lastIndexOf(Buffer.from([0xff, 0xda]));
    const withoutIt = Buffer.concat([bytes.subarray(0, lastScan), Buffer.from([0xff, 0xd9])]);
    await expect(checkImage(withoutIt)).resolves.toEqual(refused('jpeg_missing_scan'));
  });

  it('refuses segments whose content is malformed', async () => {
    const overfullHuffman = [0x00, 3, ...new Array(15).fill(0), 0, 1, 2]; // three 1-bit codes
    const bytes = Buffer.from([0xff, 0xd8, ...segment(0xc4, ...overfullHuffman), 0xff, 0xd9]);
    await expect(checkImage(bytes)).resolves.toEqual(refused('jpeg_invalid_segment'));
    const foreignComponent = tinyJpeg(TWO_BLOCKS);
    foreignComponent[foreignComponent.indexOf(Buffer.from([0xff, 0xda])) + 5] = 9;
    await expect(checkImage(foreignComponent)).resolves.toEqual(refused('jpeg_invalid_segment'));
  });
});
