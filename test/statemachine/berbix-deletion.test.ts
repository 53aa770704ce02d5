import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { StateMachine } from 'aws-local-stepfunctions';
import { readLocalTaskInput, rewriteDefinition } from '../../local/cloud/emulators/asl-rewrite';
import { taskError, VERIFICATION_ID, type Step } from './harness';

const aslValidator = createRequire(__filename)('asl-validator') as (
  definition: unknown,
  options?: { checkArn?: boolean },
) => { isValid: boolean; errors: unknown[] };

const ASL = join(__dirname, '../../statemachine/berbix-deletion.asl.json');
const FUNCTION_ARN = 'arn:aws:lambda:us-east-1:000000000000:function:DeleteBerbixTransaction';
const definition = () =>
  JSON.parse(readFileSync(ASL, 'utf8').replace('${DeleteBerbixTransactionFunctionArn}', FUNCTION_ARN));

const step = (outcome: string, retryInSeconds = 0) => ({
  verificationId: VERIFICATION_ID,
  outcome,
  retryInSeconds,
});

/** Runs the real definition; each try answers from `tries`; waits recorded, not waited. */
async function runDeletion(tries: Step[]) {
  const payloads: Record<string, unknown>[] = [];
  const waits: unknown[] = [];
  const machine = new StateMachine(rewriteDefinition(definition()).definition as never);
  const execution = machine.run(
    { verificationId: VERIFICATION_ID, retryInSeconds: 30 },
    {
      overrides: {
        taskResourceLocalHandlers: {
          DeleteBerbixTransaction: async (input: unknown) => {
            const { FunctionName, Payload } = readLocalTaskInput(input).payload as {
              FunctionName: string;
              Payload: Record<string, unknown>;
            };
            if (FunctionName !== FUNCTION_ARN) throw new Error('bad FunctionName');
            payloads.push(Payload);
            const next = tries.shift();
            if (!next) throw new Error('the script has no try left');
            if (next instanceof Error) throw next;
            return { StatusCode: 200, Payload: next };
          },
        } as never,
        retryIntervalOverrides: { DeleteBerbixTransaction: 0 },
        waitTimeOverrides: { WaitBeforeTry: 0 },
      },
    },
  );
  const collect = (async () => {
    for await (const event of execution.eventLogs) {
      if (event.type === 'StateEntered' && event.state.name === 'WaitBeforeTry')
        waits.push(event.state.input);
    }
  })();
  const status = await execution.result.then(
    () => 'SUCCEEDED',
    () => 'FAILED',
  );
  await collect.catch(() => undefined);
  return { status, payloads, waits };
}

describe('the Berbix deletion state machine definition', () => {
  it('is valid ASL, with its one substitution', () => {
    const raw = JSON.parse(readFileSync(ASL, 'utf8'));
    expect(aslValidator(raw, { checkArn: false }).isValid).toBe(true);
    expect(aslValidator(definition()).errors).toEqual([]);
    expect([...readFileSync(ASL, 'utf8').matchAll(/\$\{([A-Za-z]+)\}/g)].map((m) => m[1])).toEqual([
      'DeleteBerbixTransactionFunctionArn',
    ]);
  });

  it('waits first, then tries again after each wait the task asks for, until done', async () => {
    const run = await runDeletion([step('retry', 60), step('retry', 120), step('done')]);
    expect(run.status).toBe('SUCCEEDED');
    expect(run.waits).toEqual([
      { verificationId: VERIFICATION_ID, retryInSeconds: 30 },
      step('retry', 60),
      step('retry', 120),
    ]);
    // Each try gets the id and when the execution started (its retry window), nothing else.
    expect(run.payloads).toHaveLength(3);
    for (const payload of run.payloads) {
      expect(Object.keys(payload).sort()).toEqual(['startedAt', 'verificationId']);
      expect(payload.verificationId).toBe(VERIFICATION_ID);
    }
  });

  it('fails the execution, for its alarm, when the deletion is refused or runs out of time', async () => {
    expect((await runDeletion([step('retry', 60), step('failed')])).status).toBe('FAILED');
  });

  it('retries a try whose Lambda or AWS calls failed for a moment', async () => {
    const run = await runDeletion([
      taskError('AwsTransientError'),
      taskError('Lambda.ServiceException'),
      step('done'),
    ]);
    expect(run.status).toBe('SUCCEEDED');
    expect(run.payloads).toHaveLength(3);
  });
});
