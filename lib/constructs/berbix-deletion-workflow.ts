import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { acknowledge, logicalIdOf, PROJECT_ROOT } from './verification-function';

/** The Berbix deletion definition, `statemachine/berbix-deletion.asl.json`. */
export const BERBIX_DELETION_DEFINITION_FILE = path.join(
  PROJECT_ROOT,
  'statemachine',
  'berbix-deletion.asl.json',
);

export interface BerbixDeletionWorkflowProps {
  /** The task that tries Berbix's DELETE once (`sfn/delete-berbix-transaction`). */
  readonly deleteTransaction: IFunction;

  /**
   * Retention of the execution log group.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;

  /**
   * Name of the execution log group.
   * @default `/aws/vendedlogs/states/<stack name>-berbix-deletion`
   */
  readonly logGroupName?: string;
}

/**
 * The durable half of `DELETE /verifications/{id}`: a Standard state machine, one execution per
 * deleted verification (named after its id), that tries Berbix's DELETE until it is done, refused
 * or out of time, waiting as the task says between tries. Logged without execution data, like the
 * verification state machine.
 */
export class BerbixDeletionWorkflow extends Construct {
  public readonly stateMachine: sfn.StateMachine;
  public readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: BerbixDeletionWorkflowProps) {
    super(scope, id);
    const { deleteTransaction, logRetention = RetentionDays.ONE_MONTH } = props;

    this.logGroup = new LogGroup(this, 'Logs', {
      logGroupName:
        props.logGroupName ?? `/aws/vendedlogs/states/${Stack.of(this).stackName}-berbix-deletion`,
      retention: logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromString(readFileSync(BERBIX_DELETION_DEFINITION_FILE, 'utf8')),
      definitionSubstitutions: { DeleteBerbixTransactionFunctionArn: deleteTransaction.functionArn },
      tracingEnabled: true,
      logs: { destination: this.logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
    });
    deleteTransaction.grantInvoke(this.stateMachine);
    acknowledge(
      this.stateMachine,
      `AwsSolutions-IAM5[Resource::<${logicalIdOf(deleteTransaction)}.Arn>:*]`,
      'grantInvoke includes the versions/aliases of this one task function (Resource <fn>:*).',
    );
    acknowledge(
      this.stateMachine,
      'AwsSolutions-IAM5[Resource::*]',
      'CloudWatch Logs delivery (logs:*LogDelivery*, DescribeResourcePolicies) and X-Ray actions support no resource-level permissions.',
    );
  }
}
