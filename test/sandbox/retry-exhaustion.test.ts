import { makeTestImage, presets } from '../../local/test-images';
import { useSandbox } from './helpers';

const ctx = useSandbox({ templates: { tmpl_two_attempts: { documentSteps: 'front_back', maxAttempts: 2 } } });

describe('the sandbox moves on when a step has used up its attempts', () => {
  it('returns issues: [] and the next step on the third blurry front (default max_attempts 3)', async () => {
    const tokens = await ctx.client.create({ idType: 'DL' });
    const blurry = presets.blurryFront().bytes;
    for (let attempt = 1; attempt <= 2; attempt++) {
      const result = await ctx.client.upload(tokens, 'document_front', blurry);
      expect(result.body).toMatchObject({ next_step: 'upload_document_front', issues: ['text_unreadable'] });
    }
    const last = await ctx.client.upload(tokens, 'document_front', blurry);
    expect(last.body).toEqual({ next_step: 'upload_document_back', issues: [], issue_details: {} });
  });

  it('counts attempts per step: the back gets its own attempts', async () => {
    const tokens = await ctx.client.create({ idType: 'DL' });
    await ctx.client.upload(tokens, 'document_front', presets.blurryFront().bytes);
    await ctx.client.upload(tokens, 'document_front', presets.driversLicenseFront().bytes);
    const noBarcode = makeTestImage({ description: { side: 'back', barcode: 'missing' } });
    const outcomes = [];
    for (let attempt = 1; attempt <= 3; attempt++) {
      outcomes.push((await ctx.client.upload(tokens, 'document_back', noBarcode)).body);
    }
    expect(outcomes).toEqual([
      expect.objectContaining({ next_step: 'upload_document_back', issues: ['incomplete_barcode_detected'] }),
      expect.objectContaining({ next_step: 'upload_document_back', issues: ['incomplete_barcode_detected'] }),
      expect.objectContaining({ next_step: 'done', issues: [] }),
    ]);
  });

  it('honours a template max_attempts of 2', async () => {
    const tokens = await ctx.client.create({ templateKey: 'tmpl_two_attempts', idType: 'DL' });
    const noFace = presets.noFaceFront().bytes;
    expect((await ctx.client.upload(tokens, 'document_front', noFace)).body).toMatchObject({
      issues: ['no_face_on_id_detected'],
    });
    expect((await ctx.client.upload(tokens, 'document_front', noFace)).body).toMatchObject({
      next_step: 'upload_document_back',
      issues: [],
    });
  });

  it('moves on from an unsupported document too, and the result is rejected', async () => {
    const tokens = await ctx.client.create({ templateKey: 'tmpl_two_attempts', idType: 'P' });
    const military = presets.militaryId().bytes;
    await ctx.client.upload(tokens, 'document_front', military);
    expect((await ctx.client.upload(tokens, 'document_front', military)).body).toMatchObject({
      next_step: 'done',
      issues: [],
    });
    expect((await ctx.client.transaction(tokens)).body).toMatchObject({ action: 'reject' });
  });
});
