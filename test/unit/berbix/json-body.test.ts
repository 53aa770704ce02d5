import { randomBytes } from 'node:crypto';
import { Base64Bytes, jsonBody, type StreamedJson } from '../../../lambdas/berbix/json-body';

async function read(body: StreamedJson): Promise<{ bytes: Buffer; chunks: number; largest: number }> {
  const parts: Uint8Array[] = [];
  const reader = body.stream().getReader();
  for (let next = await reader.read(); !next.done; next = await reader.read()) parts.push(next.value);
  return {
    bytes: Buffer.concat(parts),
    chunks: parts.length,
    largest: Math.max(...parts.map((p) => p.byteLength)),
  };
}

/** What JSON.stringify writes with every Base64Bytes replaced by its base64 string. */
const expected = (value: unknown) =>
  JSON.stringify(value, (_k, v: unknown) => (v instanceof Base64Bytes ? v.toBase64() : v));

describe('streamed JSON bodies', () => {
  it('gives a plain JSON string when the body holds no bytes', () => {
    expect(jsonBody({ grant_type: 'refresh_token', n: [1, 2] })).toBe(
      '{"grant_type":"refresh_token","n":[1,2]}',
    );
  });

  it.each([0, 1, 2, 3, 4, 47, 48, 49, 1000, 3 * 1024 + 1])(
    'streams exactly the bytes JSON.stringify would write for an image of %i bytes',
    async (size) => {
      const image = randomBytes(size);
      const value = {
        images: [{ image_subject: 'document_front', format: 'image/jpeg', data: new Base64Bytes(image) }],
      };
      const body = jsonBody(value, 48) as StreamedJson;
      const { bytes } = await read(body);
      expect(bytes.toString('latin1')).toBe(expected(value));
      expect(bytes.toString('latin1')).toBe(
        JSON.stringify({
          images: [{ image_subject: 'document_front', format: 'image/jpeg', data: image.toString('base64') }],
        }),
      );
      expect(body.length).toBe(bytes.byteLength);
    },
  );

  it('keeps several binary fields, their order and the text around them, non-ASCII text included', async () => {
    const a = randomBytes(100);
    const b = randomBytes(7);
    const value = {
      first: new Base64Bytes(a),
      note: 'naïve — “quoted” \u0000 text',
      nested: [{ second: new Base64Bytes(b), after: true }],
      last: 'end',
    };
    const body = jsonBody(value, 30) as StreamedJson;
    const { bytes } = await read(body);
    expect(bytes.toString('utf8')).toBe(expected(value));
    expect(body.length).toBe(Buffer.byteLength(expected(value)));
  });

  it('is not fooled by a string that looks like its marker', async () => {
    const value = { trick: '\u0000deadbeefdeadbeef:0', data: new Base64Bytes(Uint8Array.of(1, 2, 3)) };
    const { bytes } = await read(jsonBody(value) as StreamedJson);
    expect(bytes.toString('utf8')).toBe(expected(value));
  });

  it('encodes a large image a chunk at a time, never as one string', async () => {
    const image = randomBytes(1024 * 1024 + 5);
    const body = jsonBody({ data: new Base64Bytes(image) }) as StreamedJson;
    const { bytes, chunks, largest } = await read(body);
    expect(bytes.toString('latin1')).toBe(JSON.stringify({ data: image.toString('base64') }));
    expect(chunks).toBeGreaterThan(20);
    expect(largest).toBeLessThanOrEqual((48 * 1024 * 4) / 3);
  });

  it('builds a new stream, with the same bytes, each time one is asked for', async () => {
    const body = jsonBody({ data: new Base64Bytes(randomBytes(500)) }, 48) as StreamedJson;
    const first = await read(body);
    const second = await read(body);
    expect(second.bytes.equals(first.bytes)).toBe(true);
  });

  it('reads the bytes of a view into a larger buffer, not the whole buffer', async () => {
    const backing = Buffer.from('xxxxHELLOyyyy');
    const view = new Uint8Array(backing.buffer, backing.byteOffset + 4, 5);
    const { bytes } = await read(jsonBody({ data: new Base64Bytes(view) }) as StreamedJson);
    expect(bytes.toString()).toBe(JSON.stringify({ data: Buffer.from('HELLO').toString('base64') }));
  });

  it('refuses a chunk size that would split base64 groups', () => {
    expect(() => jsonBody({}, 32)).toThrow(RangeError);
  });
});
