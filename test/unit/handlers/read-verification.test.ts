import { toVerificationView, verificationEtag, type Verification } from '../../../lambdas/domain';
import {
  ANSWER_MARGIN_MS,
  MAX_POLL_MS,
  readVerification,
  type ReadInput,
} from '../../../lambdas/use-cases/read-verification';
import { HttpError, type AuthContext } from '../../../lambdas/middleware';
import { verification, VID } from '../support/aws';

const OWNER: AuthContext = { sub: 'user-1', isBackend: false, scopes: ['verifications/client'] };

/**
 * A repository whose reads answer the given states in turn (the last one repeats), and a clock
 * that only the waits move: no real time passes.
 */
function world(states: (Verification | undefined)[]) {
  let clock = 1_000_000;
  const sleeps: number[] = [];
  let reads = 0;
  const deps = {
    repository: { get: async () => states[Math.min(reads++, states.length - 1)] },
    now: () => clock,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      clock += ms;
    },
  };
  return { deps, sleeps, reads: () => reads };
}

const read = (deps: ReturnType<typeof world>['deps'], input: Partial<ReadInput> = {}) =>
  readVerification(deps, {
    rawId: VID,
    auth: OWNER,
    wait: undefined,
    ifNoneMatch: undefined,
    remainingMs: 25_000,
    ...input,
  });

const waiting = verification({ status: 'awaiting_upload' });
const processing = verification({ status: 'processing', updatedAt: '2026-01-01T00:00:05.000Z' });
const tagOf = (v: Verification) => verificationEtag(toVerificationView(v));
const total = (ms: number[]) => ms.reduce((a, b) => a + b, 0);

describe('reading a verification with its version', () => {
  it('answers the verification with a weak ETag', async () => {
    const { deps } = world([waiting]);
    const res = await read(deps);
    expect(res).toEqual({ view: toVerificationView(waiting), etag: tagOf(waiting), notModified: false });
    expect(res.etag).toMatch(/^W\/"/);
  });

  it('answers not modified (304) at once when If-None-Match names the current version and no wait is asked', async () => {
    const { deps, sleeps } = world([waiting]);
    const res = await read(deps, { ifNoneMatch: tagOf(waiting) });
    expect(res).toEqual({ view: toVerificationView(waiting), etag: tagOf(waiting), notModified: true });
    expect(sleeps).toEqual([]);
  });

  it('answers the verification (200) at once when If-None-Match names an older version, even with wait', async () => {
    const { deps, sleeps } = world([processing]);
    const res = await read(deps, { ifNoneMatch: tagOf(waiting), wait: '20' });
    expect(res).toEqual({
      view: toVerificationView(processing),
      etag: tagOf(processing),
      notModified: false,
    });
    expect(sleeps).toEqual([]);
  });

  it('answers at once when wait comes without If-None-Match: there is nothing to compare with', async () => {
    const { deps, sleeps } = world([waiting]);
    expect((await read(deps, { wait: '20' })).notModified).toBe(false);
    expect(sleeps).toEqual([]);
  });
});

describe('a read that waits for a change', () => {
  it('answers the change as soon as it is read, with its new ETag', async () => {
    const { deps, sleeps, reads } = world([waiting, waiting, waiting, waiting, processing]);
    const res = await read(deps, { ifNoneMatch: tagOf(waiting), wait: '20' });
    expect(res.notModified).toBe(false);
    expect(res.view).toMatchObject({ status: 'processing' });
    expect(res.etag).toBe(tagOf(processing));
    expect(reads()).toBe(5);
    expect(sleeps).toEqual([20, 20, 20, 20]);
  });

  it('answers not modified (304) with the same ETag once wait seconds passed without a change', async () => {
    const { deps, sleeps } = world([waiting]);
    const res = await read(deps, { ifNoneMatch: tagOf(waiting), wait: '20' });
    expect(res).toEqual({ view: toVerificationView(waiting), etag: tagOf(waiting), notModified: true });
    expect(total(sleeps)).toBe(20_000);
  });

  it('slows its re-reads as the wait grows, from 20 ms to at most 1 s', async () => {
    const { deps, sleeps } = world([waiting]);
    await read(deps, { ifNoneMatch: tagOf(waiting), wait: '20' });
    expect(sleeps[0]).toBe(20);
    expect(Math.max(...sleeps)).toBe(MAX_POLL_MS);
    // Each pause at least the one before (the last is cut short by the deadline).
    const paced = sleeps.slice(0, -1);
    for (let i = 1; i < paced.length; i++) expect(paced[i]).toBeGreaterThanOrEqual(paced[i - 1]!);
    expect(sleeps.length).toBeLessThan(100);
  });

  it('never holds past the function’s own timeout, less the time to answer', async () => {
    const { deps, sleeps } = world([waiting]);
    const res = await read(deps, { ifNoneMatch: tagOf(waiting), wait: '20', remainingMs: 9_000 });
    expect(res.notModified).toBe(true);
    expect(total(sleeps)).toBe(9_000 - ANSWER_MARGIN_MS);
  });

  it('does not wake for a write the caller cannot see (updated_at alone)', async () => {
    const touched = { ...waiting, updatedAt: '2026-01-01T09:09:09.000Z', lastSubmittedKey: 'k' };
    const { deps } = world([waiting, touched]);
    const res = await read(deps, { ifNoneMatch: tagOf(waiting), wait: '3' });
    expect(res.notModified).toBe(true);
  });

  it('answers 404 when the verification is gone while the read waits', async () => {
    const { deps } = world([waiting, undefined]);
    await expect(read(deps, { ifNoneMatch: tagOf(waiting), wait: '5' })).rejects.toMatchObject({
      status: 404,
      code: 'not_found',
    });
  });

  it.each(['21', '-1', '1.5', 'soon', ''])(
    'refuses wait=%p with 400 invalid_request naming the parameter, before reading anything',
    async (wait) => {
      const { deps, reads } = world([waiting]);
      const error = await read(deps, { wait }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(HttpError);
      expect(error).toMatchObject({
        status: 400,
        code: 'invalid_request',
        details: { details: [{ path: 'wait', message: expect.stringContaining('0 to 20') }] },
      });
      expect(reads()).toBe(0);
    },
  );

  it('does not show another user’s verification, waiting or not', async () => {
    const { deps } = world([waiting]);
    await expect(
      read(deps, { auth: { ...OWNER, sub: 'user-2' }, ifNoneMatch: tagOf(waiting), wait: '5' }),
    ).rejects.toMatchObject({ status: 404 });
  });
});
