import {
  ifNoneMatchHolds,
  MAX_WAIT_SECONDS,
  parseWaitParameter,
  pollDelayMs,
  verificationEtag,
  type VerificationView,
} from '../../../lambdas/domain';

const view: VerificationView = {
  id: 'vrf_abcdefghijklmnopqrstuvwxyz',
  customer_uid: 'user-1',
  status: 'awaiting_upload',
  next_step: 'upload_document_front',
  issues: ['text_unreadable'],
  issue_details: {},
  attempts: { document_front: 1 },
  created_at: '2026-01-01T00:00:00.000Z',
  updated_at: '2026-01-01T00:00:01.000Z',
};

describe('the version of a verification (ETag)', () => {
  it('is a weak entity tag', () => {
    expect(verificationEtag(view)).toMatch(/^W\/"[A-Za-z0-9_-]{22}"$/);
  });

  it('is the same for the same visible state, whatever the key order or updated_at', () => {
    const reordered = {
      updated_at: '2026-06-06T06:06:06.000Z',
      attempts: { document_front: 1 },
      issue_details: {},
      issues: ['text_unreadable'],
      next_step: 'upload_document_front',
      status: 'awaiting_upload',
      customer_uid: 'user-1',
      id: view.id,
      created_at: view.created_at,
    } as VerificationView;
    expect(verificationEtag(reordered)).toBe(verificationEtag(view));
  });

  it.each<[string, Partial<VerificationView>]>([
    ['status', { status: 'processing' }],
    ['next_step', { next_step: 'upload_document_back' }],
    ['next_step becoming null', { next_step: null }],
    ['issues', { issues: [] }],
    ['the order of issues', { issues: ['text_unreadable', 'bad_upload'] }],
    ['issue_details', { issue_details: { bad_upload: { reason: 'truncated', source: 'local' } } }],
    ['attempts', { attempts: { document_front: 2 } }],
    ['attempts of another step', { attempts: { document_front: 1, document_back: 1 } }],
    ['completed_at', { completed_at: '2026-01-01T00:01:00.000Z' }],
    ['result', { result: { action: 'accept', flags: [] } }],
    ['the result action', { result: { action: 'reject', flags: [] } }],
    ['failure_reason', { failure_reason: 'upload_timeout' }],
    ['berbix_deletion', { berbix_deletion: 'pending' }],
    ['berbix_deletion_reason', { berbix_deletion_reason: 'retries_exhausted' }],
  ])('changes when %s changes', (_field, change) => {
    expect(verificationEtag({ ...view, ...change })).not.toBe(verificationEtag(view));
  });
});

describe('If-None-Match', () => {
  const etag = verificationEtag(view);
  const opaque = etag.slice(2);

  it.each([
    ['the tag itself', etag],
    ['its strong form (weak comparison)', opaque],
    ['a list holding it', `W/"other", ${etag}`],
    ['a list holding it without spaces', `"x",${etag},"y"`],
    ['*', '*'],
  ])('holds for %s', (_what, header) => {
    expect(ifNoneMatchHolds(header, etag)).toBe(true);
  });

  it.each([
    ['no header', undefined],
    ['an empty header', ''],
    ['another tag', 'W/"somethingelse0000000000"'],
    ['the tag without its quotes', opaque.slice(1, -1)],
    ['a list of other tags', 'W/"a", "b"'],
  ])('does not hold for %s', (_what, header) => {
    expect(ifNoneMatchHolds(header, etag)).toBe(false);
  });
});

describe('the wait parameter', () => {
  it.each([
    [undefined, 0],
    ['0', 0],
    ['1', 1],
    ['20', 20],
    ['020', 20],
  ])('accepts %p as %i seconds', (raw, seconds) => {
    expect(parseWaitParameter(raw)).toEqual({ ok: true, seconds });
  });

  it.each(['', '21', '1000', '-1', '1.5', '1e1', ' 5', 'abc', '0x10', '5s'])('refuses %p', (raw) => {
    const parsed = parseWaitParameter(raw);
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.message).toContain(`0 to ${MAX_WAIT_SECONDS}`);
  });

  it('is bounded well under API Gateway’s 30 s integration timeout', () => {
    expect(MAX_WAIT_SECONDS).toBeLessThanOrEqual(20);
  });
});

describe('the pace of an adaptive poll', () => {
  it('reads every 20 ms at first, then a sixteenth of the time waited, up to the maximum', () => {
    expect(pollDelayMs(0, { maxMs: 1000 })).toBe(20);
    expect(pollDelayMs(300, { maxMs: 1000 })).toBe(20);
    expect(pollDelayMs(800, { maxMs: 1000 })).toBe(50);
    expect(pollDelayMs(8000, { maxMs: 1000 })).toBe(500);
    expect(pollDelayMs(19_000, { maxMs: 1000 })).toBe(1000);
    expect(pollDelayMs(10_000, { minMs: 10, maxMs: 150 })).toBe(150);
    expect(pollDelayMs(0, { minMs: 10, maxMs: 150 })).toBe(10);
  });

  it('reads a 20 s wait under a hundred times, not a thousand', () => {
    let waited = 0;
    let reads = 0;
    while (waited < 20_000) {
      waited += pollDelayMs(waited, { maxMs: 1000 });
      reads += 1;
    }
    expect(reads).toBeGreaterThan(50);
    expect(reads).toBeLessThan(100);
  });
});
