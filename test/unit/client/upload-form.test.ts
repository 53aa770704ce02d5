import { buildUploadForm, describeUploadFailure, uploadOutcome } from '../../../client';

const form = {
  url: 'http://127.0.0.1:1/bucket',
  fields: { key: 'uploads/k.jpg', 'Content-Type': 'image/jpeg', Policy: 'p', 'X-Amz-Signature': 's' },
  key: 'uploads/k.jpg',
  expires_at: '2030-01-01T00:00:00Z',
  max_bytes: 20 * 1024 * 1024,
};

describe('the presigned upload form', () => {
  it("sends every field the server gave, in its order, then the file last as 'file'", async () => {
    const body = buildUploadForm(
      form,
      new Blob([new Uint8Array([0xff, 0xd8, 0xff])], { type: 'image/jpeg' }),
      'a.jpg',
    );
    // Encoded as it goes on the wire, then read back.
    const encoded = new Request('http://x/', { method: 'POST', body });
    const text = new TextDecoder('latin1').decode(await encoded.arrayBuffer());
    const names = [...text.matchAll(/; name="([^"]+)"/g)].map((m) => m[1]);
    expect(names).toEqual(['key', 'Content-Type', 'Policy', 'X-Amz-Signature', 'file']);
    expect(text).toContain('filename="a.jpg"');
  });

  it("reads S3's XML error code and message, and explains the usual ones", () => {
    const outcome = uploadOutcome(
      400,
      '<?xml version="1.0"?><Error><Code>EntityTooLarge</Code><Message>Your proposed upload exceeds the maximum allowed size</Message></Error>',
    );
    expect(outcome).toEqual({
      ok: false,
      status: 400,
      code: 'EntityTooLarge',
      message: 'Your proposed upload exceeds the maximum allowed size',
    });
    expect(describeUploadFailure(outcome)).toBe('the file is larger than the upload form allows');
    expect(uploadOutcome(204, '')).toEqual({ ok: true, status: 204 });
    expect(describeUploadFailure(uploadOutcome(500, 'oops'))).toBe('S3 answered 500');
  });
});
