import { makeTestImage, presets } from '../../local/test-images';
import { useSandbox } from './helpers';

const ctx = useSandbox();
const front = presets.driversLicenseFront().bytes;
const back = presets.driversLicenseBack().bytes;
const passport = presets.passport();

describe('the sandbox steps through a transaction as Berbix does', () => {
  it('returns first_step only when api_only_options was sent', async () => {
    const apiOnly = await ctx.client.create();
    expect(apiOnly.first_step).toBe('upload_document_front');
    const plain = await ctx.client.create({ apiOnly: false });
    expect(plain).not.toHaveProperty('first_step');
    expect(plain).toEqual(
      expect.objectContaining({
        transaction_id: expect.any(Number),
        expires_in: 3600,
        refresh_token: expect.any(String),
      }),
    );
  });

  it('goes front, then back, then done for a driver licence', async () => {
    const tokens = await ctx.client.create({ idType: 'DL', idCountry: 'US' });
    const first = await ctx.client.upload(tokens, 'document_front', front);
    expect(first).toMatchObject({ status: 200, body: { next_step: 'upload_document_back', issues: [] } });
    const second = await ctx.client.upload(tokens, 'document_back', back);
    expect(second).toMatchObject({ status: 200, body: { next_step: 'done', issues: [] } });
  });

  it('skips the back when id_type is P', async () => {
    const tokens = await ctx.client.create({ idType: 'P', idCountry: 'GB' });
    const result = await ctx.client.upload(tokens, 'document_front', passport.bytes, passport.format);
    expect(result.body).toMatchObject({ next_step: 'done', issues: [] });
  });

  it('asks for the back of a passport when no id_type was given, and proceeds with the passport image again', async () => {
    const tokens = await ctx.client.create();
    const first = await ctx.client.upload(tokens, 'document_front', passport.bytes, passport.format);
    expect(first.body).toMatchObject({ next_step: 'upload_document_back', issues: [] });
    const again = await ctx.client.upload(tokens, 'document_back', passport.bytes, passport.format);
    expect(again.body).toMatchObject({ next_step: 'done', issues: [] });
  });

  it('goes from front straight to done with a front-only template', async () => {
    const tokens = await ctx.client.create({ templateKey: ctx.sandbox.templateKeys.frontOnly, idType: 'DL' });
    expect((await ctx.client.upload(tokens, 'document_front', front)).body).toMatchObject({
      next_step: 'done',
    });
  });

  it('refuses an out-of-order upload with 409 and the expected next_step', async () => {
    const tokens = await ctx.client.create({ idType: 'DL' });
    const result = await ctx.client.upload(tokens, 'document_back', back);
    expect(result.status).toBe(409);
    expect(result.body).toEqual({
      code: 409,
      readable: expect.any(String),
      message: expect.stringContaining('upload_document_front'),
      next_step: 'upload_document_front',
    });
  });

  it('refuses a selfie with 409 because the templates have no selfie step', async () => {
    const tokens = await ctx.client.create({ idType: 'DL' });
    const result = await ctx.client.upload(tokens, 'selfie_front', front);
    expect(result).toMatchObject({ status: 409, body: { next_step: 'upload_document_front' } });
  });

  it('refuses uploads after done with 409 and next_step done', async () => {
    const tokens = await ctx.client.create({ idType: 'P' });
    await ctx.client.upload(tokens, 'document_front', passport.bytes, passport.format);
    for (const subject of ['document_front', 'document_back']) {
      const result = await ctx.client.upload(tokens, subject, front);
      expect(result).toMatchObject({ status: 409, body: { code: 409, next_step: 'done' } });
    }
  });

  it('answers 410 to uploads, reads and a second delete after DELETE', async () => {
    const tokens = await ctx.client.create({ idType: 'DL' });
    const deleted = await ctx.client.call('DELETE', '/v0/transactions', {
      auth: `Bearer ${tokens.access_token}`,
    });
    expect(deleted.status).toBe(204);
    const upload = await ctx.client.upload(tokens, 'document_front', front);
    expect(upload).toMatchObject({ status: 410, body: { code: 410, message: expect.any(String) } });
    expect((await ctx.client.transaction(tokens)).status).toBe(410);
    expect(
      (await ctx.client.call('DELETE', '/v0/transactions', { auth: `Bearer ${tokens.access_token}` })).status,
    ).toBe(410);
  });

  it('answers 413 to an image over 20 MiB', async () => {
    const tokens = await ctx.client.create({ idType: 'DL' });
    const big = Buffer.concat([front, Buffer.alloc(20 * 1024 * 1024 + 1 - front.length)]);
    const result = await ctx.client.upload(tokens, 'document_front', big);
    expect(result).toMatchObject({ status: 413, body: { code: 413 } });
    // the step is unchanged
    expect((await ctx.client.upload(tokens, 'document_front', front)).body).toMatchObject({
      next_step: 'upload_document_back',
    });
  });

  it('answers 413 to a request body too large to hold a 20 MiB image', async () => {
    const tokens = await ctx.client.create({ idType: 'DL' });
    const result = await ctx.client.upload(tokens, 'document_front', 'A'.repeat(30 * 1024 * 1024));
    expect(result).toMatchObject({ status: 413, body: { code: 413, message: expect.any(String) } });
  });

  it('answers bad_upload to data that is not base64, keeping the step', async () => {
    const tokens = await ctx.client.create({ idType: 'DL' });
    const result = await ctx.client.upload(tokens, 'document_front', 'not base64 at all!');
    expect(result).toMatchObject({
      status: 200,
      body: { next_step: 'upload_document_front', issues: ['bad_upload'] },
    });
  });

  it('answers bad_upload to bytes that are neither JPEG nor PNG, whatever format is declared', async () => {
    const tokens = await ctx.client.create({ idType: 'DL' });
    const gif = Buffer.from('GIF89a\x01\x00\x01\x00\x00\x00\x00;', 'latin1');
    const result = await ctx.client.upload(tokens, 'document_front', gif, 'image/jpeg');
    expect(result.body).toMatchObject({ next_step: 'upload_document_front', issues: ['bad_upload'] });
  });

  it('answers bad_upload to a declared format other than JPEG or PNG', async () => {
    const tokens = await ctx.client.create({ idType: 'DL' });
    const result = await ctx.client.upload(tokens, 'document_front', front, 'image/gif');
    expect(result.body).toMatchObject({ issues: ['bad_upload'] });
  });

  it('judges by the bytes, so a PNG declared as image/jpeg is accepted', async () => {
    const tokens = await ctx.client.create({ idType: 'DL' });
    const png = makeTestImage({ format: 'image/png' });
    const result = await ctx.client.upload(tokens, 'document_front', png, 'image/jpeg');
    expect(result.body).toMatchObject({ next_step: 'upload_document_back', issues: [] });
  });

  it('answers 400 in the error shape to a malformed request', async () => {
    const tokens = await ctx.client.create({ idType: 'DL' });
    const result = await ctx.client.call('POST', '/v0/images/upload', {
      auth: `Bearer ${tokens.client_token}`,
      rawBody: '{"images": [',
    });
    expect(result).toMatchObject({
      status: 400,
      body: { code: 400, readable: expect.any(String), message: expect.any(String) },
    });
    const missing = await ctx.client.call('POST', '/v0/images/upload', {
      auth: `Bearer ${tokens.client_token}`,
      body: { images: [] },
    });
    expect(missing.status).toBe(400);
  });

  it('answers 400 to an unknown template key or id_type', async () => {
    const unknownTemplate = await ctx.client.call('POST', '/v0/transactions', {
      auth: ctx.client.basic,
      body: { customer_uid: 'u', template_key: 'tmpl_nope', api_only_options: {} },
    });
    expect(unknownTemplate).toMatchObject({ status: 400, body: { code: 400 } });
    const badType = await ctx.client.call('POST', '/v0/transactions', {
      auth: ctx.client.basic,
      body: {
        customer_uid: 'u',
        template_key: ctx.sandbox.templateKeys.frontBack,
        api_only_options: { id_type: 'XX' },
      },
    });
    expect(badType.status).toBe(400);
  });

  it('tolerates nulls and a numeric customer_uid as the Java SDK sends them', async () => {
    const result = await ctx.client.call('POST', '/v0/transactions', {
      auth: ctx.client.basic,
      body: {
        customer_uid: 42,
        template_key: ctx.sandbox.templateKeys.frontBack,
        email: null,
        phone: null,
        api_only_options: { id_country: null, id_type: null },
      },
    });
    expect(result).toMatchObject({ status: 200, body: { first_step: 'upload_document_front' } });
  });

  it('answers 404 in the error shape to an unknown path', async () => {
    const result = await ctx.client.call('GET', '/v0/nothing');
    expect(result).toMatchObject({ status: 404, body: { code: 404, message: expect.any(String) } });
  });
});

describe('the sandbox serialises concurrent uploads', () => {
  it('accepts one of two simultaneous fronts and refuses the other with 409', async () => {
    const tokens = await ctx.client.create({ idType: 'DL' });
    const png = makeTestImage({ format: 'image/png', width: 1200, height: 800 });
    const results = await Promise.all([
      ctx.client.upload(tokens, 'document_front', png, 'image/png'),
      ctx.client.upload(tokens, 'document_front', png, 'image/png'),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
    expect(results.find((r) => r.status === 409)?.body).toMatchObject({ next_step: 'upload_document_back' });
  });

  it('refuses a liveness triple with 409, as no template has a selfie step', async () => {
    const tokens = await ctx.client.create({ idType: 'DL' });
    const data = front.toString('base64');
    const result = await ctx.client.call('POST', '/v0/images/upload', {
      auth: `Bearer ${tokens.client_token}`,
      body: {
        images: ['selfie_front', 'selfie_left', 'selfie_right'].map((image_subject) => ({
          image_subject,
          data,
        })),
      },
    });
    expect(result).toMatchObject({ status: 409, body: { next_step: 'upload_document_front' } });
  });
});
