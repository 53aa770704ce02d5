import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { parse } from 'yaml';
import { COUNTRY_CODES } from '../../../lambdas/berbix/countries';
import { createUploadBody, createVerificationBody, submitIdScanBody } from '../../../lambdas/domain/requests';

interface StringSchema {
  enum?: string[];
  pattern?: string;
  minLength?: number;
  maxLength?: number;
}

const openapi = parse(readFileSync(path.join(__dirname, '../../../docs/openapi.yaml'), 'utf8')) as {
  components: { schemas: Record<string, { properties?: Record<string, StringSchema> } & StringSchema> };
};
const schemas = openapi.components.schemas;
const createProperties = schemas.CreateVerificationRequest!.properties!;

/** What the published schema says about a string, as a predicate. */
function publishedRule(schema: StringSchema): (value: string) => boolean {
  return (value) =>
    (schema.enum === undefined || schema.enum.includes(value)) &&
    (schema.pattern === undefined || new RegExp(schema.pattern, 'u').test(value)) &&
    value.length >= (schema.minLength ?? 0) &&
    value.length <= (schema.maxLength ?? Infinity);
}

const accepts = (body: unknown) => createVerificationBody.safeParse(body).success;

/** Strings near the edges: ASCII with controls, NUL and DEL, any Unicode, and a few lengths. */
const awkwardStrings = fc.oneof(
  fc.string({ unit: fc.integer({ min: 0, max: 0x7f }).map((c) => String.fromCharCode(c)), maxLength: 140 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.string({ unit: fc.constantFrom('A', 'Z', 'a', '|', '@', ' ', '\0'), minLength: 126, maxLength: 130 }),
);

describe('POST /verifications body: id_country', () => {
  it('accepts every assigned ISO 3166-1 alpha-2 code the Berbix client knows', () => {
    for (const code of COUNTRY_CODES)
      expect({ code, ok: accepts({ id_country: code }) }).toEqual({ code, ok: true });
  });

  it.each(['XX', 'ZZ', 'UK', 'us', 'USA', 'U', '', 'U\0'])('refuses %j', (code) => {
    expect(createVerificationBody.safeParse({ id_country: code }).error?.issues[0]).toMatchObject({
      path: ['id_country'],
      message: 'must be an assigned ISO 3166-1 alpha-2 code, upper case',
    });
  });

  it('publishes exactly the same list in docs/openapi.yaml', () => {
    expect(createProperties.id_country).toEqual({ $ref: '#/components/schemas/CountryCode' });
    expect(schemas.CountryCode!.enum).toEqual([...COUNTRY_CODES]);
  });
});

describe('POST /verifications body: customer_uid', () => {
  it.each([
    ['an Auth0 subject', 'auth0|5f7c8e'],
    ['an email address', 'user@example.com'],
    ['a UUID', '0b9c6f3e-9a8d-4f6e-8c55-1f2a3b4c5d6e'],
    ['one character', 'a'],
    ['128 characters', '~'.repeat(128)],
  ])('accepts %s', (_what, uid) => expect(accepts({ customer_uid: uid })).toBe(true));

  it.each([
    ['a NUL byte', 'user\0'],
    ['a control character', 'user\u0007'],
    ['DEL', 'user\u007f'],
    ['a space', 'user one'],
    ['a tab', '\tuser'],
    ['a non-ASCII letter', 'jürgen'],
    ['nothing', ''],
    ['129 characters', 'x'.repeat(129)],
  ])('refuses %s', (_what, uid) => {
    expect(createVerificationBody.safeParse({ customer_uid: uid }).error?.issues[0]?.path).toEqual([
      'customer_uid',
    ]);
  });

  it('accepts exactly the strings the published schema accepts', () => {
    const published = publishedRule(createProperties.customer_uid!);
    fc.assert(
      fc.property(awkwardStrings, (uid) => accepts({ customer_uid: uid }) === published(uid)),
      { numRuns: 2000 },
    );
  });
});

describe('POST /verifications body: the other fields', () => {
  it('accepts an empty body and every field at once', () => {
    expect(accepts({})).toBe(true);
    expect(
      accepts({
        id_country: 'CA',
        id_type: 'DL',
        email: 'ada@example.com',
        phone: '+1 (555) 010-9999',
        customer_uid: 'acme-42',
      }),
    ).toBe(true);
  });

  it.each([
    ['an unknown field', { nickname: 'ada' }],
    ['an id type Berbix does not know', { id_type: 'XX' }],
    ['an email that is not one', { email: 'ada@' }],
    ['an email over 254 characters', { email: `${'a'.repeat(64)}@${'b'.repeat(186)}.com` }],
    ['a phone with letters', { phone: '+1 555 CALL ME' }],
    ['a number where a string belongs', { customer_uid: 42 }],
  ])('refuses %s', (_what, body) => {
    expect(accepts(body)).toBe(false);
  });

  it('agrees with the published phone, email and id_type rules on arbitrary strings', () => {
    const phone = publishedRule(createProperties.phone!);
    const email = publishedRule(createProperties.email!);
    const idType = publishedRule(createProperties.id_type!);
    const emails = fc.oneof(
      fc.emailAddress(),
      fc.stringMatching(new RegExp(createProperties.email!.pattern!)),
    );
    fc.assert(
      fc.property(awkwardStrings, emails, (value, address) => {
        expect(accepts({ phone: value })).toBe(phone(value));
        expect(accepts({ id_type: value })).toBe(idType(value));
        expect(accepts({ email: value })).toBe(email(value));
        expect(accepts({ email: address })).toBe(email(address));
      }),
      { numRuns: 1000 },
    );
  });
});

describe('the upload and id-scan bodies', () => {
  it('takes a document step and a JPEG or PNG content type only', () => {
    expect(createUploadBody.safeParse({ step: 'document_back', content_type: 'image/png' }).success).toBe(
      true,
    );
    expect(createUploadBody.safeParse({ step: 'selfie', content_type: 'image/png' }).success).toBe(false);
    expect(createUploadBody.safeParse({ step: 'document_front', content_type: 'image/gif' }).success).toBe(
      false,
    );
  });

  it('takes padded standard base64 within the published bounds', () => {
    const data = publishedRule(schemas.IdScanRequest!.properties!.data!);
    const scan = (value: string) => submitIdScanBody.safeParse({ scan_type: 'pdf417', data: value }).success;
    fc.assert(
      fc.property(
        fc.oneof(
          fc.base64String({ maxLength: 40 }),
          awkwardStrings,
          fc.base64String({ minLength: 16380, maxLength: 16400 }),
        ),
        (value) => scan(value) === data(value),
      ),
      { numRuns: 200 },
    );
    expect(scan('QUFNVkE=')).toBe(true);
    expect(scan('QUFNVkE')).toBe(false);
  });
});
