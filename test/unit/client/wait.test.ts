import {
  judged,
  waitForVerification,
  WaitTimeoutError,
  type Answer,
  type Verification,
  type VerificationClient,
} from '../../../client';

const base: Verification = {
  id: 'vrf_aaaaaaaaaaaaaaaaaaaaaaaaaa',
  customer_uid: 'u',
  status: 'awaiting_upload',
  next_step: 'upload_document_front',
  issues: [],
  issue_details: {},
  attempts: {},
  created_at: '2030-01-01T00:00:00Z',
  updated_at: '2030-01-01T00:00:00Z',
};

/** A client whose reads answer the given states in turn (the last one repeats). */
function reading(
  states: (Partial<Verification> | { status: number })[],
): VerificationClient & { reads: number } {
  const client = {
    reads: 0,
    async getVerification(): Promise<Answer<Verification>> {
      const next = states[Math.min(client.reads, states.length - 1)]!;
      client.reads += 1;
      const response = new Response();
      if (typeof next.status === 'number')
        return { ok: false, status: next.status, error: { message: 'Unauthorized' }, response };
      return { ok: true, status: 200, data: { ...base, ...(next as Partial<Verification>) }, response };
    },
  };
  return client as unknown as VerificationClient & { reads: number };
}

describe('waiting for a verification', () => {
  it('reads until the upload was judged and answers that read', async () => {
    const client = reading([
      { status: 'awaiting_upload' },
      { status: 'processing', attempts: { document_front: 1 } },
      { status: 'awaiting_upload', attempts: { document_front: 1 }, issues: ['text_unreadable'] },
    ]);
    const answer = await waitForVerification(client, base.id, judged('document_front', 1), { intervalMs: 1 });
    expect(answer.ok && answer.data.issues).toEqual(['text_unreadable']);
    expect(client.reads).toBe(3);
  });

  it('answers an error read at once', async () => {
    const client = reading([{ status: 401 }]);
    const answer = await waitForVerification(client, base.id, () => true, { intervalMs: 1 });
    expect(answer).toMatchObject({ ok: false, status: 401 });
  });

  it('gives up after the timeout with the last state seen', async () => {
    const client = reading([{ status: 'processing' }]);
    const wait = waitForVerification(client, base.id, judged('document_back', 1), {
      intervalMs: 1,
      timeoutMs: 20,
    });
    await expect(wait).rejects.toBeInstanceOf(WaitTimeoutError);
    await expect(wait).rejects.toThrow('last status: processing');
  });

  it('counts an ended verification as judged', () => {
    expect(judged('document_back', 1)({ ...base, status: 'abandoned' })).toBe(true);
    expect(
      judged('document_back', 1)({ ...base, status: 'processing', attempts: { document_back: 1 } }),
    ).toBe(false);
  });
});
