import { crc32 } from 'node:zlib';
import { encodePng, makeTestImage, presets } from '../../local/test-images';
import { useSandbox } from './helpers';

const ctx = useSandbox();

/** Rewrites a PNG's IDAT chunk with `mutate(data)`, keeping a valid CRC so only decoding can fail. */
function withIdat(png: Buffer, mutate: (data: Buffer) => Buffer): Buffer {
  let offset = 8;
  const parts: Buffer[] = [png.subarray(0, 8)];
  while (offset < png.length) {
    const length = png.readUInt32BE(offset);
    const type = png.toString('latin1', offset + 4, offset + 8);
    let data = png.subarray(offset + 8, offset + 8 + length);
    if (type === 'IDAT') data = mutate(data);
    const header = Buffer.alloc(8);
    header.writeUInt32BE(data.length);
    header.write(type, 4, 'latin1');
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(Buffer.concat([header.subarray(4), data])) >>> 0);
    parts.push(header, data, crc);
    offset += 12 + length;
  }
  return Buffer.concat(parts);
}

async function firstFront(bytes: Buffer, format = 'image/jpeg') {
  const tokens = await ctx.client.create({ idType: 'DL' });
  return ctx.client.upload(tokens, 'document_front', bytes, format);
}

async function firstBack(bytes: Buffer, format = 'image/jpeg') {
  const tokens = await ctx.client.create({ idType: 'DL' });
  await ctx.client.upload(tokens, 'document_front', presets.driversLicenseFront().bytes);
  return ctx.client.upload(tokens, 'document_back', bytes, format);
}

describe('the sandbox judges the image bytes it receives', () => {
  it('reads a front with no description as a readable front', async () => {
    const result = await firstFront(makeTestImage());
    expect(result.body).toEqual({ next_step: 'upload_document_back', issues: [], issue_details: {} });
  });

  it('reads a back with no description as a readable back', async () => {
    const result = await firstBack(makeTestImage({ format: 'image/png' }), 'image/png');
    expect(result.body).toMatchObject({ next_step: 'done', issues: [] });
  });

  it('answers text_unreadable to a blurry front', async () => {
    const result = await firstFront(presets.blurryFront().bytes);
    expect(result.body).toMatchObject({ next_step: 'upload_document_front', issues: ['text_unreadable'] });
  });

  it('answers no_face_on_id_detected to a front without a face', async () => {
    const result = await firstFront(presets.noFaceFront().bytes);
    expect(result.body).toMatchObject({
      next_step: 'upload_document_front',
      issues: ['no_face_on_id_detected'],
    });
  });

  it('answers no_face_on_id_detected to the back of a card sent as the front', async () => {
    const result = await firstFront(presets.driversLicenseBack().bytes);
    expect(result.body).toMatchObject({ issues: ['no_face_on_id_detected'] });
  });

  it('answers incomplete_barcode_detected to a back whose barcode is missing or incomplete', async () => {
    for (const barcode of ['missing', 'incomplete'] as const) {
      const bytes = makeTestImage({ description: { document: 'drivers_license', side: 'back', barcode } });
      const result = await firstBack(bytes);
      expect(result.body).toMatchObject({
        next_step: 'upload_document_back',
        issues: ['incomplete_barcode_detected'],
      });
    }
  });

  it('answers incomplete_barcode_detected to a licence front sent as the back', async () => {
    const result = await firstBack(presets.driversLicenseFront().bytes);
    expect(result.body).toMatchObject({ issues: ['incomplete_barcode_detected'] });
  });

  it('answers unsupported_id_type to a US military ID and a Social Security card', async () => {
    const military = await firstFront(presets.militaryId().bytes);
    expect(military.body).toEqual({
      next_step: 'upload_document_front',
      issues: ['unsupported_id_type'],
      issue_details: { unsupported_id_type: { visa_page_of_passport: false } },
    });
    const ssn = await firstFront(makeTestImage({ description: { document: 'social_security_card' } }));
    expect(ssn.body).toMatchObject({ issues: ['unsupported_id_type'] });
  });

  it('answers unsupported_id_type with visa_page_of_passport to a passport visa page', async () => {
    const visa = presets.visaPage();
    const result = await firstFront(visa.bytes, visa.format);
    expect(result.body).toEqual({
      next_step: 'upload_document_front',
      issues: ['unsupported_id_type'],
      issue_details: { unsupported_id_type: { visa_page_of_passport: true } },
    });
  });

  it('refuses an image over 10,000 px a side with 413 from its header', async () => {
    const wide = presets.tooWide();
    expect(wide.bytes.readUInt32BE(16)).toBe(10_001);
    const result = await firstFront(wide.bytes, wide.format);
    expect(result).toMatchObject({
      status: 413,
      body: { code: 413, message: expect.stringContaining('10,000') },
    });
    const tall = encodePng({ width: 2, height: 10_001, pixel: () => [0, 0, 0] });
    expect((await firstFront(tall, 'image/png')).status).toBe(413);
  });

  it('accepts an image of exactly 10,000 px', async () => {
    const edge = encodePng({ width: 10_000, height: 2, pixel: () => [200, 200, 200] });
    expect((await firstFront(edge, 'image/png')).body).toMatchObject({
      issues: [],
      next_step: 'upload_document_back',
    });
  });

  it('answers bad_upload to a truncated JPEG', async () => {
    const jpeg = presets.driversLicenseFront().bytes;
    const result = await firstFront(jpeg.subarray(0, Math.floor(jpeg.length / 2)));
    expect(result.body).toMatchObject({ next_step: 'upload_document_front', issues: ['bad_upload'] });
  });

  it('answers bad_upload to a JPEG signature followed by junk', async () => {
    const junk = Buffer.concat([
      Buffer.from([0xff, 0xd8, 0xff, 0xe0]),
      Buffer.from('hello world, not a jpeg'),
    ]);
    expect((await firstFront(junk)).body).toMatchObject({ issues: ['bad_upload'] });
  });

  it('answers bad_upload to a PNG with a corrupted chunk', async () => {
    const png = makeTestImage({ format: 'image/png' });
    const corrupted = Buffer.from(png);
    corrupted[40] = (corrupted[40] ?? 0) ^ 0xff;
    expect((await firstFront(corrupted, 'image/png')).body).toMatchObject({ issues: ['bad_upload'] });
  });

  it('answers bad_upload to a PNG whose pixel data cannot be inflated', async () => {
    const png = makeTestImage({ format: 'image/png' });
    const truncated = withIdat(png, (data) => data.subarray(0, Math.floor(data.length / 2)));
    expect((await firstFront(truncated, 'image/png')).body).toMatchObject({ issues: ['bad_upload'] });
    const garbage = withIdat(png, (data) => Buffer.alloc(data.length, 0x5a));
    expect((await firstFront(garbage, 'image/png')).body).toMatchObject({ issues: ['bad_upload'] });
  });

  it('answers bad_upload to a text file sent as image/jpeg, without using up an attempt', async () => {
    const tokens = await ctx.client.create({ idType: 'DL' });
    for (let i = 0; i < 4; i++) {
      const result = await ctx.client.upload(
        tokens,
        'document_front',
        Buffer.from('just some text\n'),
        'image/jpeg',
      );
      expect(result.body).toMatchObject({ next_step: 'upload_document_front', issues: ['bad_upload'] });
    }
    const blurry = await ctx.client.upload(tokens, 'document_front', presets.blurryFront().bytes);
    expect(blurry.body).toMatchObject({ issues: ['text_unreadable'] });
  });

  it('reads descriptions with non-ASCII names from both PNG and JPEG', async () => {
    const fields = {
      given_name: 'Zoë',
      family_name: 'Øster',
      date_of_birth: '1990-01-02',
      id_expiry_date: '2030-01-01',
    };
    for (const format of ['image/png', 'image/jpeg'] as const) {
      const tokens = await ctx.client.create({ idType: 'P' });
      const bytes = makeTestImage({ format, description: { document: 'passport', fields } });
      expect((await ctx.client.upload(tokens, 'document_front', bytes, format)).body).toMatchObject({
        next_step: 'done',
      });
      const result = await ctx.client.transaction(tokens);
      expect(result.body.fields).toMatchObject({
        given_name: { value: 'Zoë' },
        family_name: { value: 'Øster' },
      });
    }
  });

  it('answers 400 to an invalid description, naming what is wrong', async () => {
    const bytes = makeTestImage({ description: { document: 'spaceship' } as never });
    const result = await firstFront(bytes);
    expect(result).toMatchObject({
      status: 400,
      body: { code: 400, message: expect.stringContaining('document') },
    });
  });
});
