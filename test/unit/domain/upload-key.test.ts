import {
  buildUploadKey,
  newNonce,
  newVerificationId,
  parseUploadKey,
  verificationPrefix,
} from '../../../lambdas/domain';

const id = 'vrf_abcdefghijklmnopqrstuvwxyz';

describe('upload keys', () => {
  it('round-trips a document key through build and parse', () => {
    const parts = {
      verificationId: id,
      step: 'document_front' as const,
      attempt: 2,
      nonce: '0123456789abcdef',
      ext: 'jpg' as const,
    };
    const key = buildUploadKey(parts);
    expect(key).toBe(`uploads/${id}/document_front/2-0123456789abcdef.jpg`);
    expect(parseUploadKey(key)).toEqual(parts);
  });

  it('round-trips an id-scan key', () => {
    const key = buildUploadKey({
      verificationId: id,
      step: 'id_scan',
      attempt: 1,
      nonce: newNonce(),
      ext: 'pdf417',
    });
    expect(parseUploadKey(key)).toMatchObject({ step: 'id_scan', ext: 'pdf417', attempt: 1 });
  });

  it.each([
    ['another prefix', `images/${id}/document_front/1-0123456789abcdef.jpg`],
    ['an unknown step', `uploads/${id}/selfie_front/1-0123456789abcdef.jpg`],
    ['attempt zero', `uploads/${id}/document_front/0-0123456789abcdef.jpg`],
    ['a leading zero', `uploads/${id}/document_front/01-0123456789abcdef.jpg`],
    ['a short nonce', `uploads/${id}/document_front/1-0123abcdef.jpg`],
    ['an uppercase nonce', `uploads/${id}/document_front/1-0123456789ABCDEF.jpg`],
    ['an unknown extension', `uploads/${id}/document_front/1-0123456789abcdef.gif`],
    ['a scan extension on an image step', `uploads/${id}/document_back/1-0123456789abcdef.pdf417`],
    ['an image extension on a scan', `uploads/${id}/id_scan/1-0123456789abcdef.png`],
    ['a malformed verification id', 'uploads/vrf_ABC/document_front/1-0123456789abcdef.jpg'],
    ['a path traversal', `uploads/${id}/../document_front/1-0123456789abcdef.jpg`],
    ['a trailing suffix', `uploads/${id}/document_front/1-0123456789abcdef.jpg.exe`],
    ['a nested folder', `uploads/${id}/document_front/x/1-0123456789abcdef.jpg`],
  ])('rejects %s', (_why, key) => {
    expect(parseUploadKey(key)).toBeUndefined();
  });

  it('refuses to build a key from parts the parser would reject', () => {
    expect(() =>
      buildUploadKey({ verificationId: id, step: 'document_front', attempt: 1, nonce: 'xyz', ext: 'jpg' }),
    ).toThrow();
    expect(() =>
      buildUploadKey({
        verificationId: 'nope',
        step: 'document_front',
        attempt: 1,
        nonce: newNonce(),
        ext: 'jpg',
      }),
    ).toThrow();
  });

  it('puts every object of a verification under one prefix', () => {
    const key = buildUploadKey({
      verificationId: id,
      step: 'document_back',
      attempt: 3,
      nonce: newNonce(),
      ext: 'png',
    });
    expect(key.startsWith(verificationPrefix(id))).toBe(true);
  });
});

describe('verification ids', () => {
  it('are vrf_ and 26 lowercase base32 characters', () => {
    for (let i = 0; i < 50; i++) expect(newVerificationId()).toMatch(/^vrf_[a-z2-7]{26}$/);
  });

  it('encode all 128 random bits', () => {
    expect(newVerificationId(() => new Uint8Array(16))).toBe('vrf_aaaaaaaaaaaaaaaaaaaaaaaaaa');
    expect(newVerificationId(() => new Uint8Array(16).fill(255))).toBe('vrf_77777777777777777777777774');
  });

  it('are valid Step Functions execution names (at most 80 characters, no spaces or special characters)', () => {
    expect(newVerificationId()).toMatch(/^[A-Za-z0-9_-]{1,80}$/);
  });
});
