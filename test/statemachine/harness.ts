import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { StateMachine } from 'aws-local-stepfunctions';
import { forImageRetention, type AslDefinition } from '../../lib/constructs/verification-definition';
import { readLocalTaskInput, rewriteDefinition } from '../../local/cloud/emulators/asl-rewrite';

export const ASL_PATH = join(__dirname, '../../statemachine/verification.asl.json');

export const SUBSTITUTIONS = [
  'CreateTransactionFunctionArn',
  'AwaitUploadFunctionArn',
  'SubmitUploadFunctionArn',
  'FetchResultFunctionArn',
  'DeleteImagesFunctionArn',
  'CloseVerificationFunctionArn',
] as const;

/** Image retentions the tests deploy: the default (no hold) and one hour (the hold kept). */
export const RETENTIONS = [0, 3600] as const;

/**
 * The definition as the stack deploys it for an image retention (seconds; the default 0 leaves the
 * image hold out, as `VerificationWorkflow` does): every `${…Arn}` replaced, nothing else touched.
 */
export function loadDefinition(imageRetentionSeconds = 0): AslDefinition {
  let text = readFileSync(ASL_PATH, 'utf8');
  for (const name of SUBSTITUTIONS) {
    text = text.replaceAll(
      `\${${name}}`,
      `arn:aws:lambda:us-east-1:000000000000:function:${name.replace(/FunctionArn$/, '')}`,
    );
  }
  if (/\$\{[A-Za-z]+\}/.test(text)) throw new Error('unsubstituted placeholder left in the definition');
  return forImageRetention(JSON.parse(text) as AslDefinition, imageRetentionSeconds);
}

/**
 * An error as the lambda:invoke integration reports a function error to Step Functions: the name
 * (the errorType) is what Retry and Catch match, the message (the Cause) is the error as JSON.
 */
export function taskError(name: string, message = name): Error {
  const error = new Error(JSON.stringify({ errorType: name, errorMessage: message }));
  error.name = name;
  return error;
}

export const VERIFICATION_ID = 'vrf_abcdefghijklmnopqrstuvwxyz';

export interface Call {
  state: string;
  payload: Record<string, unknown>;
}

/** What a scripted "Lambda" does for one invocation: return its payload, or throw. */
export type Step = Record<string, unknown> | Error;

export interface Script {
  create?: Step[];
  /** Outcomes of successive SubmitUpload invocations. */
  submit?: Step[];
  /** Keys delivered to successive waits (front or back); `'never'` leaves the wait hanging. */
  uploads?: Array<string | 'never' | Error>;
  fetch?: Step[];
  /** Outcomes of successive DeleteImages invocations. */
  deleteImages?: Step[];
  /** Outcomes of successive CloseAsFailed / CloseAsAbandoned invocations. */
  close?: Step[];
  abandonAfterSeconds?: number;
  /** The deployment's image retention: picks the definition and is the execution input's. @default 0 */
  imageRetentionSeconds?: number;
}

export interface Outcome {
  status: 'SUCCEEDED' | 'FAILED';
  error?: string;
  calls: Call[];
  /** Every state entered, in order: the state transitions a Standard workflow bills. */
  visited: string[];
  output: unknown;
}

const LAMBDA_STATES = [
  'CreateTransaction',
  'SubmitUpload',
  'FetchResult',
  'DeleteImages',
  'CloseAsAbandoned',
  'CloseAsFailed',
] as const;

export function key(step: 'document_front' | 'document_back' | 'id_scan', attempt: number): string {
  const ext = step === 'id_scan' ? 'pdf417' : 'jpg';
  return `uploads/${VERIFICATION_ID}/${step}/${attempt}-0123456789abcdef.${ext}`;
}

/**
 * Runs the real definition on aws-local-stepfunctions. Each Task state is answered by the script
 * (in `lambda:invoke` shape, `{StatusCode, Payload}`); waits answer with the next scripted key.
 */
export async function runScenario(script: Script): Promise<Outcome> {
  const calls: Call[] = [];
  const queues: Record<string, Step[]> = {
    CreateTransaction: [
      ...(script.create ?? [{ verificationId: VERIFICATION_ID, nextStep: 'upload_document_front' }]),
    ],
    SubmitUpload: [...(script.submit ?? [])],
    FetchResult: [...(script.fetch ?? [{ verificationId: VERIFICATION_ID }])],
    DeleteImages: [...(script.deleteImages ?? [])],
    CloseAsFailed: [...(script.close ?? [])],
    CloseAsAbandoned: [...(script.close ?? [])],
  };
  const uploads = [...(script.uploads ?? [])];

  // The rewritten definition wraps each task's Parameters (see runScenario).
  const parameters = (input: unknown) => readLocalTaskInput(input).payload;
  const lambda = (state: string) => async (input: unknown) => {
    const { FunctionName, Payload } = parameters(input) as {
      FunctionName: string;
      Payload: Record<string, unknown>;
    };
    if (!FunctionName.startsWith('arn:aws:lambda:')) throw new Error(`${state}: bad FunctionName`);
    calls.push({ state, payload: Payload });
    const next = queues[state]?.shift() ?? { verificationId: Payload.verificationId };
    if (next instanceof Error) throw next;
    return { StatusCode: 200, Payload: next };
  };
  const wait = (state: string) => async (input: unknown) => {
    const { Payload } = parameters(input) as { Payload: Record<string, unknown> };
    calls.push({ state, payload: Payload });
    const next = uploads.shift();
    if (next === undefined) throw new Error(`${state}: the script has no upload left`);
    if (next instanceof Error) throw next;
    if (next === 'never') return new Promise<never>(() => undefined);
    return { key: next };
  };

  const handlers: Record<string, (input: unknown) => Promise<unknown>> = {
    AwaitDocumentFront: wait('AwaitDocumentFront'),
    AwaitDocumentBack: wait('AwaitDocumentBack'),
  };
  for (const state of LAMBDA_STATES) handlers[state] = lambda(state);

  // aws-local-stepfunctions reads TimeoutSecondsPath after Parameters, where AWS reads the state
  // input; the local cloud's rewrite corrects that, and these runs use the same correction.
  const imageRetentionSeconds = script.imageRetentionSeconds ?? 0;
  const machine = new StateMachine(
    rewriteDefinition(loadDefinition(imageRetentionSeconds)).definition as never,
  );
  const zero = Object.fromEntries(Object.keys(handlers).map((s) => [s, 0]));
  const execution = machine.run(
    {
      verificationId: VERIFICATION_ID,
      abandonAfterSeconds: script.abandonAfterSeconds ?? 86_400,
      imageRetentionSeconds,
    },
    {
      overrides: {
        taskResourceLocalHandlers: handlers as never,
        retryIntervalOverrides: zero,
        // The hold is entered and left, not waited for.
        waitTimeOverrides: { HoldImages: 0 },
      },
      context: { Task: { Token: 'local-task-token' } } as never,
    },
  );
  const entered: string[] = [];
  let failure: string | undefined;
  const collect = (async () => {
    for await (const event of execution.eventLogs) {
      if (event.type === 'StateEntered') entered.push(event.state.name);
      if (event.type === 'ExecutionFailed') failure = event.Error;
    }
  })();
  try {
    const output = await execution.result;
    await collect;
    return { status: 'SUCCEEDED', calls, visited: entered, output };
  } catch (error) {
    await collect.catch(() => undefined);
    return {
      status: 'FAILED',
      error: failure ?? (error as Error).name,
      calls,
      visited: entered,
      output: undefined,
    };
  }
}
