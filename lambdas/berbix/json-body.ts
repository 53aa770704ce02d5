/**
 * JSON request bodies whose binary fields are written base64 as they are sent: an image travels
 * as its bytes plus one small chunk at a time, never as a base64 string, a JSON string or a
 * second buffer. The bytes sent are exactly what `JSON.stringify` gives with the base64 in place.
 */
import { randomBytes } from 'node:crypto';

/** Bytes a JSON body carries as a base64 string, encoded chunk by chunk when it is sent. */
export class Base64Bytes {
  constructor(readonly bytes: Uint8Array) {}

  /** Length of the base64 text, without quotes. */
  get encodedLength(): number {
    return 4 * Math.ceil(this.bytes.byteLength / 3);
  }

  /** The whole base64 string: only for small payloads (e.g. to scrub them from error text). */
  toBase64(): string {
    return Buffer.from(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength).toString('base64');
  }
}

/** A JSON body that is streamed: its exact length, and a fresh stream of it for each attempt. */
export interface StreamedJson {
  readonly length: number;
  stream(): ReadableStream<Uint8Array>;
}

/** Bytes encoded per chunk: a multiple of 3, so chunks join into one valid base64 string. */
export const BASE64_CHUNK_BYTES = 48 * 1024;

type Segment = string | Base64Bytes;

/**
 * The JSON text of `value` (as `JSON.stringify` writes it), as a plain string when it holds no
 * `Base64Bytes`, else as a stream built again for every send.
 */
export function jsonBody(value: unknown, chunkBytes = BASE64_CHUNK_BYTES): string | StreamedJson {
  if (chunkBytes <= 0 || chunkBytes % 3 !== 0)
    throw new RangeError('chunkBytes must be a positive multiple of 3');
  const binaries: Base64Bytes[] = [];
  // A marker no other string of the body can hold: a NUL (escaped by JSON.stringify) and a nonce.
  const marker = `\u0000${randomBytes(8).toString('hex')}:`;
  const text = JSON.stringify(value, (_key, v: unknown) => {
    if (!(v instanceof Base64Bytes)) return v;
    binaries.push(v);
    return `${marker}${binaries.length - 1}`;
  });
  if (binaries.length === 0) return text;
  const quotedMarker = JSON.stringify(marker).slice(0, -1); // `"\u0000<nonce>:` as it appears in the text
  const segments: Segment[] = [];
  let rest = text;
  for (let i = 0; i < binaries.length; i++) {
    const token = `${quotedMarker}${i}"`;
    const at = rest.indexOf(token);
    if (at < 0) throw new Error('jsonBody: a binary field was not found in the JSON text');
    segments.push(rest.slice(0, at), binaries[i]!);
    rest = rest.slice(at + token.length);
  }
  segments.push(rest);
  const length = segments.reduce(
    (sum, s) => sum + (typeof s === 'string' ? Buffer.byteLength(s) : 2 + s.encodedLength),
    0,
  );
  return {
    length,
    stream: () => {
      const parts = chunks(segments, chunkBytes);
      // Pulled one chunk at a time as the socket takes them: at most one chunk is held.
      return new ReadableStream<Uint8Array>(
        {
          pull(controller) {
            const next = parts.next();
            if (next.done) controller.close();
            else controller.enqueue(next.value);
          },
          cancel() {
            parts.return(undefined);
          },
        },
        { highWaterMark: 0 },
      );
    },
  };
}

const QUOTE = Uint8Array.of(0x22);

function* chunks(segments: readonly Segment[], chunkBytes: number): Generator<Uint8Array> {
  for (const segment of segments) {
    if (typeof segment === 'string') {
      if (segment.length > 0) yield Buffer.from(segment);
      continue;
    }
    const { bytes } = segment;
    yield QUOTE;
    for (let offset = 0; offset < bytes.byteLength; offset += chunkBytes) {
      const end = Math.min(offset + chunkBytes, bytes.byteLength);
      const part = Buffer.from(bytes.buffer, bytes.byteOffset + offset, end - offset);
      yield Buffer.from(part.toString('base64'), 'latin1');
    }
    yield QUOTE;
  }
}
