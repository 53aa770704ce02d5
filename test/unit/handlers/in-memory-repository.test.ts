/**
 * Handlers over the in-memory repository: what a route or task decides, without DynamoDB. Only the
 * composition module of the repository is replaced; S3 and Step Functions are the mocked SDK
 * clients, as in the other handler tests.
 */
import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import { SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import { buildUploadKey } from '../../../lambdas/domain';
import { resetAws, s3, sfn, verification, VID } from '../support/aws';
import { setTestEnv } from '../support/env';
import { apiEvent, BACKEND, CLIENT, context, OTHER_CLIENT, parse, s3Event } from '../support/events';
import { InMemoryRepository } from '../support/in-memory-repository';
import { ARM_WAIT_MS, receiveUpload } from '../../../lambdas/use-cases/receive-upload';

const mockRepository = new InMemoryRepository();
jest.mock('../../../lambdas/composition/repository', () => ({ repository: mockRepository }));

type Handler<E, R> = (event: E, ctx: typeof context) => Promise<R>;
type ApiHandler = Handler<ReturnType<typeof apiEvent>, { statusCode: number; body?: string }>;
let getVerification: ApiHandler;
let getResult: ApiHandler;
let awaitUpload: Handler<{ verificationId: string; step: string; taskToken: string }, void>;
let uploadReceived: Handler<ReturnType<typeof s3Event>, void>;

beforeAll(async () => {
  setTestEnv();
  ({ handler: getVerification } = (await import('../../../lambdas/handlers/api/get-verification')) as never);
  ({ handler: getResult } = (await import('../../../lambdas/handlers/api/get-result')) as never);
  ({ handler: awaitUpload } = (await import('../../../lambdas/handlers/sfn/await-upload')) as never);
  ({ handler: uploadReceived } = await import('../../../lambdas/handlers/s3/upload-received'));
});

beforeEach(() => {
  resetAws();
  s3.on(DeleteObjectCommand).resolves({});
  sfn.on(SendTaskSuccessCommand).resolves({});
  for (const items of [mockRepository.verifications, mockRepository.tokens, mockRepository.results])
    items.clear();
});

const RESULT = { id: 4242, customer_uid: 'user-1', action: 'accept', flags: [], fields: {}, duplicates: [] };
const front = (nonce: string) =>
  buildUploadKey({ verificationId: VID, step: 'document_front', attempt: 1, nonce, ext: 'jpg' });
const FIRST = front('0123456789abcdef');
const SECOND = front('fedcba9876543210');

describe('GET /verifications/{id} over the in-memory repository', () => {
  it('shows the verification to its end user and to the backend, and no one else', async () => {
    mockRepository.given(verification());
    const asOwner = await getVerification(apiEvent({ ...CLIENT, id: VID }), context);
    expect(asOwner.statusCode).toBe(200);
    expect(parse(asOwner)).toMatchObject({
      id: VID,
      status: 'awaiting_upload',
      next_step: 'upload_document_front',
    });
    expect((await getVerification(apiEvent({ ...BACKEND, id: VID }), context)).statusCode).toBe(200);
    expect((await getVerification(apiEvent({ ...OTHER_CLIENT, id: VID }), context)).statusCode).toBe(404);
  });

  it('answers 404 for an id that is not a verification id, without looking it up', async () => {
    const get = jest.spyOn(mockRepository, 'get');
    const res = await getVerification(apiEvent({ ...BACKEND, id: 'vrf_NOT-AN-ID' }), context);
    expect(res.statusCode).toBe(404);
    expect(get).not.toHaveBeenCalled();
    get.mockRestore();
  });
});

describe('GET /verifications/{id}/result over the in-memory repository', () => {
  it('has no result before completion, the cached one after, and none once deleted', async () => {
    mockRepository.given(verification({ status: 'processing', awaiting: undefined, nextStep: 'done' }));
    const early = await getResult(apiEvent({ ...BACKEND, id: VID }), context);
    expect(early.statusCode).toBe(409);
    expect(parse(early)).toMatchObject({ error: { code: 'not_completed', status: 'processing' } });

    await mockRepository.recordResult(VID, RESULT, { action: 'accept', flags: [] });
    const done = await getResult(apiEvent({ ...BACKEND, id: VID }), context);
    expect(done.statusCode).toBe(200);
    expect(parse(done)).toMatchObject({ id: VID, result: RESULT });

    await mockRepository.tombstone(VID);
    expect((await getResult(apiEvent({ ...BACKEND, id: VID }), context)).statusCode).toBe(410);
  });

  it('is for the backend only, even for the verification of the end user asking', async () => {
    mockRepository.given(verification({ status: 'completed' }));
    expect((await getResult(apiEvent({ ...CLIENT, id: VID }), context)).statusCode).toBe(403);
  });
});

describe('a wait and its upload over the in-memory repository', () => {
  it('keeps the task token, resumes the wait with the first upload and deletes a second one', async () => {
    mockRepository.given(verification({ status: 'creating', awaiting: undefined }));
    await awaitUpload({ verificationId: VID, step: 'document_front', taskToken: 'token-1' }, context);
    expect(await mockRepository.get(VID)).toMatchObject({
      status: 'awaiting_upload',
      awaiting: { step: 'document_front', attempt: 1, taskToken: 'token-1', claimed: false },
    });

    await uploadReceived(s3Event(FIRST), context);
    expect(sfn.commandCalls(SendTaskSuccessCommand).map((c) => c.args[0].input)).toEqual([
      { taskToken: 'token-1', output: JSON.stringify({ key: FIRST }) },
    ]);
    expect(await mockRepository.get(VID)).toMatchObject({
      status: 'processing',
      awaiting: { claimed: true, uploadKey: FIRST },
    });

    // A second object for the same wait, after the first claimed it: it resumes nothing.
    await uploadReceived(s3Event(SECOND), context);
    expect(sfn.commandCalls(SendTaskSuccessCommand)).toHaveLength(1);
    expect(s3.commandCalls(DeleteObjectCommand).map((c) => c.args[0].input.Key)).toEqual([SECOND]);
  });

  it('fails the verification instead of waiting once the side has had every upload it accepts', async () => {
    mockRepository.given(
      verification({ status: 'processing', awaiting: undefined, attempts: { document_front: 10 } }),
    );
    await expect(
      awaitUpload({ verificationId: VID, step: 'document_front', taskToken: 'token-11' }, context),
    ).rejects.toMatchObject({ name: 'FlowFailedError', message: 'upload_attempts_exhausted' });
    expect((await mockRepository.get(VID))?.awaiting).toBeUndefined();
  });
});

describe('an upload quicker than the state machine, over the in-memory repository', () => {
  /** Opened by the record of Berbix's answer, not yet armed with a task token. */
  const opened = () => verification({ awaiting: { step: 'document_front', attempt: 1, claimed: false } });

  it('claims its wait once the state machine arms it, and resumes it with its key', async () => {
    mockRepository.given(opened());
    const receiving = uploadReceived(s3Event(FIRST), context);
    await new Promise((r) => setTimeout(r, 30));
    expect(sfn.commandCalls(SendTaskSuccessCommand)).toHaveLength(0);

    await awaitUpload({ verificationId: VID, step: 'document_front', taskToken: 'token-armed' }, context);
    await receiving;
    expect(sfn.commandCalls(SendTaskSuccessCommand).map((c) => c.args[0].input)).toEqual([
      { taskToken: 'token-armed', output: JSON.stringify({ key: FIRST }) },
    ]);
    expect(await mockRepository.get(VID)).toMatchObject({
      status: 'processing',
      awaiting: { taskToken: 'token-armed', claimed: true, uploadKey: FIRST },
    });
    expect(s3.commandCalls(DeleteObjectCommand)).toHaveLength(0);
  });

  it('fails its event, for Lambda to deliver it again, when no task token comes in time', async () => {
    mockRepository.given(opened());
    let clock = 0;
    const waits: number[] = [];
    const deps = {
      repository: mockRepository,
      uploads: { delete: jest.fn() },
      workflow: { resume: jest.fn() },
      now: () => clock,
      sleep: async (ms: number) => {
        waits.push(ms);
        clock += ms;
      },
    };
    await expect(receiveUpload(deps, FIRST, {})).rejects.toMatchObject({ name: 'WaitNotArmedError' });
    expect(clock).toBeGreaterThanOrEqual(ARM_WAIT_MS);
    // Quick at first, then a sixteenth of the time waited, at most 250 ms: about 70 reads in all.
    expect(waits[0]).toBe(10);
    expect(Math.max(...waits)).toBe(250);
    expect(waits.length).toBeLessThan(80);
    expect(deps.workflow.resume).not.toHaveBeenCalled();
    expect(deps.uploads.delete).not.toHaveBeenCalled();
    expect((await mockRepository.get(VID))?.awaiting).toMatchObject({ claimed: false });
  });

  it('still deletes an upload for another attempt than the opened wait, without waiting', async () => {
    mockRepository.given(opened());
    const stale = buildUploadKey({
      verificationId: VID,
      step: 'document_front',
      attempt: 2,
      nonce: '0123456789abcdef',
      ext: 'jpg',
    });
    const sleep = jest.fn();
    const deps = {
      repository: mockRepository,
      uploads: { delete: jest.fn() },
      workflow: { resume: jest.fn() },
      sleep,
    };
    expect(await receiveUpload(deps, stale, {})).toBe('discarded');
    expect(sleep).not.toHaveBeenCalled();
    expect(deps.uploads.delete).toHaveBeenCalledWith(stale);
  });
});
