import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { reasonForTaskError } from '../../lambdas/domain';
import { withoutImageHold, type AslDefinition } from '../../lib/constructs/verification-definition';
import {
  ASL_PATH,
  key,
  loadDefinition,
  RETENTIONS,
  runScenario as runHarness,
  taskError,
  VERIFICATION_ID,
  type Outcome,
  type Script,
} from './harness';

// asl-validator ships no type declarations.
const aslValidator = createRequire(__filename)('asl-validator') as (
  definition: unknown,
  options?: { checkArn?: boolean; checkPaths?: boolean },
) => { isValid: boolean; errors: unknown[] };

const tasks = (outcome: Outcome) => outcome.calls.map((c) => c.state);
const submit = (nextStep: string) => ({ verificationId: VERIFICATION_ID, nextStep });
const closes = (outcome: Outcome) =>
  outcome.calls.filter((c) => c.state.startsWith('Close')).map((c) => c.payload);

/** Fields a task payload may carry: identifiers, keys, steps and codes — never personal data. */
const ALLOWED_PAYLOAD_FIELDS = new Set([
  'verificationId',
  'step',
  'taskToken',
  'key',
  'outcome',
  'reason',
  'error',
]);
/** The reason CloseVerificationFn makes of each failure close (what the verification ends with). */
const failureReasons = (outcome: Outcome) =>
  closes(outcome)
    .filter((c) => c.outcome === 'failed')
    .map((c) => reasonForTaskError(c.error));

describe('the verification state machine definition', () => {
  it('is valid ASL according to asl-validator, before and after substitution, for every retention', () => {
    const raw = JSON.parse(readFileSync(ASL_PATH, 'utf8'));
    expect(aslValidator(raw, { checkArn: false }).isValid).toBe(true);
    for (const retention of RETENTIONS) {
      const substituted = aslValidator(loadDefinition(retention));
      expect({ retention, errors: substituted.errors }).toEqual({ retention, errors: [] });
      expect(substituted.isValid).toBe(true);
    }
  });

  it('uses exactly the six documented substitutions', () => {
    const text = readFileSync(ASL_PATH, 'utf8');
    const found = new Set([...text.matchAll(/\$\{([A-Za-z]+)\}/g)].map((m) => m[1]));
    expect([...found].sort()).toEqual(
      [
        'AwaitUploadFunctionArn',
        'CloseVerificationFunctionArn',
        'CreateTransactionFunctionArn',
        'DeleteImagesFunctionArn',
        'FetchResultFunctionArn',
        'SubmitUploadFunctionArn',
      ].sort(),
    );
  });

  it('waits for uploads with the callback pattern and a timeout read from the state input', () => {
    const states = loadDefinition().States as Record<string, Record<string, unknown>>;
    for (const name of ['AwaitDocumentFront', 'AwaitDocumentBack']) {
      expect(states[name]!.Resource).toBe('arn:aws:states:::lambda:invoke.waitForTaskToken');
      expect(states[name]!.TimeoutSecondsPath).toBe('$.abandonAfterSeconds');
      expect((states[name]!.Parameters as { Payload: Record<string, string> }).Payload['taskToken.$']).toBe(
        '$$.Task.Token',
      );
    }
  });

  it('holds the images imageRetentionSeconds before deleting them, only when the retention is not 0', () => {
    const kept = loadDefinition(3600).States;
    expect(kept.FetchResult!.Next).toBe('HoldImages');
    expect(kept.HoldImages).toMatchObject({
      Type: 'Wait',
      SecondsPath: '$.imageRetentionSeconds',
      Next: 'DeleteImages',
    });
    // With 0 (the default) the hold is left out and nothing else changes.
    const none = loadDefinition(0).States;
    expect(Object.values(none).filter((s) => s.Type === 'Wait')).toEqual([]);
    const { HoldImages: _hold, ...rest } = kept;
    expect(none).toEqual({ ...rest, FetchResult: { ...kept.FetchResult, Next: 'DeleteImages' } });
  });

  it('ends each execution at its last task: the Succeed and Fail states left are needed', () => {
    for (const retention of RETENTIONS) {
      const states = loadDefinition(retention).States;
      for (const last of ['DeleteImages', 'CloseAsAbandoned']) {
        expect({ retention, last, End: states[last]!.End, Next: states[last]!.Next }).toEqual({
          retention,
          last,
          End: true,
          Next: undefined,
        });
      }
      const terminal = Object.entries(states)
        .filter(([, s]) => s.Type === 'Succeed' || s.Type === 'Fail')
        .map(([name, s]) => `${name} (${s.Type})`);
      // The Fail state makes a failed verification a failed execution (alarmed, counted);
      // VerificationGone is where the Catches of a deleted verification must go.
      expect(terminal).toEqual(['VerificationFailed (Fail)', 'VerificationGone (Succeed)']);
      const namedBy = (target: string) =>
        Object.entries(states).flatMap(([name, s]) => [
          ...(s.Next === target ? [`${name}.Next`] : []),
          ...(s.Default === target ? [`${name}.Default`] : []),
          ...(s.Choices ?? []).filter((c) => c.Next === target).map(() => `${name}.Choices`),
          ...(s.Catch ?? []).filter((c) => c.Next === target).map(() => `${name}.Catch`),
        ]);
      expect(namedBy('VerificationGone')).toEqual([
        'CreateTransaction.Catch',
        'AwaitDocumentFront.Catch',
        'AwaitDocumentBack.Catch',
        'SubmitUpload.Catch',
        'FetchResult.Catch',
      ]);
      expect(namedBy('VerificationFailed')).toEqual(['CloseAsFailed.Next']);
    }
  });
});

describe('leaving the image hold out (withoutImageHold)', () => {
  const wait = { Type: 'Wait', SecondsPath: '$.imageRetentionSeconds', Next: 'Delete' };
  const definition = (): AslDefinition => ({
    StartAt: 'Hold',
    States: {
      Hold: { ...wait },
      Route: {
        Type: 'Choice',
        Choices: [{ Variable: '$.x', StringEquals: 'a', Next: 'Hold' }],
        Default: 'Hold',
      },
      Fetch: { Type: 'Task', Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Hold' }], Next: 'Hold' },
      Pause: { Type: 'Wait', Seconds: 5, Next: 'Delete' },
      Delete: { Type: 'Task', End: true },
    },
  });

  it('sends every Next, Default, Choice, Catch and StartAt that named the hold where the hold went', () => {
    expect(withoutImageHold(definition())).toEqual({
      StartAt: 'Delete',
      States: {
        Route: {
          Type: 'Choice',
          Choices: [{ Variable: '$.x', StringEquals: 'a', Next: 'Delete' }],
          Default: 'Delete',
        },
        Fetch: { Type: 'Task', Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Delete' }], Next: 'Delete' },
        Pause: { Type: 'Wait', Seconds: 5, Next: 'Delete' },
        Delete: { Type: 'Task', End: true },
      },
    });
  });

  it('leaves its argument and any other Wait as they are', () => {
    const original = definition();
    withoutImageHold(original);
    expect(original).toEqual(definition());
  });

  it('refuses a hold that ends the execution (there would be no deletion to go on to)', () => {
    const d = definition();
    d.States.Hold = { Type: 'Wait', SecondsPath: '$.imageRetentionSeconds', End: true };
    expect(() => withoutImageHold(d)).toThrow(/Hold must go on/);
  });
});

describe.each(RETENTIONS)(
  'executions of the real definition on aws-local-stepfunctions, image retention %i s',
  (retention) => {
    const runScenario = (script: Script) => runHarness({ ...script, imageRetentionSeconds: retention });
    /** After Berbix's done: the result, the hold when there is a retention, the image deletion. */
    const completion =
      retention === 0 ? ['FetchResult', 'DeleteImages'] : ['FetchResult', 'HoldImages', 'DeleteImages'];

    it('completes a driver licence: front, back, result, image hold when kept, image deletion', async () => {
      const outcome = await runScenario({
        uploads: [key('document_front', 1), key('document_back', 1)],
        submit: [submit('upload_document_back'), submit('done')],
      });
      expect(outcome.status).toBe('SUCCEEDED');
      expect(tasks(outcome)).toEqual([
        'CreateTransaction',
        'AwaitDocumentFront',
        'SubmitUpload',
        'AwaitDocumentBack',
        'SubmitUpload',
        'FetchResult',
        'DeleteImages',
      ]);
      // 10 state transitions with no retention, 11 with one.
      expect(outcome.visited).toEqual([
        'CreateTransaction',
        'RouteNextStep',
        'AwaitDocumentFront',
        'SubmitUpload',
        'RouteNextStep',
        'AwaitDocumentBack',
        'SubmitUpload',
        'RouteNextStep',
        ...completion,
      ]);
      expect(outcome.visited.at(-1)).toBe('DeleteImages');
      // The execution's output is the last task's input: ids, settings, the step and the last key.
      expect(outcome.output).toEqual({
        verificationId: VERIFICATION_ID,
        abandonAfterSeconds: 86_400,
        imageRetentionSeconds: retention,
        outcome: { nextStep: 'done' },
        upload: { key: key('document_back', 1) },
      });
      const submits = outcome.calls.filter((c) => c.state === 'SubmitUpload').map((c) => c.payload);
      expect(submits).toEqual([
        { verificationId: VERIFICATION_ID, key: key('document_front', 1) },
        { verificationId: VERIFICATION_ID, key: key('document_back', 1) },
      ]);
      const waits = outcome.calls.filter((c) => c.state.startsWith('Await')).map((c) => c.payload);
      expect(waits).toEqual([
        { verificationId: VERIFICATION_ID, step: 'document_front', taskToken: 'local-task-token' },
        { verificationId: VERIFICATION_ID, step: 'document_back', taskToken: 'local-task-token' },
      ]);
    });

    it('passes nothing but ids, keys, steps and codes to any task', async () => {
      const outcome = await runScenario({
        uploads: [key('document_front', 1), key('document_back', 1)],
        submit: [submit('upload_document_back'), taskError('BerbixRefusedError')],
      });
      for (const call of outcome.calls) {
        for (const field of Object.keys(call.payload)) expect(ALLOWED_PAYLOAD_FIELDS).toContain(field);
      }
      // The caught error: its name and the failing function's error (codes only).
      const [close] = closes(outcome);
      expect(Object.keys(close?.error as object).sort()).toEqual(['Cause', 'Error']);
    });

    it('skips the back for a passport when Berbix answers done after the front', async () => {
      const outcome = await runScenario({ uploads: [key('document_front', 1)], submit: [submit('done')] });
      expect(outcome.status).toBe('SUCCEEDED');
      expect(tasks(outcome)).not.toContain('AwaitDocumentBack');
      expect(tasks(outcome)).toEqual([
        'CreateTransaction',
        'AwaitDocumentFront',
        'SubmitUpload',
        'FetchResult',
        'DeleteImages',
      ]);
      // 7 state transitions with no retention, 8 with one.
      expect(outcome.visited).toEqual([
        'CreateTransaction',
        'RouteNextStep',
        'AwaitDocumentFront',
        'SubmitUpload',
        'RouteNextStep',
        ...completion,
      ]);
    });

    it('waits for the front again after text_unreadable (the retake branch)', async () => {
      const outcome = await runScenario({
        uploads: [key('document_front', 1), key('document_front', 2), key('document_back', 1)],
        submit: [submit('upload_document_front'), submit('upload_document_back'), submit('done')],
      });
      expect(outcome.status).toBe('SUCCEEDED');
      expect(tasks(outcome).filter((t) => t.startsWith('Await'))).toEqual([
        'AwaitDocumentFront',
        'AwaitDocumentFront',
        'AwaitDocumentBack',
      ]);
      // 13 state transitions with no retention, 14 with one: a retake adds a wait, a submit, a route.
      expect(outcome.visited).toEqual([
        'CreateTransaction',
        'RouteNextStep',
        'AwaitDocumentFront',
        'SubmitUpload',
        'RouteNextStep',
        'AwaitDocumentFront',
        'SubmitUpload',
        'RouteNextStep',
        'AwaitDocumentBack',
        'SubmitUpload',
        'RouteNextStep',
        ...completion,
      ]);
    });

    it('completes from a barcode scan alone: the front wait takes it and Berbix has what it needs', async () => {
      const outcome = await runScenario({ uploads: [key('id_scan', 1)], submit: [submit('done')] });
      expect(outcome.status).toBe('SUCCEEDED');
      expect(outcome.calls.filter((c) => c.state === 'SubmitUpload').map((c) => c.payload.key)).toEqual([
        key('id_scan', 1),
      ]);
      // 7 state transitions with no retention, 8 with one.
      expect(outcome.visited).toEqual([
        'CreateTransaction',
        'RouteNextStep',
        'AwaitDocumentFront',
        'SubmitUpload',
        'RouteNextStep',
        ...completion,
      ]);
    });

    it('deletes the images after completion whatever the retention, retrying AWS and Lambda faults', async () => {
      const outcome = await runScenario({
        uploads: [key('document_front', 1)],
        submit: [submit('done')],
        deleteImages: [taskError('AwsTransientError'), taskError('Lambda.ServiceException')],
      });
      expect(outcome.status).toBe('SUCCEEDED');
      expect(outcome.calls.filter((c) => c.state === 'DeleteImages').map((c) => c.payload)).toEqual([
        { verificationId: VERIFICATION_ID },
        { verificationId: VERIFICATION_ID },
        { verificationId: VERIFICATION_ID },
      ]);
    });

    it('fails the execution (alarmed) when the image deletion outlasts its retries, as before', async () => {
      const outcome = await runScenario({
        uploads: [key('document_front', 1)],
        submit: [submit('done')],
        deleteImages: Array.from({ length: 10 }, () => taskError('AwsTransientError')),
      });
      expect(outcome.status).toBe('FAILED');
      expect(outcome.error).toBe('AwsTransientError');
      expect(tasks(outcome).filter((t) => t === 'DeleteImages')).toHaveLength(7); // 1 + MaxAttempts 6
      expect(closes(outcome)).toEqual([]);
    });

    it('moves on when Berbix moves on after the last allowed attempt', async () => {
      const outcome = await runScenario({
        uploads: [
          key('document_front', 1),
          key('document_front', 2),
          key('document_front', 3),
          key('document_back', 1),
        ],
        submit: [
          submit('upload_document_front'),
          submit('upload_document_front'),
          submit('upload_document_back'),
          submit('done'),
        ],
      });
      expect(outcome.status).toBe('SUCCEEDED');
      expect(tasks(outcome).filter((t) => t === 'AwaitDocumentFront')).toHaveLength(3);
      expect(tasks(outcome)).toContain('FetchResult');
    });

    it('asks for the front again after unsupported_id_type and completes with a supported document', async () => {
      const outcome = await runScenario({
        create: [{ verificationId: VERIFICATION_ID, nextStep: 'upload_document_front' }],
        uploads: [key('document_front', 1), key('document_front', 2)],
        submit: [submit('upload_document_front'), submit('done')],
      });
      expect(outcome.status).toBe('SUCCEEDED');
      expect(tasks(outcome).filter((t) => t === 'SubmitUpload')).toHaveLength(2);
    });

    it('submits a barcode scan from the same wait and falls back to photos when Berbix says so', async () => {
      const outcome = await runScenario({
        uploads: [key('id_scan', 1), key('document_front', 1), key('document_back', 1)],
        submit: [submit('upload_document_front'), submit('upload_document_back'), submit('done')],
      });
      expect(outcome.status).toBe('SUCCEEDED');
      const submitted = outcome.calls.filter((c) => c.state === 'SubmitUpload').map((c) => c.payload.key);
      expect(submitted).toEqual([key('id_scan', 1), key('document_front', 1), key('document_back', 1)]);
    });

    it('retries transient Berbix errors and then succeeds with the same upload', async () => {
      const outcome = await runScenario({
        create: [
          taskError('BerbixTransientError'),
          { verificationId: VERIFICATION_ID, nextStep: 'upload_document_front' },
        ],
        uploads: [key('document_front', 1)],
        submit: [taskError('BerbixTransientError'), taskError('BerbixTransientError'), submit('done')],
      });
      expect(outcome.status).toBe('SUCCEEDED');
      expect(tasks(outcome).filter((t) => t === 'CreateTransaction')).toHaveLength(2);
      const submits = outcome.calls.filter((c) => c.state === 'SubmitUpload');
      expect(submits).toHaveLength(3);
      expect(new Set(submits.map((c) => c.payload.key))).toEqual(new Set([key('document_front', 1)]));
    });

    it('retries a task whose AWS calls were throttled instead of failing the verification', async () => {
      const outcome = await runScenario({
        uploads: [key('document_front', 1)],
        submit: [taskError('AwsTransientError'), submit('done')],
        fetch: [taskError('AwsTransientError'), { verificationId: VERIFICATION_ID }],
      });
      expect(outcome.status).toBe('SUCCEEDED');
      expect(tasks(outcome).filter((t) => t === 'SubmitUpload')).toHaveLength(2);
      expect(tasks(outcome).filter((t) => t === 'FetchResult')).toHaveLength(2);
      expect(tasks(outcome)).not.toContain('CloseAsFailed');
    });

    it('retries a transient Berbix fault six times, then fails with the code of the last fault', async () => {
      const outcome = await runScenario({
        uploads: [key('document_front', 1)],
        submit: Array.from({ length: 10 }, () => taskError('BerbixTransientError', 'berbix_server_502')),
      });
      expect(outcome.status).toBe('FAILED');
      expect(outcome.error).toBe('VerificationFailed');
      expect(tasks(outcome).filter((t) => t === 'SubmitUpload')).toHaveLength(7); // 1 + MaxAttempts 6
      expect(failureReasons(outcome)).toEqual(['berbix_server_502']);
    });

    it('gives Berbix and AWS faults budgets of their own', async () => {
      const outcome = await runScenario({
        create: [
          ...Array.from({ length: 6 }, () => taskError('BerbixTransientError', 'berbix_network_timeout')),
          ...Array.from({ length: 6 }, () => taskError('AwsTransientError', 'throttled')),
          { verificationId: VERIFICATION_ID, nextStep: 'upload_document_front' },
        ],
        uploads: [key('document_front', 1)],
        submit: [submit('done')],
      });
      expect(outcome.status).toBe('SUCCEEDED');
      expect(tasks(outcome).filter((t) => t === 'CreateTransaction')).toHaveLength(13);
    });

    it('fails at once, without retrying, on a permanent Berbix error, with its code', async () => {
      const outcome = await runScenario({
        uploads: [key('document_front', 1)],
        submit: [taskError('BerbixRefusedError', 'berbix_request_400')],
      });
      expect(outcome.status).toBe('FAILED');
      expect(tasks(outcome)).toEqual([
        'CreateTransaction',
        'AwaitDocumentFront',
        'SubmitUpload',
        'CloseAsFailed',
      ]);
      expect(failureReasons(outcome)).toEqual(['berbix_request_400']);
      expect(outcome.visited.slice(-2)).toEqual(['CloseAsFailed', 'VerificationFailed']);
    });

    it('fails with upload_attempts_exhausted when a wait refuses another attempt', async () => {
      const outcome = await runScenario({
        uploads: [
          key('document_front', 1),
          key('document_front', 2),
          taskError('FlowFailedError', 'upload_attempts_exhausted'),
        ],
        submit: [submit('upload_document_front'), submit('upload_document_front')],
      });
      expect(outcome.status).toBe('FAILED');
      expect(tasks(outcome).filter((t) => t === 'AwaitDocumentFront')).toHaveLength(3);
      expect(failureReasons(outcome)).toEqual(['upload_attempts_exhausted']);
    });

    it('tries a task that timed out once more, and goes on when that try ends in time', async () => {
      const timedOut = taskError('Sandbox.Timedout', 'Task timed out after 120.00 seconds');
      const outcome = await runScenario({
        create: [timedOut, { verificationId: VERIFICATION_ID, nextStep: 'upload_document_front' }],
        uploads: [key('document_front', 1)],
        submit: [timedOut, submit('done')],
      });
      expect(outcome.status).toBe('SUCCEEDED');
      expect(tasks(outcome).filter((t) => t === 'CreateTransaction')).toHaveLength(2);
      expect(outcome.calls.filter((c) => c.state === 'SubmitUpload').map((c) => c.payload.key)).toEqual([
        key('document_front', 1),
        key('document_front', 1),
      ]);
    });

    it('closes a claimed upload as failed whatever ends the submit step (a Lambda timeout, a bug)', async () => {
      for (const [error, reason] of [
        [taskError('Sandbox.Timedout', 'Task timed out after 120.00 seconds'), 'task_failed'],
        [taskError('Lambda.ServiceException', 'Service error'), 'lambda_unavailable'],
        [taskError('TypeError', "Cannot read properties of undefined (reading 'key')"), 'task_failed'],
      ] as const) {
        const outcome = await runScenario({
          uploads: [key('document_front', 1)],
          submit: Array.from({ length: 10 }, () => error),
        });
        expect({ error: error.name, status: outcome.status, reasons: failureReasons(outcome) }).toEqual({
          error: error.name,
          status: 'FAILED',
          reasons: [reason],
        });
      }
    });

    it('retries closing a verification on any error, so a failure never leaves it open', async () => {
      const outcome = await runScenario({
        uploads: [key('document_front', 1)],
        submit: [taskError('BerbixRefusedError', 'berbix_gone_410')],
        close: [taskError('AwsTransientError'), taskError('Lambda.Unknown'), taskError('TypeError')],
      });
      expect(outcome.status).toBe('FAILED');
      expect(outcome.error).toBe('VerificationFailed');
      expect(tasks(outcome).filter((t) => t === 'CloseAsFailed')).toHaveLength(4);
    });

    it('routes by the next_step a 409 carries (a back upload Berbix answers with "front expected")', async () => {
      const outcome = await runScenario({
        uploads: [
          key('document_front', 1),
          key('document_back', 1),
          key('document_front', 2),
          key('document_back', 2),
        ],
        submit: [
          submit('upload_document_back'),
          submit('upload_document_front'), // SubmitUpload's answer to a 409 {next_step: upload_document_front}
          submit('upload_document_back'),
          submit('done'),
        ],
      });
      expect(outcome.status).toBe('SUCCEEDED');
      expect(tasks(outcome).filter((t) => t.startsWith('Await'))).toEqual([
        'AwaitDocumentFront',
        'AwaitDocumentBack',
        'AwaitDocumentFront',
        'AwaitDocumentBack',
      ]);
    });

    it('abandons the verification when no upload arrives before the wait times out', async () => {
      const outcome = await runScenario({ abandonAfterSeconds: 1, uploads: ['never'] });
      expect(outcome.status).toBe('SUCCEEDED');
      expect(tasks(outcome)).toEqual(['CreateTransaction', 'AwaitDocumentFront', 'CloseAsAbandoned']);
      expect(closes(outcome)).toEqual([
        { verificationId: VERIFICATION_ID, outcome: 'abandoned', reason: 'upload_timeout' },
      ]);
      // 4 state transitions: the close ends the execution.
      expect(outcome.visited).toEqual([
        'CreateTransaction',
        'RouteNextStep',
        'AwaitDocumentFront',
        'CloseAsAbandoned',
      ]);
    });

    it('ends quietly, closing nothing, when the verification was deleted meanwhile', async () => {
      const outcome = await runScenario({ uploads: [taskError('VerificationGoneError')] });
      expect(outcome.status).toBe('SUCCEEDED');
      expect(closes(outcome)).toEqual([]);
      expect(outcome.visited.at(-1)).toBe('VerificationGone');
    });

    it('fails the verification when Berbix asks for a step this flow does not collect', async () => {
      const outcome = await runScenario({
        uploads: [key('document_front', 1)],
        submit: [submit('upload_selfie_basic')],
      });
      expect(outcome.status).toBe('FAILED');
      expect(failureReasons(outcome)).toEqual(['unsupported_next_step']);
    });

    it('retries a wait whose Lambda invocation was throttled', async () => {
      const outcome = await runScenario({
        uploads: [taskError('Lambda.TooManyRequestsException'), key('document_front', 1)],
        submit: [submit('done')],
      });
      expect(outcome.status).toBe('SUCCEEDED');
      expect(tasks(outcome).filter((t) => t === 'AwaitDocumentFront')).toHaveLength(2);
    });
  },
);

describe('the worst-case execution history', () => {
  type Retrier = { ErrorEquals: string[]; MaxAttempts?: number };
  type State = { Type: string; Resource?: string; Retry?: Retrier[] };
  const states = (berbixRetries?: number, imageRetentionSeconds = 0) => {
    const all = loadDefinition(imageRetentionSeconds).States as Record<string, State>;
    if (berbixRetries !== undefined) {
      for (const s of Object.values(all))
        for (const r of s.Retry ?? [])
          if (r.ErrorEquals.includes('BerbixTransientError')) r.MaxAttempts = berbixRetries;
    }
    return all;
  };
  /**
   * Events a Task adds at worst: entered and exited, then per attempt TaskScheduled, TaskStarted
   * and TaskSucceeded/TaskFailed (a callback wait also TaskSubmitted). Each retrier counts on its
   * own, so the attempts are 1 + the sum of every retrier's MaxAttempts (ASL default 3).
   */
  const taskEvents = (s: State | undefined) => {
    const retries = (s?.Retry ?? []).reduce((n, r) => n + (r.MaxAttempts ?? 3), 0);
    const perAttempt = s?.Resource?.endsWith('.waitForTaskToken') ? 4 : 3;
    return 2 + perAttempt * (1 + retries);
  };
  const CHOICE = 2;
  /** One retake: a wait, a submit and the route back, each with every retry it may use. */
  const retakeEvents = (all: Record<string, State>) =>
    Math.max(taskEvents(all.AwaitDocumentFront), taskEvents(all.AwaitDocumentBack)) +
    taskEvents(all.SubmitUpload) +
    CHOICE;
  /** Entered and exited: a Wait (the image hold, when deployed). */
  const WAIT = 2;
  /** Start to end with `maxUploadAttempts` per side: at most 2 × that many submitted uploads. */
  const worstCase = (all: Record<string, State>, maxUploadAttempts: number) => {
    // DeleteImages ends the execution; the Fail state adds its one event.
    const completed =
      taskEvents(all.FetchResult) + (all.HoldImages ? WAIT : 0) + taskEvents(all.DeleteImages);
    const failed = taskEvents(all.CloseAsFailed) + 1;
    return (
      1 +
      taskEvents(all.CreateTransaction) +
      CHOICE +
      2 * maxUploadAttempts * retakeEvents(all) +
      Math.max(completed, failed) +
      1
    );
  };

  it('costs 13 events per retake when nothing is retried', () => {
    const noRetries = Object.fromEntries(
      Object.entries(states()).map(([name, s]) => [name, { ...s, Retry: [] }]),
    );
    expect(retakeEvents(noRetries)).toBe(13);
  });

  it('stays far below the 25,000-event limit: about 1,700 by default, under half of it at the largest settings', () => {
    const byDefault = worstCase(states(), 10);
    const withRetention = worstCase(states(undefined, 3600), 10);
    const largest = worstCase(states(20, 3600), 50);
    expect(byDefault).toBeLessThan(1_800);
    expect(withRetention).toBe(byDefault + WAIT);
    expect(largest).toBeLessThan(12_500);
    // For the record in docs/operations.md ("Attempt limits").
    expect({ byDefault, withRetention, largest, perRetake: retakeEvents(states()) }).toMatchInlineSnapshot(`
     {
       "byDefault": 1718,
       "largest": 12404,
       "perRetake": 80,
       "withRetention": 1720,
     }
    `);
  });
});
