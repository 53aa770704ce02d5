import { makeAamvaBarcode, presets, SAMPLE_AAMVA } from '../../local/test-images';
import { useSandbox } from './helpers';

const ctx = useSandbox();

/** An Ontario-style AAMVA 2009 (version 05) payload written by hand: CCYYMMDD dates, offset off by one. */
const CANADIAN =
  '@\n\x1e\rANSI 636012050001DL00300156DL' +
  'DCAG\nDCSMARTIN\nDACMARIE-CLAIRE\nDADNONE\nDBA20290314\nDBD20240314\nDBB19980703\nDBC2\n' +
  'DAG100 QUEEN ST W\nDAITORONTO\nDAJON\nDAKM5H 2N2\nDAQM1234-56789-80703\nDCGCAN\r';

describe('the sandbox parses AAMVA PDF417 scans', () => {
  it('completes the document steps with a parsable scan and fills the result from it', async () => {
    const tokens = await ctx.client.create({
      templateKey: ctx.sandbox.templateKeys.barcode,
      idCountry: 'US',
    });
    expect(tokens.first_step).toBe('upload_document_front');
    const scan = await ctx.client.scan(tokens, SAMPLE_AAMVA);
    expect(scan).toMatchObject({ status: 200, body: { next_step: 'done', issues: [] } });
    const result = await ctx.client.transaction(tokens);
    const source = [{ value: expect.any(String), type: 'barcode_scan', confidence: 'high' }];
    expect(result.body.fields).toMatchObject({
      given_name: { value: 'Ada', confidence: 'high', sources: source },
      middle_name: { value: 'King' },
      family_name: { value: 'Lovelace' },
      date_of_birth: { value: '1990-12-10' },
      id_expiry_date: { value: '2031-01-01' },
      id_issue_date: { value: '2023-01-01' },
      sex: { value: 'F' },
      id_number: { value: 'D1234567' },
      id_type: { value: 'DL' },
      address_street: { value: '12 Analytical Way' },
      address_city: { value: 'San Francisco' },
      address_subdivision: { value: 'CA' },
      address_postal_code: { value: '94105' },
      address_country: { value: 'US' },
    });
  });

  it('reads a Canadian licence with year-first dates and an offset that is off by one', async () => {
    const tokens = await ctx.client.create({ templateKey: ctx.sandbox.templateKeys.barcode });
    expect((await ctx.client.scan(tokens, CANADIAN)).body).toMatchObject({ next_step: 'done' });
    const fields = (await ctx.client.transaction(tokens)).body.fields;
    expect(fields).toMatchObject({
      given_name: { value: 'Marie-Claire' },
      family_name: { value: 'Martin' },
      date_of_birth: { value: '1998-07-03' },
      id_expiry_date: { value: '2029-03-14' },
      address_city: { value: 'Toronto' },
      address_postal_code: { value: 'M5H 2N2' },
      address_country: { value: 'CA' },
    });
    expect(fields).not.toHaveProperty('middle_name');
  });

  it('reads a version 1 licence with the whole name in DAA', async () => {
    const body =
      'DLDAQ99887766\nDAALOVELACE,ADA,KING\nDBB19901210\nDBA20310101\nDAG1 MAIN ST\nDAIBOSTON\nDAJMA\r';
    const text = `@\n\x1e\rANSI 6360200101DL0029${String(body.length).padStart(4, '0')}${body}`;
    const tokens = await ctx.client.create({ templateKey: ctx.sandbox.templateKeys.barcode });
    expect((await ctx.client.scan(tokens, text)).body).toMatchObject({ next_step: 'done' });
    expect((await ctx.client.transaction(tokens)).body.fields).toMatchObject({
      family_name: { value: 'Lovelace' },
      given_name: { value: 'Ada' },
      middle_name: { value: 'King' },
      date_of_birth: { value: '1990-12-10' },
      id_number: { value: '99887766' },
      address_city: { value: 'Boston' },
    });
  });

  it('reads an identification card subfile as id_type ID', async () => {
    const tokens = await ctx.client.create({ templateKey: ctx.sandbox.templateKeys.barcode });
    const text = makeAamvaBarcode(
      { given_name: 'Alan', family_name: 'Turing', date_of_birth: '1992-06-23', id_number: 'I7654321' },
      { subfileType: 'ID', version: 8 },
    );
    await ctx.client.scan(tokens, text);
    expect((await ctx.client.transaction(tokens)).body.fields).toMatchObject({ id_type: { value: 'ID' } });
  });

  it('falls back to photos after an incomplete scan, then runs front and back', async () => {
    const tokens = await ctx.client.create({ templateKey: ctx.sandbox.templateKeys.barcode });
    const truncated = makeAamvaBarcode({ given_name: 'Ada', family_name: 'Lovelace' }, { truncate: true });
    const scan = await ctx.client.scan(tokens, truncated);
    expect(scan.body).toEqual({
      next_step: 'upload_document_front',
      issues: ['incomplete_barcode_detected'],
      issue_details: {},
    });
    expect(
      (await ctx.client.upload(tokens, 'document_front', presets.driversLicenseFront().bytes)).body,
    ).toMatchObject({
      next_step: 'upload_document_back',
    });
    expect(
      (await ctx.client.upload(tokens, 'document_back', presets.driversLicenseBack().bytes)).body,
    ).toMatchObject({
      next_step: 'done',
    });
  });

  it('falls back to photos when the scan is not AAMVA at all, or misses a required element', async () => {
    const tokens = await ctx.client.create({ templateKey: ctx.sandbox.templateKeys.barcode });
    for (const text of ['hello scanner', SAMPLE_AAMVA.replace(/\nDBB\d+/, '')]) {
      expect((await ctx.client.scan(tokens, text)).body).toMatchObject({
        next_step: 'upload_document_front',
        issues: ['incomplete_barcode_detected'],
      });
    }
  });

  it('answers bad_upload to scan data that is not base64', async () => {
    const tokens = await ctx.client.create({ templateKey: ctx.sandbox.templateKeys.barcode });
    const result = await ctx.client.call('POST', '/v0/idscans/upload', {
      auth: `Bearer ${tokens.client_token}`,
      body: { id_scans: [{ scan_type: 'pdf417', extracted_data: '%%%' }] },
    });
    expect(result.body).toMatchObject({ next_step: 'upload_document_front', issues: ['bad_upload'] });
  });

  it('answers 400 to a scan type other than pdf417', async () => {
    const tokens = await ctx.client.create({ templateKey: ctx.sandbox.templateKeys.barcode });
    const result = await ctx.client.call('POST', '/v0/idscans/upload', {
      auth: `Bearer ${tokens.client_token}`,
      body: { id_scans: [{ scan_type: 'qr', extracted_data: 'aGk=' }] },
    });
    expect(result).toMatchObject({ status: 400, body: { code: 400 } });
  });

  it('accepts a document_barcode image with the scanned data as supplementary data', async () => {
    const tokens = await ctx.client.create({ templateKey: ctx.sandbox.templateKeys.barcode });
    const result = await ctx.client.call('POST', '/v0/images/upload', {
      auth: `Bearer ${tokens.client_token}`,
      body: {
        images: [
          {
            image_subject: 'document_barcode',
            format: 'image/jpeg',
            data: presets.driversLicenseBack().bytes.toString('base64'),
            supplementary_data: {
              extracted_barcode: {
                barcode_type: 'pdf417',
                extracted_data: Buffer.from(SAMPLE_AAMVA).toString('base64'),
              },
            },
          },
        ],
      },
    });
    expect(result.body).toMatchObject({ next_step: 'done', issues: [] });
  });

  it('refuses a scan with 409 when the template has no barcode scan, or the back is awaited', async () => {
    const photoOnly = await ctx.client.create({ templateKey: ctx.sandbox.templateKeys.frontBack });
    expect(await ctx.client.scan(photoOnly, SAMPLE_AAMVA)).toMatchObject({
      status: 409,
      body: { next_step: 'upload_document_front' },
    });
    const barcode = await ctx.client.create({ templateKey: ctx.sandbox.templateKeys.barcode, idType: 'DL' });
    await ctx.client.upload(barcode, 'document_front', presets.driversLicenseFront().bytes);
    expect(await ctx.client.scan(barcode, SAMPLE_AAMVA)).toMatchObject({
      status: 409,
      body: { next_step: 'upload_document_back' },
    });
  });
});
