import {
  acceptsUpload,
  canTransition,
  documentStepFor,
  isClosed,
  toVerificationView,
  waitOpenedBy,
  type Verification,
} from '../../../lambdas/domain';

describe('next_step routing', () => {
  it('opens the wait for the side Berbix asks for next, one attempt on, while the side has uploads left', () => {
    expect(waitOpenedBy('upload_document_front', {}, 3)).toEqual({ step: 'document_front', attempt: 1 });
    expect(waitOpenedBy('upload_document_front', { document_front: 1 }, 3)).toEqual({
      step: 'document_front',
      attempt: 2,
    });
    expect(waitOpenedBy('upload_document_back', { document_front: 2 }, 3)).toEqual({
      step: 'document_back',
      attempt: 1,
    });
    // Scans count towards either side, as the wait task counts them.
    expect(waitOpenedBy('upload_document_back', { document_back: 1, id_scan: 2 }, 3)).toBeUndefined();
    expect(waitOpenedBy('upload_document_front', { document_front: 3 }, 3)).toBeUndefined();
    expect(waitOpenedBy('done', {}, 3)).toBeUndefined();
    expect(waitOpenedBy('upload_selfie_basic', {}, 3)).toBeUndefined();
  });

  it('maps Berbix steps to the document side that is uploaded', () => {
    expect(documentStepFor('upload_document_front')).toBe('document_front');
    expect(documentStepFor('upload_document_back')).toBe('document_back');
    expect(documentStepFor('done')).toBeUndefined();
  });

  it('accepts only the awaited side, and a barcode scan at any document step', () => {
    expect(acceptsUpload('upload_document_front', 'document_front')).toBe(true);
    expect(acceptsUpload('upload_document_front', 'document_back')).toBe(false);
    expect(acceptsUpload('upload_document_back', 'document_back')).toBe(true);
    expect(acceptsUpload('upload_document_back', 'id_scan')).toBe(true);
    expect(acceptsUpload('done', 'document_front')).toBe(false);
    expect(acceptsUpload('done', 'id_scan')).toBe(false);
  });
});

describe('verification status', () => {
  it('allows the pipeline transitions', () => {
    expect(canTransition('creating', 'awaiting_upload')).toBe(true);
    expect(canTransition('awaiting_upload', 'processing')).toBe(true);
    expect(canTransition('processing', 'awaiting_upload')).toBe(true);
    expect(canTransition('processing', 'completed')).toBe(true);
  });

  it('never leaves an ended verification except to delete it', () => {
    for (const ended of ['completed', 'failed', 'abandoned'] as const) {
      expect(canTransition(ended, 'deleted')).toBe(true);
      expect(canTransition(ended, 'awaiting_upload')).toBe(false);
      expect(canTransition(ended, 'processing')).toBe(false);
    }
    expect(canTransition('deleted', 'completed')).toBe(false);
    expect(canTransition('failed', 'completed')).toBe(false);
  });

  it('counts a verification as closed once Berbix says done, even before the result is cached', () => {
    expect(isClosed('processing', 'done')).toBe(true);
    expect(isClosed('processing', 'upload_document_back')).toBe(false);
    expect(isClosed('abandoned', 'upload_document_front')).toBe(true);
  });
});

describe('the public verification view', () => {
  const verification: Verification = {
    id: 'vrf_abcdefghijklmnopqrstuvwxyz',
    customerUid: 'user-1',
    status: 'completed',
    nextStep: 'done',
    issues: [],
    issueDetails: {},
    attempts: { document_front: 1 },
    berbixTransactionId: '123',
    awaiting: { step: 'document_front', attempt: 1, taskToken: 'secret-task-token', claimed: true },
    acceptedKeys: { document_front: 'uploads/x' },
    lastSubmittedKey: 'uploads/x',
    resultSummary: { action: 'accept', flags: ['id_under_21'] },
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:01:00.000Z',
    completedAt: '2026-01-01T00:01:00.000Z',
  };

  it('shows the documented fields and the result summary', () => {
    expect(toVerificationView(verification)).toEqual({
      id: verification.id,
      customer_uid: 'user-1',
      status: 'completed',
      next_step: 'done',
      issues: [],
      issue_details: {},
      attempts: { document_front: 1 },
      created_at: verification.createdAt,
      updated_at: verification.updatedAt,
      completed_at: verification.completedAt,
      result: { action: 'accept', flags: ['id_under_21'] },
    });
  });

  it('never exposes task tokens, keys or the Berbix transaction id', () => {
    const text = JSON.stringify(toVerificationView(verification));
    expect(text).not.toContain('secret-task-token');
    expect(text).not.toContain('uploads/');
    expect(text).not.toContain('berbix');
  });
});
