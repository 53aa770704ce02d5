import { makeTestImage, presets } from '../../local/test-images';
import { useSandbox } from './helpers';

const ctx = useSandbox();

describe('the sandbox lists several issues most important first', () => {
  it('puts text_unreadable before no_face_on_id_detected on a blurry front without a face', async () => {
    const tokens = await ctx.client.create({ idType: 'DL' });
    const bytes = makeTestImage({
      description: { document: 'drivers_license', side: 'front', quality: 'blurry', face: false },
    });
    const result = await ctx.client.upload(tokens, 'document_front', bytes);
    expect(result.body).toMatchObject({
      next_step: 'upload_document_front',
      issues: ['text_unreadable', 'no_face_on_id_detected'],
    });
  });

  it('puts text_unreadable before incomplete_barcode_detected on a blurry back', async () => {
    const tokens = await ctx.client.create({ idType: 'DL' });
    await ctx.client.upload(tokens, 'document_front', presets.driversLicenseFront().bytes);
    const bytes = makeTestImage({
      description: { document: 'drivers_license', side: 'back', quality: 'blurry' },
    });
    const result = await ctx.client.upload(tokens, 'document_back', bytes);
    expect(result.body).toMatchObject({
      next_step: 'upload_document_back',
      issues: ['text_unreadable', 'incomplete_barcode_detected'],
    });
  });

  it('reports only unsupported_id_type for an unsupported document, whatever else is wrong with it', async () => {
    const tokens = await ctx.client.create({ idType: 'DL' });
    const bytes = makeTestImage({ description: { document: 'military_id', quality: 'blurry', face: false } });
    const result = await ctx.client.upload(tokens, 'document_front', bytes);
    expect(result.body).toMatchObject({ issues: ['unsupported_id_type'] });
  });
});
