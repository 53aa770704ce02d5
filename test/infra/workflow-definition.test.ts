import { readFileSync } from 'node:fs';
import type { CfnElement } from 'aws-cdk-lib';
import { withoutImageHold, type AslDefinition } from '../../lib/constructs/verification-definition';
import { berbixRetryWaits, DEFAULT_DEFINITION_FILE } from '../../lib/constructs/verification-workflow';
import { synthesize, type Synthesized } from './synth';
import type { VerificationFunctionId } from '../../lib/berbix-verification';

type State = Record<string, unknown> & { Type: string };
interface Definition {
  StartAt: string;
  States: Record<string, State>;
}

let synth: Synthesized;
/** The definition as deployed: the template's DefinitionString with its substitutions applied. */
let definition: Definition;
let arnOf: Record<string, string>;

beforeAll(() => {
  synth = synthesize();
  const [, machine] = Object.entries(
    synth.template.toJSON().Resources as Record<
      string,
      { Type: string; Properties: Record<string, unknown> }
    >,
  ).find(([, r]) => r.Type === 'AWS::StepFunctions::StateMachine')!;
  const subs = machine.Properties.DefinitionSubstitutions as Record<
    string,
    { 'Fn::GetAtt': [string, string] }
  >;
  // Stand in for each deploy-time ARN with one that names the function's logical id.
  arnOf = Object.fromEntries(
    Object.entries(subs).map(([name, ref]) => [
      name,
      `arn:aws:lambda:us-east-1:000000000000:function:${ref['Fn::GetAtt'][0]}`,
    ]),
  );
  const text = (machine.Properties.DefinitionString as string).replace(
    /\$\{(\w+)\}/g,
    (whole, name: string) => arnOf[name] ?? whole,
  );
  definition = JSON.parse(text) as Definition;
});
afterAll(() => synth.cleanup());

const tasks = () => Object.entries(definition.States).filter(([, s]) => s.Type === 'Task');
const params = (s: State) =>
  (s.Parameters ?? {}) as { FunctionName?: string; Payload?: Record<string, unknown> };
const catchesTo = (s: State, error: string) =>
  ((s.Catch ?? []) as { ErrorEquals: string[]; Next: string }[]).find((c) => c.ErrorEquals.includes(error))
    ?.Next;
const retries = (s: State, error: string) =>
  ((s.Retry ?? []) as { ErrorEquals: string[]; MaxAttempts?: number; BackoffRate?: number }[]).find((r) =>
    r.ErrorEquals.includes(error),
  );

describe('the deployed state machine definition', () => {
  it('has every substitution filled in the template', () => {
    expect(JSON.stringify(definition)).not.toMatch(/\$\{\w+\}/);
  });

  it('invokes only the six task functions, each through the Lambda service integration', () => {
    for (const [name, s] of tasks()) {
      expect({ name, resource: s.Resource }).toEqual({
        name,
        resource: expect.stringMatching(/^arn:aws:states:::lambda:invoke(\.waitForTaskToken)?$/),
      });
      expect(Object.values(arnOf)).toContain(params(s).FunctionName);
    }
    const used = new Set(tasks().map(([, s]) => params(s).FunctionName));
    expect(used.size).toBe(6);
  });

  it('maps each substitution to the function of the same name', () => {
    for (const [name, arn] of Object.entries(arnOf)) {
      const fnId = name.replace(/FunctionArn$/, 'Fn');
      const fn = synth.stack.verification.functions[fnId as VerificationFunctionId];
      expect(fn).toBeDefined();
      expect(arn.endsWith(`:function:${synth.stack.getLogicalId(fn?.node.defaultChild as CfnElement)}`)).toBe(
        true,
      );
    }
  });

  it('passes ids, steps, keys and the task token only: no personal data in state I/O', () => {
    // `error` is a caught error, `{Error, Cause}`: names and reason codes (see CloseVerificationFn).
    const allowed = new Set(['verificationId', 'step', 'key', 'taskToken', 'outcome', 'reason', 'error']);
    for (const [name, s] of tasks()) {
      const payload = params(s).Payload;
      expect({ name, payloadIsObject: typeof payload === 'object' && payload !== null }).toEqual({
        name,
        payloadIsObject: true,
      });
      const keys = Object.keys(payload ?? {}).map((k) => k.replace(/\.\$$/, ''));
      expect({ name, extra: keys.filter((k) => !allowed.has(k)) }).toEqual({ name, extra: [] });
    }
  });

  it('waits for each document with a task token, timing out after abandonAfterSeconds into abandonment', () => {
    for (const name of ['AwaitDocumentFront', 'AwaitDocumentBack']) {
      const s = definition.States[name];
      expect(s).toBeDefined();
      if (!s) continue;
      expect(s.Resource).toBe('arn:aws:states:::lambda:invoke.waitForTaskToken');
      expect(params(s).FunctionName).toBe(arnOf.AwaitUploadFunctionArn);
      expect(params(s).Payload).toEqual(expect.objectContaining({ 'taskToken.$': '$$.Task.Token' }));
      // From the execution input (CreateVerificationFn puts ABANDON_AFTER_SECONDS there).
      expect(s.TimeoutSecondsPath).toMatch(/^\$(\$\.Execution\.Input)?\.abandonAfterSeconds$/);
      const onTimeout = catchesTo(s, 'States.Timeout');
      expect(onTimeout).toBeDefined();
      expect(params(definition.States[onTimeout ?? ''] ?? ({} as State)).FunctionName).toBe(
        arnOf.CloseVerificationFunctionArn,
      );
    }
  });

  it('retries transient Berbix errors with backoff and ends permanent ones in the failure close', () => {
    for (const name of ['CreateTransaction', 'SubmitUpload', 'FetchResult']) {
      const s = definition.States[name];
      expect(s).toBeDefined();
      if (!s) continue;
      const retry = retries(s, 'BerbixTransientError');
      expect({
        name,
        attempts: (retry?.MaxAttempts ?? 0) > 1,
        backoff: (retry?.BackoffRate ?? 0) > 1,
      }).toEqual({
        name,
        attempts: true,
        backoff: true,
      });
      const onPermanent = catchesTo(s, 'BerbixRefusedError') ?? catchesTo(s, 'States.ALL');
      expect({
        name,
        closes: params(definition.States[onPermanent ?? ''] ?? ({} as State)).FunctionName,
      }).toEqual({
        name,
        closes: arnOf.CloseVerificationFunctionArn,
      });
    }
  });

  it('retries transient Berbix faults by default 6 times, 2 s doubling to 30 s, without jitter', () => {
    for (const name of ['CreateTransaction', 'SubmitUpload', 'FetchResult']) {
      expect({ name, retry: retries(definition.States[name]!, 'BerbixTransientError') }).toEqual({
        name,
        retry: {
          ErrorEquals: ['BerbixTransientError'],
          IntervalSeconds: 2,
          MaxAttempts: 6,
          BackoffRate: 2,
          MaxDelaySeconds: 30,
        },
      });
    }
  });

  it('rides out at least 90 s of Berbix trouble with the default budget, as docs/operations.md says', () => {
    expect(berbixRetryWaits()).toEqual([2, 4, 8, 16, 30, 30]);
    expect(berbixRetryWaits().reduce((a, b) => a + b)).toBe(90);
  });

  it('closes a failed verification with the caught error, retrying the close on any error', () => {
    const close = definition.States.CloseAsFailed!;
    expect(params(close).Payload).toEqual({
      'verificationId.$': '$.verificationId',
      outcome: 'failed',
      'error.$': '$.error',
    });
    for (const name of ['CloseAsFailed', 'CloseAsAbandoned']) {
      expect(retries(definition.States[name]!, 'States.ALL')?.MaxAttempts).toBeGreaterThanOrEqual(10);
    }
  });

  it('deletes the images right after the result with the default image retention of 0: no hold', () => {
    expect(Object.values(definition.States).filter((s) => s.Type === 'Wait')).toEqual([]);
    const next = definition.States.FetchResult?.Next as string;
    expect(params(definition.States[next] ?? ({} as State)).FunctionName).toBe(arnOf.DeleteImagesFunctionArn);
    // The deletion ends the execution, with its retries and no Catch, as before.
    expect(definition.States[next]).toMatchObject({ End: true });
    expect(definition.States[next]?.Next).toBeUndefined();
    expect(definition.States[next]?.Catch).toBeUndefined();
    expect(retries(definition.States[next]!, 'AwsTransientError')?.MaxAttempts).toBe(6);
  });

  it('is the ASL file with its substitutions and without the image hold: nothing else changed', () => {
    const file = readFileSync(DEFAULT_DEFINITION_FILE, 'utf8').replace(
      /\$\{(\w+)\}/g,
      (whole, name: string) => arnOf[name] ?? whole,
    );
    const asWritten = JSON.parse(file) as AslDefinition;
    expect(asWritten.States.HoldImages).toBeDefined();
    expect(definition).toEqual(withoutImageHold(asWritten));
  });
});
