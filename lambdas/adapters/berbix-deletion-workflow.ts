import type { SFNClient } from '@aws-sdk/client-sfn';
import { startNamedExecution } from './workflow';

/** The Berbix deletion state machine's input: an id and the first wait, nothing personal. */
export interface BerbixDeletionInput {
  verificationId: string;
  retryInSeconds: number;
}

/**
 * The state machine that deletes a deleted verification's Berbix transaction, retrying while
 * Berbix is unavailable. One execution per verification, named after its id.
 */
export class BerbixDeletionWorkflow {
  readonly #sfn: SFNClient;
  readonly #stateMachineArn: string;

  constructor(sfn: SFNClient, stateMachineArn: string) {
    this.#sfn = sfn;
    this.#stateMachineArn = stateMachineArn;
  }

  /** Starts the deletion; one already started (a repeated DELETE) is fine. */
  start(input: BerbixDeletionInput): Promise<void> {
    return startNamedExecution(this.#sfn, this.#stateMachineArn, input.verificationId, input);
  }
}
