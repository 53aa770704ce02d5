import { makeTestImage, presets, SAMPLE_PERSON } from '../../local/test-images';
import type { ImageDescription } from '../../local/sandbox/description';
import { useSandbox, type Tokens } from './helpers';

const ctx = useSandbox({ templates: { tmpl_one_try: { documentSteps: 'front_back', maxAttempts: 1 } } });

/** A date `years` years and `days` days before today (UTC), as YYYY-MM-DD. */
function yearsAgo(years: number, days = 0): string {
  const d = new Date();
  d.setUTCFullYear(d.getUTCFullYear() - years);
  d.setUTCDate(d.getUTCDate() - days);
  return d.toISOString().slice(0, 10);
}

type Fields = NonNullable<ImageDescription['fields']>;

/** Runs a passport-only flow (id_type P) with the given fields on the photo page. */
async function passportWith(fields: Fields, customerUid = 'user-results'): Promise<Tokens> {
  const tokens = await ctx.client.create({ idType: 'P', customerUid });
  const bytes = makeTestImage({ description: { document: 'passport', fields } });
  const result = await ctx.client.upload(tokens, 'document_front', bytes);
  expect(result.body).toMatchObject({ next_step: 'done' });
  return tokens;
}

const adult = {
  given_name: 'Ada',
  family_name: 'Lovelace',
  date_of_birth: '1990-12-10',
  id_expiry_date: '2031-01-01',
};

describe('the sandbox builds results from what was uploaded', () => {
  it('returns the full shape for a completed licence, with agreeing sources raising confidence', async () => {
    const tokens = await ctx.client.call('POST', '/v0/transactions', {
      auth: ctx.client.basic,
      body: {
        customer_uid: 'user-results',
        template_key: ctx.sandbox.templateKeys.frontBack,
        email: 'ada@example.com',
        phone: '+14155550100',
        api_only_options: { id_type: 'DL', id_country: 'US' },
      },
    });
    const t = tokens.body as unknown as Tokens;
    const front = presets.driversLicenseFront().bytes;
    const back = presets.driversLicenseBack().bytes;
    await ctx.client.upload(t, 'document_front', front);
    await ctx.client.upload(t, 'document_back', back);
    const { status, body } = await ctx.client.transaction(t);
    expect(status).toBe(200);
    expect(body).toEqual({
      entity: 'transaction_metadata',
      id: t.transaction_id,
      customer_uid: 'user-results',
      action: 'accept',
      flags: [],
      fields: expect.any(Object),
      images: { front: { full_image: expect.any(String) }, back: { full_image: expect.any(String) } },
      duplicates: [],
      dashboard_url: expect.stringContaining(String(t.transaction_id)),
      created_at: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
      completed_at: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
      implementation_info: expect.any(String),
    });
    const fields = body.fields as Record<
      string,
      { value: string; confidence: string; sources: { type: string }[] }
    >;
    expect(fields.given_name).toEqual({
      value: 'Ada',
      confidence: 'high',
      sources: [
        { value: 'Ada', type: 'barcode', confidence: 'high' },
        { value: 'Ada', type: 'document_front', confidence: 'medium' },
      ],
    });
    expect(fields.address_city).toMatchObject({
      value: SAMPLE_PERSON.address_city,
      sources: [{ type: 'barcode' }],
    });
    expect(fields).toMatchObject({
      id_type: { value: 'DL' },
      email_address: { value: 'ada@example.com' },
      phone_number: { value: '+14155550100' },
      age: { value: expect.stringMatching(/^\d+$/) },
    });
    const image = await fetch((body.images as { front: { full_image: string } }).front.full_image);
    expect(image.headers.get('content-type')).toBe('image/jpeg');
    expect(Buffer.from(await image.arrayBuffer()).equals(front)).toBe(true);
  });

  it('has no action or completed_at before completion', async () => {
    const tokens = await ctx.client.create({ customerUid: 'user-results', idType: 'DL' });
    await ctx.client.upload(tokens, 'document_front', presets.driversLicenseFront().bytes);
    const { body } = await ctx.client.transaction(tokens);
    expect(body).not.toHaveProperty('action');
    expect(body).not.toHaveProperty('completed_at');
    expect(body).toMatchObject({ flags: [], fields: { given_name: { value: 'Ada', confidence: 'medium' } } });
  });

  it('takes address fields only from a barcode, never from the front', async () => {
    const tokens = await passportWith({ ...adult, address_city: 'London' });
    expect((await ctx.client.transaction(tokens)).body.fields).not.toHaveProperty('address_city');
  });

  it('lowers confidence when sources disagree', async () => {
    const tokens = await ctx.client.create({ customerUid: 'user-results', idType: 'DL' });
    await ctx.client.upload(
      tokens,
      'document_front',
      makeTestImage({ description: { fields: { ...adult, given_name: 'Ava' } } }),
    );
    await ctx.client.upload(
      tokens,
      'document_back',
      makeTestImage({ description: { side: 'back', fields: adult } }),
    );
    const fields = (await ctx.client.transaction(tokens)).body.fields;
    expect(fields).toMatchObject({
      given_name: { value: 'Ada', confidence: 'low' },
      family_name: { confidence: 'high' },
    });
  });

  it('flags an expired ID and rejects it', async () => {
    const tokens = await passportWith({ ...adult, id_expiry_date: yearsAgo(0, 1) });
    expect((await ctx.client.transaction(tokens)).body).toMatchObject({
      flags: ['id_expired'],
      action: 'reject',
    });
  });

  it('flags a 17-year-old as under 18 and under 21 and rejects', async () => {
    const tokens = await passportWith({ ...adult, date_of_birth: yearsAgo(18, -1) });
    expect((await ctx.client.transaction(tokens)).body).toMatchObject({
      flags: ['id_under_18', 'id_under_21'],
      action: 'reject',
      fields: { age: { value: '17' } },
    });
  });

  it('flags a 20-year-old as under 21 only and accepts', async () => {
    const tokens = await passportWith({ ...adult, date_of_birth: yearsAgo(20, 30) });
    expect((await ctx.client.transaction(tokens)).body).toMatchObject({
      flags: ['id_under_21'],
      action: 'accept',
    });
  });

  it('counts an 18th birthday today as 18', async () => {
    const tokens = await passportWith({ ...adult, date_of_birth: yearsAgo(18) });
    expect((await ctx.client.transaction(tokens)).body).toMatchObject({ flags: ['id_under_21'] });
  });

  it('flags unknown expiry and age for review', async () => {
    const tokens = await passportWith({ given_name: 'Ada', family_name: 'Lovelace' });
    expect((await ctx.client.transaction(tokens)).body).toMatchObject({
      flags: ['id_expiry_unknown', 'id_age_unknown'],
      action: 'review',
    });
  });

  it('flags a face or barcode missing after the last attempt, for review', async () => {
    const tokens = await ctx.client.create({
      customerUid: 'user-results',
      templateKey: 'tmpl_one_try',
      idType: 'DL',
    });
    await ctx.client.upload(tokens, 'document_front', presets.noFaceFront().bytes);
    await ctx.client.upload(
      tokens,
      'document_back',
      makeTestImage({ description: { side: 'back', barcode: 'missing', fields: adult } }),
    );
    expect((await ctx.client.transaction(tokens)).body).toMatchObject({
      flags: ['id_no_face_detected', 'id_no_barcode_detected'],
      action: 'review',
    });
  });

  it('lists another customer with the same identity as a possible duplicate', async () => {
    const person = { ...adult, given_name: 'Dup', family_name: 'Licate' };
    const first = await passportWith(person, 'dup-customer-a');
    const second = await passportWith(person, 'dup-customer-b');
    const { body } = await ctx.client.transaction(second);
    expect(body).toMatchObject({
      flags: ['id_duplicate_possible'],
      duplicates: [{ customer_uid: 'dup-customer-a', transaction_id: first.transaction_id }],
      action: 'review',
    });
  });

  it('records a manual decision with PATCH and returns the updated transaction', async () => {
    const tokens = await passportWith(adult);
    const patched = await ctx.client.call('PATCH', '/v0/transactions', {
      auth: `Bearer ${tokens.access_token}`,
      body: { action: 'reject', note: 'looks edited' },
    });
    expect(patched).toMatchObject({ status: 200, body: { id: tokens.transaction_id, action: 'reject' } });
    expect((await ctx.client.transaction(tokens)).body).toMatchObject({ action: 'reject' });
  });

  it('completes a transaction with the test override and answers 204', async () => {
    const tokens = await ctx.client.create({ customerUid: 'user-results', idType: 'DL' });
    const override = await ctx.client.call('PATCH', '/v0/transactions/override', {
      auth: `Bearer ${tokens.access_token}`,
      body: {
        response_payload: 'passport',
        flags: ['id_under_21'],
        override_fields: { given_name: 'the_name' },
      },
    });
    expect(override.status).toBe(204);
    expect((await ctx.client.transaction(tokens)).body).toMatchObject({
      flags: ['id_under_21'],
      fields: { given_name: { value: 'the_name' }, id_type: { value: 'P' } },
      completed_at: expect.any(String),
    });
    const upload = await ctx.client.upload(tokens, 'document_front', presets.driversLicenseFront().bytes);
    expect(upload).toMatchObject({ status: 409, body: { next_step: 'done' } });
  });
});
