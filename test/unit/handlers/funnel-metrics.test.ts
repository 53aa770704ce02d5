/**
 * The funnel as the functions write it: each handler runs over the in-memory repository (S3, Step
 * Functions and Berbix scripted) and the EMF lines it writes to stdout are read back, so what is
 * checked is what CloudWatch would turn into metrics: names, units, namespace and dimension sets.
 */
import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { StartExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { METRICS } from '../../../lambdas/contract';
import { buildUploadKey, type Verification } from '../../../lambdas/domain';
import { body, events, resetAws, s3, sfn, TOKENS, verification, VID } from '../support/aws';
import { describeSeries, emfSeries } from '../support/emf';
import { setTestEnv, TEST_ENV } from '../support/env';
import { apiEvent, BACKEND, CLIENT, context } from '../support/events';
import { FakeBerbix } from '../support/fake-berbix';
import { makeJpeg } from '../support/images';
import { InMemoryRepository } from '../support/in-memory-repository';

const mockRepository = new InMemoryRepository();
jest.mock('../../../lambdas/composition/repository', () => ({ repository: mockRepository }));

type Handler = (event: never, ctx: typeof context) => Promise<unknown>;
const handlers: Record<string, Handler> = {};
const berbix = new FakeBerbix();
let written = '';

beforeAll(async () => {
  setTestEnv({ BERBIX_API_URL: await berbix.start(), CREATE_WAIT_MS: '0' });
  process.env.POWERTOOLS_METRICS_DISABLED = 'false';
  for (const name of [
    'api/create-verification',
    'api/delete-verification',
    'sfn/submit-upload',
    'sfn/fetch-result',
    'sfn/close-verification',
  ]) {
    handlers[name] = ((await import(`../../../lambdas/handlers/${name}`)) as { handler: Handler }).handler;
  }
});
afterAll(async () => {
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  await berbix.stop();
});

beforeEach(() => {
  resetAws();
  berbix.reset();
  mockRepository.verifications.clear();
  mockRepository.tokens.clear();
  written = '';
  jest.spyOn(process.stdout, 'write').mockImplementation((chunk: unknown) => {
    written += String(chunk);
    return true;
  });
  sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn' });
  sfn.on(StopExecutionCommand).resolves({});
  s3.on(ListObjectsV2Command).resolves({ Contents: [], IsTruncated: false });
  s3.on(DeleteObjectCommand).resolves({});
  events.on(PutEventsCommand).resolves({ FailedEntryCount: 0 });
});
afterEach(() => jest.restoreAllMocks());

const run = (name: string, event: unknown) => handlers[name]!(event as never, context);
/** The series written since the test began, compactly, Berbix's latencies left out (they vary). */
const funnel = () =>
  emfSeries(written)
    .filter((s) => s.metric !== METRICS.berbixLatency.name)
    .map(describeSeries);

const frontKey = buildUploadKey({
  verificationId: VID,
  step: 'document_front',
  attempt: 1,
  nonce: '0123456789abcdef',
  ext: 'jpg',
});
const claimedFront = (): Verification =>
  verification({
    status: 'processing',
    berbixTransactionId: undefined,
    awaiting: { step: 'document_front', attempt: 1, taskToken: 't', claimed: true, uploadKey: frontKey },
  });

describe('the funnel metrics the functions write', () => {
  it('counts a started verification in the deployment namespace with the service dimension', async () => {
    await run('api/create-verification', apiEvent({ ...CLIENT, body: {} }));
    const series = emfSeries(written);
    expect(series).toEqual([
      {
        namespace: TEST_ENV.POWERTOOLS_METRICS_NAMESPACE,
        metric: 'VerificationsStarted',
        unit: 'Count',
        value: 1,
        dimensions: { service: 'berbix-serverless' },
      },
    ]);
  });

  it('counts a retake with the step attempted, each issue and the side asked for again, and the Berbix call by call and status', async () => {
    mockRepository.given(claimedFront());
    mockRepository.tokens.set(VID, { ...TOKENS });
    s3.on(GetObjectCommand).resolves({ Body: body(makeJpeg()) });
    berbix.on('POST /v0/images/upload', {
      status: 200,
      body: { next_step: 'upload_document_front', issues: ['text_unreadable'] },
    });
    await run('sfn/submit-upload', { verificationId: VID, key: frontKey });
    expect(funnel()).toEqual([
      'BerbixCalls{call=uploadImages,status=200}=1',
      'BerbixCalls{}=1',
      'BerbixErrors{call=uploadImages,status=200}=0',
      'BerbixErrors{}=0',
      'BerbixCalls{call=uploadImages}=1',
      'BerbixErrors{call=uploadImages}=0',
      'StepsAttempted{step=document_front}=1',
      'StepsAttempted{}=1',
      'IssuesReturned{issue=text_unreadable}=1',
      'IssuesReturned{}=1',
      'Retakes{step=document_front}=1',
      'Retakes{}=1',
    ]);
    const latency = emfSeries(written).filter((s) => s.metric === 'BerbixLatency');
    expect(latency.map((s) => [s.unit, Object.keys(s.dimensions).sort()])).toEqual([
      ['Milliseconds', ['call', 'service', 'status']],
      ['Milliseconds', ['service']],
      ['Milliseconds', ['call', 'service']],
    ]);
    expect(latency.every((s) => Number.isInteger(s.value) && s.value >= 0)).toBe(true);
  });

  it('counts an accepted side as attempted only, and a retried submit not again', async () => {
    mockRepository.given(claimedFront());
    mockRepository.tokens.set(VID, { ...TOKENS });
    s3.on(GetObjectCommand).resolves({ Body: body(makeJpeg()) });
    berbix.on('POST /v0/images/upload', {
      status: 200,
      body: { next_step: 'upload_document_back', issues: [] },
    });
    await run('sfn/submit-upload', { verificationId: VID, key: frontKey });
    expect(funnel().filter((s) => !s.startsWith('Berbix'))).toEqual([
      'StepsAttempted{step=document_front}=1',
      'StepsAttempted{}=1',
    ]);
    written = '';
    await run('sfn/submit-upload', { verificationId: VID, key: frontKey });
    expect(funnel()).toEqual([]);
  });

  it('counts an image refused before Berbix as a retake with bad_upload, and no Berbix call', async () => {
    mockRepository.given(claimedFront());
    s3.on(GetObjectCommand).resolves({ Body: body(Buffer.from('not an image')) });
    await run('sfn/submit-upload', { verificationId: VID, key: frontKey });
    expect(funnel()).toEqual([
      'StepsAttempted{step=document_front}=1',
      'StepsAttempted{}=1',
      'IssuesReturned{issue=bad_upload}=1',
      'IssuesReturned{}=1',
      'Retakes{step=document_front}=1',
      'Retakes{}=1',
    ]);
  });

  it('counts a completion by Berbix action once, not again when the task is retried', async () => {
    mockRepository.given(verification({ status: 'processing', nextStep: 'done', awaiting: undefined }));
    mockRepository.tokens.set(VID, { ...TOKENS });
    berbix.on('GET /v0/transactions', {
      status: 200,
      body: { id: 4242, customer_uid: 'user-1', action: 'accept', flags: [], fields: {}, duplicates: [] },
    });
    await run('sfn/fetch-result', { verificationId: VID });
    expect(funnel().filter((s) => !s.startsWith('Berbix'))).toEqual([
      'VerificationsCompleted{action=accept}=1',
      'VerificationsCompleted{}=1',
    ]);
    written = '';
    await run('sfn/fetch-result', { verificationId: VID });
    expect(funnel()).toEqual([]);
  });

  it('counts a failure by the reason recorded and an abandonment, each by the close that made it', async () => {
    mockRepository.given(verification({ status: 'processing' }));
    const error = {
      Error: 'BerbixTransientError',
      Cause: JSON.stringify({ errorType: 'BerbixTransientError', errorMessage: 'berbix_server_502' }),
    };
    await run('sfn/close-verification', { verificationId: VID, outcome: 'failed', error });
    await run('sfn/close-verification', { verificationId: VID, outcome: 'failed', error });
    expect(funnel()).toEqual(['VerificationsFailed{reason=berbix_server_502}=1', 'VerificationsFailed{}=1']);

    written = '';
    mockRepository.given(verification());
    await run('sfn/close-verification', {
      verificationId: VID,
      outcome: 'abandoned',
      reason: 'upload_timeout',
    });
    expect(funnel()).toEqual(['VerificationsAbandoned{}=1']);
  });

  it('counts a deletion once, not when the DELETE is repeated', async () => {
    mockRepository.given(verification({ berbixTransactionId: undefined }));
    await run('api/delete-verification', apiEvent({ ...BACKEND, id: VID }));
    await run('api/delete-verification', apiEvent({ ...BACKEND, id: VID }));
    expect(funnel()).toEqual(['VerificationsDeleted{}=1']);
  });

  it('never puts an id, a token or a customer in a dimension', async () => {
    mockRepository.given(claimedFront());
    mockRepository.tokens.set(VID, { ...TOKENS });
    s3.on(GetObjectCommand).resolves({ Body: body(makeJpeg()) });
    berbix.on('POST /v0/images/upload', { status: 503, body: { message: 'down' } });
    await run('sfn/submit-upload', { verificationId: VID, key: frontKey }).catch(() => undefined);
    const series = emfSeries(written);
    expect(series.some((s) => s.metric === 'BerbixErrors' && s.value === 1)).toBe(true);
    const values = series.flatMap((s) => Object.values(s.dimensions));
    for (const secret of [VID, 'user-1', TOKENS.clientToken, TOKENS.accessToken, frontKey]) {
      expect(values).not.toContain(secret);
      expect(written).not.toContain(secret);
    }
  });
});
