import { computeWebhookSignature, verifyWebhookSignature } from '../../../lambdas/berbix';

// Vector computed independently (Python hmac) from the spec's formula: hex(HMAC_SHA256(secret, "ts,secret,body")).
const SECRET = 'whsec_test_abc';
const TS = 1_800_000_000;
const BODY = '{"transaction_id":42,"customer_uid":"user-7","action":"accept"}';
const HEX = 'bc9520992ade0693743b108394111122a5de76ac38a11a6f4d8f0355c2b487f5';
const HEADER = `v0,${TS},${HEX}`;

const verify = (overrides: Partial<Parameters<typeof verifyWebhookSignature>[0]> = {}) =>
  verifyWebhookSignature({
    secret: SECRET,
    rawBody: BODY,
    signatureHeader: HEADER,
    nowSeconds: TS + 10,
    ...overrides,
  });

describe('webhook signatures', () => {
  it('computes the header value the spec gives', () => {
    expect(computeWebhookSignature(SECRET, TS, BODY)).toBe(HEADER);
  });

  it('accepts a valid signature over the raw body as a string or as bytes', () => {
    expect(verify()).toBe(true);
    expect(verify({ rawBody: new TextEncoder().encode(BODY) })).toBe(true);
  });

  it('rejects a changed body, even one that parses to the same JSON', () => {
    expect(verify({ rawBody: BODY.replace('accept', 'reject') })).toBe(false);
    expect(verify({ rawBody: JSON.stringify(JSON.parse(BODY), null, 1) })).toBe(false);
  });

  it('rejects a signature made with another secret', () => {
    expect(verify({ secret: 'whsec_other' })).toBe(false);
  });

  it('accepts a signature up to 300 seconds old and rejects an older one', () => {
    expect(verify({ nowSeconds: TS + 300 })).toBe(true);
    expect(verify({ nowSeconds: TS + 301 })).toBe(false);
  });

  it('rejects a timestamp more than the tolerance in the future', () => {
    expect(verify({ nowSeconds: TS - 300 })).toBe(true);
    expect(verify({ nowSeconds: TS - 301 })).toBe(false);
  });

  it('honours a custom tolerance', () => {
    expect(verify({ nowSeconds: TS + 60, toleranceSeconds: 30 })).toBe(false);
  });

  it('rejects a timestamp that was changed after signing', () => {
    expect(verify({ signatureHeader: `v0,${TS + 1},${HEX}`, nowSeconds: TS })).toBe(false);
  });

  it.each([
    ['a missing header', undefined],
    ['an empty header', ''],
    ['another version', `v1,${TS},${HEX}`],
    ['a missing part', `v0,${HEX}`],
    ['an extra part', `${HEADER},extra`],
    ['a short signature', `v0,${TS},${HEX.slice(0, 62)}`],
    ['a long signature', `v0,${TS},${HEX}00`],
    ['a non-hex signature', `v0,${TS},${'z'.repeat(64)}`],
    ['a non-numeric timestamp', `v0,abc,${HEX}`],
  ])('rejects %s', (_name, header) => {
    expect(verify({ signatureHeader: header })).toBe(false);
  });

  it('refuses a parsed body instead of silently failing', () => {
    expect(() => verify({ rawBody: JSON.parse(BODY) as unknown as string })).toThrow(TypeError);
  });

  it('verifies what it computes for the current time by default', () => {
    const now = Math.floor(Date.now() / 1000);
    const header = computeWebhookSignature(SECRET, now, BODY);
    expect(verifyWebhookSignature({ secret: SECRET, rawBody: BODY, signatureHeader: header })).toBe(true);
  });
});
