import { Workflow } from '../adapters/workflow';
import { loadConfig } from '../contract/env';
import { sfn } from './sfn';

/** The verification state machine. */
export const workflow = new Workflow(sfn, loadConfig(['stateMachineArn']).stateMachineArn);
