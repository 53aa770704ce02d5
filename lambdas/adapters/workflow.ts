import {
  SendTaskSuccessCommand,
  StartExecutionCommand,
  StopExecutionCommand,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import { FLOW_ERRORS } from '../contract/task-errors';

export interface ExecutionInput {
  verificationId: string;
  abandonAfterSeconds: number;
  imageRetentionSeconds: number;
}

/** Errors meaning the task token no longer waits: the wait ended (timeout, stop) or was already resumed. */
const ENDED_TASK_ERRORS = new Set(['TaskTimedOut', 'TaskDoesNotExist', 'InvalidToken']);

/** `arn:aws:states:r:a:stateMachine:Name` + name → `arn:aws:states:r:a:execution:Name:name`. */
export function executionArn(stateMachineArn: string, name: string): string {
  const parts = stateMachineArn.split(':');
  if (parts.length < 7 || parts[5] !== 'stateMachine') throw new Error('not a state machine ARN');
  parts[5] = 'execution';
  return [...parts.slice(0, 7), name].join(':');
}

/** Starts the execution `name`; one started before under that name (a retried start) is fine. */
export async function startNamedExecution(
  sfn: SFNClient,
  stateMachineArn: string,
  name: string,
  input: object,
): Promise<void> {
  try {
    await sfn.send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }));
  } catch (error) {
    if ((error as { name?: string }).name !== 'ExecutionAlreadyExists') throw error;
  }
}

/** The verification state machine. One execution per verification, named after its id. */
export class Workflow {
  readonly #sfn: SFNClient;
  readonly #stateMachineArn: string;

  constructor(sfn: SFNClient, stateMachineArn: string) {
    this.#sfn = sfn;
    this.#stateMachineArn = stateMachineArn;
  }

  async start(input: ExecutionInput): Promise<void> {
    await startNamedExecution(this.#sfn, this.#stateMachineArn, input.verificationId, input);
  }

  /** Resumes a wait with `{key}`. Returns false when the wait had already ended. */
  async resume(taskToken: string, output: { key: string }): Promise<boolean> {
    try {
      await this.#sfn.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output) }));
      return true;
    } catch (error) {
      if (ENDED_TASK_ERRORS.has((error as { name?: string }).name ?? '')) return false;
      throw error;
    }
  }

  /** Stops the verification's execution; an execution that is gone or finished is fine. */
  async stop(verificationId: string, cause: string): Promise<void> {
    try {
      await this.#sfn.send(
        new StopExecutionCommand({
          executionArn: executionArn(this.#stateMachineArn, verificationId),
          error: FLOW_ERRORS.verificationDeleted,
          cause,
        }),
      );
    } catch (error) {
      if ((error as { name?: string }).name !== 'ExecutionDoesNotExist') throw error;
    }
  }
}
