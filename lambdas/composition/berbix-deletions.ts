import { BerbixDeletionWorkflow } from '../adapters/berbix-deletion-workflow';
import { loadConfig } from '../contract/env';
import { sfn } from './sfn';

/** The state machine that deletes a deleted verification's Berbix transaction. */
export const berbixDeletions = new BerbixDeletionWorkflow(
  sfn,
  loadConfig(['berbixDeletionStateMachineArn']).berbixDeletionStateMachineArn,
);
