import { encode } from 'jpeg-js';

/**
 * Encodes a baseline JPEG with jpeg-js and inserts one `COM` segment right after SOI, holding
 * `comment` as UTF-8 (jpeg-js's own comment option keeps only the low byte of each character).
 */
export function encodeJpeg(input: {
  width: number;
  height: number;
  pixel: (x: number, y: number) => readonly [number, number, number];
  comment?: string;
  quality?: number;
}): Buffer {
  const { width, height } = input;
  const rgba = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const [r, g, b] = input.pixel(x, y);
      const offset = (y * width + x) * 4;
      rgba[offset] = r;
      rgba[offset + 1] = g;
      rgba[offset + 2] = b;
      rgba[offset + 3] = 255;
    }
  }
  const jpeg = encode({ width, height, data: rgba }, input.quality ?? 80).data;
  if (input.comment === undefined) return jpeg;
  const text = Buffer.from(input.comment, 'utf8');
  if (text.length > 0xffff - 2) throw new RangeError('a JPEG COM segment holds at most 65,533 bytes');
  const header = Buffer.from([0xff, 0xfe, 0, 0]);
  header.writeUInt16BE(text.length + 2, 2);
  return Buffer.concat([jpeg.subarray(0, 2), header, text, jpeg.subarray(2)]);
}
