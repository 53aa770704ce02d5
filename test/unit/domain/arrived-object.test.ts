import { arrivedObjectFate, compareSequencers, type Verification } from '../../../lambdas/domain';

const ID = 'vrf_abcdefghijklmnopqrstuvwxyz';
const front = `uploads/${ID}/document_front/1-0123456789abcdef.jpg`;
const back = `uploads/${ID}/document_back/1-0123456789abcdef.jpg`;

const base: Verification = {
  id: ID,
  customerUid: 'user-1',
  status: 'awaiting_upload',
  nextStep: 'upload_document_back',
  issues: [],
  issueDetails: {},
  attempts: { document_front: 1 },
  acceptedKeys: { document_front: front },
  lastSubmittedKey: front,
  claimedObjects: [{ key: front, eTag: 'e1', sequencer: '00AA' }],
  awaiting: { step: 'document_back', attempt: 1, taskToken: 'tok', claimed: false },
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
};

describe('the fate of an object that claimed no wait', () => {
  it('keeps a submitted object when its own write is reported again, even out of order', () => {
    expect(arrivedObjectFate(base, front, { eTag: 'e1', sequencer: '00AA' })).toBe('keep');
    expect(arrivedObjectFate(base, front, { eTag: 'e0', sequencer: '0099' })).toBe('keep');
  });

  it('calls a later write with other bytes under a submitted key an overwrite', () => {
    expect(arrivedObjectFate(base, front, { eTag: 'e2', sequencer: '00AB' })).toBe('overwritten');
    expect(arrivedObjectFate(base, front, { eTag: 'e2' })).toBe('overwritten');
  });

  it('keeps objects claimed before writes were recorded', () => {
    expect(arrivedObjectFate({ ...base, claimedObjects: undefined }, front, { eTag: 'e2' })).toBe('keep');
  });

  it('resumes again for the object the current wait claimed', () => {
    const claimed = {
      ...base,
      status: 'processing' as const,
      awaiting: {
        step: 'document_back' as const,
        attempt: 1,
        taskToken: 'tok',
        claimed: true,
        uploadKey: back,
      },
    };
    expect(arrivedObjectFate(claimed, back, {})).toBe('resume_again');
  });

  it('deletes anything once the verification keeps no images', () => {
    for (const v of [
      undefined,
      { ...base, status: 'failed' as const },
      { ...base, status: 'abandoned' as const },
      { ...base, status: 'deleted' as const },
      { ...base, status: 'completed' as const, imagesDeletedAt: '2026-01-01T00:10:00.000Z' },
    ]) {
      expect({ status: v?.status, fate: arrivedObjectFate(v, front, { eTag: 'e1' }) }).toEqual({
        status: v?.status,
        fate: 'delete',
      });
    }
    expect(arrivedObjectFate({ ...base, status: 'completed' }, front, { eTag: 'e1' })).toBe('keep');
  });

  it('deletes an object nothing claimed or submitted', () => {
    expect(arrivedObjectFate(base, back, { eTag: 'e9' })).toBe('delete');
  });

  it('orders sequencers of different lengths as hexadecimal numbers', () => {
    expect(compareSequencers('00A', 'B')).toBeLessThan(0);
    expect(compareSequencers('0065a1', '65A1')).toBe(0);
    expect(compareSequencers('100', 'FF')).toBeGreaterThan(0);
  });
});
