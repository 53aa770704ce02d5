import {
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  SFNClient,
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { startStepFunctions, type StepFunctionsEmulator } from '../../../local/cloud/emulators/stepfunctions';

const credentials = { accessKeyId: 'local', secretAccessKey: 'localsecretlocalsecret' };
const fnArn = (name: string) => `arn:aws:lambda:us-east-1:000000000000:function:${name}`;
let machineCount = 0;

type LambdaFn = (payload: Record<string, unknown>) => Promise<unknown>;
const functions = new Map<string, LambdaFn>();
const invocations: Array<{ functionName: string; payload: Record<string, unknown> }> = [];

let emulator: StepFunctionsEmulator;
let sfn: SFNClient;

beforeAll(async () => {
  emulator = await startStepFunctions({
    invoke: async (functionName, payload) => {
      invocations.push({ functionName, payload: payload as Record<string, unknown> });
      const fn = functions.get(functionName);
      if (!fn) throw Object.assign(new Error('Function not found'), { name: 'ResourceNotFoundException' });
      return fn(payload as Record<string, unknown>);
    },
    retryIntervalOverrides: { Flaky: 0 },
  });
  sfn = new SFNClient({ endpoint: emulator.endpoint, region: 'us-east-1', credentials });
});

afterAll(async () => {
  sfn.destroy();
  await emulator.close();
});

beforeEach(() => {
  functions.clear();
  invocations.length = 0;
});

function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

function lambdaError(name: string, message: string): Error {
  return Object.assign(new Error(message), { name });
}

/** Registers a state machine under a fresh name and returns its ARN. */
function register(definition: object): string {
  const arn = `arn:aws:states:us-east-1:000000000000:stateMachine:Test${++machineCount}`;
  emulator.registerStateMachine(arn, JSON.stringify(definition));
  return arn;
}

async function run(stateMachineArn: string, input: object = {}, name?: string) {
  const { executionArn } = await sfn.send(
    new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }),
  );
  return executionArn!;
}

async function finished(executionArn: string) {
  await emulator.waitForExecution(executionArn);
  return sfn.send(new DescribeExecutionCommand({ executionArn }));
}

/** A Lambda that hands its task token to the test, like AwaitUploadFn stores it in DynamoDB. */
function tokenCatcher(name: string) {
  const tokens: string[] = [];
  let next = deferred<string>();
  functions.set(fnArn(name), async (payload) => {
    tokens.push(String(payload.taskToken));
    next.resolve(String(payload.taskToken));
    return { accepted: true };
  });
  return {
    tokens,
    nextToken: async () => {
      const token = await next.promise;
      next = deferred<string>();
      return token;
    },
  };
}

const awaitState = (name: string, extra: object = {}) => ({
  Type: 'Task',
  Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
  Parameters: {
    FunctionName: fnArn(name),
    Payload: { 'verificationId.$': '$.verificationId', 'taskToken.$': '$$.Task.Token' },
  },
  ResultPath: '$.upload',
  ...extra,
});

async function expectAwsError(promise: Promise<unknown>, name: string) {
  await expect(promise).rejects.toMatchObject({ name, $metadata: { httpStatusCode: 400 } });
}

describe('the local Step Functions emulator', () => {
  it('runs a lambda:invoke task and returns the StatusCode/Payload shape of the real integration', async () => {
    functions.set(fnArn('Create'), async (payload) => ({ nextStep: 'upload_document_front', seen: payload }));
    const arn = register({
      StartAt: 'Create',
      States: {
        Create: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke',
          Parameters: {
            FunctionName: fnArn('Create'),
            Payload: { 'verificationId.$': '$.verificationId', 'executionId.$': '$$.Execution.Id' },
          },
          End: true,
        },
      },
    });
    const executionArn = await run(arn, { verificationId: 'vrf_1' });
    const execution = await finished(executionArn);

    expect(execution.status).toBe('SUCCEEDED');
    expect(JSON.parse(execution.output!)).toMatchObject({
      StatusCode: 200,
      ExecutedVersion: '$LATEST',
      Payload: {
        nextStep: 'upload_document_front',
        seen: { verificationId: 'vrf_1', executionId: executionArn },
      },
    });
    expect(invocations).toEqual([
      { functionName: fnArn('Create'), payload: { verificationId: 'vrf_1', executionId: executionArn } },
    ]);
  });

  it('hands a waitForTaskToken Lambda a fresh token and resumes with the output sent to SendTaskSuccess', async () => {
    const catcher = tokenCatcher('Await');
    const arn = register({
      StartAt: 'AwaitFront',
      States: {
        AwaitFront: { ...awaitState('Await'), ResultSelector: { 'key.$': '$.key' }, Next: 'AwaitBack' },
        AwaitBack: { ...awaitState('Await'), ResultPath: '$.back', End: true },
      },
    });
    const executionArn = await run(arn, { verificationId: 'vrf_2' });

    const first = await catcher.nextToken();
    await sfn.send(
      new SendTaskSuccessCommand({ taskToken: first, output: JSON.stringify({ key: 'uploads/front.jpg' }) }),
    );
    const second = await catcher.nextToken();
    await sfn.send(
      new SendTaskSuccessCommand({ taskToken: second, output: JSON.stringify({ key: 'uploads/back.jpg' }) }),
    );
    const execution = await finished(executionArn);

    expect(execution.status).toBe('SUCCEEDED');
    expect(JSON.parse(execution.output!)).toEqual({
      verificationId: 'vrf_2',
      upload: { key: 'uploads/front.jpg' },
      back: { key: 'uploads/back.jpg' },
    });
    expect(first).toMatch(/^[A-Za-z0-9_-]{86}$/);
    expect(second).not.toBe(first);
  });

  it('fails a waiting task with the error and cause sent to SendTaskFailure, which Catch routes on', async () => {
    const catcher = tokenCatcher('Await');
    const arn = register({
      StartAt: 'Await',
      States: {
        Await: {
          ...awaitState('Await'),
          Catch: [{ ErrorEquals: ['UploadRejected'], ResultPath: '$.error', Next: 'Rejected' }],
          End: true,
        },
        Rejected: { Type: 'Pass', End: true },
      },
    });
    const executionArn = await run(arn, { verificationId: 'vrf_3' });
    await sfn.send(
      new SendTaskFailureCommand({
        taskToken: await catcher.nextToken(),
        error: 'UploadRejected',
        cause: 'not an image',
      }),
    );
    const execution = await finished(executionArn);

    expect(JSON.parse(execution.output!)).toEqual({
      verificationId: 'vrf_3',
      error: { Error: 'UploadRejected', Cause: 'not an image' },
    });
  });

  it('answers a used token with TaskTimedOut, an unknown one with TaskDoesNotExist and a malformed one with InvalidToken', async () => {
    const catcher = tokenCatcher('Await');
    const arn = register({ StartAt: 'Await', States: { Await: { ...awaitState('Await'), End: true } } });
    const executionArn = await run(arn, { verificationId: 'vrf_4' });
    const token = await catcher.nextToken();
    await sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' }));
    await finished(executionArn);

    await expectAwsError(
      sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' })),
      'TaskTimedOut',
    );
    const unknown =
      `${token.slice(0, -4)}AAAA` === token ? `${token.slice(0, -4)}BBBB` : `${token.slice(0, -4)}AAAA`;
    await expectAwsError(
      sfn.send(new SendTaskSuccessCommand({ taskToken: unknown, output: '{}' })),
      'TaskDoesNotExist',
    );
    await expectAwsError(sfn.send(new SendTaskFailureCommand({ taskToken: 'not-a-token' })), 'InvalidToken');

    const raw = await fetch(emulator.endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.0',
        'x-amz-target': 'AWSStepFunctions.SendTaskSuccess',
      },
      body: JSON.stringify({ taskToken: unknown, output: '{}' }),
    });
    expect(raw.status).toBe(400);
    expect(await raw.json()).toEqual({ __type: 'TaskDoesNotExist', message: expect.any(String) });
  });

  it('rejects SendTaskSuccess output that is not JSON with InvalidOutput and keeps the task waiting', async () => {
    const catcher = tokenCatcher('Await');
    const arn = register({ StartAt: 'Await', States: { Await: { ...awaitState('Await'), End: true } } });
    const executionArn = await run(arn, { verificationId: 'vrf_5' });
    const token = await catcher.nextToken();

    await expectAwsError(
      sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{not json' })),
      'InvalidOutput',
    );
    await sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{"key":"k"}' }));
    expect((await finished(executionArn)).status).toBe('SUCCEEDED');
  });

  it('times a wait out after TimeoutSecondsPath seconds of the state input with States.Timeout, which States.TaskFailed does not catch', async () => {
    const catcher = tokenCatcher('Await');
    const arn = register({
      StartAt: 'Await',
      States: {
        Await: {
          ...awaitState('Await'),
          TimeoutSecondsPath: '$.abandonAfterSeconds',
          Catch: [
            { ErrorEquals: ['States.TaskFailed'], ResultPath: '$.error', Next: 'Failed' },
            { ErrorEquals: ['States.Timeout'], ResultPath: '$.error', Next: 'Abandoned' },
          ],
          End: true,
        },
        Failed: { Type: 'Fail', Error: 'WrongBranch' },
        Abandoned: { Type: 'Pass', Result: 'abandoned', ResultPath: '$.outcome', End: true },
      },
    });
    const executionArn = await run(arn, { verificationId: 'vrf_6', abandonAfterSeconds: 1 });
    const token = await catcher.nextToken();
    const execution = await finished(executionArn);

    expect(JSON.parse(execution.output!)).toMatchObject({
      outcome: 'abandoned',
      error: { Error: 'States.Timeout' },
    });
    await expectAwsError(
      sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' })),
      'TaskTimedOut',
    );
    const history = await sfn.send(new GetExecutionHistoryCommand({ executionArn }));
    expect(history.events!.map((e) => e.type)).toContain('TaskTimedOut');
  });

  it('fails a wait whose HeartbeatSeconds pass without SendTaskHeartbeat with States.HeartbeatTimeout', async () => {
    const catcher = tokenCatcher('Await');
    const arn = register({
      StartAt: 'Await',
      States: {
        Await: {
          ...awaitState('Await'),
          TimeoutSeconds: 600,
          HeartbeatSeconds: 1,
          Catch: [{ ErrorEquals: ['States.HeartbeatTimeout'], ResultPath: '$.error', Next: 'Silent' }],
          End: true,
        },
        Silent: { Type: 'Pass', End: true },
      },
    });
    const executionArn = await run(arn, { verificationId: 'vrf_hb' });
    const token = await catcher.nextToken();
    await sfn.send(new SendTaskHeartbeatCommand({ taskToken: token }));
    const execution = await finished(executionArn);

    expect(JSON.parse(execution.output!)).toMatchObject({ error: { Error: 'States.HeartbeatTimeout' } });
    await expectAwsError(sfn.send(new SendTaskHeartbeatCommand({ taskToken: token })), 'TaskTimedOut');
  });

  it('retries a Lambda function error matched by its errorType until the function succeeds', async () => {
    let calls = 0;
    functions.set(fnArn('Flaky'), async () => {
      calls += 1;
      if (calls < 3) throw lambdaError('BerbixTransientError', 'Berbix answered 503');
      return { nextStep: 'done' };
    });
    const arn = register({
      StartAt: 'Flaky',
      States: {
        Flaky: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke',
          Parameters: { FunctionName: fnArn('Flaky'), 'Payload.$': '$' },
          ResultSelector: { 'nextStep.$': '$.Payload.nextStep' },
          Retry: [{ ErrorEquals: ['BerbixTransientError'], IntervalSeconds: 3, MaxAttempts: 5 }],
          End: true,
        },
      },
    });
    const execution = await finished(await run(arn));

    expect(execution.status).toBe('SUCCEEDED');
    expect(JSON.parse(execution.output!)).toEqual({ nextStep: 'done' });
    expect(calls).toBe(3);
  });

  it('scales every retry wait by retryTimeScale, and still describes the definition as written', async () => {
    const scaled = await startStepFunctions({
      invoke: async () => {
        if (invocations.push({ functionName: 'Slow', payload: {} }) < 4)
          throw lambdaError('BerbixTransientError', 'Berbix answered 500');
        return { nextStep: 'done' };
      },
      retryTimeScale: 0.0001,
    });
    const client = new SFNClient({ endpoint: scaled.endpoint, region: 'us-east-1', credentials });
    try {
      const definition = {
        StartAt: 'Slow',
        States: {
          Slow: {
            Type: 'Task',
            Resource: 'arn:aws:states:::lambda:invoke',
            Parameters: { FunctionName: fnArn('Slow'), Payload: {} },
            // Unscaled, these waits would add up to 100 + 200 + 300 s (MaxDelaySeconds caps the third).
            Retry: [
              {
                ErrorEquals: ['BerbixTransientError'],
                IntervalSeconds: 100,
                BackoffRate: 2,
                MaxDelaySeconds: 300,
                MaxAttempts: 3,
              },
            ],
            End: true,
          },
        },
      };
      const stateMachineArn = 'arn:aws:states:us-east-1:000000000000:stateMachine:Scaled';
      scaled.registerStateMachine(stateMachineArn, JSON.stringify(definition));
      const { executionArn } = await client.send(new StartExecutionCommand({ stateMachineArn, input: '{}' }));
      const execution = await scaled.waitForExecution(executionArn!);
      expect(execution.status).toBe('SUCCEEDED');
      expect(invocations).toHaveLength(4);
      const described = await client.send(new DescribeStateMachineCommand({ stateMachineArn }));
      expect(JSON.parse(described.definition!)).toEqual(definition);
    } finally {
      client.destroy();
      await scaled.close();
    }
  });

  it('catches a Lambda function error by its errorType, with the function error as JSON Cause', async () => {
    functions.set(fnArn('Submit'), async () => {
      throw lambdaError('BerbixRefusedError', 'template not found');
    });
    const arn = register({
      StartAt: 'Submit',
      States: {
        Submit: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke',
          Parameters: { FunctionName: fnArn('Submit'), Payload: {} },
          Catch: [{ ErrorEquals: ['BerbixRefusedError'], ResultPath: '$.error', Next: 'Failed' }],
          End: true,
        },
        Failed: { Type: 'Fail', ErrorPath: '$.error.Error', CausePath: '$.error.Cause' },
      },
    });
    const execution = await finished(await run(arn));

    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('BerbixRefusedError');
    expect(JSON.parse(execution.cause!)).toEqual({
      errorType: 'BerbixRefusedError',
      errorMessage: 'template not found',
    });
  });

  it('returns the running execution for the same name and input, and ExecutionAlreadyExists otherwise', async () => {
    const catcher = tokenCatcher('Await');
    const arn = register({ StartAt: 'Await', States: { Await: { ...awaitState('Await'), End: true } } });
    const input = { verificationId: 'vrf_7' };
    const first = await run(arn, input, 'vrf_7');
    const token = await catcher.nextToken();

    expect(await run(arn, input, 'vrf_7')).toBe(first);
    await expectAwsError(run(arn, { verificationId: 'other' }, 'vrf_7'), 'ExecutionAlreadyExists');
    await sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' }));
    await finished(first);
    await expectAwsError(run(arn, input, 'vrf_7'), 'ExecutionAlreadyExists');
    expect(catcher.tokens).toHaveLength(1);
  });

  it('stops an execution: it becomes ABORTED with the given error and its waiting token ends', async () => {
    const catcher = tokenCatcher('Await');
    const arn = register({
      StartAt: 'Await',
      States: { Await: { ...awaitState('Await'), Next: 'After' }, After: { Type: 'Pass', End: true } },
    });
    const executionArn = await run(arn, { verificationId: 'vrf_8' });
    const token = await catcher.nextToken();

    const { stopDate } = await sfn.send(
      new StopExecutionCommand({ executionArn, error: 'VerificationDeleted', cause: 'deleted by backend' }),
    );
    const execution = await finished(executionArn);

    expect(stopDate).toBeInstanceOf(Date);
    expect(execution).toMatchObject({
      status: 'ABORTED',
      error: 'VerificationDeleted',
      cause: 'deleted by backend',
    });
    await expectAwsError(
      sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' })),
      'TaskTimedOut',
    );
    const history = await sfn.send(new GetExecutionHistoryCommand({ executionArn }));
    expect(history.events!.map((e) => e.type)).not.toContain('PassStateEntered');
    expect(history.events!.at(-1)!.type).toBe('ExecutionAborted');
  });

  it('lists and describes executions and returns their state history in order', async () => {
    functions.set(fnArn('Fetch'), async () => ({ ok: true }));
    const arn = register({
      StartAt: 'Fetch',
      States: {
        Fetch: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke',
          Parameters: { FunctionName: fnArn('Fetch') },
          ResultPath: null,
          Next: 'Done',
        },
        Done: { Type: 'Succeed' },
      },
    });
    const executionArn = await run(arn, { verificationId: 'vrf_9' }, 'vrf_9');
    const described = await finished(executionArn);
    const listed = await sfn.send(
      new ListExecutionsCommand({ stateMachineArn: arn, statusFilter: 'SUCCEEDED' }),
    );
    const history = await sfn.send(new GetExecutionHistoryCommand({ executionArn }));
    const quiet = await sfn.send(
      new GetExecutionHistoryCommand({
        executionArn,
        includeExecutionData: false,
        reverseOrder: true,
        maxResults: 2,
      }),
    );

    expect(described).toMatchObject({
      name: 'vrf_9',
      stateMachineArn: arn,
      input: '{"verificationId":"vrf_9"}',
      output: '{"verificationId":"vrf_9"}',
    });
    expect(described.stopDate!.getTime()).toBeGreaterThanOrEqual(described.startDate!.getTime());
    expect(listed.executions).toEqual([
      expect.objectContaining({ executionArn, name: 'vrf_9', status: 'SUCCEEDED' }),
    ]);
    expect(history.events!.map((e) => e.type)).toEqual([
      'ExecutionStarted',
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskSucceeded',
      'TaskStateExited',
      'SucceedStateEntered',
      'SucceedStateExited',
      'ExecutionSucceeded',
    ]);
    expect(history.events![1]!.stateEnteredEventDetails).toMatchObject({
      name: 'Fetch',
      input: '{"verificationId":"vrf_9"}',
    });
    expect(quiet.events!.map((e) => e.type)).toEqual(['ExecutionSucceeded', 'SucceedStateExited']);
    expect(quiet.events![0]!.executionSucceededEventDetails?.output).toBeUndefined();
    expect(quiet.nextToken).toBeDefined();
  });

  it('fails an execution at a Fail state with its error and cause', async () => {
    const arn = register({
      StartAt: 'Stop',
      States: { Stop: { Type: 'Fail', Error: 'BerbixRefusedError', Cause: 'bad template' } },
    });
    const execution = await finished(await run(arn));

    expect(execution).toMatchObject({
      status: 'FAILED',
      error: 'BerbixRefusedError',
      cause: 'bad template',
    });
  });

  it('times out an execution that outlives its TimeoutSeconds', async () => {
    tokenCatcher('Await');
    const arn = register({
      TimeoutSeconds: 1,
      StartAt: 'Await',
      States: { Await: { ...awaitState('Await'), End: true } },
    });
    const execution = await finished(await run(arn, { verificationId: 'vrf_10' }));

    expect(execution).toMatchObject({ status: 'TIMED_OUT', error: 'States.Timeout' });
  });

  it('rejects unknown state machines, bad names and input that is not JSON with their AWS errors', async () => {
    const arn = register({ StartAt: 'P', States: { P: { Type: 'Pass', End: true } } });

    await expectAwsError(run(`${arn}Missing`), 'StateMachineDoesNotExist');
    await expectAwsError(run(arn, {}, 'has space'), 'InvalidName');
    await expectAwsError(
      sfn.send(new StartExecutionCommand({ stateMachineArn: arn, input: '{oops' })),
      'InvalidExecutionInput',
    );
    await expectAwsError(
      sfn.send(
        new DescribeExecutionCommand({ executionArn: `${arn.replace('stateMachine', 'execution')}:nope` }),
      ),
      'ExecutionDoesNotExist',
    );
  });

  it('describes and lists registered state machines', async () => {
    const definition = { StartAt: 'P', States: { P: { Type: 'Pass', End: true } } };
    const arn = register(definition);
    const described = await sfn.send(new DescribeStateMachineCommand({ stateMachineArn: arn }));
    const listed = await sfn.send(new ListStateMachinesCommand({ maxResults: 1000 }));

    expect(described).toMatchObject({
      stateMachineArn: arn,
      status: 'ACTIVE',
      type: 'STANDARD',
      definition: JSON.stringify(definition),
    });
    expect(listed.stateMachines!.map((m) => m.stateMachineArn)).toContain(arn);
  });

  it('refuses to register a definition that is not valid ASL', () => {
    expect(() =>
      emulator.registerStateMachine(
        'arn:aws:states:us-east-1:000000000000:stateMachine:Bad',
        JSON.stringify({ StartAt: 'Nowhere', States: {} }),
      ),
    ).toThrow();
  });

  it('is reached by an SDK client configured only through AWS_ENDPOINT_URL_SFN', async () => {
    const previous = process.env.AWS_ENDPOINT_URL_SFN;
    process.env.AWS_ENDPOINT_URL_SFN = emulator.endpoint;
    const client = new SFNClient({ region: 'us-east-1', credentials });
    try {
      const arn = register({ StartAt: 'P', States: { P: { Type: 'Pass', End: true } } });
      const { executionArn } = await client.send(
        new StartExecutionCommand({ stateMachineArn: arn, input: '{"a":1}' }),
      );
      expect((await finished(executionArn!)).output).toBe('{"a":1}');
    } finally {
      client.destroy();
      if (previous === undefined) delete process.env.AWS_ENDPOINT_URL_SFN;
      else process.env.AWS_ENDPOINT_URL_SFN = previous;
    }
  });
});
